// Design: RapidJSON SAX (GenericReader) over an in-situ copy of the payload. The handler records
// only the fields the mapping needs, as string_views into that copy, and the events are emitted
// once the whole object is known (base fields such as run_id or seq_id may follow the payload).
// No DOM is built; in-situ recursive parsing never touches the reader's stack; the copy buffer and
// the item vectors keep their capacity. So steady state does not allocate.
#include "protocol/letta_decoder.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <vector>

namespace letta_stream::protocol {
namespace {

namespace rj = rapidjson;

// Anything deeper is not a Letta message; the cap bounds the recursive parser's stack use.
constexpr int max_depth = 256;
// Only the root object (1), its object/array members (2) and their elements (3) carry fields.
constexpr int tracked_depth = 3;

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
constexpr std::string_view names[] = {
    "name", "arguments", "tool_call_id", "type", "text", "tool_return", "status", "message", "detail",
    "id", "otid", "run_id", "message_type", "content", "reasoning", "hidden_reasoning", "state",
    "stop_reason", "error_type", "error", "code",
    "seq_id", "prompt_tokens", "completion_tokens", "total_tokens", "step_count", "reasoning_tokens",
    "cached_input_tokens", "cache_write_tokens", "context_tokens",
    "tool_call", "tool_calls", "tool_returns"};
// clang-format on
constexpr int item_strings = id, strings = seq_id, integers = tool_call - seq_id;
static_assert(std::size(names) == other);  // classify() is checked against them below
}  // namespace f

// Runs for every key of every token event. Literal compares compile to a length switch plus a
// word compare; a loop over f::names costs a libc memcmp call per key (~10% of decode time).
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

// A view with a non-null data() was present as a JSON string (in-situ strings never have a null
// pointer, even when empty); absent, null and wrong-typed fields stay default-constructed.
bool present(std::string_view s) noexcept {
    return s.data() != nullptr;
}

std::string_view first_present(std::initializer_list<std::string_view> options,
                               std::string_view fallback = {}) noexcept {
    for (std::string_view s : options)
        if (present(s)) return s;
    return fallback;
}

bool is_json_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Characters of a number or of true/false (null is never captured).
bool is_scalar_char(char c) noexcept {
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

}  // namespace

struct LettaDecoder::Impl {
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
    const char* root_kind = nullptr;  // set when the root is not an object
    bool too_deep = false;

    Impl() {
        error.reserve(160);
        for (auto* v : {&parts, &calls, &returns})
            v->reserve(8);
    }

    bool parse(std::string_view text);
    void set_parse_error(rj::ParseResult result);
    stream::Event base() const noexcept;
    void emit_message(stream::Sink& sink) const;
    void emit_error(std::string_view raw, stream::Sink& sink) const;
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
    bool Key(const char* s, rj::SizeType n, bool) {
        // RapidJSON parses strings on a local copy of the stream, so this is the opening quote.
        key_start = stream->Tell();
        if (depth <= tracked_depth && frames[depth].scope != Scope::skip)
            frames[depth].key = classify({s, n});
        return true;
    }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rj::SizeType) { return close(); }
    bool EndArray(rj::SizeType) { return close(); }

