// app::run_turn — one turn, retries and resumes included: the message POST through the chain,
// the retry policy's decisions (session::decide), the waits between attempts, a resume of a
// dropped background stream, the throttle's drain after the stream, and cancelling the run on
// the server when the user stopped it; with --record each response is saved as it arrives, with
// --replay the recorded responses are taken in order instead. Returns how the turn ended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/chain.hpp"
#include "cli/options.hpp"
#include "metrics/recorder.hpp"
#include "output/pacer.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
#include "output/stderr.hpp"
#include "protocol/letta_api.hpp"
#include "session/outcome.hpp"
#include "transport/recording.hpp"
#include "transport/replay_transport.hpp"
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
    // --record: every response of the turn goes to this file as it arrives (optional).
    transport::RecordingFile* record = nullptr;
    // --replay: the transport (the one the turn is given) that serves the recorded responses,
    // which the turn takes in order while another follows, as a live turn took them (a fresh
    // stream each, what a resume repeats dropped), with no retry policy, no waits, no resume
    // request and no cancel on the server. null: a live turn.
    transport::ReplayTransport* replay = nullptr;
};

session::Outcome run_turn(transport::Transport& transport, const std::string& agent_id,
                          const TurnParts& parts);

}  // namespace letta_stream::app
