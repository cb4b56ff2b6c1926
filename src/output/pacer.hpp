// output::Pacer — --throttle and --coalesce: the stage in front of the stdout pipeline that
// decides when content is let out. Everything else in the chain sees the stream as it arrived
// (the recorder measures the server, not the pacing); only stdout is paced.
//
// Throttle: a token bucket (rate, burst), one token per server content delta or, in character
// mode, per UTF-8 character. Content waits in a queue until a token is there; any other event
// that arrives behind held content waits in the same queue, so the order on stdout never changes.
// It delays, it never drops. Coalesce: released content is gathered until at least `bytes` are
// pending or the oldest pending byte has waited `ms`; each chunk ends on a UTF-8 boundary and any
// other event first lets out what is pending.
//
// Time comes from the injected clock; nothing here waits. The event loop asks deadline_ns() and
// calls on_flush() (every network read, every wake-up), which lets out what is due. When the
// agent is faster than the throttle, backlog_bytes() tells the session to pause the transfer.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "stream/event.hpp"
#include "util/clock.hpp"

namespace letta_stream::output {

struct PacerConfig {
    double rate_per_s = 0;           // tokens per second; 0: no throttle
    bool per_char = false;           // a token is one character, not one server delta
    int burst = 1;                   // the bucket's size
    std::size_t coalesce_bytes = 0;  // 0: no size threshold
    int coalesce_ms = 0;             // 0: no time-based batching
};

class Pacer final : public stream::Sink {
  public:
    // Held text above which the transfer should be paused (TCP then pushes back on the server).
    static constexpr std::size_t kMaxBacklog = 1 << 20;

    Pacer(stream::Sink& next, const util::Clock& clock, PacerConfig config);

    void on_event(const stream::Event& event) override;
    // Lets out what is due now, then flushes downstream.
    void on_flush() override;
    // The turn is over: everything still held goes out at once, in order.
    void on_end() override;

    // When something is next due (clock ns); -1: nothing is held.
    std::int64_t deadline_ns() const;
    // Bytes of events held back.
    std::size_t backlog_bytes() const noexcept { return backlog_; }
    // Content or events are waiting for the throttle (not merely for the rest of a character
    // whose first bytes ended a delta).
    bool throttling() const noexcept { return !queue_.empty() && !stalled_; }
    // Everything out now (a signal): order kept, rate ignored.
    void release_all();
    // Total time content waited in the throttle's queue (for the metrics report).
    std::int64_t held_ns() const noexcept;

  private:
    // An event that outlives on_event(): its own copies of the strings.
    struct Held {
        stream::Event event;
        // Owned copies of every string_view of stream::Event (the views die with the read).
        std::string text, name, detail, tool_call_id, status, message_id, otid, run_id, hint,
            last_event_id;
        std::size_t pos = 0;  // content already let out (character mode)
        explicit Held(const stream::Event& e);
        Held(const Held&) = delete;
        Held& operator=(const Held&) = delete;
        std::size_t bytes() const noexcept;
    };

    void pump(std::int64_t now, bool all);
    void refill(std::int64_t now);
    void hold_change(std::int64_t now);
    // Released events go through the coalescer.
    void released(const stream::Event& event);
    void gather(const stream::Event& content);
    void emit_pending(bool whole);

    stream::Sink& next_;
    const util::Clock& clock_;
    PacerConfig config_;

    std::deque<Held> queue_;
    double tokens_;
    std::int64_t refilled_ns_;
    std::int64_t next_release_ns_ = -1;
    bool stalled_ = false;
    std::int64_t holding_since_ns_ = -1;
    std::int64_t held_total_ns_ = 0;
    std::size_t backlog_ = 0;

    // The coalescer: pending content and the ids of the message it came from.
    std::string pending_;
    std::string pending_message_id_, pending_otid_, pending_run_id_;
    std::int64_t pending_seq_id_ = -1;
    std::int64_t pending_since_ns_ = -1;
};

}  // namespace letta_stream::output
