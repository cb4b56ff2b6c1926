// output::Narrator — `--show-reasoning` / `--show-tools`: a formatter for stderr that narrates
// the agent's reasoning and tool activity while the reply goes to stdout. Its pipeline writes
// through the Stderr owner. Each flushed piece is dimmed on its own (when colour is on) so the
// terminal is never left dim when stdout text follows. Tool calls arrive whole (assembled by
// stream::ToolCalls). Knows nothing about SSE, Letta JSON, HTTP or flags.
#pragma once

#include <string>

#include "output/formatter.hpp"

namespace letta_stream::output {

class Narrator final : public Formatter {
  public:
    Narrator(bool reasoning, bool tools, bool color)
        : reasoning_(reasoning), tools_(tools), color_(color) {}

    void on_event(const stream::Event& event) override;
    void finish(const Ending&) override { end_segment(); }

    // Longest tool result shown before it is cut short (the whole result is in -j output).
    static constexpr std::size_t kMaxResult = 300;

  private:
    enum class Segment : unsigned char { none, reasoning, tool_call };

    void begin_segment(Segment segment, std::string_view label);
    void end_segment();
    void put(std::string_view text);  // dimmed when colour is on
    void put_one_line(std::string_view text, std::size_t max);

    bool reasoning_;
    bool tools_;
    bool color_;
    Segment segment_ = Segment::none;
    std::string call_id_;
};

}  // namespace letta_stream::output
