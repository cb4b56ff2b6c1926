// stream::Tee — hands every event, flush and end to each of its sinks, in order. The last stage
// of the chain: app/ lists the sinks once (recorder, tracker, stdout pipeline, narrator, ...).
#pragma once

#include <initializer_list>
#include <vector>

#include "stream/event.hpp"

namespace letta_stream::stream {

class Tee final : public Sink {
  public:
    Tee() = default;
    Tee(std::initializer_list<Sink*> sinks) {
        for (Sink* s : sinks)
            add(s);
    }
    // Null sinks are skipped, so optional ones can be listed as they are.
    void add(Sink* sink) {
        if (sink != nullptr) sinks_.push_back(sink);
    }

    void on_event(const Event& event) override {
        for (Sink* s : sinks_)
            s->on_event(event);
    }
    void on_flush() override {
        for (Sink* s : sinks_)
            s->on_flush();
    }
    void on_end() override {
        for (Sink* s : sinks_)
            s->on_end();
    }

  private:
    std::vector<Sink*> sinks_;
};

}  // namespace letta_stream::stream
