// protocol::RawSseDecoder — the `sse` dialect, through the chain's real front: sse::Parser →
// protocol::Decoding → RawSseDecoder. Every case is fed whole, one byte at a time and split in
// two at every point, with identical results. Quotes are from the WHATWG HTML Living Standard,
// §9.2.6 "Interpreting an event stream"; each case names the rule it checks.
#include "protocol/raw_sse_decoder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/recorder.hpp"
#include "output/formatter.hpp"
#include "output/narrator.hpp"
#include "protocol/decoder.hpp"
#include "protocol/letta_decoder.hpp"
#include "protocol/simple_decoder.hpp"
#include "sse/parser.hpp"
#include "util/clock.hpp"

using namespace std::string_view_literals;
using namespace letta_stream;
using stream::Kind;

namespace {

// Owned copy of an sse / sse_retry event: the views die when on_event returns.
struct Rec {
    Kind kind = Kind::sse;
    std::string event, data, id;
    std::int64_t retry = -1;
    bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
    auto quoted = [&](std::string_view s) {
        os << '"';
        for (const char c : s) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
                constexpr char hex[] = "0123456789ABCDEF";
                os << "\\x" << hex[u >> 4] << hex[u & 15];
            } else {
                os << c;
            }
        }
        os << '"';
    };
    if (r.kind == Kind::sse_retry) return os << "{retry " << r.retry << "}";
    os << "{" << stream::to_string(r.kind) << " event=";
    quoted(r.event);
    os << " data=";
    quoted(r.data);
    os << " id=";
    quoted(r.id);
    return os << "}";
}

Rec ev(std::string_view data, std::string_view id = "", std::string_view event = "message") {
    return {Kind::sse, std::string(event), std::string(data), std::string(id), -1};
}

Rec retry(std::int64_t ms) {
    return {Kind::sse_retry, "", "", "", ms};
}

using Recs = std::vector<Rec>;

struct Collect : stream::Sink {
    Recs out;
    void on_event(const stream::Event& e) override {
        out.push_back({e.kind, std::string(e.name), std::string(e.text),
                       std::string(e.last_event_id), e.retry_ms});
    }
};

Recs feed(const std::vector<std::string_view>& chunks) {
    protocol::RawSseDecoder decoder;
    Collect sink;
    protocol::Decoding link(decoder, sink);
    sse::Parser parser;
    for (const std::string_view chunk : chunks)
        REQUIRE(parser.feed(chunk, link) == sse::Status::ok);  // never stopped, never malformed
    parser.finish();
    return sink.out;
}

// Whole, byte by byte, and in two parts at every split point: the same events every time.
Recs decode(std::string_view bytes) {
    const Recs whole = feed({bytes});
    std::vector<std::string_view> bytewise;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytewise.push_back(bytes.substr(i, 1));
    CHECK(feed(bytewise) == whole);
    for (std::size_t i = 0; i <= bytes.size(); ++i) {
        INFO("split at " << i);
        CHECK(feed({bytes.substr(0, i), bytes.substr(i)}) == whole);
    }
    return whole;
}

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

}  // namespace

// ---- dispatch -------------------------------------------------------------------------------

TEST_CASE("raw sse: a blank line dispatches the event", "[raw_sse]") {
    // "If the line is empty (a blank line): Dispatch the event"
    CHECK(decode("data: hello\n\n") == Recs{ev("hello")});
}

TEST_CASE("raw sse: several events in one stream, in order", "[raw_sse]") {
    // Each blank line dispatches what the fields before it collected.
    CHECK(decode("data: a\n\ndata: b\n\ndata: c\n\n") == Recs{ev("a"), ev("b"), ev("c")});
}

TEST_CASE("raw sse: a final block without its blank line is never dispatched", "[raw_sse]") {
    // "If the file ends in the middle of an event, before the final empty line, the incomplete
    // event is not dispatched."
    CHECK(decode("data: a\n\ndata: b\n") == Recs{ev("a")});
}

TEST_CASE("raw sse: an unterminated last line is discarded", "[raw_sse]") {
    // "Once the end of the file is reached, any pending data must be discarded."
    CHECK(decode("data: a").empty());
    CHECK(decode("data: a\n\ndata: b") == Recs{ev("a")});
}

TEST_CASE("raw sse: a block with no data lines is not dispatched", "[raw_sse]") {
    // "If the data buffer is an empty string, set the data buffer and the event type buffer to
    // the empty string and return."
    CHECK(decode("event: x\n\n").empty());
    CHECK(decode("\n\n\n").empty());
}

