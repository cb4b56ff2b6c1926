// The --record file format (transport/recording.hpp): for every way a stream can be cut into
// network reads — mid-line, between "\r" and "\n", inside a UTF-8 character, inside a BOM — the
// recording (a) is an event stream that the reference SSE reader reads as exactly the original
// events, and (b) reads back into exactly the original bytes, each timed piece starting at a line
// boundary no earlier than the read whose time it carries. Then the reader on its own: several
// responses, the end line, hand-written files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/sse_reference.hpp"
#include "transport/recording.hpp"

using namespace letta_stream;
using transport::Failure;

namespace {

// Streams with every line ending, comments of the server's own, UTF-8, a BOM, an unterminated
// tail, empty events and a "retry" field.
const std::vector<std::string>& streams() {
    static const std::vector<std::string> s = {
        "data: one\n\ndata: two\n\n",
        "data: crlf\r\n\r\nevent: x\r\ndata: y\r\n\r\n",
        "data: cr\r\rdata: again\r\r",
        "data: mixed\r\n\ndata: b\r\r\ndata: c\n\r",
        "data: h\xC3\xA9llo \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x9A\x80\n\n: ping\n\nid: 7\ndata: x\n\n",
        "\xEF\xBB\xBF" "data: bom\n\ndata: after\n\n",
        "\xEF\xBB\xBF" "\r\ndata: bom-crlf\r\n\r\n",
        "data: a\ndata: b\n\nretry: 3000\n\ndata: tail without end",
        "\n\n\ndata: \n\ndata\n\n:\n\n",
        ": t=notatime\n: end of story\ndata: z\n\n",
        "\r",
        "x",
    };
    return s;
}

struct Read {
    std::size_t offset;
    double t_ms;
};

// Records `body` cut at `cuts`: read i arrives at 10 * (i + 1) ms.
std::string record(std::string_view body, const std::vector<std::size_t>& cuts,
                   std::vector<Read>* reads = nullptr) {
    transport::RecordingWriter w;
    std::string file(w.begin(200, "text/event-stream; charset=utf-8"));
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : body.size();
        if (end == start) continue;
        const double t = 10.0 * static_cast<double>(i + 1);
        if (reads != nullptr) reads->push_back({start, t});
        file += w.data(body.substr(start, end - start), t);
        start = end;
    }
    file += w.end(999.0, Failure::none, {});
    return file;
}

// A line starts at p: the stream's start, after "\n", or after a "\r" that no "\n" follows.
// After a leading BOM, the first line starts after it.
bool line_start(std::string_view s, std::size_t p) {
    const std::size_t first = s.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    if (p < first) return false;
    if (p == first) return true;
    if (s[p - 1] == '\n') return true;
    return s[p - 1] == '\r' && p < s.size() && s[p] != '\n';
}

void check_recording(const std::string& body, const std::vector<std::size_t>& cuts) {
    std::vector<Read> reads;
    const std::string file = record(body, cuts, &reads);
    std::string where;
    for (const auto c : cuts)
        where += " " + std::to_string(c);
    INFO("body: " << body << "\ncut at:" << where << "\nfile:\n" << file);
    // (a) any SSE parser reads the original events
    const auto want = ls_test::reference_sse(body);
    const auto got = ls_test::reference_sse(file);
    REQUIRE(got.events == want.events);
    REQUIRE(got.retries == want.retries);
    // (b) the reader gives the original bytes back, timed no earlier than they arrived
    const transport::Recording rec = transport::parse_recording(file);
    REQUIRE(rec.responses.size() == 1);
    const auto& r = rec.responses[0];
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/event-stream; charset=utf-8");
    CHECK(r.end_ms == 999.0);
    CHECK(r.failure == Failure::none);
    std::string back;
    double last_t = -1;
    for (const auto& c : r.chunks) {
        REQUIRE(!c.bytes.empty());
        CHECK(c.t_ms > last_t);
        last_t = c.t_ms;
        const std::size_t at = back.size();
        back += c.bytes;
        if (c.t_ms == 0) continue;  // before the first time: the BOM
        const auto read = std::find_if(reads.begin(), reads.end(),
                                       [&](const Read& x) { return x.t_ms == c.t_ms; });
        REQUIRE(read != reads.end());
        CHECK(at >= read->offset);
        CHECK(line_start(body, at));
        for (std::size_t p = read->offset; p < at; ++p)
            CHECK_FALSE(line_start(body, p));  // the first boundary, not a later one
    }
    REQUIRE(back == body);
}

}  // namespace

