#include "util/diag.hpp"

#include <unistd.h>

#include <cerrno>

namespace letta_stream::util {

namespace {

// Best effort: stderr failing must never take the tool down, and there is nowhere to report it.
void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

void Diag::write_line(std::string_view a, std::string_view b, std::string_view c,
                      std::string_view d) {
    line_.clear();
    line_.append(a).append(b).append(c).append(d);
    // A diagnostic is one line: control characters from server text must not forge extra lines
    // or terminal escapes.
    for (char& ch : line_) {
        if (ch == '\n' || ch == '\r')
            ch = ' ';
        else if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t')
            ch = '?';
        else if (ch == '\x7f')
            ch = '?';
    }
    line_.push_back('\n');
    write_all(fd_, line_);
}

void Diag::error(std::string_view what, std::string_view hint) {
    write_line("letta-stream: error: ", what);
    if (!hint.empty()) write_line("letta-stream: hint: ", hint);
}

void Diag::warning(std::string_view what) {
    if (!quiet_) write_line("letta-stream: warning: ", what);
}

void Diag::trace(std::string_view prefix, std::string_view line) {
    if (verbose_) write_line(prefix, " ", line);
}

void Diag::raw(std::string_view text) {
    write_all(fd_, text);
}

}  // namespace letta_stream::util
