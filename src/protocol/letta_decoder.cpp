// Letta message → stream events. fields::FieldReader (letta_fields.cpp) reads the message; this
// file maps what it found to stream::Events and handles the SSE framing around messages. Events
// are emitted once the whole object is known (base fields such as run_id or seq_id may follow
// the payload).
#include "protocol/letta_decoder.hpp"

#include <algorithm>

#include "protocol/letta_fields.hpp"

namespace letta_stream::protocol {

namespace f = fields::f;
using fields::first_present;
using fields::Item;
using fields::present;

struct LettaDecoder::Impl {
    fields::FieldReader r;

    stream::Event base() const noexcept;
    void emit_message(stream::Sink& sink) const;
    void emit_error(std::string_view raw, stream::Sink& sink) const;
};

stream::Event LettaDecoder::Impl::base() const noexcept {
    stream::Event ev;
    ev.message_id = r.msg.s[f::id];
    ev.otid = r.msg.s[f::otid];
    ev.run_id = r.msg.s[f::run_id];
    ev.seq_id = r.msg.integer(f::seq_id);
    return ev;
}

void LettaDecoder::Impl::emit_error(std::string_view raw, stream::Sink& sink) const {
    stream::Event ev = base();
    ev.kind = stream::Kind::error;
    const Item& e = r.msg.error_object;
    ev.name = first_present({r.msg.s[f::error_type], e[f::type], r.msg.s[f::code]}, "error");
    // Like the SDK: the message if there is one, otherwise the whole JSON text.
    ev.text = first_present({r.msg.s[f::message], e[f::message], r.msg.s[f::error]}, raw);
    ev.detail = first_present({r.msg.s[f::detail], e[f::detail]});
    sink.on_event(ev);
}

void LettaDecoder::Impl::emit_message(stream::Sink& sink) const {
    const std::string_view type = r.msg.s[f::message_type];
    stream::Event ev = base();
    auto emit_call = [&](const Item& c) {
        ev.name = c[f::name];
        ev.text = c[f::arguments];
        ev.tool_call_id = c[f::tool_call_id];
        sink.on_event(ev);
    };
    auto emit_calls = [&](stream::Kind kind) {
        ev.kind = kind;
        for (const Item& c : r.calls)
            emit_call(c);
        if (!r.calls.empty()) return;
        if (r.msg.has_tool_calls_object)
            emit_call(r.msg.tool_calls_object);
        else if (r.msg.has_tool_call)
            emit_call(r.msg.tool_call);
    };
    auto emit_return = [&](const Item& r) {
        ev.text = r[f::tool_return];
        ev.status = r[f::status];
        ev.tool_call_id = r[f::tool_call_id];
        sink.on_event(ev);
    };

    if (type == "assistant_message") {
        // Empty deltas carry nothing to print, so they are skipped.
        ev.kind = stream::Kind::content;
        ev.text = r.msg.s[f::content];
        if (!ev.text.empty()) sink.on_event(ev);
        for (const Item& p : r.parts) {
            if ((present(p[f::type]) && p[f::type] != "text") || p[f::text].empty()) continue;
            ev.text = p[f::text];
            sink.on_event(ev);
        }
    } else if (type == "reasoning_message") {
        ev.kind = stream::Kind::reasoning;
        ev.text = r.msg.s[f::reasoning];
        if (!ev.text.empty()) sink.on_event(ev);
    } else if (type == "hidden_reasoning_message") {
        ev.kind = stream::Kind::reasoning;
        ev.redacted = true;
        ev.text = r.msg.s[f::hidden_reasoning];
        ev.status = r.msg.s[f::state];
        sink.on_event(ev);
    } else if (type == "tool_call_message") {
        emit_calls(stream::Kind::tool_call);
    } else if (type == "approval_request_message") {
        emit_calls(stream::Kind::approval_request);
    } else if (type == "tool_return_message") {
        ev.kind = stream::Kind::tool_result;
        // The root fields are a prefix of Item, so the message itself reads as one return.
        Item root{};
        std::copy_n(r.msg.s.begin(), root.size(), root.begin());
        if (present(root[f::tool_return]) || r.returns.empty())
            emit_return(root);
        else
            for (const Item& r : r.returns)
                emit_return(r);
    } else if (type == "ping") {
        ev.kind = stream::Kind::ping;
        sink.on_event(ev);
    } else if (type == "stop_reason") {
        ev.kind = stream::Kind::stop;
        ev.name = r.msg.s[f::stop_reason];
        sink.on_event(ev);
    } else if (type == "usage_statistics") {
        ev.kind = stream::Kind::usage;
        stream::Usage& u = ev.usage;
        u.prompt_tokens = r.msg.integer(f::prompt_tokens);
        u.completion_tokens = r.msg.integer(f::completion_tokens);
        u.total_tokens = r.msg.integer(f::total_tokens);
        u.step_count = r.msg.integer(f::step_count);
        u.reasoning_tokens = r.msg.integer(f::reasoning_tokens);
        u.cached_input_tokens = r.msg.integer(f::cached_input_tokens);
        u.cache_write_tokens = r.msg.integer(f::cache_write_tokens);
        u.context_tokens = r.msg.integer(f::context_tokens);
        sink.on_event(ev);
    } else if (type == "error_message" ||
               (!present(type) && (present(r.msg.s[f::error]) || r.msg.has_error_object))) {
        emit_error(r.json, sink);
    } else {
        ev.kind = stream::Kind::unknown;
        ev.name = type;
        sink.on_event(ev);
    }
}

LettaDecoder::LettaDecoder() : impl_(std::make_unique<Impl>()) {}
LettaDecoder::~LettaDecoder() = default;

const std::string& LettaDecoder::last_error() const noexcept {
    return impl_->r.error;
}

DecodeStatus LettaDecoder::decode_message(std::string_view json, stream::Sink& sink) {
    if (!impl_->r.parse(json)) return DecodeStatus::malformed;
    impl_->emit_message(sink);
    return DecodeStatus::ok;
}

DecodeStatus LettaDecoder::on_sse_event(const sse::Event& event, stream::Sink& sink) {
    stream::Event ev;
    if (event.type == "error") {
        // An error is an error: whatever its payload, it becomes one error event.
        if (impl_->r.parse(event.data)) {
            impl_->emit_error(event.data, sink);
            return DecodeStatus::ok;
        }
        ev.kind = stream::Kind::error;
        ev.name = "error";
        ev.text = event.data;
    } else if (event.type == "cancelled") {
        if (impl_->r.parse(event.data)) {
            ev = impl_->base();
            ev.text = impl_->r.msg.s[f::message];
        }
        ev.kind = stream::Kind::stop;
        ev.name = "cancelled";
    } else if (!event.type.empty() && event.type != "message") {
        // The SDK ignores named events; surface them as unknown without looking at the data.
        ev.kind = stream::Kind::unknown;
        ev.name = event.type;
    } else {
        if (!is_done_marker(event.data)) return decode_message(event.data, sink);
        ev.kind = stream::Kind::done;
    }
    sink.on_event(ev);
    return DecodeStatus::ok;
}

}  // namespace letta_stream::protocol
