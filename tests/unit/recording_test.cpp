// The --record file format (transport/recording.hpp): for every way a stream can be cut into
// network reads — mid-line, between "\r" and "\n", inside a UTF-8 character, inside a BOM — the
// recording (a) is an event stream that the reference SSE reader reads as exactly the original
// events, and (b) reads back into exactly the original bytes, each timed piece starting at a line
// boundary no earlier than the read whose time it carries. Then the reader on its own: several
// responses, the end line, hand-written files; the streaming reader at any read size against
// the whole-file parser it replaced; its memory bound.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// ---- the streaming reader -----------------------------------------------------------------------

namespace {

// The whole-file parser that the streaming reader replaced (commit cf90a0a), kept as the oracle:
// the file in memory, cut into chunks at the recorder's lines.
namespace reference {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kMagic = "letta-stream recording ";

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool parse_ms(std::string_view s, double& out) {
    const auto dot = s.find('.');
    if (!all_digits(s.substr(0, dot))) return false;
    if (dot != std::string_view::npos && !all_digits(s.substr(dot + 1))) return false;
    out = std::strtod(std::string(s).c_str(), nullptr);
    return out <= 7 * 24 * 3600 * 1000.0;
}

bool parse_status(std::string_view s, long& out) {
    if (!all_digits(s) || s.size() != 3) return false;
    out = std::strtol(std::string(s).c_str(), nullptr, 10);
    return out >= 100;
}

bool parse_end(std::string_view rest, transport::RecordedResponse& r, bool& newline_added) {
    if (rest != "end" && !rest.starts_with("end ")) return false;
    rest.remove_prefix(3);
    double t = -1;
    Failure failure = Failure::none;
    std::string_view message;
    bool added = false;
    while (!rest.empty()) {
        if (rest.front() != ' ') return false;
        rest.remove_prefix(1);
        if (rest.starts_with("message=")) {
            message = rest.substr(8);
            break;
        }
        const std::string_view token = rest.substr(0, rest.find(' '));
        rest.remove_prefix(token.size());
        if (token.starts_with("t=")) {
            if (!parse_ms(token.substr(2), t)) return false;
        } else if (token == "newline=added") {
            added = true;
        } else if (token.starts_with("failure=")) {
            failure = transport::failure_from_name(token.substr(8));
        } else {
            return false;
        }
    }
    r.end_ms = t;
    r.failure = failure == Failure::cancelled ? Failure::none : failure;
    r.message = r.failure == Failure::none ? std::string() : std::string(message);
    newline_added = added;
    return true;
}

bool parse_response(std::string_view rest, long& status) {
    if (!rest.starts_with("response=")) return false;
    rest.remove_prefix(9);
    const auto space = rest.find(' ');
    if (space == std::string_view::npos || !all_digits(rest.substr(0, space))) return false;
    rest.remove_prefix(space + 1);
    return rest.starts_with("status=") && parse_status(rest.substr(7), status);
}

transport::Recording parse(std::string_view s) {
    transport::Recording rec;
    std::size_t pos = s.starts_with(kBom) ? kBom.size() : 0;
    transport::RecordedResponse cur;
    bool started = pos > 0;
    bool header = true;
    bool ended = false;
    std::size_t chunk_start = pos;
    double chunk_ms = 0;
    if (pos > 0) cur.chunks.push_back({0, std::string(kBom)});
    auto close_chunk = [&](std::size_t end) {
        if (!ended && end > chunk_start)
            cur.chunks.push_back({chunk_ms, std::string(s.substr(chunk_start, end - chunk_start))});
    };
    while (pos < s.size()) {
        const std::size_t line_start = pos;
        const std::size_t eol = std::min(s.find_first_of("\r\n", pos), s.size());
        pos = eol == s.size()                                              ? eol
              : s[eol] == '\r' && eol + 1 < s.size() && s[eol + 1] == '\n' ? eol + 2
                                                                           : eol + 1;
        const std::string_view line = s.substr(line_start, eol - line_start);
        if (!line.starts_with(": ")) {
            header = false;
            started = true;
            continue;
        }
        const std::string_view rest = line.substr(2);
        double ms = 0;
        long status = 0;
        bool newline_added = false;
        if (header && rest.starts_with(kMagic) && all_digits(rest.substr(kMagic.size()))) {
        } else if (header && rest.starts_with("status=") && parse_status(rest.substr(7), status)) {
            cur.status = status;
        } else if (header && rest.starts_with("content-type=")) {
            cur.content_type = std::string(rest.substr(13));
        } else if (rest.starts_with("t=") && parse_ms(rest.substr(2), ms)) {
            close_chunk(line_start);
            chunk_ms = ms;
            header = false;
        } else if (parse_response(rest, status)) {
            close_chunk(line_start);
            if (started || !rec.responses.empty()) rec.responses.push_back(std::move(cur));
            cur = transport::RecordedResponse{};
            cur.status = status;
            header = true;
            ended = false;
            chunk_ms = 0;
        } else if (!ended && parse_end(rest, cur, newline_added)) {
            const bool strip =
                newline_added && line_start > chunk_start && s[line_start - 1] == '\n';
            close_chunk(line_start - (strip ? 1 : 0));
            ended = true;
        } else {
            header = false;
            started = true;
            continue;
        }
        started = true;
        chunk_start = pos;
    }
    close_chunk(s.size());
    rec.responses.push_back(std::move(cur));
    return rec;
}

}  // namespace reference

// Everything a Recording says, chunk boundaries and times included, as text to compare.
std::string show(const transport::Recording& rec) {
    std::string out;
    char num[64];
    for (const auto& r : rec.responses) {
        std::snprintf(num, sizeof num, "%.17g", r.end_ms);
        out += "response " + std::to_string(r.status) + " [" + r.content_type + "] end " + num +
               " " + std::string(transport::failure_name(r.failure)) + " [" + r.message + "]\n";
        for (const auto& c : r.chunks) {
            std::snprintf(num, sizeof num, "%.17g", c.t_ms);
            out += std::string("  ") + num + ": [" + c.bytes + "]\n";
        }
    }
    return out;
}

// Files of every kind: recordings of the streams above cut in several ways, turns with several
// responses and failures, files written by hand, and the corners of the format.
std::vector<std::string> corpus() {
    std::vector<std::string> files;
    for (const auto& body : streams()) {
        files.push_back(record(body, {}));
        std::vector<std::size_t> every3;
        for (std::size_t i = 3; i < body.size(); i += 3)
            every3.push_back(i);
        files.push_back(record(body, every3));
        files.push_back(body);  // written by hand
    }
    transport::RecordingWriter w;
    std::string turn(w.begin(200, "text/event-stream"));
    turn += w.data("data: {\"seq_id\":1}\n\ndata: {\"se", 5);
    turn += w.end(7.5, Failure::dropped, "transfer closed with outstanding read data");
    turn += w.begin(503, "application/json");
    turn += w.data("{\"detail\":\"busy\"}", 3);
    turn += w.end(4, Failure::none, {});
    turn += w.begin(200, "");
    turn += w.data("data: {\"seq_id\":2}\r\n\r\n", 8);
    turn += w.end(9, Failure::cancelled, "interrupted");
    files.push_back(turn);
    for (const char* f : {
             "",
             ":",
             ": ",
             "\r\n",
             ": t=5",
             ": t=5\r",
             ": t=5\r\n",
             ": t=1\n: t=2\ndata: a\n",
             "data: a\n: t=abc\n: t=1\ndata: b",
             "data: x\n: end newline=added\n",
             "data: x\r\n: end t=2 newline=added\r\n",
             "data: x\r: end newline=added\r",
             ": t=3\n: end newline=added\n",
             "data: x\r: t=5\r\ndata: y",
             ": response=2 status=500\ndata: x\n",
             "\xEF\xBB\xBF: response=2 status=500\n",
             "\xEF\xBB\xBF",
             "\xEF\xBB\xBF: status=201\ndata: bom\n",
             "\xEF\xBB",
             ": status=200\n: end\n: status=500\n: content-type=x/y\n",
             ": end\n: end\ndata: z\n: t=4\n: response=2 status=201\n: end t=1\n",
             ": end t=5 failure=dropped message=a b  c\n: response=3 status=429\n",
             ": response=2 status=20\n: response=x status=200\n: response=2 status=200 \n",
             ": end tt=1\n: end t=1x\n: endless\n: end\n",
             ": status=200\r: content-type=a\r: t=1\rdata: cr\r\r: end\r",
             "data: a\n\n: response=2 status=200\n\n: t=1\n: response=3 status=200\n",
             ": t=99999999999999999999999\ndata: b\n: t=604800000\ndata: c\n: t=604800001\n",
             ": letta-stream recording 1\n: letta-stream recording x\n: status=999\n",
             ": content-type=a: b\n: status=abc\n: ping\n\n",
         })
        files.emplace_back(f);
    return files;
}

}  // namespace

