#include "protocol/letta_fields.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstdio>

namespace letta_stream::protocol::fields {

// Runs for every key of every token event. Literal compares compile to a length switch plus a
// word compare; a loop over f::names costs a libc memcmp call per key (~10% of decode time).
namespace {

constexpr f::Field classify(std::string_view k) noexcept {
    using namespace f;
    switch (k.size()) {
        case 2:
            return k == "id" ? id : other;
        case 4:
            if (k == "otid") return otid;
            if (k == "name") return name;
            if (k == "type") return type;
            if (k == "text") return text;
            return k == "code" ? code : other;
        case 5:
            return k == "state" ? state : k == "error" ? error : other;
        case 6:
            if (k == "run_id") return run_id;
            if (k == "seq_id") return seq_id;
            if (k == "status") return status;
            return k == "detail" ? detail : other;
        case 7:
            return k == "content" ? content : k == "message" ? message : other;
        case 9:
            if (k == "reasoning") return reasoning;
            if (k == "tool_call") return tool_call;
            return k == "arguments" ? arguments : other;
        case 10:
            if (k == "tool_calls") return tool_calls;
            if (k == "error_type") return error_type;
            return k == "step_count" ? step_count : other;
        case 11:
            return k == "stop_reason" ? stop_reason : k == "tool_return" ? tool_return : other;
        case 12:
            if (k == "message_type") return message_type;
            if (k == "tool_call_id") return tool_call_id;
            if (k == "tool_returns") return tool_returns;
            return k == "total_tokens" ? total_tokens : other;
        case 13:
            return k == "prompt_tokens" ? prompt_tokens : other;
        case 14:
            return k == "context_tokens" ? context_tokens : other;
        case 16:
            return k == "hidden_reasoning"   ? hidden_reasoning
                   : k == "reasoning_tokens" ? reasoning_tokens
                                             : other;
        case 17:
            return k == "completion_tokens" ? completion_tokens : other;
        case 18:
            return k == "cache_write_tokens" ? cache_write_tokens : other;
        case 19:
            return k == "cached_input_tokens" ? cached_input_tokens : other;
        default:
            return other;
    }
}

constexpr bool classify_matches_names() {
    for (std::size_t i = 0; i < std::size(f::names); ++i)
        if (classify(f::names[i]) != i) return false;
    return classify("date") == f::other;
}
static_assert(classify_matches_names());

}  // namespace

bool FieldReader::Key(const char* s, rj::SizeType n, bool) {
    // RapidJSON parses strings on a local copy of the stream, so this is the opening quote.
    key_start = stream->Tell();
    if (depth <= tracked_depth && frames[depth].scope != Scope::skip)
        frames[depth].key = classify({s, n});
    return true;
}

bool FieldReader::open(bool object) {
    if (depth == 0) {
        if (!object) return reject_root("an array");
        depth = 1;
        frames[1] = Frame{Scope::root};
        return true;
    }
    if (depth >= max_depth) {
        state.too_deep = true;
        return false;
    }
    if (++depth - 1 > tracked_depth) return true;
    const Frame& parent = frames[depth - 1];
    if (is_raw_key(parent) && raw_target == nullptr) {
        raw_target = raw_slot(parent);
        raw_start = value_start();
        raw_depth = depth;
    }
    if (depth > tracked_depth) return true;
    Frame fr;
    if (parent.scope == Scope::list && object) {
        fr = Frame{Scope::item, f::other, &parent.list->emplace_back()};
    } else if (parent.scope == Scope::root) {
        auto object_into = [&](Item& item, bool& flag) {
            flag = object;
            if (object) fr = Frame{Scope::item, f::other, &item};
        };
        auto list_into = [&](std::vector<Item>& list) {
            if (!object) fr = Frame{Scope::list, f::other, nullptr, &list};
        };
        switch (parent.key) {
            case f::tool_call:
                object_into(msg.tool_call, msg.has_tool_call);
                break;
            case f::error:
                object_into(msg.error_object, msg.has_error_object);
                break;
            case f::content:
                list_into(parts);
                break;
            case f::tool_returns:
                list_into(returns);
                break;
            case f::tool_calls:
                object_into(msg.tool_calls_object, msg.has_tool_calls_object);
                list_into(calls);
                break;
            default:
                break;
        }
    }
    frames[depth] = fr;
    return true;
}

bool FieldReader::close() {
    if (raw_target != nullptr && depth == raw_depth) {
        // Containers are parsed on the real stream, which is now just past the closing bracket.
        *raw_target = json.substr(raw_start, stream->Tell() - raw_start);
        raw_target = nullptr;
    }
    --depth;
    return true;
}

bool FieldReader::parse(std::string_view text) {
    msg = Message{};
    for (auto* v : {&parts, &calls, &returns})
        v->clear();
    json = text;
    depth = 0;
    raw_target = nullptr;
    state = {};
    return protocol::json::parse_insitu(text, buffer, reader, *this, state, error, &stream);
}

}  // namespace letta_stream::protocol::fields