TEST_CASE("recording: every split into two and three reads keeps the events and the bytes",
          "[recording]") {
    for (const auto& body : streams()) {
        check_recording(body, {});
        for (std::size_t i = 1; i < body.size(); ++i) {
            check_recording(body, {i});
            for (std::size_t j = i + 1; j < body.size(); ++j)
                check_recording(body, {i, j});
        }
    }
}

TEST_CASE("recording: byte-at-a-time reads keep the events and the bytes", "[recording]") {
    for (const auto& body : streams()) {
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < body.size(); ++i)
            cuts.push_back(i);
        check_recording(body, cuts);
        for (std::size_t step = 2; step < 8; ++step) {
            std::vector<std::size_t> some;
            for (std::size_t i = step; i < body.size(); i += step)
                some.push_back(i);
            check_recording(body, some);
        }
    }
}

TEST_CASE("recording: the file's lines", "[recording]") {
    transport::RecordingWriter w;
    std::string file(w.begin(200, "text/event-stream"));
    CHECK(file.empty());  // held until the body shows whether it starts with a BOM
    file += w.data("data: a\n\nda", 12.34);
    file += w.data("ta: b\r", 40);
    file += w.data("\n\r\n", 41.25);
    file += w.end(50, Failure::none, {});
    CHECK(file ==
          ": letta-stream recording 1\n: status=200\n: content-type=text/event-stream\n"
          ": t=12.3\ndata: a\n\nda"
          "ta: b\r"
          "\n: t=41.2\n\r\n"  // the "\n" of "\r\n" stays with its line
          ": end t=50.0\n");
}

TEST_CASE("recording: a body cut mid-line, a failure, then the next response", "[recording]") {
    transport::RecordingWriter w;
    std::string file(w.begin(200, "text/event-stream"));
    file += w.data("data: {\"seq_id\":1}\n\ndata: {\"se", 5);
    file += w.end(7.5, Failure::dropped, "transfer closed with\noutstanding read data");
    file += w.begin(503, "application/json");
    file += w.data("{\"detail\":\"busy\"}", 3);
    file += w.end(4, Failure::none, {});
    file += w.begin(200, "");
    file += w.data("data: {\"seq_id\":2}\n\n", 8);
    file += w.end(9, Failure::aborted, "the handler stopped");  // the handler's doing: not kept
    CHECK(file.find(": end t=7.5 newline=added failure=dropped message=transfer closed with "
                    "outstanding read data\n: response=2 status=503\n: content-type=application/json\n") !=
          std::string::npos);
    CHECK(file.find("\n: end t=9.0\n") != std::string::npos);

    const auto rec = transport::parse_recording(file);
    REQUIRE(rec.responses.size() == 3);
    auto body = [](const transport::RecordedResponse& r) {
        std::string s;
        for (const auto& c : r.chunks)
            s += c.bytes;
        return s;
    };
    CHECK(body(rec.responses[0]) == "data: {\"seq_id\":1}\n\ndata: {\"se");
    CHECK(rec.responses[0].failure == Failure::dropped);
    CHECK(rec.responses[0].message == "transfer closed with outstanding read data");
    CHECK(rec.responses[0].end_ms == 7.5);
    CHECK(rec.responses[1].status == 503);
    CHECK(rec.responses[1].content_type == "application/json");
    CHECK(body(rec.responses[1]) == "{\"detail\":\"busy\"}");
    CHECK(rec.responses[1].failure == Failure::none);
    CHECK(rec.responses[2].status == 200);
    CHECK(rec.responses[2].content_type.empty());
    CHECK(body(rec.responses[2]) == "data: {\"seq_id\":2}\n\n");
    CHECK(rec.responses[2].failure == Failure::none);
}

