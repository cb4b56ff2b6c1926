// transport::Client — one HTTP request at a time over libcurl (multi interface), body bytes
// delivered to a handler as they arrive. The only module that includes libcurl. Knows nothing
// about SSE, Letta, JSON or flags.
//
// The contract with the handler is what makes the tool unbuffered: on_data() may be called many
// times while libcurl drains the socket, and on_idle() is called every time libcurl has consumed
// everything readable — i.e. always before the client blocks on the network again. Handlers
// flush their output in on_idle().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace letta_stream::transport {

struct Header {
    std::string name;  // as received
    std::string value;
};

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value" lines
    std::string body;                  // sent when non-empty or method is POST
    bool send_user_agent = true;       // false: no User-Agent header at all
    long total_timeout_ms = 0;         // 0 = no limit on the whole transfer
};

struct ResponseHead {
    long status = 0;
    std::string status_line;  // "HTTP/1.1 200 OK"
    std::vector<Header> headers;

    // Case-insensitive lookup; empty when absent.
    std::string_view header(std::string_view name) const noexcept;
    // The media type of Content-Type without parameters, lower-cased ("text/event-stream").
    std::string media_type() const;
};

enum class Control : unsigned char {
    proceed,  // keep going
    finish,   // stop the transfer now; the handler got what it needed (not an error)
    abort,    // stop the transfer now; the handler recorded why
};

class Handler {
  public:
    virtual ~Handler() = default;
    // The final (non-1xx) response head.
    virtual Control on_head(const ResponseHead& head) = 0;
    // Decoded body bytes (Content-Encoding already undone).
    virtual Control on_data(std::string_view bytes) = 0;
    // Everything readable has been consumed; about to wait. Also called after each wait.
    virtual Control on_idle() = 0;
    // Longest time the client may wait for the network before calling on_idle() again
    // (milliseconds; negative = no deadline). Used for pacing and idle timeouts.
    virtual int wait_limit_ms() { return -1; }
};

enum class Failure : unsigned char {
    none,
    aborted,       // the handler returned Control::abort
    resolve,       // could not resolve host/proxy
    connect,       // could not connect (refused, unreachable)
    timeout,       // connect or total timeout
    tls,           // TLS handshake or certificate failure
    dropped,       // connection closed or reset mid-response, truncated body
    bad_encoding,  // Content-Encoding could not be decoded
    bad_url,       // malformed URL or unsupported scheme
    other,
};

struct Result {
    Failure failure = Failure::none;
    std::string message;    // libcurl's explanation when failure != none
    bool got_head = false;  // a final response head was seen
    std::uint64_t body_bytes = 0;
    std::string http_version;  // "1.1", "2", ...

    bool ok() const noexcept { return failure == Failure::none; }
};

struct Options {
    long connect_timeout_ms = 30'000;
    int interrupt_fd = -1;  // readable when the user interrupts; wakes the wait
    // --verbose: each sent/received header line and connection notes ("*", ">", "<").
    // Credentials in headers are redacted before they reach the callback.
    std::function<void(std::string_view prefix, std::string_view line)> trace;
};

class Client {
  public:
    explicit Client(Options options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Runs one request to completion (or until the handler stops it).
    Result perform(const Request& request, Handler& handler);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Redacts credential-bearing header values in a "Name: value" line for traces.
std::string redact_header_line(std::string_view line);

// libcurl's own version string ("libcurl/7.88.1 OpenSSL/3.0.15 ..."), for --version.
std::string library_version();

}  // namespace letta_stream::transport
