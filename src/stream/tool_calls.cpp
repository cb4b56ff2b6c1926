#include "stream/tool_calls.hpp"

#include <algorithm>

namespace letta_stream::stream {

namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_call(Kind k) noexcept {
    return k == Kind::tool_call || k == Kind::approval_request;
}

}  // namespace

void ToolCalls::Call::reset(Kind k) {  // clear(), not a fresh Call: the strings keep capacity
    active = true;
    kind = k;
    for (std::string* s : {&name, &id, &args, &message_id, &otid, &run_id})
        s->clear();
    seq_id = -1;
    top = Top::none;
    depth = 0;
    in_string = escape = false;
}

void ToolCalls::on_event(const Event& e) {
    if (is_call(e.kind)) return on_delta(e);
    // A ping does not end a call: keepalives can arrive between argument deltas. Neither does a
    // skipped malformed event, which says nothing about the call.
    if (e.kind != Kind::ping && e.kind != Kind::malformed) end_call();
    next_.on_event(e);
}

void ToolCalls::on_end() {
    end_call();
    next_.on_end();
}

void ToolCalls::end_call() {
    if (call_.active) emit();
    last_valid_ = false;
}

void ToolCalls::emit() {
    Event out;
    out.kind = call_.kind;
    out.name = call_.name;
    out.tool_call_id = call_.id;
    out.text = call_.args;
    out.message_id = call_.message_id;
    out.otid = call_.otid;
    out.run_id = call_.run_id;
    out.seq_id = call_.seq_id;
    call_.active = false;
    next_.on_event(out);
    last_valid_ = true;
    last_kind_ = call_.kind;
    last_id_.swap(call_.id);  // swap, not copy: both keep their capacity
    last_name_.swap(call_.name);
}

void ToolCalls::on_delta(const Event& e) {
    Call& c = call_;
    if (c.active && (e.kind != c.kind || (!e.tool_call_id.empty() && e.tool_call_id != c.id) ||
                     (!e.name.empty() && !c.name.empty() && e.name != c.name)))
        emit();  // a different call begins
    if (!c.active) {
        const bool continues = last_valid_ && e.kind == last_kind_ &&
                               (e.tool_call_id.empty() || e.tool_call_id == last_id_) &&
                               (e.name.empty() || e.name == last_name_);
        // An empty or whitespace-only tail adds nothing to a call already emitted.
        if (continues && std::all_of(e.text.begin(), e.text.end(), is_space)) return;
        c.reset(e.kind);
        c.id.assign(continues && e.tool_call_id.empty() ? last_id_ : e.tool_call_id);
        c.name.assign(continues && e.name.empty() ? last_name_ : e.name);
    }
    // The first delta usually names the call; take whatever it lacked from later ones.
    if (c.id.empty()) c.id.assign(e.tool_call_id);
    if (c.name.empty()) c.name.assign(e.name);
    if (c.message_id.empty()) c.message_id.assign(e.message_id);
    if (c.otid.empty()) c.otid.assign(e.otid);
    if (!e.run_id.empty()) c.run_id.assign(e.run_id);
    if (e.seq_id >= 0) c.seq_id = e.seq_id;  // the latest: where a resume would continue
    c.args.append(e.text);
    if (!e.text.empty() && scan(e.text)) emit();
}

// Feeds the newest argument piece to the structure scan; true once the arguments are one
// complete JSON value.
bool ToolCalls::scan(std::string_view piece) {
    using Top = Call::Top;
    Call& c = call_;
    for (const char ch : piece) {
        if (c.in_string) {
            if (c.escape) {
                c.escape = false;
            } else if (ch == '\\') {
                c.escape = true;
            } else if (ch == '"') {
                c.in_string = false;
                if (c.depth == 0) c.top = Top::closed;
            }
        } else if (c.top == Top::container) {
            if (ch == '"') c.in_string = true;
            if (ch == '{' || ch == '[') ++c.depth;
            if ((ch == '}' || ch == ']') && --c.depth == 0) c.top = Top::closed;
        } else if (c.top == Top::none && !is_space(ch)) {
            c.top = ch == '{' || ch == '[' ? Top::container : ch == '"' ? Top::string : Top::scalar;
            c.depth = c.top == Top::container ? 1 : 0;
            c.in_string = c.top == Top::string;
        }
    }
    if (c.top == Top::closed) {
        if (json_.is_one_value(c.args)) return true;
        // An error inside a closed value, or text after it, cannot be mended by more text:
        // stop checking; the call is emitted as it is when it ends.
        c.top = Top::broken;
    }
    // A number could still grow ("1" then "2"): complete only once something ends it.
    const char last = c.args.back();
    return c.top == Top::scalar && !(last >= '0' && last <= '9') && json_.is_one_value(c.args);
}

}  // namespace letta_stream::stream
