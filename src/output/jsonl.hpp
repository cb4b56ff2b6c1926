// output::JsonlFormatter — `-j/--json` mode: one JSON object per line (schema
// "letta-stream.jsonl/1"): a start line first, one line per event, a done line last, exactly once.
// The `sse` dialect adds {"type":"sse","event":…,"data":…,"id":…} (id: the SSE last event ID,
// "" before any) and {"type":"sse_retry","retry":N} lines.
// Knows nothing about SSE, Letta JSON, HTTP or flags; it only turns stream::Events into lines.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "output/formatter.hpp"
#include "util/clock.hpp"

namespace letta_stream::output {

class JsonlFormatter final : public Formatter {
  public:
    // t_ms on every line is (clock.now_ns() - start_ns) / 1e6. `clock` must outlive the formatter.
    JsonlFormatter(const util::Clock& clock, std::int64_t start_ns);
    ~JsonlFormatter() override;
    JsonlFormatter(const JsonlFormatter&) = delete;
    JsonlFormatter& operator=(const JsonlFormatter&) = delete;

    void begin(const TurnInfo& info) override;
    void set_agent_id(std::string_view agent_id) override;
    void on_event(const stream::Event& event) override;
    // Writes the done line. Later calls, and events after it, write nothing.
    void finish(const Ending& ending) override;

    // The value of the "schema" key on the start line.
    static constexpr std::string_view kSchema = "letta-stream.jsonl/1";

  private:
    // RapidJSON stays out of this header: the writer and its buffers live here.
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace letta_stream::output
