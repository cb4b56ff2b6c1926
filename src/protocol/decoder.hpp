// protocol::Decoder — one dialect's reading of a dispatched SSE event: zero or more
// stream::Events. LettaDecoder is the first implementation (RawSseDecoder: any SSE endpoint;
// SimpleDecoder: the tutorial proxy's {"type": ...} events); app/ injects the one the user chose.
// protocol::Decoding is the chain's link from the SSE parser to a decoder: it hands each parsed
// event (and each valid "retry:" field) to the decoder, turns an unreadable one into a
// `malformed` event (the stream goes on), and stops the parser after a `done` event ([DONE]).
// Knows nothing about HTTP, output or flags.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "sse/parser.hpp"
#include "stream/event.hpp"

namespace letta_stream::protocol {

enum class DecodeStatus : unsigned char {
    ok,         // zero or more events were emitted
    malformed,  // the payload was not valid JSON / not an object; see last_error()
};

// `data: [DONE]`, the end-of-stream marker of Letta's and OpenAI's streams (leading JSON
// whitespace allowed, anything after it ignored, as their SDKs read it).
inline bool is_done_marker(std::string_view data) noexcept {
    while (!data.empty() && (data.front() == ' ' || data.front() == '\t' || data.front() == '\n' ||
                             data.front() == '\r'))
        data.remove_prefix(1);
    return data.starts_with("[DONE]");
}

class Decoder {
  public:
    virtual ~Decoder() = default;
    // One dispatched SSE event → zero or more stream events delivered to `sink`.
    virtual DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) = 0;
    // Human-readable reason for the last DecodeStatus::malformed.
    virtual const std::string& last_error() const noexcept = 0;
    // A valid SSE "retry:" field (the reconnection time in milliseconds, saturated): most
    // dialects ignore it.
    virtual void on_sse_retry(std::uint64_t /*ms*/, stream::Sink& /*sink*/) {}
    // True when the end of the response body is this dialect's normal end of a turn (a raw SSE
    // endpoint has no end marker); false when the stream must say it is over ([DONE], a stop
    // reason) and an end of body without that is a cut-off stream.
    virtual bool ends_at_eof() const noexcept { return false; }
};

class Decoding final : public sse::Handler {
  public:
    // --verbose: called with each raw event ("event=T data=…", capped) before it is decoded.
    using Trace = std::function<void(std::string_view line)>;

    Decoding(Decoder& decoder, stream::Sink& next, Trace trace = {})
        : decoder_(decoder), next_(next), trace_(std::move(trace)) {}

    bool on_event(const sse::Event& event) override;
    // Forwarded to Decoder::on_sse_retry, which emits into the same chain.
    void on_retry(std::uint64_t milliseconds) override;

  private:
    // Sees what the decoder emits on its way down, to stop after [DONE].
    struct Watch final : stream::Sink {
        explicit Watch(stream::Sink& n) : next(n) {}
        void on_event(const stream::Event& e) override {
            if (e.kind == stream::Kind::done) done = true;
            next.on_event(e);
        }
        stream::Sink& next;
        bool done = false;
    };

    Decoder& decoder_;
    stream::Sink& next_;
    Trace trace_;
    Watch watch_{next_};
    std::string line_;
};

}  // namespace letta_stream::protocol
