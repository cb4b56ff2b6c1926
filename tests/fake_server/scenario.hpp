// The scenario file: which agents exist, the API key, and what each message POST gets back.
// The format is documented in README.md next to this file; load_scenario() validates it strictly
// (unknown keys are errors, so typos in tests fail loudly).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fls {

struct ScenarioError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Framing { chunked, length, close };
enum class SplitMode { event, all, bytes, offsets };
enum class LineEndings { lf, crlf, cr };

struct ToolCallSpec {
    std::string name = "calculator";
    std::string arguments = "{\"expression\": \"2 + 2\"}";
    std::string tool_call_id;  // empty: generated ("call_<24 hex>")
    std::string tool_return = "4";
    std::string status = "success";
};

// What both generators stream: the reply's text and reasoning, split into deltas.
struct ReplySpec {
    std::string text;                 // the reply (default: a paragraph on quantum computing)
    std::vector<std::string> pieces;  // `text` split into deltas (computed at load time)
    long long repeat_events = -1;     // >= 0: exactly this many content events, cycling pieces
    std::string reasoning;
    std::vector<std::string> reasoning_pieces;
};

// `generate`: a synthetic Letta token stream.
struct GenSpec : ReplySpec {
    std::string run_id;              // empty: a fresh "run-<uuid4>" per request
    std::string agent_id;            // empty: the agent of the request
    std::optional<bool> background;  // unset: the request body's "background" field
    bool initial_ping = true;
    std::optional<std::string> stop_reason = "end_turn";  // nullopt: no stop_reason event
    bool usage = true;
    bool done = true;
    long long error_midstream_after = -1;
    std::optional<ToolCallSpec> tool_call;
    long long big_event_bytes = -1;
};

// `openai`: a synthetic OpenAI chat.completion.chunk stream, as the Letta App Server sends it.
struct OpenAiToolCallSpec {
    std::string name = "calculator";
    std::string arguments = "{\"expression\": \"2 + 2\"}";
    std::string id;                      // empty: generated ("call_<24 alphanumerics>")
    std::vector<std::string> fragments;  // `arguments` in ~3 pieces (computed at load time)
};

// The text defaults as for generate, but to "" with a tool call.
struct OpenAiSpec : ReplySpec {
    std::optional<OpenAiToolCallSpec> tool_call;
    bool usage = false;
    std::optional<std::string> finish_reason = "stop";  // nullopt: no finish chunk
    bool done = true;
    long long error_after = -1;  // >= 0: an error event after this many content chunks
    std::string model;           // empty: the request's "model"
};

struct ResponseEntry {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // explicit, in file order

    // Body source: exactly one of these (or none: empty body).
    std::optional<std::string> body_json;  // serialized compactly
    std::optional<std::string> body;
    std::string fixture;  // path as written in the scenario
    std::shared_ptr<const std::string> fixture_data;
    std::optional<GenSpec> generate;
    std::optional<OpenAiSpec> openai;

    Framing framing = Framing::chunked;
    SplitMode split = SplitMode::event;
    long long split_bytes = 0;
    std::vector<long long> offsets;
    std::optional<bool> coalesce;  // unset: (generate || openai) && no delays
    LineEndings line_endings = LineEndings::lf;
    bool data_no_space = false;
    bool bom = false;

    int headers_delay_ms = 0;
    int first_delay_ms = 0;
    int delay_ms = 0;
    double rate = 0;  // token events per second (generate and openai only)
    bool gzip = false;

    long long close_after_bytes = -1;
    long long stall_after_bytes = -1;
    bool close_with_rst = false;
    bool endless = false;
    int ping_interval_ms = 50;
    std::string raw_tail;

    std::string run_id;              // for /cancel and /runs/{id}/stream bookkeeping
    std::optional<bool> background;  // unset: generate.background, else the request's field

    bool is_json() const { return body_json.has_value(); }
    bool generated() const { return generate.has_value() || openai.has_value(); }
    bool has_faults() const {
        return close_after_bytes >= 0 || stall_after_bytes >= 0 || endless || !raw_tail.empty();
    }
};

struct Agent {
    std::string id;
    std::string name;
    std::string created_at;
    std::string json;  // the full AgentState object, serialized
};

struct Scenario {
    std::optional<std::string> api_key;
    bool strict = true;
    std::vector<Agent> agents;
    std::vector<ResponseEntry> responses;  // never empty after loading
    std::vector<ResponseEntry> resume;     // may be empty
};

// Reads and validates a scenario. Relative fixture paths are resolved against fixtures_dir.
// Throws ScenarioError with a message naming the offending key.
Scenario load_scenario(const std::string& path, const std::string& fixtures_dir);

// Token pieces for generated text (text_pieces.cpp).
const std::string& default_reply_text();
std::vector<std::string> split_words(const std::string& text);
std::vector<std::string> split_exact(const std::string& text, size_t n);

}  // namespace fls