    bool reject_root(const char* kind) {
        root_kind = kind;
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

bool LettaDecoder::Impl::open(bool object) {
    if (depth == 0) {
        if (!object) return reject_root("an array");
        depth = 1;
        frames[1] = Frame{Scope::root};
        return true;
    }
    if (depth >= max_depth) {
        too_deep = true;
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

bool LettaDecoder::Impl::close() {
    if (raw_target != nullptr && depth == raw_depth) {
        // Containers are parsed on the real stream, which is now just past the closing bracket.
        *raw_target = json.substr(raw_start, stream->Tell() - raw_start);
        raw_target = nullptr;
    }
    --depth;
    return true;
}

constexpr std::size_t kSimdPadding = 16;

bool LettaDecoder::Impl::parse(std::string_view text) {
    buffer.assign(text.data(), text.size());
    // RapidJSON's SSE2 string scan reads whole aligned 16-byte blocks: pad with NULs so those
    // loads stay inside initialised memory we own (the first NUL still ends the text).
    buffer.append(kSimdPadding, '\0');
    msg = Message{};
    for (auto* v : {&parts, &calls, &returns})
        v->clear();
    json = text;
    depth = 0;
    raw_target = nullptr;
    root_kind = nullptr;
    too_deep = false;
    rj::InsituStringStream is(buffer.data());
    stream = &is;
    const rj::ParseResult result = reader.Parse<rj::kParseInsituFlag>(is, *this);
    stream = nullptr;
    if (result.IsError()) {
        set_parse_error(result);
        return false;
    }
    // RapidJSON stops at a NUL byte as if at the end of the text; anything after it is garbage.
    if (is.Tell() != text.size()) {
        char line[96];
        std::snprintf(line, sizeof line, "invalid JSON at offset %zu: unexpected NUL byte",
                      is.Tell());
        error.assign(line);
        return false;
    }
    return true;
}

void LettaDecoder::Impl::set_parse_error(rj::ParseResult result) {
    char line[160];
    if (root_kind != nullptr) {
        std::snprintf(line, sizeof line, "expected a JSON object, got %s", root_kind);
    } else if (too_deep) {
        std::snprintf(line, sizeof line, "JSON nested deeper than %d levels at offset %zu",
                      max_depth, result.Offset());
    } else {
        std::snprintf(line, sizeof line, "invalid JSON at offset %zu: %s", result.Offset(),
                      rj::GetParseError_En(result.Code()));
    }
    error.assign(line);
}

stream::Event LettaDecoder::Impl::base() const noexcept {
    stream::Event ev;
    ev.message_id = msg.s[f::id];
    ev.otid = msg.s[f::otid];
    ev.run_id = msg.s[f::run_id];
    ev.seq_id = msg.integer(f::seq_id);
    return ev;
}

void LettaDecoder::Impl::emit_error(std::string_view raw, stream::Sink& sink) const {
    stream::Event ev = base();
    ev.kind = stream::Kind::error;
    const Item& e = msg.error_object;
    ev.name = first_present({msg.s[f::error_type], e[f::type], msg.s[f::code]}, "error");
    // Like the SDK: the message if there is one, otherwise the whole JSON text.
    ev.text = first_present({msg.s[f::message], e[f::message], msg.s[f::error]}, raw);
    ev.detail = first_present({msg.s[f::detail], e[f::detail]});
    sink.on_event(ev);
}

void LettaDecoder::Impl::emit_message(stream::Sink& sink) const {
    const std::string_view type = msg.s[f::message_type];
    stream::Event ev = base();
    auto emit_call = [&](const Item& c) {
        ev.name = c[f::name];
        ev.text = c[f::arguments];
        ev.tool_call_id = c[f::tool_call_id];
        sink.on_event(ev);
    };
    auto emit_calls = [&](stream::Kind kind) {
        ev.kind = kind;
        for (const Item& c : calls)
            emit_call(c);
        if (!calls.empty()) return;
        if (msg.has_tool_calls_object)
            emit_call(msg.tool_calls_object);
        else if (msg.has_tool_call)
            emit_call(msg.tool_call);
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
        ev.text = msg.s[f::content];
        if (!ev.text.empty()) sink.on_event(ev);
        for (const Item& p : parts) {
            if ((present(p[f::type]) && p[f::type] != "text") || p[f::text].empty()) continue;
            ev.text = p[f::text];
            sink.on_event(ev);
        }
    } else if (type == "reasoning_message") {
        ev.kind = stream::Kind::reasoning;
        ev.text = msg.s[f::reasoning];
        if (!ev.text.empty()) sink.on_event(ev);
    } else if (type == "hidden_reasoning_message") {
        ev.kind = stream::Kind::reasoning;
        ev.redacted = true;
        ev.text = msg.s[f::hidden_reasoning];
        ev.status = msg.s[f::state];
        sink.on_event(ev);
    } else if (type == "tool_call_message") {
        emit_calls(stream::Kind::tool_call);
    } else if (type == "approval_request_message") {
        emit_calls(stream::Kind::approval_request);
    } else if (type == "tool_return_message") {
        ev.kind = stream::Kind::tool_result;
        // The root fields are a prefix of Item, so the message itself reads as one return.
        Item root{};
        std::copy_n(msg.s.begin(), root.size(), root.begin());
        if (present(root[f::tool_return]) || returns.empty())
            emit_return(root);
        else
            for (const Item& r : returns)
                emit_return(r);
    } else if (type == "ping") {
        ev.kind = stream::Kind::ping;
        sink.on_event(ev);
    } else if (type == "stop_reason") {
        ev.kind = stream::Kind::stop;
        ev.name = msg.s[f::stop_reason];
        sink.on_event(ev);
    } else if (type == "usage_statistics") {
        ev.kind = stream::Kind::usage;
        stream::Usage& u = ev.usage;
        u.prompt_tokens = msg.integer(f::prompt_tokens);
        u.completion_tokens = msg.integer(f::completion_tokens);
        u.total_tokens = msg.integer(f::total_tokens);
        u.step_count = msg.integer(f::step_count);
        u.reasoning_tokens = msg.integer(f::reasoning_tokens);
        u.cached_input_tokens = msg.integer(f::cached_input_tokens);
        u.cache_write_tokens = msg.integer(f::cache_write_tokens);
        u.context_tokens = msg.integer(f::context_tokens);
        sink.on_event(ev);
    } else if (type == "error_message" ||
               (!present(type) && (present(msg.s[f::error]) || msg.has_error_object))) {
        emit_error(json, sink);
    } else {
        ev.kind = stream::Kind::unknown;
        ev.name = type;
        sink.on_event(ev);
    }
}

LettaDecoder::LettaDecoder() : impl_(std::make_unique<Impl>()) {}
LettaDecoder::~LettaDecoder() = default;

const std::string& LettaDecoder::last_error() const noexcept {
    return impl_->error;
}

DecodeStatus LettaDecoder::decode_message(std::string_view json, stream::Sink& sink) {
    if (!impl_->parse(json)) return DecodeStatus::malformed;
    impl_->emit_message(sink);
    return DecodeStatus::ok;
}

DecodeStatus LettaDecoder::on_sse_event(const sse::Event& event, stream::Sink& sink) {
    stream::Event ev;
    if (event.type == "error") {
        // An error is an error: whatever its payload, it becomes one error event.
        if (impl_->parse(event.data)) {
            impl_->emit_error(event.data, sink);
            return DecodeStatus::ok;
        }
        ev.kind = stream::Kind::error;
        ev.name = "error";
        ev.text = event.data;
    } else if (event.type == "cancelled") {
        if (impl_->parse(event.data)) {
            ev = impl_->base();
            ev.text = impl_->msg.s[f::message];
        }
        ev.kind = stream::Kind::stop;
        ev.name = "cancelled";
    } else if (!event.type.empty() && event.type != "message") {
        // The SDK ignores named events; surface them as unknown without looking at the data.
        ev.kind = stream::Kind::unknown;
        ev.name = event.type;
    } else {
        std::string_view data = event.data;
        while (!data.empty() && is_json_space(data.front()))
            data.remove_prefix(1);
        if (!data.starts_with("[DONE]")) return decode_message(event.data, sink);
        ev.kind = stream::Kind::done;
    }
    sink.on_event(ev);
    return DecodeStatus::ok;
}

}  // namespace letta_stream::protocol
