// transport::recording — the file format of --record and --replay, its writer and its reader in
// one place, and the Handler decorator that records a turn's responses as they arrive.
//
// A recording is the raw response body (Content-Encoding already undone) with SSE comment lines
// added, so that the file stays an event stream that any SSE parser reads as the original:
//
//   : letta-stream recording 1          the first line (after a BOM that began the body)
//   : status=200                        the HTTP status
//   : content-type=text/event-stream    the Content-Type header as received (empty: none)
//   : t=12.3                            a network read arrived this many ms after the request
//   data: ...                           ... the body, byte for byte
//   : end t=950.2                       the transfer ended (optional; see below)
//   : response=2 status=200             the next response of the turn (a retry or a resume)
//   : content-type=text/event-stream
//   ...
//
// A `: t=` line goes at the first line boundary at or after the start of its read (after "\n",
// or after a "\r" not followed by "\n"): never inside a line, never between "\r" and "\n". A read
// that ends inside a line is timed by the line that the next boundary starts. The `: end` line may
// carry `newline=added` (the body ended inside a line: the "\n" before `: end` is not the
// server's), `failure=NAME` (dropped, timeout, bad_encoding, tls, other, cancelled: how the
// transfer ended) and last `message=TEXT` (the transport's words, to the end of the line).
// A file without these lines (SSE written by hand) is one response, status 200,
// text/event-stream, all at t=0. The recorder's lines are recognised only exactly as above, at a
// line start; the three header lines only before the body of their response.
//
// Knows nothing about SSE events, Letta or flags: lines and bytes only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::transport {

// ---- the writer: pure formatting ------------------------------------------------------------

// Turns a turn's responses, read by read, into recording text. Each call returns the text to
// append to the file for that event (valid until the next call); nothing is held back except the
// first three body bytes of the first response while they may still be a BOM.
class RecordingWriter {
  public:
    // A response head: its status and Content-Type header value (empty when none was sent).
    std::string_view begin(long status, std::string_view content_type);
    // One network read of the body, `t_ms` after the request was sent.
    std::string_view data(std::string_view bytes, double t_ms);
    // The transfer ended, `t_ms` after the request: how (Failure::none for a normal end).
    std::string_view end(double t_ms, Failure failure, std::string_view message);

  private:
    enum class At : unsigned char { line_start, after_cr, mid_line };
    void body(std::string_view bytes, double t_ms);
    void flush_probe();

    std::string out_;
    std::string header_;  // the first response's header lines, until the BOM question is settled
    std::string probe_;   // the first response's first body bytes while they may be a BOM
    bool probing_ = false;
    bool open_ = false;  // a response has begun and not ended
    int responses_ = 0;
    At at_ = At::line_start;
    double pending_ms_ = -1;  // a read's time still waiting for a line boundary; -1: none
};

// ---- the file ------------------------------------------------------------------------------

// A recording being written: every read goes to the file at once with write(2), so that a run
// that is killed leaves a usable file. A failed write is remembered (the first errno) and ends
// the recording; the turn goes on.
class RecordingFile {
  public:
    // Opens (creates, truncates) `path`; on failure error() is the errno.
    explicit RecordingFile(const std::string& path);
    ~RecordingFile();
    RecordingFile(const RecordingFile&) = delete;
    RecordingFile& operator=(const RecordingFile&) = delete;

    bool is_open() const noexcept { return fd_ >= 0; }
    // 0, or the errno of the open or of the first failed write (or close).
    int error() const noexcept { return error_; }

    void begin(long status, std::string_view content_type);
    void data(std::string_view bytes, double t_ms);
    void end(double t_ms, Failure failure, std::string_view message);
    // Closes the file; returns error().
    int close();

  private:
    void write(std::string_view text);

    RecordingWriter writer_;
    int fd_ = -1;
    int error_ = 0;
};

// Records what passes through to `inner`: a Handler decorator for one transfer. Times are
// measured from its construction (just before the request is started).
class RecordingHandler final : public Handler {
  public:
    RecordingHandler(Handler& inner, RecordingFile& file, const util::Clock& clock);

    Control on_head(const ResponseHead& head) override;
    Control on_data(std::string_view bytes) override;
    Control on_idle() override { return inner_.on_idle(); }
    std::int64_t deadline_ns() const override { return inner_.deadline_ns(); }
    void on_done(const Result& result) override;

  private:
    double elapsed_ms() const;

    Handler& inner_;
    RecordingFile& file_;
    const util::Clock& clock_;
    std::int64_t start_ns_;
    bool head_ = false;
};

// ---- the reader -----------------------------------------------------------------------------

// One recorded response, as read back. The chunks' bytes point into Recording::text.
struct RecordedResponse {
    struct Chunk {
        double t_ms = 0;  // when it arrived, after the request
        std::string_view bytes;
    };
    long status = 200;
    std::string content_type = "text/event-stream";  // empty: no Content-Type header
    std::vector<Chunk> chunks;                       // the body, in order; none empty
    double end_ms = -1;                              // the `: end` line's time; -1: none
    Failure failure = Failure::none;                 // how the recorded transfer ended
    std::string message;                             // the transport's words for it
};

struct Recording {
    std::shared_ptr<const std::string> text;  // the file (the chunks point into it)
    std::vector<RecordedResponse> responses;  // at least one
};

// Reads a recording, or any file as a 200 text/event-stream body (never fails: bytes that are
// not the recorder's lines are body).
Recording parse_recording(std::string text);

// Reads the whole file and parses it; false and `error` (strerror) when it cannot be read.
bool read_recording(const std::string& path, Recording& out, std::string& error);

// The name used in `failure=` ("dropped"), and back (unknown names: Failure::other).
std::string_view failure_name(Failure failure) noexcept;
Failure failure_from_name(std::string_view name) noexcept;

}  // namespace letta_stream::transport
