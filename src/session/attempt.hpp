// session::Attempt — the facts of one attempt at a request, gathered as it runs: what the
// transport reported, what the response head said, what the stream carried, and what happened
// locally (a cancel, a write failure). Plain data: session::to_outcome() turns it into the exit
// status and message, and the retry policy to come will read it as it is.
// session::Tracker is the chain's sink that records the stream's part of those facts.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "output/writer.hpp"
#include "protocol/letta_api.hpp"
#include "stream/event.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::session {

struct Attempt {
    // The transport.
    transport::Failure failure = transport::Failure::none;
    std::string transport_message;
    std::string proxy;  // the proxy in use when the connection failed
    bool got_head = false;
    std::uint64_t body_bytes = 0;

    // The response head and, when it was not an event stream, the body.
    enum class Body : unsigned char { none, event_stream, error_body };
    Body body = Body::none;
    long http_status = 0;
    std::string media_type;
    std::string error_body;            // up to kMaxErrorBody bytes
    std::string retry_after_header;    // raw, for messages
    std::string location;              // a redirect's Location
    std::int64_t retry_after_ms = -1;  // typed: Retry-After / retry-after-ms; -1 when absent
    protocol::ApiError api_error;      // read from error_body once the transfer is over
    bool quota = false;                // the error names a quota or credit reason

    // The stream.
    std::string run_id;
    std::int64_t last_seq_id = -1;
    std::string stop_reason;
    bool saw_error = false;  // the first error event is the cause; later ones are echoes
    std::string error_type, error_message, error_detail;
    bool saw_done = false;
    bool eof_is_end = false;      // the dialect ends its stream by closing it (set by app/)
    bool output_started = false;  // assistant content arrived
    std::uint64_t events = 0;
    std::uint64_t malformed = 0;
    bool too_large = false;  // an event exceeded the parser's limit
    std::size_t max_event_size = 0;
    std::int64_t after_stop_ns = -1;  // stop_reason, or the last non-ping event after it

    // Locally.
    enum class Timeout : unsigned char { none, first_token, idle, max_time };
    Timeout timeout = Timeout::none;  // which of our timeouts ended the transfer
    long timeout_ms = 0;              // its limit, for the message
    int cancelled_by = 0;             // the signal (or other reason) that cancelled the attempt
    output::WriteResult write;

    static constexpr std::size_t kMaxErrorBody = 64 * 1024;

    // Before the next attempt of the same turn (a retry or a resume): forgets what the last
    // transfer and response said, keeps what the stream has delivered (run id, last seq_id,
    // whether output started) and the counts.
    void begin_next();
};

// Records the stream's facts into an Attempt. Time comes from the injected clock.
class Tracker final : public stream::Sink {
  public:
    Tracker(Attempt& attempt, const util::Clock& clock) : a_(attempt), clock_(clock) {}
    void on_event(const stream::Event& event) override;

  private:
    Attempt& a_;
    const util::Clock& clock_;
};

// Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), relative to `now` (Unix time);
// -1 when absent or unreadable. retry-after-ms (OpenAI's) is milliseconds.
std::int64_t parse_retry_after_ms(std::string_view retry_after, std::string_view retry_after_ms,
                                  std::time_t now);

}  // namespace letta_stream::session
