// output::Progress — "waiting for the agent" on a terminal's stderr until the stream starts
// (DESIGN §1). Drawn only after a short delay, redrawn in place, erased before anything else is
// written. The caller decides whether stderr is a terminal; this knows nothing about flags.
#pragma once

#include <cstdint>
#include <string>

#include "util/clock.hpp"

namespace letta_stream::output {

class Progress {
public:
    static constexpr int kFirstDrawMs = 300;  // fast replies never see it
    static constexpr int kRedrawMs = 100;

    Progress(int fd, const util::Clock& clock, std::string label, bool color);

    // The phase shown after the label: "connecting", "thinking", ...
    void set_phase(std::string phase) { phase_ = std::move(phase); }
    // Draws or redraws the line when it is due.
    void tick();
    // Erases the line and never draws again. Safe to call repeatedly.
    void stop();
    bool active() const noexcept { return !stopped_; }
    // Milliseconds until the next redraw is due (for the network wait); -1 once stopped.
    int next_tick_ms() const;

private:
    int fd_;
    const util::Clock& clock_;
    std::string label_;
    std::string phase_ = "connecting";
    bool color_;
    std::int64_t start_ns_;
    std::int64_t last_draw_ns_ = 0;
    bool drawn_ = false;
    bool stopped_ = false;
    std::string line_;
};

}  // namespace letta_stream::output