TEST_CASE("recording: the streaming reader at any read size is the whole-file parser",
          "[recording]") {
    for (const auto& file : corpus()) {
        INFO("file:\n" << file);
        const std::string want = show(reference::parse(file));
        CHECK(show(transport::parse_recording(file)) == want);
        for (const std::size_t n : {1, 2, 3, 7, 64}) {
            INFO("read size " << n);
            CHECK(show(transport::parse_recording(file, n)) == want);
        }
    }
}

TEST_CASE("recording: a recorder's line is at most 1 MiB, a longer one is body", "[recording]") {
    const std::size_t max = transport::RecordingReader::kMaxLine;
    // ": t=" and digits: `max` bytes is a time, one more is not.
    for (const std::size_t len : {max, max + 1}) {
        const std::string time_line = ": t=" + std::string(len - 5, '0') + "5";
        REQUIRE(time_line.size() == len);
        const std::string file = "data: a\n" + time_line + "\ndata: b\n";
        const std::string want = show(transport::parse_recording(file));
        for (const std::size_t n : {std::size_t{7}, std::size_t{64 * 1024}}) {
            INFO("line " << len << ", read size " << n);
            CHECK(show(transport::parse_recording(file, n)) == want);
        }
        const auto rec = transport::parse_recording(file);
        if (len == max) {
            REQUIRE(rec.responses[0].chunks.size() == 2);
            CHECK(rec.responses[0].chunks[1].t_ms == 5);
        } else {
            REQUIRE(rec.responses[0].chunks.size() == 1);
            CHECK(rec.responses[0].chunks[0].bytes == file);
        }
    }
}

