// output::Stderr — the one owner of fd 2. Diagnostics (errors, warnings, --verbose traces, the
// metrics report), the --show-* narration and the progress line all go through it, so that it
// can end an open narration line and erase the progress line before anything else appears:
// a warning never lands in the middle of "reasoning: …". Server-originated text in diagnostics is
// made safe (one line, no control characters). stdout is never touched here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "output/writer.hpp"

namespace letta_stream::output {

class Stderr {
  public:
    explicit Stderr(int fd = 2) : fd_(fd), narration_(*this) {}
    Stderr(const Stderr&) = delete;
    Stderr& operator=(const Stderr&) = delete;

    void set_quiet(bool quiet) noexcept { quiet_ = quiet; }
    void set_verbose(bool verbose) noexcept { verbose_ = verbose; }
    bool verbose() const noexcept { return verbose_; }
    bool quiet() const noexcept { return quiet_; }
    int fd() const noexcept { return fd_; }

    // "letta-stream: error: <what>" and, when given, "letta-stream: hint: <hint>" (always shown).
    void error(std::string_view what, std::string_view hint = {});
    // "letta-stream: warning: <what>" (suppressed by --quiet).
    void warning(std::string_view what);
    // The same line, even under --quiet: for what must never go unnoticed (--insecure).
    void loud_warning(std::string_view what);
    // "<prefix> <line>" (only with --verbose). `prefix` is "*", ">" (sent) or "<" (received).
    void trace(std::string_view prefix, std::string_view line);
    // Writes `text` verbatim on lines of its own (e.g. a metrics report).
    void raw(std::string_view text);

    // Narration bytes (--show-reasoning/--show-tools); they may leave a line open.
    void narrate(std::string_view bytes);
    // A Writer that narrates, for the narrator's output pipeline.
    Writer& narration() noexcept { return narration_; }

    // Draws the progress line in place of the previous one; erase_progress() removes it. Any other
    // output erases it first.
    void draw_progress(std::string_view line);
    void erase_progress();
    bool progress_drawn() const noexcept { return progress_drawn_; }

    // stdout is the same terminal as stderr: before stderr writes, end a line of reply text that
    // stdout left open, so that "reasoning: ..." or a warning starts on a line of its own.
    void share_terminal_with(const CountingWriter* out) noexcept { stdout_ = out; }

  private:
    struct NarrationWriter final : Writer {
        explicit NarrationWriter(Stderr& s) : owner(s) {}
        WriteResult write(std::string_view bytes) override {
            owner.narrate(bytes);
            return {};  // stderr is best effort: it never stops the turn
        }
        Stderr& owner;
    };

    void start_line();  // erase the progress line, end an open narration line
    void break_stdout_line();
    void write_line(std::string_view a, std::string_view b, std::string_view c = {},
                    std::string_view d = {});
    void put(std::string_view bytes);

    int fd_;
    bool quiet_ = false;
    bool verbose_ = false;
    bool open_line_ = false;  // narration ended without a newline
    bool progress_drawn_ = false;
    NarrationWriter narration_;
    const CountingWriter* stdout_ = nullptr;
    std::uint64_t stdout_broken_at_ = 0;  // stdout's byte count when we last ended its line
    std::string line_;
};

}  // namespace letta_stream::output
