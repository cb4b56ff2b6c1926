// Event sources for SSE bodies: replaying a text (fixture or inline body) event by event,
// generating a synthetic Letta token stream in the archived server's exact JSON shape, and an
// OpenAI chat.completion.chunk stream in the Letta App Server's.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "scenario.hpp"

namespace fls {

// Everything random about a generated stream, fixed once per request so the same stream can be
// rendered again byte for byte (Content-Length dry run, resume via /v1/runs/{id}/stream).
struct GenIds {
    std::string run_id;
    std::string ping_id;
    std::string msg_uuid;        // reasoning + assistant (or reasoning + tool call)
    std::string tool_msg_uuid;   // tool return
    std::string reply_msg_uuid;  // assistant after a tool call
    std::string step1;
    std::string step2;
    std::string tool_call_id;
    std::string date;
    bool background = false;
    // `openai` streams.
    std::string chat_id;  // "chatcmpl-<uuid4>"
    long long created = 0;
    std::string model;
};

GenIds make_gen_ids(const GenSpec& g, bool background);
// request_model: the request body's "model" ("" if none).
GenIds make_openai_ids(const OpenAiSpec& g, const std::string& request_model);

class Source {
  public:
    virtual ~Source() = default;
    // Appends the next SSE event(s), in "data: …\n\n" form, to out: one event, then more while
    // out.size() < batch (batch 0: exactly one). token is set when the single event is a token
    // delta (assistant or reasoning). Returns false when nothing is left.
    virtual bool next(std::string& out, size_t batch, bool& token) = 0;
    // A keepalive ping in this stream's shape (used by `endless`).
    virtual std::string ping() = 0;
};

// Replays text split into blank-line-terminated events (LF, CRLF or CR line ends).
std::unique_ptr<Source> make_text_source(std::shared_ptr<const std::string> text);
std::unique_ptr<Source> make_gen_source(const GenSpec& g, const GenIds& ids);
std::unique_ptr<Source> make_openai_source(const OpenAiSpec& g, const GenIds& ids);
// Passes only events whose seq_id is > starting_after. Events without a seq_id field take the
// previous number + 1 (like stop_reason/usage in Redis); "[DONE]" always passes.
std::unique_ptr<Source> make_seq_filter(std::unique_ptr<Source> inner, long long starting_after);

std::string render_ping(const std::string& run_id, const std::string& date, long long seq,
                        const std::string& ping_uuid = "");
// The first "run_id":"…" value in a text, or "".
std::string find_run_id(std::string_view text);
// Offset just past the first blank line at or after pos (the end of one SSE event), or npos.
size_t sse_event_end(std::string_view s, size_t pos);

}  // namespace fls
