// protocol::OpenAiDecoder — turns OpenAI `chat.completion.chunk` SSE events (what
// `POST /v1/chat/completions` with "stream":true sends: the Letta App Server, llama.cpp, vLLM,
// Ollama's /v1) into stream::Events. Reads choice 0 only; a tool call's argument fragments go on
// one per chunk, named with the id and function name its index carried first (stream::ToolCalls
// joins them). Knows nothing about HTTP, output or flags.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "protocol/decoder.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"

namespace letta_stream::protocol {

class OpenAiDecoder final : public Decoder {
  public:
    OpenAiDecoder();
    ~OpenAiDecoder() override;
    OpenAiDecoder(const OpenAiDecoder&) = delete;
    OpenAiDecoder& operator=(const OpenAiDecoder&) = delete;

    // One dispatched SSE event → zero or more stream events delivered to `sink`.
    DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) override;

    // One chunk object (JSON text) → zero or more stream events delivered to `sink`.
    DecodeStatus decode_chunk(std::string_view json, stream::Sink& sink);

    // Human-readable reason for the last DecodeStatus::malformed.
    const std::string& last_error() const noexcept override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace letta_stream::protocol
