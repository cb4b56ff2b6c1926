#include "output/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace letta_stream::output {

namespace {

void put(int fd, const std::string& s) {
    // Best effort: a progress line that cannot be drawn is not worth an error.
    [[maybe_unused]] const auto n = ::write(fd, s.data(), s.size());
}

}  // namespace

Progress::Progress(int fd, const util::Clock& clock, std::string label, bool color)
    : fd_(fd), clock_(clock), label_(std::move(label)), color_(color), start_ns_(clock.now_ns()) {}

void Progress::tick() {
    if (stopped_) return;
    const std::int64_t now = clock_.now_ns();
    const std::int64_t waited_ms = (now - start_ns_) / 1'000'000;
    if (waited_ms < kFirstDrawMs) return;
    if (drawn_ && (now - last_draw_ns_) / 1'000'000 < kRedrawMs) return;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f s", static_cast<double>(waited_ms) / 1000.0);
    // \r + "erase line" redraws in place; the text stays short so it never wraps.
    line_ = "\r\x1b[2K";
    if (color_) line_ += "\x1b[2m";
    line_ += "letta-stream: " + label_ + " " + phase_ + "... " + seconds;
    if (color_) line_ += "\x1b[0m";
    put(fd_, line_);
    drawn_ = true;
    last_draw_ns_ = now;
}

void Progress::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (drawn_) put(fd_, "\r\x1b[2K");
}

int Progress::next_tick_ms() const {
    if (stopped_) return -1;
    const std::int64_t now = clock_.now_ns();
    const std::int64_t due = drawn_ ? last_draw_ns_ + std::int64_t{kRedrawMs} * 1'000'000
                                    : start_ns_ + std::int64_t{kFirstDrawMs} * 1'000'000;
    return static_cast<int>(std::max<std::int64_t>(0, (due - now) / 1'000'000) + 1);
}

}  // namespace letta_stream::output