TEST_CASE("recording: an empty body, a BOM alone, a body shorter than a BOM", "[recording]") {
    for (const std::string body : {"", "\xEF\xBB\xBF", "\xEF\xBB", "\xEF", "d"}) {
        transport::RecordingWriter w;
        std::string file(w.begin(204, "text/event-stream"));
        for (const char c : body)
            file += w.data(std::string_view(&c, 1), 1);
        file += w.end(2, Failure::none, {});
        const auto rec = transport::parse_recording(file);
        REQUIRE(rec.responses.size() == 1);
        CHECK(rec.responses[0].status == 204);
        std::string back;
        for (const auto& c : rec.responses[0].chunks)
            back += c.bytes;
        CHECK(back == body);
    }
}

TEST_CASE("recording: a file written by hand", "[recording]") {
    SECTION("plain SSE: one response, 200, text/event-stream, all at once") {
        const auto rec = transport::parse_recording("data: hi\n\n: t is not a time\n");
        REQUIRE(rec.responses.size() == 1);
        CHECK(rec.responses[0].status == 200);
        CHECK(rec.responses[0].content_type == "text/event-stream");
        REQUIRE(rec.responses[0].chunks.size() == 1);
        CHECK(rec.responses[0].chunks[0].t_ms == 0);
        CHECK(rec.responses[0].chunks[0].bytes == "data: hi\n\n: t is not a time\n");
        CHECK(rec.responses[0].end_ms == -1);
    }
    SECTION("an error response, CRLF lines, no end line") {
        const auto rec = transport::parse_recording(
            ": status=429\r\n: content-type=application/json\r\n{\"detail\":\"slow down\"}");
        REQUIRE(rec.responses.size() == 1);
        CHECK(rec.responses[0].status == 429);
        CHECK(rec.responses[0].content_type == "application/json");
        REQUIRE(rec.responses[0].chunks.size() == 1);
        CHECK(rec.responses[0].chunks[0].bytes == "{\"detail\":\"slow down\"}");
    }
    SECTION("the header lines count only before the body") {
        const auto rec = transport::parse_recording("data: x\n: status=500\n\n");
        CHECK(rec.responses[0].status == 200);
        CHECK(rec.responses[0].chunks[0].bytes == "data: x\n: status=500\n\n");
    }
    SECTION("binary garbage and JSON are body") {
        const std::string garbage("\x00\xff\xfe{\"a\":1}\r\x01", 11);
        const auto rec = transport::parse_recording(garbage);
        REQUIRE(rec.responses.size() == 1);
        REQUIRE(rec.responses[0].chunks.size() == 1);
        CHECK(rec.responses[0].chunks[0].bytes == garbage);
    }
    SECTION("an empty file: an empty 200") {
        const auto rec = transport::parse_recording("");
        REQUIRE(rec.responses.size() == 1);
        CHECK(rec.responses[0].chunks.empty());
    }
    SECTION("times by hand") {
        const auto rec =
            transport::parse_recording(": t=5\ndata: a\n\n: t=1500.25\ndata: b\n\n: end t=2000\n");
        const auto& c = rec.responses[0].chunks;
        REQUIRE(c.size() == 2);
        CHECK(c[0].t_ms == 5);
        CHECK(c[1].t_ms == 1500.25);
        CHECK(c[1].bytes == "data: b\n\n");
        CHECK(rec.responses[0].end_ms == 2000);
    }
    SECTION("a time past a week is not a time (a replay at speed 1 would never end)") {
        const auto rec = transport::parse_recording(
            ": t=5\ndata: a\n\n: t=99999999999999999999999\ndata: b\n\n");
        const auto& c = rec.responses[0].chunks;
        REQUIRE(c.size() == 1);
        CHECK(c[0].bytes == "data: a\n\n: t=99999999999999999999999\ndata: b\n\n");
    }
}

TEST_CASE("recording: failure names", "[recording]") {
    for (const auto f : {Failure::dropped, Failure::timeout, Failure::bad_encoding, Failure::tls,
                         Failure::cancelled, Failure::other})
        CHECK(transport::failure_from_name(transport::failure_name(f)) == f);
    CHECK(transport::failure_name(Failure::none).empty());
    CHECK(transport::failure_from_name("no-such") == Failure::other);
    // A recording stopped by Ctrl-C replays as a plain end.
    const auto rec = transport::parse_recording("data: a\n: end t=3 failure=cancelled message=x\n");
    CHECK(rec.responses[0].failure == Failure::none);
}
