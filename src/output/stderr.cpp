#include "output/stderr.hpp"

#include <unistd.h>

#include <cerrno>

#include "util/terminal_text.hpp"

namespace letta_stream::output {

namespace {
constexpr std::string_view kEraseLine = "\r\x1b[2K";
}  // namespace

// Best effort: stderr failing must never take the tool down, and there is nowhere to report it.
void Stderr::put(std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd_, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Stderr::break_stdout_line() {
    if (stdout_ == nullptr || stdout_->at_line_start() || stdout_->bytes() == stdout_broken_at_)
        return;
    put("\n");
    stdout_broken_at_ = stdout_->bytes();
}

void Stderr::start_line() {
    if (progress_drawn_) erase_progress();
    break_stdout_line();
    if (open_line_) {
        put("\n");
        open_line_ = false;
    }
}

void Stderr::write_line(std::string_view a, std::string_view b, std::string_view c,
                        std::string_view d) {
    start_line();
    line_.assign(a);
    // A diagnostic is one line: control characters from server text (C1 ones too: an 8-bit CSI
    // is an escape sequence) must not forge extra lines or terminal escapes.
    for (std::string_view part : {b, c, d})
        util::append_terminal_safe(line_, part, true);
    line_.push_back('\n');
    put(line_);
}

void Stderr::error(std::string_view what, std::string_view hint) {
    write_line("letta-stream: error: ", what);
    if (!hint.empty()) write_line("letta-stream: hint: ", hint);
}

void Stderr::warning(std::string_view what) {
    if (!quiet_) write_line("letta-stream: warning: ", what);
}

void Stderr::loud_warning(std::string_view what) {
    write_line("letta-stream: warning: ", what);
}

void Stderr::trace(std::string_view prefix, std::string_view line) {
    if (verbose_) write_line(prefix, " ", line);
}

void Stderr::raw(std::string_view text) {
    start_line();
    put(text);
}

void Stderr::narrate(std::string_view bytes) {
    if (bytes.empty()) return;
    if (progress_drawn_) erase_progress();
    if (!open_line_) break_stdout_line();
    put(bytes);
    open_line_ = bytes.back() != '\n';
}

void Stderr::draw_progress(std::string_view line) {
    if (open_line_) {  // never draw over narration: the line goes below it
        put("\n");
        open_line_ = false;
    }
    line_.assign(kEraseLine).append(line);
    put(line_);
    progress_drawn_ = true;
}

void Stderr::erase_progress() {
    if (!progress_drawn_) return;
    put(kEraseLine);
    progress_drawn_ = false;
}

}  // namespace letta_stream::output
