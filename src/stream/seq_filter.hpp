// stream::SeqFilter — drops the events a resumed stream repeats. A background run numbers its
// events (seq_id); re-attaching asks for those after the last one handled, and a server may
// still replay earlier ones (a re-POST with the same otid starts a reader from seq 1). Whatever
// carries a seq_id at or below the floor has been handled already and goes no further. Events
// without a seq_id (stop_reason, usage, [DONE]; every event of a foreground run) pass.
#pragma once

#include <cstdint>

#include "stream/event.hpp"

namespace letta_stream::stream {

class SeqFilter final : public Sink {
  public:
    explicit SeqFilter(Sink& next) : next_(next) {}

    // From now on, drop events with seq_id <= `seq` (-1: drop nothing).
    void skip_through(std::int64_t seq) noexcept { floor_ = seq; }

    void on_event(const Event& e) override {
        if (e.seq_id < 0 || e.seq_id > floor_) next_.on_event(e);
    }
    void on_flush() override { next_.on_flush(); }
    void on_end() override { next_.on_end(); }

  private:
    Sink& next_;
    std::int64_t floor_ = -1;
};

}  // namespace letta_stream::stream