TEST_CASE("raw sse: an empty data field dispatches an event with empty data", "[raw_sse]") {
    // "data": "Append the field value to the data buffer, then append a single U+000A LINE FEED
    // (LF) character": the buffer is "\n", not empty, and dispatch then removes that LF.
    CHECK(decode("data:\n\n") == Recs{ev("")});
    CHECK(decode("data: \n\n") == Recs{ev("")});
}

// ---- data -----------------------------------------------------------------------------------

TEST_CASE("raw sse: data lines are joined with LF", "[raw_sse]") {
    // Each data field appends its value and then one LF to the data buffer.
    CHECK(decode("data: a\ndata: b\ndata: c\n\n") == Recs{ev("a\nb\nc")});
}

TEST_CASE("raw sse: only the one trailing LF is removed", "[raw_sse]") {
    // "If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove the
    // last character from the data buffer." Once: an empty last data line leaves its LF before.
    CHECK(decode("data: a\ndata:\n\n") == Recs{ev("a\n")});
    CHECK(decode("data:\ndata:\n\n") == Recs{ev("\n")});
}

TEST_CASE("raw sse: data: [DONE] is data like any other", "[raw_sse]") {
    // The dialect interprets nothing: the stream goes on after it.
    CHECK(decode("data: [DONE]\n\ndata: after\n\n") == Recs{ev("[DONE]"), ev("after")});
}

TEST_CASE("raw sse: a payload that is not JSON is not malformed", "[raw_sse]") {
    // Whatever the data, it is passed through: no malformed events.
    CHECK(decode("data: {\"unclosed\n\ndata: \x01\x02\n\n") ==
          Recs{ev("{\"unclosed"), ev("\x01\x02")});
}

TEST_CASE("raw sse: a NUL inside data is kept", "[raw_sse]") {
    // Only the id field looks for U+0000; data takes the value as it is.
    CHECK(decode("data: a\0b\n\n"sv) == Recs{ev("a\0b"sv)});
}

// ---- event ----------------------------------------------------------------------------------

TEST_CASE("raw sse: the event field sets the type", "[raw_sse]") {
    // "event": "Set the event type buffer to the field value."
    CHECK(decode("event: add\ndata: 1\n\n") == Recs{ev("1", "", "add")});
}

TEST_CASE("raw sse: the type is message when the block set none", "[raw_sse]") {
    // "Initialize event's type attribute to "message"".
    CHECK(decode("data: 1\n\n") == Recs{ev("1", "", "message")});
}

TEST_CASE("raw sse: the type is reset after each dispatch", "[raw_sse]") {
    // Dispatch sets "the data buffer and the event type buffer to the empty string".
    CHECK(decode("event: add\ndata: 1\n\ndata: 2\n\n") ==
          Recs{ev("1", "", "add"), ev("2", "", "message")});
}

TEST_CASE("raw sse: the type is reset by a block that dispatched nothing", "[raw_sse]") {
    // The empty-data return also clears the event type buffer.
    CHECK(decode("event: lost\n\ndata: x\n\n") == Recs{ev("x")});
}

TEST_CASE("raw sse: the last event field of a block wins", "[raw_sse]") {
    // Each "event" field sets (not appends to) the event type buffer.
    CHECK(decode("event: a\nevent: b\ndata: x\n\n") == Recs{ev("x", "", "b")});
}

TEST_CASE("raw sse: an empty event field means message", "[raw_sse]") {
    // "If the event type buffer has a value other than the empty string, change the type".
    CHECK(decode("event: a\nevent:\ndata: x\n\n") == Recs{ev("x")});
}

TEST_CASE("raw sse: event names are not interpreted", "[raw_sse]") {
    // An "error" event is data for this dialect, not an error.
    CHECK(decode("event: error\ndata: boom\n\n") == Recs{ev("boom", "", "error")});
}

// ---- id -------------------------------------------------------------------------------------

TEST_CASE("raw sse: the id is carried by the event", "[raw_sse]") {
    // "Initialize event's lastEventId attribute to the last event ID buffer."
    CHECK(decode("id: 1\ndata: a\n\n") == Recs{ev("a", "1")});
}

TEST_CASE("raw sse: the id persists across events", "[raw_sse]") {
    // The last event ID buffer is not reset on dispatch.
    CHECK(decode("id: 7\ndata: a\n\ndata: b\n\n") == Recs{ev("a", "7"), ev("b", "7")});
}

