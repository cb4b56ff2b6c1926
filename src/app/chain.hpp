// app::Chain — the one straight event chain of a turn, composed once:
//
//   transport bytes → session::Exchange → sse::Parser → protocol::Decoding (the injected
//   protocol::Decoder) → stream::SeqFilter (what a resume repeats) → stream::ToolCalls →
//   stream::Tee → sinks, in the order they are added:
//   session::Tracker (always first), then e.g. metrics::Recorder, output::Progress,
//   output::Notices, the stdout output::Pipeline, the narrator's pipeline.
//
// Data flows one way: no stage calls back into the one that fed it. Client-side events (the
// "thinking" status, a client error) enter at input(), above the stages, like any other event.
#pragma once

#include "protocol/decoder.hpp"
#include "session/attempt.hpp"
#include "session/exchange.hpp"
#include "sse/parser.hpp"
#include "stream/seq_filter.hpp"
#include "stream/tee.hpp"
#include "stream/tool_calls.hpp"
#include "util/clock.hpp"

namespace letta_stream::app {

class Chain {
  public:
    Chain(protocol::Decoder& decoder, std::size_t max_event_size, const util::Clock& clock,
          protocol::Decoding::Trace trace = {})
        : tracker_(attempt_, clock),
          tee_{&tracker_},
          tools_(tee_),
          seq_(tools_),
          decoding_(decoder, seq_, std::move(trace)),
          parser_(max_event_size),
          max_event_size_(max_event_size) {}
    Chain(const Chain&) = delete;
    Chain& operator=(const Chain&) = delete;

    // Adds a sink at the end of the tee (null is skipped).
    void add(stream::Sink* sink) { tee_.add(sink); }
    // The top of the stages: where client-side events enter.
    stream::Sink& input() noexcept { return tools_; }
    // What this turn's attempt has seen so far.
    session::Attempt& attempt() noexcept { return attempt_; }
    // The transport handler that feeds this chain.
    session::Exchange exchange(session::ExchangeConfig config) {
        return session::Exchange(attempt_, parser_, decoding_, tools_, std::move(config));
    }
    // Before another transfer of the same turn (a retry or a resume): a fresh event stream, whose
    // events up to the last seq_id already handled are dropped.
    void restart() {
        parser_ = sse::Parser(max_event_size_);
        attempt_.begin_next();
        seq_.skip_through(attempt_.last_seq_id);
    }

  private:
    session::Attempt attempt_;
    session::Tracker tracker_;
    stream::Tee tee_;
    stream::ToolCalls tools_;
    stream::SeqFilter seq_;
    protocol::Decoding decoding_;
    sse::Parser parser_;
    std::size_t max_event_size_;
};

}  // namespace letta_stream::app
