// session::Exchange — the transport's handler for one streamed request. It classifies the
// response head into the Attempt, feeds an event stream to the SSE parser (whose handler, the
// decoding link, carries events down the chain) or keeps an error body, ends each network read
// with a flush down the chain, and owns the turn's deadlines (the grace period after
// stop_reason, the progress redraw). It never sees an event come back: the Tracker at the end of
// the chain records what the stream said into the same Attempt.
#pragma once

#include <cstdint>
#include <functional>

#include "output/pacer.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
#include "session/attempt.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::session {

struct ExchangeConfig {
    const util::Clock* clock = nullptr;  // required
    // After stop_reason, stop waiting for [DONE]/EOF once no event but pings has arrived for
    // this long (production streams sometimes never reach EOF; Letta's own CLI uses 2 s).
    int after_stop_grace_ms = 2000;
    // Optional: the stdout pipeline, whose write failure stops the transfer.
    const output::Pipeline* output = nullptr;
    // Optional: the waiting line, redrawn at its deadlines.
    output::Progress* progress = nullptr;
    // Optional: the pacer in front of stdout (--throttle, --coalesce): its release times are
    // deadlines, and while it holds more than Pacer::kMaxBacklog the transfer is paused.
    const output::Pacer* pacer = nullptr;
    transport::Transport* transport = nullptr;  // required with a pacer: to pause and resume
    // Optional: the request's cancel token, to record why the transfer was cancelled.
    const transport::CancelToken* cancel = nullptr;
    // Optional: told when the final response head arrives (metrics).
    std::function<void(const transport::ResponseHead&)> head_seen;
    // Timeouts, each ending the transfer with Attempt::timeout set. Idle: no byte for this long
    // (pings are bytes; a paused transfer is not idle); 0 = none. First token and the whole
    // invocation: absolute deadlines on the clock; -1 = none. The limits are for the messages.
    long idle_timeout_ms = 0;
    std::int64_t first_token_deadline_ns = -1;
    long first_token_timeout_ms = 0;
    std::int64_t max_time_deadline_ns = -1;
    long max_time_ms = 0;
    // Emit the "thinking" status when the stream starts (not on a resume of the same turn).
    bool announce = true;
};

class Exchange final : public transport::Handler {
  public:
    // `decoding` is the parser's handler (the decoder and the stages below it); `events` is the
    // top of the stages, where client-side status events enter the chain.
    Exchange(Attempt& attempt, sse::Parser& parser, sse::Handler& decoding, stream::Sink& events,
             ExchangeConfig config);

    transport::Control on_head(const transport::ResponseHead& head) override;
    transport::Control on_data(std::string_view bytes) override;
    transport::Control on_idle() override;
    std::int64_t deadline_ns() const override;
    void on_done(const transport::Result& result) override;

    // The transfer this exchange handles, once started (for pause and resume).
    void attach(transport::TransferId id) noexcept { id_ = id; }

  private:
    std::int64_t grace_deadline_ns() const;
    std::int64_t idle_deadline_ns() const;
    // The first of our timeouts that has passed, or none.
    Attempt::Timeout expired(std::int64_t now) const;

    Attempt& a_;
    sse::Parser& parser_;
    sse::Handler& decoding_;
    stream::Sink& events_;
    ExchangeConfig config_;
    transport::ResponseHead head_;
    transport::TransferId id_ = 0;
    bool paused_ = false;
    std::int64_t last_byte_ns_;  // the request's start, then each read
};

}  // namespace letta_stream::session
