// app::run_turn — one turn, retries and resumes included: the message POST through the chain,
// the retry policy's decisions (session::decide), the waits between attempts, a resume of a
// dropped background stream, the throttle's drain after the stream, and cancelling the run on
// the server when the user stopped it. Returns how the turn ended.
#pragma once

#include <cstdint>
#include <string>

#include "app/chain.hpp"
#include "cli/options.hpp"
#include "metrics/recorder.hpp"
#include "output/pacer.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
#include "output/stderr.hpp"
#include "protocol/letta_api.hpp"
#include "session/outcome.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::app {

// What the turn works with, all owned by the invocation.
struct TurnParts {
    const cli::Options& opts;
    const util::Clock& clock;
    std::int64_t start_ns;  // the invocation's start (for --max-time)
    output::Stderr& err;
    Chain& chain;
    output::Pipeline& pipeline;
    output::Pacer* pacer;         // optional
    output::Progress* progress;   // optional
    metrics::Recorder* recorder;  // optional
    transport::CancelToken& cancel;
    const protocol::Endpoint& endpoint;
    const std::string& otid;
    bool eof_is_end;  // the dialect's stream ends by closing (Decoder::ends_at_eof)
};

session::Outcome run_turn(transport::Transport& transport, const std::string& agent_id,
                          const TurnParts& parts);

}  // namespace letta_stream::app
