// Every JSON the tool writes (the request body, JSON lines, the metrics report) escapes every
// control byte wherever it sits in a string. RapidJSON 1.1.0's SSE2 writer let 0x1A–0x1F through
// in the 16-byte-aligned middle of long strings (see util/json_writer.hpp); the library is built
// with RAPIDJSON_SSE2, so these go through the library's own functions, and the strict parse here
// (no SSE2 in this file) rejects any raw control byte.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <string>

#include "metrics/report.hpp"
#include "output/jsonl.hpp"
#include "protocol/letta_api.hpp"
#include "util/clock.hpp"
#include "util/json_text.hpp"

using namespace letta_stream;

namespace {

// A long string with `byte` at `offset` (and again near the end, past any aligned block).
std::string with_control(unsigned char byte, std::size_t offset) {
    std::string s(80, 'x');
    s[offset] = static_cast<char>(byte);
    s[70] = static_cast<char>(byte);
    return s;
}

// Strict JSON (raw control bytes are a parse error here) and an object.
void require_object(const std::string& json, const char* where) {
    INFO(where << ": " << json.substr(0, 300));
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
}

}  // namespace

TEST_CASE("request body: every control byte in the prompt is escaped, at every offset",
          "[json][letta_api]") {
    for (unsigned byte = 0; byte < 0x20; ++byte) {
        for (std::size_t offset = 0; offset < 40; ++offset) {
            protocol::MessageRequest r;
            r.agent_id = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
            r.prompt = with_control(static_cast<unsigned char>(byte), offset);
            r.otid = "2b7e9c41-5d3a-4f86-a1c2-7e8f9a0b1c2d";
            const auto call = protocol::send_message(r);
            INFO("byte " << byte << " at " << offset);
            rapidjson::Document d;
            d.Parse(call.body.data(), call.body.size());
            REQUIRE_FALSE(d.HasParseError());
            const auto& content = d["messages"][0]["content"];
            CHECK(std::string(content.GetString(), content.GetStringLength()) == r.prompt);
        }
    }
}

TEST_CASE("the ANSI-coloured diff that used to be rejected with HTTP 422", "[json][letta_api]") {
    protocol::MessageRequest r;
    r.agent_id = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
    r.prompt = "Review:\n\ndiff --git a/x b/x\n\x1b[31m-removed line of code here\x1b[0m\n";
    r.otid = "2b7e9c41-5d3a-4f86-a1c2-7e8f9a0b1c2d";
    const auto call = protocol::send_message(r);
    CHECK(call.body.find('\x1b') == std::string::npos);
    CHECK(call.body.find("\\u001B[0m") != std::string::npos);
    require_object(call.body, "body");
}

TEST_CASE("JSON lines: control bytes in content and in the repeated ids are escaped",
          "[json][jsonl]") {
    util::ManualClock clock;
    for (unsigned byte = 0x1a; byte < 0x20; ++byte) {
        for (std::size_t offset = 0; offset < 40; ++offset) {
            output::JsonlFormatter f(clock, 0);
            const std::string text = with_control(static_cast<unsigned char>(byte), offset);
            stream::Event e;
            e.kind = stream::Kind::content;
            e.text = text;
            e.run_id = text;
            e.message_id = text;
            f.on_event(e);
            f.finish({});
            INFO("byte " << byte << " at " << offset);
            std::size_t pos = 0;
            const std::string& out = f.pending();
            while (pos < out.size()) {
                const auto nl = out.find('\n', pos);
                REQUIRE(nl != std::string::npos);
                require_object(out.substr(pos, nl - pos), "line");
                pos = nl + 1;
            }
        }
    }
}

TEST_CASE("metrics JSON: control bytes in server-sent strings are escaped", "[json][metrics]") {
    for (unsigned byte = 0x1a; byte < 0x20; ++byte) {
        metrics::Summary s;
        s.run_id = with_control(static_cast<unsigned char>(byte), 20);
        s.stop_reason = with_control(static_cast<unsigned char>(byte), 33);
        const auto json = metrics::render_json(s);
        INFO("byte " << byte);
        require_object(json, "metrics");
    }
}

// The three characters some line splitters end lines at (Python's str.splitlines, JavaScript
// before ES2019), which JSON allows raw in strings.
TEST_CASE("escape_js_line_terminators: U+2028, U+2029 and NEL become JSON escapes",
          "[json][json_escape]") {
    auto escaped = [](std::string s, std::size_t from = 0) {
        util::escape_js_line_terminators(s, from);
        return s;
    };
    CHECK(escaped("") == "");
    CHECK(escaped("plain ascii") == "plain ascii");
    CHECK(escaped("\"a\xE2\x80\xA8"
                  "b\"") == "\"a\\u2028b\"");
    CHECK(escaped("\xE2\x80\xA9") == "\\u2029");
    CHECK(escaped("x\xC2\x85") == "x\\u0085");
    CHECK(escaped("\xC2\x85\xE2\x80\xA8\xE2\x80\xA9\xC2\x85") == "\\u0085\\u2028\\u2029\\u0085");
    // Their neighbours are left alone (U+2026, U+2027, U+202A, U+00AB, U+00A0, U+0084, U+0086,
    // U+2068), and so are sequences cut short at the end.
    for (const char* other :
         {"\xE2\x80\xA6", "\xE2\x80\xA7", "\xE2\x80\xAA", "\xC2\xAB", "\xC2\xA0", "\xC2\x84",
          "\xC2\x86", "\xE2\x81\xA8", "a\xE2\x80", "a\xE2", "a\xC2", "\xE2\xC2\x85"}) {
        INFO(other);
        const std::string s = other;
        if (s == "\xE2\xC2\x85")
            CHECK(escaped(s) == "\xE2\\u0085");
        else
            CHECK(escaped(s) == s);
    }
    // Only from `from` on: what is already in the buffer is not scanned again.
    CHECK(escaped("\xE2\x80\xA8|\xE2\x80\xA8", 3) == "\xE2\x80\xA8|\\u2028");
    CHECK(escaped("\xE2\x80\xA8", 1) == "\xE2\x80\xA8");
    CHECK(escaped("ab", 5) == "ab");
}

TEST_CASE("escape_js_line_terminators agrees with a byte-by-byte reference",
          "[json][json_escape]") {
    auto reference = [](std::string_view s) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const std::string_view at = s.substr(i);
            if (at.substr(0, 3) == "\xE2\x80\xA8") {
                out += "\\u2028", i += 2;
            } else if (at.substr(0, 3) == "\xE2\x80\xA9") {
                out += "\\u2029", i += 2;
            } else if (at.substr(0, 2) == "\xC2\x85") {
                out += "\\u0085", i += 1;
            } else {
                out += s[i];
            }
        }
        return out;
    };
    // Strings up to 160 bytes (the 64- and 16-byte scans, their overlapping tail and the byte loop)
    // over an alphabet of the bytes that matter, dense or sparse among ASCII.
    const char alphabet[] = {'a', '"', '\xE2', '\x80', '\xA8', '\xA9', '\xC2', '\x85'};
    std::uint32_t state = 12345;
    auto next = [&] { return (state = state * 1103515245 + 12345) >> 16; };
    for (int round = 0; round < 40000; ++round) {
        std::string s;
        const std::size_t n = round % 161;
        const bool sparse = round % 2 == 0;
        for (std::size_t i = 0; i < n; ++i)
            s += sparse && next() % 16 != 0 ? 'a' : alphabet[next() % sizeof alphabet];
        std::string got = s;
        util::escape_js_line_terminators(got);
        INFO("round " << round);
        REQUIRE(got == reference(s));
    }
}
