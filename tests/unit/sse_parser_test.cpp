// Tests for sse::Parser. Quotes are from the WHATWG HTML Living Standard, §9.2.6 "Interpreting an
// event stream"; each tricky case names the clause it checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sse/parser.hpp"
#include "support/sse_reference.hpp"

using letta_stream::sse::Event;
using letta_stream::sse::Handler;
using letta_stream::sse::Parser;
using letta_stream::sse::Status;

namespace {

using Rec = ls_test::SseEvent;

struct Recorder : Handler {
    std::vector<Rec> events;
    std::vector<std::uint64_t> retries;
    std::size_t stop_after = std::numeric_limits<std::size_t>::max();

    bool on_event(const Event& e) override {
        events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
        return events.size() != stop_after;
    }
    void on_retry(std::uint64_t ms) override { retries.push_back(ms); }
};

struct Run {
    std::vector<Rec> events;
    std::vector<std::uint64_t> retries;
    Status status = Status::ok;  // the first status other than ok, if any
    bool discarded = false;      // what finish() returned
};

Run parse_chunks(const std::vector<std::string_view>& chunks,
                 std::size_t max = Parser::default_max_event_size) {
    Parser parser(max);
    Recorder rec;
    Run run;
    for (const auto chunk : chunks) {
        const Status s = parser.feed(chunk, rec);
        if (s != Status::ok && run.status == Status::ok) run.status = s;
    }
    run.discarded = parser.finish();
    run.events = std::move(rec.events);
    run.retries = std::move(rec.retries);
    return run;
}

Run parse(std::string_view s) {
    return parse_chunks({s});
}

Run parse_bytewise(std::string_view s, std::size_t max = Parser::default_max_event_size) {
    std::vector<std::string_view> chunks;
    for (std::size_t i = 0; i < s.size(); ++i)
        chunks.push_back(s.substr(i, 1));
    return parse_chunks(chunks, max);
}

std::vector<Rec> events(std::string_view s) {
    return parse(s).events;
}

std::string replace_lf(std::string_view s, std::string_view with) {
    std::string out;
    for (const char c : s) {
        if (c == '\n') {
            out += with;
        } else {
            out += c;
        }
    }
    return out;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::filesystem::path> fixture_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(LS_FIXTURES_DIR "/letta")) {
        if (entry.path().extension() == ".sse") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string fixture(const char* name) {
    return read_file(std::filesystem::path(LS_FIXTURES_DIR "/letta") / name);
}

}  // namespace

TEST_CASE("sse: line ends LF, CR and CRLF", "[sse]") {
    // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
    // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
    // RETURN (CR) character."
    const std::vector<Rec> want{{"message", "a\nb", ""}, {"message", "c", ""}};
    CHECK(events("data: a\ndata: b\n\ndata: c\n\n") == want);
    CHECK(events("data: a\rdata: b\r\rdata: c\r\r") == want);
    CHECK(events("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n") == want);
    CHECK(events("data: a\rdata: b\r\n\ndata: c\n\r") == want);
}

TEST_CASE("sse: CRLF split across chunks is one line end", "[sse]") {
    // CRLF is one line end even when the CR ends one chunk and the LF starts the next; read as
    // two line ends it would be a blank line and dispatch "a" on its own.
    const auto run = parse_chunks({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
    CHECK(run.events == std::vector<Rec>{{"message", "a\nb", ""}});
    CHECK_FALSE(run.discarded);
    // Empty chunks in between do not forget the pending CR.
    CHECK(parse_chunks({"data: a\r", "", "\ndata: b\r\n\r", "", "\n"}).events ==
          std::vector<Rec>{{"message", "a\nb", ""}});
}

TEST_CASE("sse: CR followed by a non-LF byte ends the line by itself", "[sse]") {
    // "a single U+000D CARRIAGE RETURN (CR) character" is a line end of its own.
    CHECK(events("data: a\rdata: b\r\r") == std::vector<Rec>{{"message", "a\nb", ""}});
    CHECK(parse_chunks({"data: a\r", "data: b\r", "\r"}).events ==
          std::vector<Rec>{{"message", "a\nb", ""}});
    // CR CR is two line ends (a blank line), whichever chunk each CR is in.
    CHECK(parse_chunks({"data: a\r", "\rdata: b\r\r"}).events ==
          std::vector<Rec>{{"message", "a", ""}, {"message", "b", ""}});
}

TEST_CASE("sse: leading byte order mark", "[sse]") {
    // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
    const std::string with_bom =
        "\xEF\xBB\xBF"
        "data: x\n\n";
    const std::vector<Rec> want{{"message", "x", ""}};
    CHECK(events(with_bom) == want);
    CHECK(parse_bytewise(with_bom).events == want);
    CHECK(parse_chunks({"\xEF",
                        "\xBB\xBF"
                        "data: x\n\n"})
              .events == want);

    // Only one: a second BOM belongs to the first line, making its field name unknown.
    CHECK(events("\xEF\xBB\xBF\xEF\xBB\xBF"
                 "data: x\n\ndata: y\n\n") == std::vector<Rec>{{"message", "y", ""}});
    // Anywhere but the very start it is data.
    CHECK(events("data: \xEF\xBB\xBFx\n\n") == std::vector<Rec>{{"message", "\xEF\xBB\xBFx", ""}});
    CHECK(parse_bytewise("data: a\n\n\xEF\xBB\xBF"
                         "data: b\n\n")
              .events == std::vector<Rec>{{"message", "a", ""}});

    // A BOM prefix that turns out not to be a BOM is text of the first line, not dropped.
    CHECK(parse_chunks({"\xEF\xBB", "data: x\n\ndata: y\n\n"}).events ==
          std::vector<Rec>{{"message", "y", ""}});
    CHECK(parse_chunks({"\xEF\xBB"}).discarded);
    CHECK_FALSE(parse_chunks({"\xEF\xBB", "\xBF"}).discarded);
}

TEST_CASE("sse: comments and field parsing", "[sse]") {
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    CHECK(events(": hello\n:\ndata: a\n: between\n\n") == std::vector<Rec>{{"message", "a", ""}});
    CHECK(events(": only a comment\n\n").empty());

    // "If value starts with a U+0020 SPACE character, remove it from value." Only one.
    CHECK(events("data:{\"a\":1}\n\n") == std::vector<Rec>{{"message", "{\"a\":1}", ""}});
    CHECK(events("data: {\"a\":1}\n\n") == std::vector<Rec>{{"message", "{\"a\":1}", ""}});
    CHECK(events("data:  x\n\n") == std::vector<Rec>{{"message", " x", ""}});
    CHECK(events("data:\tx\n\n") == std::vector<Rec>{{"message", "\tx", ""}});
    // "before the first U+003A COLON": later colons are part of the value.
    CHECK(events("data::x: y\n\n") == std::vector<Rec>{{"message", ":x: y", ""}});

    // "the string is not empty but does not contain a U+003A COLON character (:): Process the
    // field using the whole line as the field name, and the empty string as the field value."
    CHECK(events("data\n\n") == std::vector<Rec>{{"message", "", ""}});
    CHECK(events("data\ndata\n\n") == std::vector<Rec>{{"message", "\n", ""}});

    // "Otherwise: The field is ignored." Field names are compared exactly (case-sensitive).
    CHECK(events("foo: bar\ndata: a\n\n") == std::vector<Rec>{{"message", "a", ""}});
    CHECK(events("Data: a\n\n").empty());
    CHECK(events(" data: a\n\n").empty());
    CHECK(events("data : a\n\n").empty());
}

TEST_CASE("sse: event type and data buffer", "[sse]") {
    // "Set the event type buffer to the field value." / default "message".
    CHECK(events("event: ping\ndata: x\n\n") == std::vector<Rec>{{"ping", "x", ""}});
    CHECK(events("event: a\nevent: b\ndata: x\n\n") == std::vector<Rec>{{"b", "x", ""}});
    CHECK(events("event:\ndata: x\n\n") == std::vector<Rec>{{"message", "x", ""}});
    // The event type buffer is reset after each dispatch.
    CHECK(events("event: a\ndata: 1\n\ndata: 2\n\n") ==
          std::vector<Rec>{{"a", "1", ""}, {"message", "2", ""}});

    // "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
    // character" and at dispatch remove the last LF: lines are joined with "\n".
    CHECK(events("data: a\ndata: b\ndata: c\n\n") == std::vector<Rec>{{"message", "a\nb\nc", ""}});
    // Empty data lines still contribute a line.
    CHECK(events("data:\n\n") == std::vector<Rec>{{"message", "", ""}});
    CHECK(events("data:\ndata:\n\n") == std::vector<Rec>{{"message", "\n", ""}});
    CHECK(events("data: a\ndata:\ndata: b\n\n") == std::vector<Rec>{{"message", "a\n\nb", ""}});

    // "If the data buffer is an empty string, set the data buffer and the event type buffer to
    // the empty string and return." A block with only "event:" dispatches nothing, and its
    // type does not leak into the next event.
    CHECK(events("event: foo\n\ndata: b\n\n") == std::vector<Rec>{{"message", "b", ""}});
    CHECK(events("\n\n\n").empty());
}

TEST_CASE("sse: id and the last event ID buffer", "[sse]") {
    // The last event ID buffer is not reset by dispatch: it persists across events.
    CHECK(events("id: 1\ndata: a\n\ndata: b\n\n") ==
          std::vector<Rec>{{"message", "a", "1"}, {"message", "b", "1"}});
    // It is set even by a block that dispatches nothing.
    CHECK(events("id: 7\n\ndata: c\n\n") == std::vector<Rec>{{"message", "c", "7"}});
    // An empty id (with or without colon) resets it.
    CHECK(events("id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\ndata: c\n\nid:\ndata: d\n\n") ==
          std::vector<Rec>{{"message", "a", "1"},
                           {"message", "b", ""},
                           {"message", "c", "2"},
                           {"message", "d", ""}});
    // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to
    // the field value. Otherwise, ignore the field."
    using namespace std::string_literals;
    CHECK(events("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s) ==
          std::vector<Rec>{{"message", "a", "1"}, {"message", "b", "1"}});
    // id lines within a block: the last one wins, even after the data lines.
    CHECK(events("id: 1\ndata: a\nid: 2\n\n") == std::vector<Rec>{{"message", "a", "2"}});
}

TEST_CASE("sse: retry", "[sse]") {
    // "If the field value consists of only ASCII digits, then interpret the field value as an
    // integer in base ten ... Otherwise, ignore the field." It needs no blank line.
    CHECK(parse("retry: 1500\n").retries == std::vector<std::uint64_t>{1500});
    CHECK(parse("retry:0\n").retries == std::vector<std::uint64_t>{0});
    CHECK(parse("retry: 15a\nretry: -1\nretry:\nretry\nretry:  10\nretry: 1.5\n").retries.empty());
    CHECK(parse("Retry: 10\n").retries.empty());
    // Overflow saturates rather than wrapping to a short delay.
    CHECK(parse("retry: 99999999999999999999999\n").retries ==
          std::vector<std::uint64_t>{std::numeric_limits<std::uint64_t>::max()});
    CHECK(parse("retry: 18446744073709551615\nretry: 18446744073709551616\n").retries ==
          std::vector<std::uint64_t>(2, std::numeric_limits<std::uint64_t>::max()));
    // retry lines do not make a block dispatch.
    CHECK(parse("retry: 5\n\n").events.empty());
}

TEST_CASE("sse: end of stream discards an incomplete event", "[sse]") {
    // "If the file ends in the middle of an event, before the final empty line, the incomplete
    // event is not dispatched."
    auto run = parse("data: a\n\ndata: b\n");
    CHECK(run.events == std::vector<Rec>{{"message", "a", ""}});
    CHECK(run.discarded);
    run = parse("data: a\n\ndata: b");
    CHECK(run.events == std::vector<Rec>{{"message", "a", ""}});
    CHECK(run.discarded);
    CHECK(parse("data: a\n\nevent: x\n").discarded);
    CHECK(parse("data: a\n\n:partial comment").discarded);

    run = parse("data: a\n\n");
    CHECK(run.events.size() == 1);
    CHECK_FALSE(run.discarded);
    CHECK_FALSE(parse("").discarded);
    // A trailing CR is a whole line end; ids and comments take effect without a blank line.
    CHECK_FALSE(parse("data: a\r\r").discarded);
    CHECK_FALSE(parse("data: a\n\nid: 3\n: bye\n").discarded);

    // finish() resets everything: last id, BOM check, line state.
    Parser parser;
    Recorder rec;
    CHECK(parser.feed("\xEF\xBB\xBFid: 9\ndata: a\n\ndata: partial", rec) == Status::ok);
    CHECK(parser.finish());
    CHECK(parser.pending_bytes() == 0);
    CHECK(parser.feed("\xEF\xBB\xBF"
                      "data: b\n\n",
                      rec) == Status::ok);
    CHECK_FALSE(parser.finish());
    CHECK(rec.events == std::vector<Rec>{{"message", "a", "9"}, {"message", "b", ""}});
}

TEST_CASE("sse: max event size", "[sse]") {
    constexpr std::size_t limit = 64;
    const std::string fits_line = "data:" + std::string(limit - 5, 'x');  // exactly the limit
    const std::string over_line = "data:" + std::string(limit - 4, 'x');

    SECTION("an event at the limit is delivered, whole or byte by byte") {
        for (const auto& run : {parse_chunks({fits_line + "\n\n"}, limit),
                                parse_bytewise(fits_line + "\n\n", limit)}) {
            CHECK(run.status == Status::ok);
            REQUIRE(run.events.size() == 1);
            CHECK(run.events[0].data == std::string(limit - 5, 'x'));
        }
    }
    SECTION("one byte more is too large, whole or byte by byte") {
        CHECK(parse_chunks({over_line + "\n\n"}, limit).status == Status::event_too_large);
        CHECK(parse_bytewise(over_line + "\n\n", limit).status == Status::event_too_large);
    }
    SECTION("data lines accumulate towards the limit, and so does the event type") {
        const std::string line = "data:" + std::string(20, 'x') + "\n";
        CHECK(parse_chunks({line + line + "\n"}, limit).status == Status::ok);
        CHECK(parse_chunks({line + line + line + "\n"}, limit).status == Status::event_too_large);
        const std::string typed = "event:" + std::string(40, 't') + "\n" + line + "\n";
        CHECK(parse_chunks({typed}, limit).status == Status::event_too_large);
        // Dispatch frees the budget: many events each under the limit are fine.
        std::string many;
        for (int i = 0; i < 100; ++i)
            many += line + "\n";
        const auto run = parse_chunks({many}, limit);
        CHECK(run.status == Status::ok);
        CHECK(run.events.size() == 100);
    }
    SECTION("the parser is dead after event_too_large until finish()") {
        Parser parser(limit);
        Recorder rec;
        CHECK(parser.feed("data: ok\n\n" + over_line + "\n\ndata: lost\n\n", rec) ==
              Status::event_too_large);
        CHECK(parser.feed("data: still dead\n\n", rec) == Status::event_too_large);
        CHECK(parser.pending_bytes() == 0);
        CHECK(parser.finish());
        CHECK(parser.feed("data: again\n\n", rec) == Status::ok);
        CHECK(rec.events == std::vector<Rec>{{"message", "ok", ""}, {"message", "again", ""}});
    }
    SECTION("a huge line without a line end is not buffered past the limit") {
        constexpr std::size_t big_limit = 1u << 20;
        constexpr std::size_t chunk_size = 64u * 1024u;
        Parser parser(big_limit);
        Recorder rec;
        const std::string chunk(chunk_size, 'x');
        CHECK(parser.feed("data: ", rec) == Status::ok);
        std::size_t fed = 0;
        std::size_t max_pending = 0;
        Status status = Status::ok;
        while (fed < 20u * 1024u * 1024u) {
            status = parser.feed(chunk, rec);
            fed += chunk_size;
            max_pending = std::max(max_pending, parser.pending_bytes());
            if (status != Status::ok) break;
        }
        CHECK(status == Status::event_too_large);
        CHECK(fed <= big_limit + chunk_size);
        CHECK(max_pending <= big_limit);
        CHECK(parser.feed("\n\n", rec) == Status::event_too_large);
        CHECK(rec.events.empty());
    }
}

TEST_CASE("sse: handler returning false stops the feed", "[sse]") {
    Parser parser;
    Recorder rec;
    rec.stop_after = 1;
    CHECK(parser.feed("data: a\n\ndata: b\n\n", rec) == Status::stopped);
    CHECK(rec.events == std::vector<Rec>{{"message", "a", ""}});
    // The rest of that chunk is dropped; the parser stays usable for later chunks.
    rec.stop_after = std::numeric_limits<std::size_t>::max();
    CHECK(parser.feed("data: c\n\n", rec) == Status::ok);
    CHECK(rec.events == std::vector<Rec>{{"message", "a", ""}, {"message", "c", ""}});
    CHECK_FALSE(parser.finish());
}

TEST_CASE("sse: invalid UTF-8, NULs and garbage pass through", "[sse]") {
    using namespace std::string_literals;
    const std::string bytes = "\xFF\xFE\x00\x80\xC3\x28\xED\xA0\x80"s;
    CHECK(events("data: "s + bytes + "\n\n") == std::vector<Rec>{{"message", bytes, ""}});
    CHECK(parse_bytewise("event: "s + bytes + "\ndata:" + bytes + "\n\n").events ==
          std::vector<Rec>{{bytes, bytes, ""}});

    // Random bytes: never crash, never hang, and chunking never changes the result.
    std::mt19937 rng(12345);
    std::string garbage(200000, '\0');
    for (auto& c : garbage)
        c = static_cast<char>(rng() & 0xFF);
    const auto whole = parse(garbage);
    std::vector<std::string_view> chunks;
    for (std::size_t pos = 0; pos < garbage.size();) {
        const std::size_t n = std::min<std::size_t>(rng() % 300, garbage.size() - pos);
        chunks.push_back(std::string_view(garbage).substr(pos, n));
        pos += n;
    }
    CHECK(parse_chunks(chunks).events == whole.events);
}

TEST_CASE("sse: random SSE-like input matches a naive reading of the spec", "[sse]") {
    // Inputs built from the tokens that matter to the grammar, so that every rule (line ends,
    // colons, BOMs, NULs, known and unknown fields) is hit many times in every combination.
    static const std::vector<std::string> tokens = {"data",
                                                    "event",
                                                    "id",
                                                    "retry",
                                                    ":",
                                                    " ",
                                                    "\n",
                                                    "\n",
                                                    "\r",
                                                    "\r\n",
                                                    std::string(1, '\0'),
                                                    "\xEF\xBB\xBF",
                                                    "x",
                                                    "\xFF",
                                                    "7"};
    std::mt19937 rng(2024);
    for (int round = 0; round < 300; ++round) {
        std::string input;
        const int n = 1 + static_cast<int>(rng() % 120);
        for (int i = 0; i < n; ++i)
            input += tokens[rng() % tokens.size()];
        INFO("round " << round);
        const auto reference = ls_test::reference_sse(input);
        const auto& want = reference.events;
        CHECK(parse(input).events == want);
        CHECK(parse(input).retries == reference.retries);
        CHECK(parse_bytewise(input).events == want);
        const std::size_t k = rng() % (input.size() + 1);
        CHECK(
            parse_chunks({std::string_view(input).substr(0, k), std::string_view(input).substr(k)})
                .events == want);
    }
}

TEST_CASE("sse: fixture replay is independent of chunking and line ends", "[sse][fixtures]") {
    const auto files = fixture_files();
    REQUIRE(files.size() >= 20);
    for (const auto& file : files) {
        INFO(file.filename().string());
        const std::string lf = read_file(file);
        REQUIRE(!lf.empty());
        const auto want = parse(lf);
        CHECK(want.status == Status::ok);
        CHECK_FALSE(want.discarded);
        CHECK(!want.events.empty());
        CHECK(want.events == ls_test::reference_sse(lf).events);

        for (const std::string& input : {lf, replace_lf(lf, "\r\n"), replace_lf(lf, "\r")}) {
            CHECK(parse(input).events == want.events);
            CHECK(parse_bytewise(input).events == want.events);
            // Every two-way split: chunk boundaries inside CRLF, inside UTF-8 sequences and
            // inside field names must not matter.
            std::size_t bad_splits = 0;
            for (std::size_t k = 0; k <= input.size(); ++k) {
                const std::string_view v(input);
                const auto run = parse_chunks({v.substr(0, k), v.substr(k)});
                if (run.events != want.events || run.discarded) ++bad_splits;
            }
            CHECK(bad_splits == 0);
        }
    }
}

TEST_CASE("sse: fixture facts", "[sse][fixtures]") {
    SECTION("synth_foreground_token_stream.sse") {
        // Ping, 6 reasoning deltas, 9 assistant deltas, stop_reason, usage_statistics, [DONE].
        const auto ev = events(fixture("synth_foreground_token_stream.sse"));
        REQUIRE(ev.size() == 19);
        CHECK(ev.front().data.rfind("{\"id\":\"ping-", 0) == 0);
        CHECK(ev.back().data == "[DONE]");
        for (const auto& e : ev)
            CHECK(e.type == "message");
    }
    SECTION("sdk_test_multiline_data.sse") {
        CHECK(events(fixture("sdk_test_multiline_data.sse")) ==
              std::vector<Rec>{{"ping", "{\n\"foo\":\n\n\ntrue}", ""}});
    }
    SECTION("sdk_test_split_multibyte.sse fed byte by byte") {
        // "известни" in UTF-8.
        const auto run = parse_bytewise(fixture("sdk_test_split_multibyte.sse"));
        CHECK(run.events ==
              std::vector<Rec>{{"completion",
                                "{\"content\": \"\xD0\xB8\xD0\xB7\xD0\xB2\xD0\xB5\xD1\x81\xD1\x82"
                                "\xD0\xBD\xD0\xB8\"}",
                                ""}});
    }
    SECTION("docs_token_streaming_example.sse") {
        const auto ev = events(fixture("docs_token_streaming_example.sse"));
        REQUIRE(ev.size() == 6);
        CHECK(ev.back().data == "[DONE]");
    }
    SECTION("sdk_test_error_event.sse") {
        const auto ev = events(fixture("sdk_test_error_event.sse"));
        REQUIRE(ev.size() == 1);
        CHECK(ev[0].type == "error");
    }
}
