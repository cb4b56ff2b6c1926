// protocol::Decoder — one dialect's reading of a dispatched SSE event: zero or more
// stream::Events. LettaDecoder is the first implementation; app/ injects the one the user chose.
// protocol::Decoding is the chain's link from the SSE parser to a decoder: it hands each parsed
// event to the decoder, turns an unreadable one into a `malformed` event (the stream goes on),
// and stops the parser after [DONE]. Knows nothing about HTTP, output or flags.
#pragma once

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

class Decoder {
  public:
    virtual ~Decoder() = default;
    // One dispatched SSE event → zero or more stream events delivered to `sink`.
    virtual DecodeStatus on_sse_event(const sse::Event& event, stream::Sink& sink) = 0;
    // Human-readable reason for the last DecodeStatus::malformed.
    virtual const std::string& last_error() const noexcept = 0;
};

class Decoding final : public sse::Handler {
  public:
    // --verbose: called with each raw event ("event=T data=…", capped) before it is decoded.
    using Trace = std::function<void(std::string_view line)>;

    Decoding(Decoder& decoder, stream::Sink& next, Trace trace = {})
        : decoder_(decoder), next_(next), trace_(std::move(trace)) {}

    bool on_event(const sse::Event& event) override;

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
