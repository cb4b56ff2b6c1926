// protocol::RawSseDecoder — the `sse` dialect: any SSE endpoint, its events passed through as
// they were. Each dispatched event becomes one stream::Kind::sse event (name = the event type,
// "message" when the block set none; text = the data; last_event_id = the last event ID buffer
// at dispatch time, "" before any), each valid "retry:" field one Kind::sse_retry (retry_ms).
// Nothing is interpreted: `data: [DONE]` is data like any other, no payload is malformed, and
// the end of the response is the normal end of the stream (ends_at_eof()).
//
// sse::Parser works on bytes; the standard decodes the stream as UTF-8 first, invalid sequences
// becoming U+FFFD. Neither step can create or remove a CR, LF or colon, so repairing each field
// after parsing gives the same result: this decoder does it (one U+FFFD per maximal subpart, as
// the Encoding Standard says), so that text mode prints U+FFFD too.
// Knows nothing about HTTP, output or flags.
#pragma once

#include <string>

#include "protocol/decoder.hpp"
#include "sse/parser.hpp"
#include "stream/event.hpp"

namespace letta_stream::protocol {

class RawSseDecoder final : public Decoder {
  public:
    DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) override;
    void on_sse_retry(std::uint64_t ms, stream::Sink& sink) override;
    bool ends_at_eof() const noexcept override { return true; }
    // Always empty: this dialect never reports an event as malformed.
    const std::string& last_error() const noexcept override { return error_; }

  private:
    std::string error_;
    // Repaired copies of fields that were not valid UTF-8, reused.
    std::string type_, data_, id_;
};

}  // namespace letta_stream::protocol