TEST_CASE("raw sse: an id in a block that dispatches nothing still counts", "[raw_sse]") {
    // "id" sets the last event ID buffer whether or not the block dispatches.
    CHECK(decode("id: 3\n\ndata: a\n\n") == Recs{ev("a", "3")});
}

TEST_CASE("raw sse: an id after the data lines applies to that event", "[raw_sse]") {
    // Fields are processed in order and dispatch happens only at the blank line.
    CHECK(decode("data: a\nid: 4\n\n") == Recs{ev("a", "4")});
}

TEST_CASE("raw sse: an id containing NUL is ignored", "[raw_sse]") {
    // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to the
    // field value. Otherwise, ignore the field."
    CHECK(decode("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"sv) == Recs{ev("a", "1"), ev("b", "1")});
}

TEST_CASE("raw sse: an empty id resets the last event ID", "[raw_sse]") {
    // The empty value has no NUL, so it sets the buffer to the empty string.
    CHECK(decode("id: 5\ndata: a\n\nid\ndata: b\n\n") == Recs{ev("a", "5"), ev("b", "")});
    CHECK(decode("id: 5\ndata: a\n\nid:\ndata: b\n\n") == Recs{ev("a", "5"), ev("b", "")});
}

TEST_CASE("raw sse: the id is empty before any id field", "[raw_sse]") {
    // The last event ID buffer starts as the empty string.
    CHECK(decode("data: a\n\nid: x\ndata: b\n\n") == Recs{ev("a", ""), ev("b", "x")});
}

// ---- retry ----------------------------------------------------------------------------------

TEST_CASE("raw sse: retry with ASCII digits is reported", "[raw_sse]") {
    // "If the field value consists of only ASCII digits, then interpret the field value as an
    // integer in base ten, and set the event stream's reconnection time to that integer."
    CHECK(decode("retry: 1500\n\n") == Recs{retry(1500)});
    CHECK(decode("retry:0\n\n") == Recs{retry(0)});
}

TEST_CASE("raw sse: retry with anything but digits is ignored", "[raw_sse]") {
    // "Otherwise, ignore the field."
    CHECK(decode("retry: 15a\nretry: -1\nretry: 1.5\nretry: +2\nretry: 1e3\n\n").empty());
    CHECK(decode("retry:\nretry\nretry:  100\nretry: 100 \n\n").empty());  // empty; extra space
}

TEST_CASE("raw sse: retry is reported where its line is, before the event's dispatch",
          "[raw_sse]") {
    // Fields are processed line by line; dispatch waits for the blank line.
    CHECK(decode("data: a\nretry: 10\n\nretry: 20\n\n") == Recs{retry(10), ev("a"), retry(20)});
}

TEST_CASE("raw sse: a retry too large for 64 bits saturates", "[raw_sse]") {
    // The value is an integer of any length; a wrapped value would be a short delay.
    CHECK(decode("retry: 99999999999999999999999\n\n") ==
          Recs{retry(std::numeric_limits<std::int64_t>::max())});
}

// ---- lines and fields -----------------------------------------------------------------------

TEST_CASE("raw sse: a line starting with a colon is a comment", "[raw_sse]") {
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    CHECK(decode(": keepalive\n\n").empty());
    CHECK(decode(":data: x\n\n").empty());
    CHECK(decode("data: a\n: between\ndata: b\n\n") == Recs{ev("a\nb")});
}

TEST_CASE("raw sse: a field with no colon has an empty value", "[raw_sse]") {
    // "Process the field using the whole line as the field name, and the empty string as the
    // field value."
    CHECK(decode("data\n\n") == Recs{ev("")});
    CHECK(decode("event: x\nevent\ndata: y\n\n") == Recs{ev("y")});
}

TEST_CASE("raw sse: exactly one space after the colon is removed", "[raw_sse]") {
    // "If value starts with a U+0020 SPACE character, remove it from value." Only one.
    CHECK(decode("data:x\n\n") == Recs{ev("x")});
    CHECK(decode("data: x\n\n") == Recs{ev("x")});
    CHECK(decode("data:  x\n\n") == Recs{ev(" x")});
    CHECK(decode("data: x \n\n") == Recs{ev("x ")});  // trailing space kept
}

TEST_CASE("raw sse: a tab after the colon is not removed", "[raw_sse]") {
    // Only U+0020 SPACE is removed, not other whitespace.
    CHECK(decode("data:\tx\n\n") == Recs{ev("\tx")});
}

TEST_CASE("raw sse: the value is everything after the first colon", "[raw_sse]") {
    // "Collect the characters on the line after the first U+003A COLON character (:)".
    CHECK(decode("data: a:b: c\n\n") == Recs{ev("a:b: c")});
    CHECK(decode("data::\n\n") == Recs{ev(":")});
}