TEST_CASE("recording: the streaming reader's memory does not grow with the file", "[recording]") {
    using Kind = transport::RecordingReader::Item::Kind;
    constexpr std::size_t kRead = transport::RecordingReader::kReadSize;
    // A generated file, never in memory as a whole: its body, byte count and sum known.
    struct Case {
        const char* name;
        std::string head;
        std::string unit;  // repeated
        std::size_t units;
        std::size_t bound;  // the reader's buffer at most
    };
    const std::string event =
        "data: {\"message_type\":\"assistant_message\",\"content\":\"w\"}\n\n";
    const std::vector<Case> cases = {
        {"50 MB of timed events", ": letta-stream recording 1\n: status=200\n: content-type=x\n",
         ": t=12.5\n" + event + event + event, 50'000'000 / (9 + 3 * event.size()),
         kRead + 9 + 1},  // a read and a `: t=` line cut by its end
        {"one 20 MB line", "", std::string(1000, 'x'), 20'000, kRead + 2},
        {"20 MB of lines that look like the recorder's until their end", "",
         ": t=" + std::string(3000, '1') + "x\n", 20'000'000 / 3006, kRead + 3006 + 2},
        {"lines of 2 MiB that would be a time but for their length", "",
         ": t=" + std::string(2 * 1024 * 1024, '0') + "\n", 10,
         transport::RecordingReader::kMaxLine + kRead + 2},
        {"20 MB of CR lines", "", "data: cr\r", 20'000'000 / 9, kRead + 2},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        std::size_t unit = 0, in_unit = 0, in_head = 0;
        std::uint64_t expect_bytes = 0, expect_sum = 0;
        auto body_of = [](std::string_view s) {
            std::uint64_t sum = 0;
            for (const char ch : s)
                sum += static_cast<unsigned char>(ch);
            return sum;
        };
        const std::string_view unit_body = std::string_view(c.unit).starts_with(": t=12.5\n")
                                               ? std::string_view(c.unit).substr(9)
                                               : std::string_view(c.unit);
        expect_bytes = unit_body.size() * c.units;
        expect_sum = body_of(unit_body) * c.units;
        transport::RecordingReader reader([&](char* buf, std::size_t size) -> long {
            std::size_t n = 0;
            while (n < size) {
                if (in_head < c.head.size()) {
                    buf[n++] = c.head[in_head++];
                    continue;
                }
                if (unit == c.units) break;
                const std::size_t k = std::min(size - n, c.unit.size() - in_unit);
                std::memcpy(buf + n, c.unit.data() + in_unit, k);
                n += k;
                in_unit += k;
                if (in_unit == c.unit.size()) {
                    in_unit = 0;
                    ++unit;
                }
            }
            return static_cast<long>(n);
        });
        std::uint64_t bytes = 0, sum = 0;
        std::size_t biggest = 0;
        int heads = 0;
        for (;;) {
            const auto& it = reader.next();
            biggest = std::max(biggest, reader.buffer_size());
            if (it.kind == Kind::head) ++heads;
            if (it.kind == Kind::data) {
                bytes += it.bytes.size();
                sum += body_of(it.bytes);
            }
            if (it.kind == Kind::eof || it.kind == Kind::error) {
                CHECK(it.kind == Kind::eof);
                break;
            }
        }
        CHECK(heads == 1);
        CHECK(bytes == expect_bytes);
        CHECK(sum == expect_sum);
        CHECK(biggest <= c.bound);
    }
}

TEST_CASE("recording: the streaming reader: a file that cannot be opened or read", "[recording]") {
    std::string error;
    CHECK(transport::RecordingReader::open("/nonexistent/turn.sse", error) == nullptr);
    CHECK(error == std::strerror(ENOENT));
    error.clear();
    CHECK(transport::RecordingReader::open("/", error) == nullptr);  // a directory: read fails
    CHECK(error == std::strerror(EISDIR));
}
