// util/utf8.hpp — validation, lossy repair and cutting at a byte count.
#include <catch2/catch.hpp>

#include <string>

#include "util/utf8.hpp"

using namespace letta_stream::util;

TEST_CASE("utf8_drop_partial_tail drops only a character cut short", "[utf8]") {
    CHECK(utf8_drop_partial_tail("") == "");
    CHECK(utf8_drop_partial_tail("abc") == "abc");
    CHECK(utf8_drop_partial_tail("ab\xC3\xA9") == "ab\xC3\xA9");  // é whole: kept
    CHECK(utf8_drop_partial_tail("ab\xC3") == "ab");              // é cut after its lead byte
    const std::string euro = "\xE2\x82\xAC", smile = "\xF0\x9F\x98\x80";
    for (const std::string& ch : {euro, smile}) {
        CHECK(utf8_drop_partial_tail("x" + ch) == "x" + ch);
        for (std::size_t k = 1; k < ch.size(); ++k) {
            INFO(k);
            CHECK(utf8_drop_partial_tail("x" + ch.substr(0, k)) == "x");
        }
    }
    // Every cut of a multi-byte text is valid UTF-8 and loses at most the one cut character.
    const std::string text = "a\xC3\xA9" + euro + smile + "z" + smile;
    for (std::size_t k = 0; k <= text.size(); ++k) {
        const auto cut = utf8_drop_partial_tail(std::string_view(text).substr(0, k));
        INFO(k);
        CHECK(is_valid_utf8(cut));
        CHECK(k - cut.size() < 4);
    }
    // Bytes that are not a cut character are not its business.
    CHECK(utf8_drop_partial_tail("a\x80\x80\x80\x80") == "a\x80\x80\x80\x80");
}