TEST_CASE("raw sse: unknown fields are ignored", "[raw_sse]") {
    // "Otherwise: The field is ignored."
    CHECK(decode("foo: bar\ndata: x\nextra\n\n") == Recs{ev("x")});
    CHECK(decode("foo: bar\n\n").empty());
}

TEST_CASE("raw sse: field names are case-sensitive", "[raw_sse]") {
    // The field names are compared literally: "Data" and "DATA" are unknown fields.
    CHECK(decode("Data: x\nDATA: y\nEvent: e\nID: 1\n\n").empty());
}

TEST_CASE("raw sse: a field name with a leading space is unknown", "[raw_sse]") {
    // The field is everything before the first colon, spaces included.
    CHECK(decode(" data: x\n\n").empty());
}

// ---- line ends ------------------------------------------------------------------------------

TEST_CASE("raw sse: CRLF, LF and CR line ends, mixed", "[raw_sse]") {
    // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
    // character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE
    // RETURN (CR) character."
    CHECK(decode("data: a\r\ndata: b\rdata: c\n\r\n") == Recs{ev("a\nb\nc")});
    CHECK(decode("data: a\r\r") == Recs{ev("a")});
    CHECK(decode("data: a\r\n\r\ndata: b\n\ndata: c\r\r") == Recs{ev("a"), ev("b"), ev("c")});
}

TEST_CASE("raw sse: LF then CR is two line ends", "[raw_sse]") {
    // CRLF is one line end; LFCR is an LF line end followed by a CR line end (a blank line).
    CHECK(decode("data: a\n\rdata: b\n\n") == Recs{ev("a"), ev("b")});
}

TEST_CASE("raw sse: a CR ending one read and an LF starting the next are one line end",
          "[raw_sse]") {
    // The CRLF pair is one line end wherever the reads split it: no blank line between them.
    CHECK(feed({"data: a\r", "\ndata: b\r", "\n\r", "\n"}) == Recs{ev("a\nb")});
    CHECK(feed({"data: a\r", "\r"}) == Recs{ev("a")});  // CR CR: a blank line
}

// ---- BOM and UTF-8 --------------------------------------------------------------------------

TEST_CASE("raw sse: one leading BOM is stripped", "[raw_sse]") {
    // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
    CHECK(decode("\xEF\xBB\xBF"
                 "data: x\n\n") == Recs{ev("x")});
}

TEST_CASE("raw sse: a second leading BOM is kept", "[raw_sse]") {
    // Only ONE BOM is ignored: the second is part of the first line, whose field name
    // "\uFEFFdata" is unknown.
    CHECK(decode("\xEF\xBB\xBF\xEF\xBB\xBF"
                 "data: 1\n\ndata: 2\n\n") == Recs{ev("2")});
}

TEST_CASE("raw sse: a BOM that does not lead the stream is text", "[raw_sse]") {
    // Only a LEADING BOM is ignored.
    CHECK(decode("data: \xEF\xBB\xBFx\n\n") == Recs{ev("\xEF\xBB\xBFx")});
    CHECK(decode("data: a\n\n\xEF\xBB\xBF"
                 "data: b\n\n") == Recs{ev("a")});
}

TEST_CASE("raw sse: invalid UTF-8 becomes U+FFFD", "[raw_sse]") {
    // "Event streams ... must always be decoded as UTF-8": the UTF-8 decode algorithm turns each
    // invalid sequence into U+FFFD REPLACEMENT CHARACTER.
    const std::string fffd(kFffd);
    CHECK(decode("data: a\xFF"
                 "b\n\n") == Recs{ev("a" + fffd + "b")});
    CHECK(decode("data: \xC0\xAF\n\n") == Recs{ev(fffd + fffd)});             // overlong '/'
    CHECK(decode("data: \xED\xA0\x80\n\n") == Recs{ev(fffd + fffd + fffd)});  // surrogate
}

TEST_CASE("raw sse: a sequence cut short is one U+FFFD", "[raw_sse]") {
    // The Encoding Standard's UTF-8 decoder replaces a lead byte and the continuation bytes it
    // accepted (a maximal subpart) with ONE U+FFFD, then reads the next byte afresh.
    const std::string fffd(kFffd);
    CHECK(decode("data: \xE2\x82z\n\n") == Recs{ev(fffd + "z")});
    CHECK(decode("data: \xF0\x9F\x98\n\n") == Recs{ev(fffd)});
    CHECK(decode("data: \xE2\x82\xE2\x82\xAC\n\n") == Recs{ev(fffd + "\xE2\x82\xAC")});
    // Across a line end: the LF ends the sequence as it ended the line.
    CHECK(decode("data: \xE2\ndata: \x82\xAC\n\n") == Recs{ev(fffd + "\n" + fffd + fffd)});
}

