// protocol::FieldReader — reads one Letta message object with RapidJSON's SAX reader over an
// in-situ copy of the payload, keeping only the fields the decoder maps (as string_views into
// that copy) in a fixed Message. No DOM is built; in-situ recursive parsing never touches the
// reader's stack; the copy buffer and the item vectors keep their capacity, so steady state does
// not allocate. Internal to protocol/: letta_decoder.cpp turns a Message into stream events.
#pragma once

#include <rapidjson/reader.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_reader.hpp"

namespace letta_stream::protocol::fields {

namespace rj = rapidjson;

// Anything deeper is not a Letta message; the cap bounds the recursive parser's stack use.
inline constexpr int max_depth = protocol::json::kMaxDepth;
// Only the root object (1), its object/array members (2) and their elements (3) carry fields.
inline constexpr int tracked_depth = 3;

namespace f {
// Order matters: nested objects (tool calls, content parts, tool_returns elements, error objects)
// use only the first `item_strings` keys; the root also takes the strings up to `strings`, then
// the integers, then the containers.
// clang-format off
enum Field : std::uint8_t {
    name, arguments, tool_call_id, type, text, tool_return, status, message, detail,
    id, otid, run_id, message_type, content, reasoning, hidden_reasoning, state, stop_reason,
    error_type, error, code,
    seq_id, prompt_tokens, completion_tokens, total_tokens, step_count, reasoning_tokens,
    cached_input_tokens, cache_write_tokens, context_tokens,
    tool_call, tool_calls, tool_returns,
    other
};
inline constexpr std::string_view names[] = {
    "name", "arguments", "tool_call_id", "type", "text", "tool_return", "status", "message", "detail",
    "id", "otid", "run_id", "message_type", "content", "reasoning", "hidden_reasoning", "state",
    "stop_reason", "error_type", "error", "code",
    "seq_id", "prompt_tokens", "completion_tokens", "total_tokens", "step_count", "reasoning_tokens",
    "cached_input_tokens", "cache_write_tokens", "context_tokens",
    "tool_call", "tool_calls", "tool_returns"};
// clang-format on
inline constexpr int item_strings = id, strings = seq_id, integers = tool_call - seq_id;
static_assert(std::size(names) == other);  // classify() is checked against them below
}  // namespace f

using json::first_present;
using json::is_json_space;
using json::present;

// Characters of a number or of true/false (null is never captured).
inline bool is_scalar_char(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}
using Item = std::array<std::string_view, f::item_strings>;

struct Message {
    std::array<std::string_view, f::strings> s{};
    std::array<std::int64_t, f::integers> n{-1, -1, -1, -1, -1, -1, -1, -1, -1};
    Item tool_call{}, tool_calls_object{}, error_object{};
    bool has_tool_call = false, has_tool_calls_object = false, has_error_object = false;

    std::int64_t integer(f::Field field) const noexcept { return n[field - f::seq_id]; }
};
static_assert(f::integers == 9);

enum class Scope : std::uint8_t { skip, root, item, list };

struct Frame {
    Scope scope = Scope::skip;
    f::Field key = f::other;  // the key whose value comes next (objects only)
    Item* item = nullptr;
    std::vector<Item>* list = nullptr;
};

struct FieldReader {
    rj::Reader reader;
    std::string buffer;  // in-situ copy of the payload; emitted views point into it
    std::string error;
    std::vector<Item> parts, calls, returns;  // content parts, tool_calls list, tool_returns list
    Message msg;

    // Per-parse handler state.
    rj::InsituStringStream* stream = nullptr;
    std::string_view json;  // the caller's unmodified text, for raw spans
    std::array<Frame, tracked_depth + 1> frames;
    int depth = 0;
    std::size_t key_start = 0;
    std::string_view* raw_target = nullptr;  // a non-string tool_return being captured raw
    std::size_t raw_start = 0;
    int raw_depth = 0;
    protocol::json::ParseState state;

    FieldReader() {
        error.reserve(160);
        for (auto* v : {&parts, &calls, &returns})
            v->reserve(8);
    }

    // Reads one message object. On false, `error` says why.
    bool parse(std::string_view text);
    bool open(bool object);
    bool close();

    // ---- RapidJSON SAX handler ----
    bool Null() { return depth > 0 || reject_root("null"); }
    bool Bool(bool) { return other_scalar("a boolean"); }
    bool Int(int v) { return integer(v); }
    bool Uint(unsigned v) { return integer(v); }
    bool Int64(std::int64_t v) { return integer(v); }
    bool Uint64(std::uint64_t v) {
        return v <= std::numeric_limits<std::int64_t>::max() ? integer(static_cast<std::int64_t>(v))
                                                             : other_scalar("a number");
    }
    bool Double(double) { return other_scalar("a number"); }
    bool RawNumber(const char*, rj::SizeType, bool) { return other_scalar("a number"); }
    bool String(const char* s, rj::SizeType n, bool) {
        if (depth == 0) return reject_root("a string");
        if (depth > tracked_depth) return true;
        const Frame& fr = frames[depth];
        if (fr.scope == Scope::root && fr.key < f::strings) msg.s[fr.key] = {s, n};
        if (fr.scope == Scope::item && fr.key < f::item_strings) (*fr.item)[fr.key] = {s, n};
        return true;
    }
    // Defined next to parse(), where the reader is instantiated, so the key lookup inlines.
    bool Key(const char* s, rj::SizeType n, bool);
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rj::SizeType) { return close(); }
    bool EndArray(rj::SizeType) { return close(); }

    bool reject_root(const char* kind) {
        state.root_kind = kind;
        return false;
    }
    bool integer(std::int64_t v) {
        const f::Field key = frames[1].key;
        if (depth == 1 && key >= f::seq_id && key < f::tool_call) msg.n[key - f::seq_id] = v;
        return other_scalar("a number");
    }
    bool other_scalar(const char* kind) {
        if (depth == 0) return reject_root(kind);
        if (depth <= tracked_depth && is_raw_key(frames[depth])) {
            // Numbers are also parsed on a stream copy: find the end in the original text.
            const std::size_t start = value_start();
            std::size_t end = start;
            while (end < json.size() && is_scalar_char(json[end]))
                ++end;
            *raw_slot(frames[depth]) = json.substr(start, end - start);
        }
        return true;
    }
    static bool is_raw_key(const Frame& fr) noexcept {
        return fr.key == f::tool_return && (fr.scope == Scope::root || fr.scope == Scope::item);
    }
    std::string_view* raw_slot(const Frame& fr) noexcept {
        return fr.scope == Scope::root ? &msg.s[f::tool_return] : &(*fr.item)[f::tool_return];
    }
    // The value of the last key starts after the key's closing quote and the ':'. The original
    // text is scanned because the in-situ buffer has been unescaped over.
    std::size_t value_start() const noexcept {
        std::size_t i = key_start + 1;
        while (i < json.size() && json[i] != '"')
            i += json[i] == '\\' ? 2 : 1;
        ++i;
        while (i < json.size() && (is_json_space(json[i]) || json[i] == ':'))
            ++i;
        return std::min(i, json.size());
    }
};

}  // namespace letta_stream::protocol::fields
