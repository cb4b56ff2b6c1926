// protocol::LettaDecoder — turns Letta stream messages into stream::Events.
// Two entry points keep the seam between framing and messages: decode_message() takes one Letta
// message object (a JSON object with "message_type"), whatever carried it (SSE today, the App
// Server's WebSocket stream_delta frames later); on_sse_event() handles the SSE framing around it
// (event: error / event: cancelled, data: [DONE]). Knows nothing about HTTP, output or flags.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "protocol/decoder.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"

namespace letta_stream::protocol {

class LettaDecoder final : public Decoder {
  public:
    LettaDecoder();
    ~LettaDecoder() override;
    LettaDecoder(const LettaDecoder&) = delete;
    LettaDecoder& operator=(const LettaDecoder&) = delete;

    // One dispatched SSE event → zero or more stream events delivered to `sink`.
    DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) override;

    // One Letta message object (JSON text) → zero or more stream events delivered to `sink`.
    DecodeStatus decode_message(std::string_view json, stream::Sink& sink);

    // Human-readable reason for the last DecodeStatus::malformed (e.g. "invalid JSON at offset 12:
    // Missing a comma or '}' after an object member").
    const std::string& last_error() const noexcept override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace letta_stream::protocol
