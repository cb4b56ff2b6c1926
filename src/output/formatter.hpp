// output::Formatter — turns stream events into the bytes stdout should carry (reply text or JSON
// lines). Formatters only append to their pending buffer; output::Pipeline decides when the
// buffer goes to the writer. Client-side status and errors arrive as events like everything
// else. Knows nothing about SSE, Letta JSON, HTTP or flags.
#pragma once

#include <string>
#include <string_view>

#include "stream/event.hpp"

namespace letta_stream::output {

// Facts about the invocation known before the stream starts.
struct TurnInfo {
    std::string_view agent;            // as the user gave it (id or name); may be empty
    std::string_view agent_id;         // "agent-<uuid>" when already known
    std::string_view conversation_id;  // empty: the agent's default conversation
    std::string_view endpoint;         // "conversations" | "agents"
    std::string_view otid;             // the turn's client message id
};

// How the turn ended, for formatters that record it (JSON lines "done").
struct Ending {
    int exit_status = 0;
    std::string_view exit_name;    // "ok", "run_error", ...
    std::string_view stop_reason;  // empty when the server sent none
    std::string_view message;      // the error message, if any
    std::string_view run_id;       // empty when unknown
};

class Formatter : public stream::Sink {
  public:
    // Start of the invocation (JSON lines: the first line, with the schema version).
    virtual void begin(const TurnInfo&) {}
    // The agent id once a name lookup has resolved it.
    virtual void set_agent_id(std::string_view) {}
    // End of the turn: append whatever closes the output (final newline, "done" line).
    // Called exactly once, on every path.
    virtual void finish(const Ending& ending) = 0;

    std::string& pending() noexcept { return pending_; }

  protected:
    std::string pending_;
};

// Text mode: only assistant content reaches stdout, byte for byte as the server sent it; with the
// `sse` dialect, each event's data followed by a newline (which then ends the output: the final
// newline is not doubled).
class TextFormatter final : public Formatter {
  public:
    explicit TextFormatter(bool final_newline) : final_newline_(final_newline) {}

    void on_event(const stream::Event& event) override {
        if (event.kind == stream::Kind::sse) {
            pending_.append(event.text).push_back('\n');
            last_ = '\n';
            wrote_any_ = true;
            return;
        }
        if (event.kind != stream::Kind::content || event.text.empty()) return;
        pending_.append(event.text);
        last_ = event.text.back();
        wrote_any_ = true;
    }

    void finish(const Ending&) override {
        if (final_newline_ && wrote_any_ && last_ != '\n') pending_.push_back('\n');
    }

  private:
    bool final_newline_;
    bool wrote_any_ = false;
    char last_ = '\0';
};

}  // namespace letta_stream::output
