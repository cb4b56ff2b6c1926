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
// line start, and up to 1 MiB long; the three header lines only before the body of their
// response. The reader streams: a file of any size is read in 64 KiB blocks as it is replayed.
//
// Knows nothing about SSE events, Letta or flags: lines and bytes only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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

// Reads a recording as it goes, in reads of `read_size` bytes into a buffer of bounded size, and
// hands it out piece by piece: each response's head, its body in pieces with their times, its
// end; then the next response. Memory stays the same whatever the size of the file: the buffer
// holds one read and what of it is not yet decided (at most one line of the recorder's, and no
// such line is longer than kMaxLine: a longer one is body). Any file reads (bytes that are not
// the recorder's lines are body); a file without those lines is one 200 text/event-stream
// response, all at t=0. Nothing is read until an item is asked for.
class RecordingReader {
  public:
    static constexpr std::size_t kReadSize = 64 * 1024;
    // The longest line that is recognised as one of the recorder's (what libcurl passes as a
    // header value is at most 100 KiB; the recorder's other lines are short).
    static constexpr std::size_t kMaxLine = 1024 * 1024;

    // Reads up to `size` bytes into `buf`: how many, 0 at the end, -1 with errno set.
    using Source = std::function<long(char* buf, std::size_t size)>;

    struct Item {
        enum class Kind : unsigned char {
            head,   // a response begins: status, content_type
            data,   // body bytes (valid until the next call), t_ms, first
            end,    // the response is over: end_ms, failure, message
            eof,    // no more responses (after the last one's end; given again and again)
            error,  // reading failed: message (strerror); given again and again
        };
        Kind kind = Kind::eof;
        long status = 200;
        std::string content_type = "text/event-stream";  // empty: no Content-Type header
        double t_ms = 0;         // when the piece arrived, after the request
        std::string_view bytes;  // never empty
        bool first = false;      // it begins a recorded read (after a `: t=` line, a head, a BOM)
        double end_ms = -1;      // the `: end` line's time; -1: none
        Failure failure = Failure::none;  // how the recorded transfer ended
        std::string message;              // the transport's words for it, or the read error
    };

    explicit RecordingReader(Source source, std::size_t read_size = kReadSize);

    // Opens `path` and reads its first block, so that a file that cannot be read (a directory)
    // is known before anything starts; null and `error` (strerror) when that fails.
    static std::unique_ptr<RecordingReader> open(const std::string& path, std::string& error);
    // A reader of `text`, `read_size` bytes per read (0: all of it at once).
    static std::unique_ptr<RecordingReader> of(std::string text, std::size_t read_size = 0);

    // The next item: head, data..., end for each response, then eof (or error, at any point).
    const Item& next();
    // Skips what is left of the response whose head was given (a transfer that stopped early).
    void skip_response();
    // Whether another response follows (or the read error that ends the file is next): skips
    // what is left of the current one, then looks at what comes.
    bool another_response();
    // Why reading failed (strerror), or empty.
    const std::string& error() const noexcept { return error_; }
    // The buffer's size: a read plus the undecided line at most (for the memory bound's tests).
    std::size_t buffer_size() const noexcept { return buf_.size(); }

  private:
    // A line at a line start, as the parser sees it.
    struct Line {
        enum class Kind : unsigned char {
            body,       // not the recorder's (or not complete and can no longer be)
            undecided,  // may be the recorder's; its end is not read yet
            magic,
            status,
            content_type,
            time,
            response,
            end,
        };
        Kind kind = Kind::body;
        std::size_t eol = 0;   // where its line end starts (body: npos when not known)
        std::size_t next = 0;  // where the next line starts (recognised lines)
        long status = 0;
        double ms = 0;
        std::string_view value;  // content_type
        bool newline_added = false;
        double end_ms = -1;
        Failure failure = Failure::none;
        std::string_view message;
    };
    // Where the body that starts at pos_ stops: at a recognised line (`line`), or where the
    // buffer ends or a line that may be the recorder's is not read to its end (`more`).
    struct Scan {
        std::size_t at;
        bool line;
        Line found;
    };
    // Finds the next `c` at or after a position, remembering how far it has looked.
    struct Finder {
        char c;
        std::size_t lo = 0, at = 0;  // no `c` in [lo, at)
        std::size_t find(const std::string& buf, std::size_t from, std::size_t end);
        void shift(std::size_t by) noexcept;
    };

    bool fill();
    bool check_bom();
    std::size_t eol_at(std::size_t from);
    Line classify(std::size_t at);
    Scan scan();
    void begin_response(long status);
    const Item& give_data(std::size_t from, std::size_t to);
    const Item& give_error();

    Source source_;
    std::size_t read_size_;
    std::string buf_;  // [pos_, end_) read and not yet consumed
    std::size_t pos_ = 0, end_ = 0;
    bool line_start_ = true;  // pos_ is at the start of a line
    bool eof_ = false;
    std::string error_;
    Finder lf_{'\n'}, cr_{'\r'};

    enum class Phase : unsigned char { bom, head, body, skip } phase_ = Phase::bom;
    // the response being read, as the whole-file parser kept it
    bool header_ = true;    // still before its body: the header lines count
    bool ended_ = false;    // after its `: end` line: nothing is body until the next response
    bool started_ = false;  // anything of the file seen (a first `: response=` line begins it)
    bool bom_ = false;      // the file began with a BOM, given after the first head
    long status_ = 200;
    std::string content_type_ = "text/event-stream";
    double end_ms_ = -1;
    Failure failure_ = Failure::none;
    std::string message_;
    double chunk_ms_ = 0;
    bool fresh_ = true;  // the next piece begins a recorded read
    // what is due before parsing goes on, in this order
    bool give_head_ = false, give_bom_ = false, give_end_ = false, give_begin_ = false,
         give_eof_ = false;
    long next_status_ = 200;  // the next response's, from its `: response=` line

    Item item_;
    bool peeked_ = false;       // item_ was looked at by another_response() and not yet given
    bool in_response_ = false;  // a head was given and not yet its end
};

// One recorded response, read back whole (for tests and small files).
struct RecordedResponse {
    struct Chunk {
        double t_ms = 0;  // when it arrived, after the request
        std::string bytes;
    };
    long status = 200;
    std::string content_type = "text/event-stream";  // empty: no Content-Type header
    std::vector<Chunk> chunks;                       // the body, in order; none empty
    double end_ms = -1;                              // the `: end` line's time; -1: none
    Failure failure = Failure::none;                 // how the recorded transfer ended
    std::string message;                             // the transport's words for it
};

struct Recording {
    std::vector<RecordedResponse> responses;  // at least one
};

// Reads all of `text` through a RecordingReader, `read_size` bytes per read (0: at once): the
// pieces of each recorded read joined into its chunk.
Recording parse_recording(std::string_view text, std::size_t read_size = 0);

// The name used in `failure=` ("dropped"), and back (unknown names: Failure::other).
std::string_view failure_name(Failure failure) noexcept;
Failure failure_from_name(std::string_view name) noexcept;

}  // namespace letta_stream::transport
