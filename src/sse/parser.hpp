// sse::Parser — an incremental push parser for the WHATWG "text/event-stream" format
// (HTML Living Standard §9.2.6 "Interpreting an event stream").
// It turns arbitrary byte chunks into dispatched events. It knows nothing about JSON, Letta,
// HTTP or output; it does no I/O and no per-event heap allocation in steady state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace letta_stream::sse {

// One dispatched event. The views point into the parser's buffers and stay valid only until the
// handler returns.
struct Event {
    std::string_view type;  // the "event" field; "message" when the block had none
    std::string_view data;  // "data" lines joined with '\n' (the final '\n' removed)
    std::string_view id;    // the last event ID buffer at dispatch time (persists across events)
};

class Handler {
  public:
    virtual ~Handler() = default;
    // Return false to stop parsing: feed() then returns Status::stopped and ignores the rest of
    // that chunk. The parser stays usable: a later feed() continues after the dispatched event.
    // The parser itself never throws; an exception thrown here propagates out of feed() (the
    // event's buffers are still reset, so the parser stays consistent).
    virtual bool on_event(const Event& event) = 0;
    // A valid "retry:" field (ASCII digits only). Optional to handle.
    virtual void on_retry(std::uint64_t /*milliseconds*/) {}
};

enum class Status : std::uint8_t {
    ok,               // all bytes consumed
    stopped,          // the handler returned false
    event_too_large,  // one event (its pending line + data) exceeded max_event_size; parser is dead
};

class Parser {
  public:
    static constexpr std::size_t default_max_event_size = 16u * 1024u * 1024u;

    explicit Parser(std::size_t max_event_size = default_max_event_size);

    // Feed the next chunk of the stream. Chunks may split anywhere: inside a line, between CR and
    // LF, inside a UTF-8 sequence, inside the leading BOM.
    Status feed(std::string_view bytes, Handler& handler);

    // End of stream. Per the spec, an event without its terminating blank line is discarded.
    // Returns true when such an incomplete block (any pending bytes or fields) was discarded.
    bool finish();

    // Number of bytes of the current incomplete event held in memory (for diagnostics and tests).
    std::size_t pending_bytes() const noexcept;

    std::size_t max_event_size() const noexcept { return max_event_size_; }

  private:
    bool skip_bom(std::string_view& bytes);
    bool buffer_line_part(std::string_view part);
    bool fits(std::size_t extra) const noexcept;
    void die() noexcept;
    bool process_line(std::string_view line, Handler& handler);
    bool dispatch(Handler& handler);

    // Implementation state (see parser.cpp).
    std::size_t max_event_size_;
    std::string line_;         // the current incomplete line (only when a chunk ended mid-line)
    std::string data_;         // the data buffer of the current event
    std::string event_type_;   // the event type buffer
    std::string last_id_;      // the last event ID buffer
    bool pending_cr_ = false;  // last byte fed was CR: a following LF belongs to the same line end
    bool bom_checked_ = false;
    std::uint8_t bom_matched_ = 0;
    bool dead_ = false;
};

}  // namespace letta_stream::sse
