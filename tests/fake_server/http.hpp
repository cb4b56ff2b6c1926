// One HTTP/1.1 server connection over a blocking TCP socket: request parsing (Content-Length and
// chunked bodies, Expect: 100-continue, size limits), plain responses, and the disconnect-aware
// waiting used by delays and stalls.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fls {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;

struct Request {
    std::string method;
    std::string target;  // raw request target
    std::string path;    // raw path (before '?')
    std::string query;   // raw query (after '?'), without the '?'
    std::string version;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    bool keep_alive = true;

    // The header value (duplicates joined with ", "), or nullptr if absent.
    const std::string* header(std::string_view lower_name) const;
};

enum class ReadResult { ok, eof, bad_request, too_large, header_too_large };

enum class WaitResult { elapsed, disconnected, cancelled };

class Conn {
  public:
    explicit Conn(int fd) : fd_(fd) {}
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Reads the next request (waits up to idle_ms for its first byte).
    ReadResult read_request(Request& req, int idle_ms);

    // Writes all bytes (MSG_NOSIGNAL). False once the peer is gone; the connection is then dead.
    bool send_all(std::string_view data);
    bool send_iov(iovec* iov, int n);

    // A complete non-streaming response with Content-Length.
    bool respond(int status, std::string_view content_type, std::string_view body,
                 const std::vector<std::pair<std::string, std::string>>& extra = {});
    bool respond_json(int status, std::string_view json) {
        return respond(status, "application/json", json);
    }

    // Sleeps ms milliseconds, returning early if the peer closes or *cancel becomes true.
    WaitResult wait(int ms, const std::atomic<bool>* cancel);
    // Blocks until the peer disconnects (polls with a timeout; never spins).
    void wait_for_disconnect();

    // Closes now. With rst, sends a TCP RST instead of a FIN.
    void close_now(bool rst);
    bool alive() const { return fd_ >= 0 && !dead_; }
    // Mark that the connection must close after the current response.
    void set_close_after_response() { close_after_ = true; }
    bool close_after_response() const { return close_after_; }
    int fd() const { return fd_; }

  private:
    bool fill(int timeout_ms);  // reads more into buf_; false on EOF/error/timeout
    ReadResult read_chunked_body(Request& req);
    bool read_exact(std::string& out, size_t n);
    bool read_line(std::string& out);

    int fd_;
    bool dead_ = false;
    bool close_after_ = false;
    std::string buf_;
    size_t pos_ = 0;
};

const char* reason_phrase(int status);
// "date" and "server" headers like uvicorn's, plus the status line.
std::string status_line_and_common_headers(int status);

}  // namespace fls
