#include "output/progress.hpp"

#include <cstdio>

namespace letta_stream::output {

Progress::Progress(Stderr& err, const util::Clock& clock, std::string label, bool color,
                   Shown shown)
    : err_(err),
      clock_(clock),
      label_(std::move(label)),
      color_(color),
      shown_(shown),
      start_ns_(clock.now_ns()) {}

void Progress::tick() {
    if (stopped_) return;
    const std::int64_t now = clock_.now_ns();
    const std::int64_t waited_ms = (now - start_ns_) / 1'000'000;
    if (waited_ms < kFirstDrawMs) return;
    if (drawn_ && (now - last_draw_ns_) / 1'000'000 < kRedrawMs) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", static_cast<double>(waited_ms) / 1000.0);
    // Redrawn in place by the Stderr owner; the text stays short so it never wraps.
    line_.clear();
    if (color_) line_ += "\x1b[2m";
    line_ += "letta-stream: " + label_ + " " + phase_ + "... " + seconds;
    if (color_) line_ += "\x1b[0m";
    err_.draw_progress(line_);
    drawn_ = true;
    last_draw_ns_ = now;
}

void Progress::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (drawn_) err_.erase_progress();
}

std::int64_t Progress::next_tick_ns() const {
    if (stopped_) return -1;
    return drawn_ ? last_draw_ns_ + std::int64_t{kRedrawMs} * 1'000'000
                  : start_ns_ + std::int64_t{kFirstDrawMs} * 1'000'000;
}

void Progress::on_event(const stream::Event& event) {
    using stream::Kind;
    if (stopped_) return;
    switch (event.kind) {
        case Kind::status:  // "thinking", or "retrying in 2.0 s (1/2)"
            set_phase(std::string(event.name == "retrying" && !event.text.empty() ? event.text
                                                                                  : event.name));
            return;
        case Kind::ping:
        case Kind::malformed:
            return;
        default:
            break;
    }
    if (shown_.everything) return stop();
    switch (event.kind) {
        case Kind::reasoning:
            if (shown_.reasoning) return stop();
            if (phase_ != "reasoning") set_phase("reasoning");
            return;
        case Kind::tool_call:
        case Kind::tool_result:
        case Kind::approval_request:
            if (shown_.tools) return stop();
            if (phase_ != "running tools") set_phase("running tools");
            return;
        case Kind::usage:
        case Kind::unknown:
        case Kind::done:
            return;  // nothing the user sees
        default:
            stop();  // content, an error, the end of the run
    }
}

}  // namespace letta_stream::output
