// util::Diag — the one place that writes diagnostics to stderr: errors, warnings, --verbose
// traces. Each message is one write(2) so lines from a diagnostic never interleave with others.
// stdout is never touched here.
#pragma once

#include <string>
#include <string_view>

namespace letta_stream::util {

class Diag {
  public:
    explicit Diag(int fd = 2) : fd_(fd) {}

    void set_quiet(bool quiet) noexcept { quiet_ = quiet; }
    void set_verbose(bool verbose) noexcept { verbose_ = verbose; }
    bool verbose() const noexcept { return verbose_; }
    bool quiet() const noexcept { return quiet_; }
    int fd() const noexcept { return fd_; }

    // "letta-stream: error: <what>" and, when given, "letta-stream: hint: <hint>" (always shown).
    void error(std::string_view what, std::string_view hint = {});
    // "letta-stream: warning: <what>" (suppressed by --quiet).
    void warning(std::string_view what);
    // "* <line>" (only with --verbose). `prefix` is "*", ">" (sent) or "<" (received).
    void trace(std::string_view prefix, std::string_view line);
    // Writes `text` verbatim (e.g. a metrics report).
    void raw(std::string_view text);

  private:
    void write_line(std::string_view a, std::string_view b, std::string_view c = {},
                    std::string_view d = {});
    int fd_;
    bool quiet_ = false;
    bool verbose_ = false;
    std::string line_;
};

}  // namespace letta_stream::util
