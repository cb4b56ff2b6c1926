// output::Notices — the stream's remarks for a person reading stderr: a warning for each of the
// first few skipped (malformed) events, and with --verbose a trace line for each event type the
// decoder did not know. A sink of the event chain; it writes through the Stderr owner.
#pragma once

#include <cstdint>
#include <string>

#include "output/stderr.hpp"
#include "stream/event.hpp"

namespace letta_stream::output {

class Notices final : public stream::Sink {
  public:
    static constexpr std::uint64_t kMaxMalformedWarnings = 3;

    explicit Notices(Stderr& err) : err_(err) {}

    void on_event(const stream::Event& event) override {
        if (event.kind == stream::Kind::malformed) {
            if (++malformed_ <= kMaxMalformedWarnings)
                err_.warning("skipped a malformed stream event: " + std::string(event.text));
        } else if (event.kind == stream::Kind::unknown && err_.verbose()) {
            err_.trace("*", "ignoring unknown event type '" + std::string(event.name) + "'");
        }
    }

  private:
    Stderr& err_;
    std::uint64_t malformed_ = 0;
};

}  // namespace letta_stream::output
