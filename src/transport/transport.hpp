// transport::Transport — starts transfers and runs them, all in one event loop, handing each
// transfer's response to its Handler as it arrives. The interface is what session/ and app/ see;
// CurlTransport (libcurl's multi interface) is the real one, tests have a fake. Knows nothing
// about SSE, Letta, JSON or flags.
//
// The contract with a handler is what makes the tool unbuffered: on_data() may be called many
// times while a readable socket is drained, and on_idle() is called every time everything
// readable has been consumed — always before the loop blocks on the network again. Handlers
// flush their output in on_idle().
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace letta_stream::transport {

struct Header {
    std::string name;  // as received
    std::string value;
};

// Cancels one operation. The loop stops every transfer whose request carries a cancelled token
// (at the next wake-up: the signal self-pipe makes that immediate). A token may also follow a
// flag that a signal handler sets; a request without a token (a cancel request sent after
// Ctrl-C) is not stopped by that signal.
class CancelToken {
  public:
    CancelToken() = default;
    explicit CancelToken(const volatile std::sig_atomic_t* flag) noexcept : flag_(flag) {}

    void cancel(int reason) noexcept {
        if (reason_ == 0) reason_ = reason;
    }
    bool cancelled() const noexcept { return reason() != 0; }
    // Why: what cancel() was given, or the flag's value (a signal number); 0 while not cancelled.
    int reason() const noexcept {
        if (reason_ != 0) return reason_;
        return flag_ != nullptr ? static_cast<int>(*flag_) : 0;
    }

  private:
    const volatile std::sig_atomic_t* flag_ = nullptr;
    int reason_ = 0;
};

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;     // "Name: value" lines
    std::string body;                     // sent when non-empty or method is POST
    bool send_user_agent = true;          // false: no User-Agent header at all
    long total_timeout_ms = 0;            // 0 = no limit on the whole transfer
    const CancelToken* cancel = nullptr;  // optional; must outlive the transfer
};

struct ResponseHead {
    long status = 0;
    std::string status_line;  // "HTTP/1.1 200 OK"; empty from a replay (no version recorded)
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

enum class Failure : unsigned char {
    none,
    aborted,           // the handler returned Control::abort
    cancelled,         // the request's CancelToken was cancelled
    resolve,           // could not resolve host/proxy
    connect,           // could not connect (refused, unreachable)
    timeout,           // connect or total timeout
    tls,               // the TLS handshake failed (reset, no common protocol): may be transient
    tls_untrusted,     // the server's certificate was not verified (issuer, host name, pin)
    tls_ca,            // the CA certificates to verify with (file or directory) would not load
    tls_client_cert,   // our client certificate or its key would not load
    tls_cert_refused,  // the server refused our client certificate, or wanted one
    tls_plain,         // the server answered the handshake in plain text: not TLS on that port
    unsupported,       // an option this libcurl was built without
    dropped,           // connection closed or reset mid-response, truncated body
    bad_encoding,      // Content-Encoding could not be decoded
    bad_url,           // malformed URL or unsupported scheme
    other,
};

struct Result {
    Failure failure = Failure::none;
    std::string message;    // libcurl's explanation when failure != none
    bool got_head = false;  // a final response head was seen
    std::uint64_t body_bytes = 0;
    std::string http_version;  // "1.1", "2", ...
    std::string proxy;         // the proxy used, when a connection failure may be its fault

    bool ok() const noexcept { return failure == Failure::none; }
};

class Handler {
  public:
    virtual ~Handler() = default;
    // The final (non-1xx) response head.
    virtual Control on_head(const ResponseHead& head) = 0;
    // Decoded body bytes (Content-Encoding already undone).
    virtual Control on_data(std::string_view bytes) = 0;
    // Everything readable has been consumed; about to wait. Also called after every wake-up
    // (a deadline, a signal) while the transfer runs.
    virtual Control on_idle() = 0;
    // The earliest time (on the transport's clock, ns) at which on_idle() must run again even if
    // nothing arrives: pacing, grace periods, a progress redraw. -1: no deadline.
    virtual std::int64_t deadline_ns() const { return -1; }
    // The transfer is over; called exactly once, last.
    virtual void on_done(const Result& result) = 0;
};

using TransferId = std::uint64_t;

class Transport {
  public:
    virtual ~Transport() = default;
    // Starts a transfer; it makes progress inside run(). The request is copied; the handler must
    // outlive the transfer. May be called from a handler's callbacks.
    virtual TransferId start(const Request& request, Handler& handler) = 0;
    // Stops reading this transfer's response until resume() (TCP then pushes back on the
    // server). A paused transfer still gets on_idle() at its deadlines.
    virtual void pause(TransferId id) = 0;
    virtual void resume(TransferId id) = 0;
    // Runs the event loop until every started transfer is done.
    virtual void run() = 0;
    // Waits, without a transfer, until `deadline_ns` (on the transport's clock) or until `cancel`
    // is cancelled (a signal wakes the wait at once). For pacing after the stream has ended.
    virtual void sleep_until(std::int64_t deadline_ns, const CancelToken* cancel) = 0;
};

// start() + run() for one request: the Result that the handler's on_done() received.
Result perform(Transport& transport, const Request& request, Handler& handler);

// Redacts credential-bearing header values in a "Name: value" line for traces.
std::string redact_header_line(std::string_view line);

}  // namespace letta_stream::transport
