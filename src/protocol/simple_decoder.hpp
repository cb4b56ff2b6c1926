// protocol::SimpleDecoder — the `simple` dialect: the events of the streaming tutorial's FastAPI
// proxy, SSE events whose data is one JSON object with a "type":
//
//   {"type":"content","content":T}     → content (text = T; an empty T is skipped)
//   {"type":"done"}                    → done (the end of the turn; nothing after it is read)
//   {"type":"error","message":M}       → error (name "error", text = M; without a message, the
//                                        "error" member, else the whole JSON text; detail =
//                                        "detail" when it is a string)
//   {"type":"tool_call","tool":N,"status":S[,"arguments":A][,"tool_call_id":I]}
//                                      → tool_call (name = N, text = A or "", status = S,
//                                        tool_call_id = I or "id"). stream::ToolCalls joins
//                                        consecutive calls of the same tool (or with a null tool,
//                                        as the proxy sends for OpenAI argument chunks) into one.
//   {"type":"tool_result","result":R[,"tool_call_id":I][,"status":S]}
//                                      → tool_result (text = R)
//   {"type":"status","status":W[,"total_tokens":N]}
//                                      → with total_tokens (an integer >= 0): usage with only
//                                        total_tokens set (the proxy counts words, not tokens);
//                                        without: unknown, name "status". Never Kind::status,
//                                        which is the client's own state (thinking, retrying).
//   any other type, or none            → unknown (name = the type, "" when absent)
//   data that is not one JSON object   → DecodeStatus::malformed (last_error() says why)
//
// Text values (content, message, arguments, result) that are not JSON strings are taken as their
// JSON text; null counts as absent. The SSE event name is not consulted. `data: [DONE]` is done.
// sse-starlette's EventSourceResponse, which the proxy uses, frames the proxy's already framed
// strings again: each event's data then reads `data: {...}` followed by blank lines. That one
// extra "data:" prefix (and surrounding whitespace) is removed before the JSON is read.
// Knows nothing about HTTP, output or flags.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "protocol/decoder.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"

namespace letta_stream::protocol {

class SimpleDecoder final : public Decoder {
  public:
    SimpleDecoder();
    ~SimpleDecoder() override;
    SimpleDecoder(const SimpleDecoder&) = delete;
    SimpleDecoder& operator=(const SimpleDecoder&) = delete;

    // One dispatched SSE event → zero or more stream events delivered to `sink`.
    DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) override;

    // One event object (JSON text, framing already removed) → stream events.
    DecodeStatus decode_message(std::string_view json, stream::Sink& sink);

    const std::string& last_error() const noexcept override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace letta_stream::protocol
