// stream::ToolCalls — the one place tool calls are assembled. Servers stream a call's arguments
// as deltas (tool_call / approval_request events that share an id); this stage holds them and
// passes on ONE event per call, with the whole arguments, as soon as they form a complete JSON
// value — or when something else ends the call (any other event but a ping, or the end of the
// turn). Every other event passes straight through, in order. Downstream sinks (JSON lines, the
// narrator) therefore never see a delta.
#pragma once

#include <cstdint>
#include <string>

#include "stream/event.hpp"
#include "util/json_check.hpp"

namespace letta_stream::stream {

class ToolCalls final : public Sink {
  public:
    explicit ToolCalls(Sink& next) : next_(next) {}

    void on_event(const Event& event) override;
    void on_flush() override { next_.on_flush(); }
    void on_end() override;

  private:
    struct Call {
        bool active = false;
        Kind kind = Kind::tool_call;
        std::string name, id, args, message_id, otid, run_id;
        std::int64_t seq_id = -1;
        // Structure scan, so that the JSON check runs once, when the value closes, rather than
        // on every delta (quadratic in the argument length).
        enum class Top : std::uint8_t { none, container, string, scalar, closed, broken } top{};
        int depth = 0;
        bool in_string = false, escape = false;

        void reset(Kind k);
    };

    void on_delta(const Event& e);
    bool scan(std::string_view piece);
    void emit();
    void end_call();

    Sink& next_;
    util::JsonChecker json_;
    Call call_;
    // The last emitted call, so that a late delta with an empty id is known to continue it.
    bool last_valid_ = false;
    Kind last_kind_ = Kind::tool_call;
    std::string last_id_, last_name_;
};

}  // namespace letta_stream::stream