TEST_CASE("raw sse: event types and ids are repaired too", "[raw_sse]") {
    // The whole stream is decoded, so every field is valid UTF-8.
    const std::string fffd(kFffd);
    CHECK(decode("event: e\xFF\nid: i\xFE\ndata: x\n\n") == Recs{ev("x", "i" + fffd, "e" + fffd)});
}

TEST_CASE("raw sse: a multi-byte character split across reads is whole", "[raw_sse]") {
    // Decoding happens on the whole event, so no read boundary can cut a character.
    CHECK(decode("data: \xE2\x82\xAC \xF0\x9F\x98\x80\n\n") ==
          Recs{ev("\xE2\x82\xAC \xF0\x9F\x98\x80")});
}

// ---- the decoder's contract -----------------------------------------------------------------

TEST_CASE("raw sse: the end of the body is the dialect's normal end", "[raw_sse]") {
    CHECK(protocol::RawSseDecoder().ends_at_eof());
    CHECK_FALSE(protocol::LettaDecoder().ends_at_eof());
    CHECK_FALSE(protocol::SimpleDecoder().ends_at_eof());
    CHECK(protocol::RawSseDecoder().last_error().empty());
}

TEST_CASE("raw sse: a long stream of mixed events", "[raw_sse]") {
    // Every rule at once, for the split points between them.
    const Recs got = decode(
        "\xEF\xBB\xBF: hi\r\nretry: 3000\r\nid: 1\r\nevent: start\r\ndata: {\"a\":1}\r\n\r\n"
        "data: line 1\ndata: line 2\n\nid\nevent: end\rdata\r\r");
    CHECK(got == Recs{retry(3000), ev("{\"a\":1}", "1", "start"), ev("line 1\nline 2", "1"),
                      ev("", "", "end")});
}

// ---- what the sinks make of it --------------------------------------------------------------

TEST_CASE("raw sse: text mode writes each event's data and a newline", "[raw_sse][output]") {
    protocol::RawSseDecoder decoder;
    output::TextFormatter text(true);
    protocol::Decoding link(decoder, text);
    sse::Parser parser;
    parser.feed("retry: 10\n\ndata: one\n\ndata: two\ndata: lines\n\ndata:\n\ndata: bad \xFF\n\n",
                link);
    text.finish({});
    // The final-newline rule adds nothing after the last event's own newline.
    CHECK(text.pending() == "one\ntwo\nlines\n\nbad \xEF\xBF\xBD\n");
}

TEST_CASE("raw sse: text mode with no events writes nothing", "[raw_sse][output]") {
    output::TextFormatter text(true);
    stream::Event r;
    r.kind = Kind::sse_retry;
    r.retry_ms = 5;
    text.on_event(r);
    text.finish({});
    CHECK(text.pending().empty());
}

TEST_CASE("raw sse: the narrator ignores sse events", "[raw_sse][narrator]") {
    output::Narrator narrator(true, true, false);
    stream::Event tool;
    tool.kind = Kind::tool_call;
    tool.name = "f";
    tool.text = "{}";
    tool.tool_call_id = "c";
    narrator.on_event(tool);
    stream::Event e;
    e.kind = Kind::sse;
    e.text = "data";
    narrator.on_event(e);
    e.kind = Kind::sse_retry;
    narrator.on_event(e);
    // The open tool-call segment is not ended by them either.
    CHECK(narrator.pending() == "tool: f({}");
}

TEST_CASE("raw sse: the metrics recorder counts sse events by kind", "[raw_sse]") {
    const util::ManualClock clock;
    metrics::Recorder recorder(clock, 0);
    protocol::RawSseDecoder decoder;
    protocol::Decoding link(decoder, recorder);
    sse::Parser parser;
    parser.feed("retry: 1\n\ndata: a\n\ndata: b\n\n", link);
    const metrics::Summary s = recorder.summary();
    CHECK(s.events(Kind::sse) == 2);
    CHECK(s.events(Kind::sse_retry) == 1);
    CHECK(stream::to_string(Kind::sse) == "sse");
    CHECK(stream::to_string(Kind::sse_retry) == "sse_retry");
}
