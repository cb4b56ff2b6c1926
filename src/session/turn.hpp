// session::Turn — drives one streamed turn: HTTP head → SSE parser → Letta decoder → output
// pipeline and observers, then decides how the turn ended. It is the transport's handler, so it
// sees every network read and flushes output once per read (in on_idle). Knows nothing about
// flags; app/ configures it.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "metrics/recorder.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
#include "protocol/letta_decoder.hpp"
#include "session/outcome.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"
#include "transport/http.hpp"
#include "util/clock.hpp"
#include "util/diag.hpp"

namespace letta_stream::session {

struct TurnConfig {
    std::size_t max_event_size = sse::Parser::default_max_event_size;
    // After stop_reason, stop waiting for [DONE]/EOF once no event but pings has arrived for
    // this long (production streams sometimes never reach EOF; Letta's own CLI uses 2 s).
    int after_stop_grace_ms = 2000;
    const volatile std::sig_atomic_t* signal = nullptr;  // non-zero once SIGINT/SIGTERM arrived
    const util::Clock* clock = nullptr;                  // required
    std::string url;                                     // the request's base URL, for diagnostics
    metrics::Recorder* recorder = nullptr;               // optional: timings and counts
    output::Pipeline* side = nullptr;                    // optional: the stderr narrator (--show-*)
    output::Progress* progress = nullptr;                // optional: the waiting line (TTY stderr)
};

// What the stream said, for reports and the JSON "done" line.
struct TurnState {
    long http_status = 0;
    std::string stop_reason;
    std::string run_id;
    std::string error_type, error_message, error_detail;
    bool saw_error = false;
    bool saw_done = false;
    bool saw_content = false;
    std::uint64_t events = 0;
    std::uint64_t malformed = 0;
    std::int64_t last_seq_id = -1;
    int signal = 0;
    output::WriteStatus write_status = output::WriteStatus::ok;
    int write_errno = 0;
};

class Turn final : public transport::Handler {
  public:
    Turn(const TurnConfig& config, output::Pipeline& output, util::Diag& diag);

    transport::Control on_head(const transport::ResponseHead& head) override;
    transport::Control on_data(std::string_view bytes) override;
    transport::Control on_idle() override;
    int wait_limit_ms() override;

    // Called once the transfer is over: how did the turn end?
    Outcome finish(const transport::Result& result);

    const TurnState& state() const noexcept { return state_; }

  private:
    enum class Mode : unsigned char { waiting, streaming, error_body };

    struct SseBridge final : sse::Handler {
        Turn* turn = nullptr;
        bool on_event(const sse::Event& event) override;
    };
    struct EventRouter final : stream::Sink {
        Turn* turn = nullptr;
        void on_event(const stream::Event& event) override;
    };

    bool handle_sse(const sse::Event& event);
    void handle_event(const stream::Event& event);
    transport::Control flush();
    Outcome stream_outcome(const transport::Result& result);

    TurnConfig config_;
    output::Pipeline& output_;
    util::Diag& diag_;
    sse::Parser parser_;
    protocol::LettaDecoder decoder_;
    SseBridge bridge_;
    EventRouter router_;

    Mode mode_ = Mode::waiting;
    transport::ResponseHead head_;
    std::string error_body_;
    bool too_large_ = false;
    std::int64_t after_stop_ns_ = 0;  // stop_reason, or the last non-ping event after it
    bool content_since_flush_ = false;
    TurnState state_;
    std::string trace_;
};

}  // namespace letta_stream::session
