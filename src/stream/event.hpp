// stream::Event — the one vocabulary every stage after the protocol decoder speaks.
// Knows nothing about JSON, HTTP or flags, nor about SSE framing: the `sse` kinds only carry the
// fields of an SSE event that the `sse` dialect passes through as they were. All string_views
// point into buffers owned by the producer and are valid only for the duration of the
// Sink::on_event call that receives them.
#pragma once

#include <cstdint>
#include <string_view>

namespace letta_stream::stream {

enum class Kind : std::uint8_t {
    content,           // assistant text delta: text
    reasoning,         // reasoning delta: text (empty + redacted=true for hidden reasoning)
    tool_call,         // name (tool), text (arguments or an argument delta), tool_call_id
    tool_result,       // tool_call_id, status ("success"|"error"), text (the tool's return value)
    approval_request,  // like tool_call: the run will stop with stop_reason requires_approval
    ping,              // keepalive; proves the connection is alive
    stop,              // name = stop_reason ("end_turn", "max_steps", "cancelled", ...)
    usage,             // usage = server-reported token counts
    error,             // name = error_type, text = message, detail = detail; client = true for a
                       // failure seen by the client (HTTP status, network, usage): then hint
                       // and http_status too
    status,     // name = status ("thinking", "retrying", "resumed", ...), text = optional note
    done,       // the literal [DONE] marker
    malformed,  // an event the decoder could not read was skipped: text = why
    sse,        // the `sse` dialect (protocol::RawSseDecoder): one dispatched SSE event as it
                // was: name = event type ("message" when the block set none), text = data,
                // last_event_id = the last event ID at dispatch time ("" before any)
    sse_retry,  // the `sse` dialect: a valid "retry:" field; retry_ms = the milliseconds
    unknown,    // name = message_type (or SSE event name) not understood; safe to ignore
};

std::string_view to_string(Kind kind) noexcept;

// Server-reported token accounting. -1 means "not reported".
struct Usage {
    std::int64_t prompt_tokens = -1;
    std::int64_t completion_tokens = -1;
    std::int64_t total_tokens = -1;
    std::int64_t step_count = -1;
    std::int64_t reasoning_tokens = -1;
    std::int64_t cached_input_tokens = -1;
    std::int64_t cache_write_tokens = -1;
    std::int64_t context_tokens = -1;
};

struct Event {
    Kind kind = Kind::unknown;
    std::string_view text;    // content / reasoning / tool arguments / tool result / error message
    std::string_view name;    // tool name / stop reason / error_type / status / unknown type
    std::string_view detail;  // error detail
    std::string_view tool_call_id;  // tool_call / tool_result / approval_request
    std::string_view status;        // tool_result: "success" | "error"
    std::string_view message_id;    // Letta message "id" where known
    std::string_view otid;          // Letta message "otid" where known
    std::string_view run_id;        // "run_id" where known
    std::int64_t seq_id = -1;       // background-mode sequence number; -1 when absent or null
    bool redacted = false;          // reasoning: hidden_reasoning_message
    Usage usage;                    // usage
    bool client = false;            // error: seen by the client, not sent by the server
    std::string_view hint;          // client error: what to do about it
    long http_status = 0;           // client error: the HTTP status behind it, 0 if none

    // The `sse` dialect (name = event type, text = data, as above):
    std::string_view last_event_id;  // sse: the SSE last event ID buffer at dispatch time
    std::int64_t retry_ms = -1;      // sse_retry: the reconnection time the server asked for
};

// Receives decoded events: the stream stages, the output pipelines, the recorder, the tracker.
// Events flow one way, from the decoder down; a sink never calls back into what fed it.
class Sink {
  public:
    virtual ~Sink() = default;
    virtual void on_event(const Event& event) = 0;
    // The current network read is over: whatever the events so far produced must reach its
    // destination now, unless the user asked for it to be held (the unbuffered contract).
    virtual void on_flush() {}
    // The turn is over: emit anything still held (a tool call whose arguments never closed).
    virtual void on_end() {}
};

}  // namespace letta_stream::stream
