// output::Progress — "waiting for the agent" on a terminal's stderr until the stream starts
// (DESIGN §1). Drawn only after a short delay, redrawn in place through the Stderr owner, erased
// once something visible arrives. It is a sink of the event chain: a status event ("thinking")
// becomes its phase. The caller decides whether stderr is a terminal; this knows no flags.
#pragma once

#include <cstdint>
#include <string>

#include "output/stderr.hpp"
#include "stream/event.hpp"
#include "util/clock.hpp"

namespace letta_stream::output {

// What the user will see of the stream: the progress line stays (with a phase such as
// "reasoning") until something visible arrives. `everything`: any event is visible (JSON lines).
struct ProgressShown {
    bool everything = true;
    bool reasoning = false;
    bool tools = false;
};

class Progress final : public stream::Sink {
  public:
    static constexpr int kFirstDrawMs = 300;  // fast replies never see it
    static constexpr int kRedrawMs = 100;

    using Shown = ProgressShown;

    Progress(Stderr& err, const util::Clock& clock, std::string label, bool color,
             Shown shown = {});

    // The phase shown after the label: "connecting", "thinking", ...
    void set_phase(std::string phase) { phase_ = std::move(phase); }
    // Draws or redraws the line when it is due.
    void tick();
    // Erases the line and never draws again. Safe to call repeatedly.
    void stop();
    bool active() const noexcept { return !stopped_; }
    // When the next redraw is due (clock ns), for the event loop's wait; -1 once stopped.
    std::int64_t next_tick_ns() const;

    // The stream: a status names the phase; hidden reasoning or tool steps name it too; anything
    // the user sees means nothing may be drawn over it any more.
    void on_event(const stream::Event& event) override;

  private:
    Stderr& err_;
    const util::Clock& clock_;
    std::string label_;
    std::string phase_ = "connecting";
    bool color_;
    Shown shown_;
    std::int64_t start_ns_;
    std::int64_t last_draw_ns_ = 0;
    bool drawn_ = false;
    bool stopped_ = false;
    std::string line_;
};

}  // namespace letta_stream::output
