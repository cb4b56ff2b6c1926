// OpenAI chat.completion.chunk → stream events. A RapidJSON SAX reader over an in-situ copy of the
// payload keeps only the fields that map to events, as string_views into that copy, in a fixed
// Chunk. No DOM is built; the copy buffer, the fragment list and the remembered tool-call names
// keep their capacity, so steady state does not allocate. Events are emitted once the whole chunk
// is known (a choice's `index` may follow its delta).
#include "protocol/openai_decoder.hpp"

#include "protocol/json_reader.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

namespace letta_stream::protocol {

namespace {

namespace rj = rapidjson;

constexpr int kMaxDepth = json::kMaxDepth;
// The root (1), `choices` (2), a choice (3), its delta (4), `tool_calls` (5), a fragment (6) and
// its `function` (7) carry fields; `usage` and `error` sit at 2, usage details at 3.
constexpr int kTrackedDepth = 7;

// clang-format off
enum class Field : std::uint8_t {
    other, id, choices, usage, error, index, delta, message, finish_reason, content,
    reasoning_content, reasoning, tool_calls, function, name, arguments, type, code,
    prompt_tokens, completion_tokens, total_tokens, completion_tokens_details,
    prompt_tokens_details, reasoning_tokens, cached_tokens,
};
// clang-format on

// Runs for every key of every chunk: a length switch plus word compares, no loop over names.
constexpr Field classify(std::string_view k) noexcept {
    switch (k.size()) {
        case 2:
            return k == "id" ? Field::id : Field::other;
        case 4:
            if (k == "name") return Field::name;
            if (k == "type") return Field::type;
            return k == "code" ? Field::code : Field::other;
        case 5:
            if (k == "delta") return Field::delta;
            if (k == "index") return Field::index;
            if (k == "usage") return Field::usage;
            return k == "error" ? Field::error : Field::other;
        case 7:
            if (k == "content") return Field::content;
            if (k == "choices") return Field::choices;
            return k == "message" ? Field::message : Field::other;
        case 8:
            return k == "function" ? Field::function : Field::other;
        case 9:
            return k == "arguments"   ? Field::arguments
                   : k == "reasoning" ? Field::reasoning
                                      : Field::other;
        case 10:
            return k == "tool_calls" ? Field::tool_calls : Field::other;
        case 12:
            return k == "total_tokens" ? Field::total_tokens : Field::other;
        case 13:
            if (k == "finish_reason") return Field::finish_reason;
            if (k == "prompt_tokens") return Field::prompt_tokens;
            return k == "cached_tokens" ? Field::cached_tokens : Field::other;
        case 16:
            return k == "reasoning_tokens" ? Field::reasoning_tokens : Field::other;
        case 17:
            if (k == "reasoning_content") return Field::reasoning_content;
            return k == "completion_tokens" ? Field::completion_tokens : Field::other;
        case 21:
            return k == "prompt_tokens_details" ? Field::prompt_tokens_details : Field::other;
        case 25:
            return k == "completion_tokens_details" ? Field::completion_tokens_details
                                                    : Field::other;
        default:
            return Field::other;
    }
}

// clang-format off
constexpr std::pair<std::string_view, Field> kNames[] = {
    {"id", Field::id}, {"choices", Field::choices}, {"usage", Field::usage},
    {"error", Field::error}, {"index", Field::index}, {"delta", Field::delta},
    {"message", Field::message}, {"finish_reason", Field::finish_reason},
    {"content", Field::content}, {"reasoning_content", Field::reasoning_content},
    {"reasoning", Field::reasoning}, {"tool_calls", Field::tool_calls},
    {"function", Field::function}, {"name", Field::name}, {"arguments", Field::arguments},
    {"type", Field::type}, {"code", Field::code}, {"prompt_tokens", Field::prompt_tokens},
    {"completion_tokens", Field::completion_tokens}, {"total_tokens", Field::total_tokens},
    {"completion_tokens_details", Field::completion_tokens_details},
    {"prompt_tokens_details", Field::prompt_tokens_details},
    {"reasoning_tokens", Field::reasoning_tokens}, {"cached_tokens", Field::cached_tokens},
};
// clang-format on

constexpr bool classify_matches_names() {
    for (const auto& [name, key] : kNames)
        if (classify(name) != key) return false;
    return classify("model") == Field::other && classify("object") == Field::other;
}
static_assert(classify_matches_names());
static_assert(std::size(kNames) == static_cast<std::size_t>(Field::cached_tokens));

// One element of `delta.tool_calls`.
struct Fragment {
    std::int64_t index = -1;    // -1: not sent
    std::int64_t position = 0;  // place in this chunk's array: the index when none is sent
    std::string_view id, name, arguments;
};

struct Choice {
    std::int64_t index = -1;  // -1: not sent (counts as choice 0)
    std::string_view content, reasoning_content, reasoning, finish_reason;
    std::size_t first_fragment = 0;  // this choice's fragments start here in ChunkReader::fragments
};

// What one chunk carried. A view with a non-null data() was present as a JSON string.
struct Chunk {
    std::string_view id;
    bool has_choice = false;  // `choice` is choice 0
    Choice choice;
    bool has_usage = false;
    stream::Usage usage;
    bool has_error = false;
    std::string_view error_message, error_type, error_code;
};

// Where a value sits: which of the fields above it may be.
// clang-format off
enum class Scope : std::uint8_t {
    skip, root, choices, choice, delta, tool_calls, fragment, function, usage, usage_details, error
};
// clang-format on

struct Frame {
    Scope scope = Scope::skip;
    Field key = Field::other;   // the key whose value comes next (objects only)
    std::int64_t elements = 0;  // objects seen so far (arrays only)
};

struct ChunkReader {
    rj::Reader reader;
    std::string buffer;  // in-situ copy of the payload; emitted views point into it
    std::string error;
    std::vector<Fragment> fragments;  // of choice 0, in order
    Chunk chunk;

    // Per-parse handler state.
    std::array<Frame, kTrackedDepth + 1> frames;
    int depth = 0;
    json::ParseState state;

    ChunkReader() {
        error.reserve(160);
        fragments.reserve(8);
    }

    // Reads one chunk object. On false, `error` says why.
    bool parse(std::string_view text);
    bool open(bool object);
    bool close();

    // ---- RapidJSON SAX handler ----
    bool Null() { return depth > 0 || reject_root("null"); }
    bool Bool(bool) { return depth > 0 || reject_root("a boolean"); }
    bool Int(int v) { return integer(v); }
    bool Uint(unsigned v) { return integer(v); }
    bool Int64(std::int64_t v) { return integer(v); }
    bool Uint64(std::uint64_t v) {
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return depth > 0 || reject_root("a number");
        return integer(static_cast<std::int64_t>(v));
    }
    bool Double(double) { return depth > 0 || reject_root("a number"); }
    bool RawNumber(const char*, rj::SizeType, bool) { return depth > 0 || reject_root("a number"); }
    bool String(const char* s, rj::SizeType n, bool);
    bool Key(const char* s, rj::SizeType n, bool) {
        if (depth <= kTrackedDepth && frames[depth].scope != Scope::skip)
            frames[depth].key = classify({s, n});
        return true;
    }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rj::SizeType) { return close(); }
    bool EndArray(rj::SizeType) { return close(); }

    bool reject_root(const char* kind) {
        state.root_kind = kind;
        return false;
    }
    bool integer(std::int64_t v);
};

bool ChunkReader::String(const char* s, rj::SizeType n, bool) {
    if (depth == 0) return reject_root("a string");
    if (depth > kTrackedDepth) return true;
    const Frame& fr = frames[depth];
    const std::string_view v{s, n};
    Choice& c = chunk.choice;
    switch (fr.scope) {
        case Scope::root:
            if (fr.key == Field::id) chunk.id = v;
            if (fr.key == Field::error) {  // {"error": "text"}
                chunk.has_error = true;
                chunk.error_message = v;
            }
            break;
        case Scope::choice:
            if (fr.key == Field::finish_reason) c.finish_reason = v;
            break;
        case Scope::delta:
            if (fr.key == Field::content) c.content = v;
            if (fr.key == Field::reasoning_content) c.reasoning_content = v;
            if (fr.key == Field::reasoning) c.reasoning = v;
            break;
        case Scope::fragment:
            if (fr.key == Field::id) fragments.back().id = v;
            break;
        case Scope::function:
            if (fr.key == Field::name) fragments.back().name = v;
            if (fr.key == Field::arguments) fragments.back().arguments = v;
            break;
        case Scope::error:
            if (fr.key == Field::message) chunk.error_message = v;
            if (fr.key == Field::type) chunk.error_type = v;
            if (fr.key == Field::code) chunk.error_code = v;
            break;
        default:
            break;
    }
    return true;
}

bool ChunkReader::integer(std::int64_t v) {
    if (depth == 0) return reject_root("a number");
    if (depth > kTrackedDepth) return true;
    const Frame& fr = frames[depth];
    stream::Usage& u = chunk.usage;
    switch (fr.scope) {
        case Scope::choice:
            if (fr.key == Field::index) chunk.choice.index = v;
            break;
        case Scope::fragment:
            if (fr.key == Field::index) fragments.back().index = v;
            break;
        case Scope::usage:
            if (fr.key == Field::prompt_tokens) u.prompt_tokens = v;
            if (fr.key == Field::completion_tokens) u.completion_tokens = v;
            if (fr.key == Field::total_tokens) u.total_tokens = v;
            break;
        case Scope::usage_details:
            if (fr.key == Field::reasoning_tokens) u.reasoning_tokens = v;
            if (fr.key == Field::cached_tokens) u.cached_input_tokens = v;
            break;
        default:
            break;
    }
    return true;
}

bool ChunkReader::open(bool object) {
    if (depth == 0) {
        if (!object) return reject_root("an array");
        depth = 1;
        frames[1] = Frame{Scope::root};
        return true;
    }
    if (depth >= kMaxDepth) {
        state.too_deep = true;
        return false;
    }
    if (++depth > kTrackedDepth) return true;
    Frame& parent = frames[depth - 1];
    Scope scope = Scope::skip;
    switch (parent.scope) {
        case Scope::root:
            if (!object && parent.key == Field::choices) scope = Scope::choices;
            if (object && parent.key == Field::usage) {
                scope = Scope::usage;
                chunk.has_usage = true;
                chunk.usage = stream::Usage{};
            }
            if (object && parent.key == Field::error) {
                scope = Scope::error;
                chunk.has_error = true;
            }
            break;
        case Scope::choices:
            // Choice 0 only: with "n" > 1 the others are other completions, not more of this one.
            if (object && !chunk.has_choice) {
                scope = Scope::choice;
                chunk.choice = Choice{};
                chunk.choice.first_fragment = fragments.size();
            }
            break;
        case Scope::choice:
            // `message` is a whole (non-delta) choice, as some proxies send in one event.
            if (object && (parent.key == Field::delta || parent.key == Field::message))
                scope = Scope::delta;
            break;
        case Scope::delta:
            if (!object && parent.key == Field::tool_calls) scope = Scope::tool_calls;
            break;
        case Scope::tool_calls:
            if (object) {
                scope = Scope::fragment;
                fragments.emplace_back().position = parent.elements++;
            }
            break;
        case Scope::fragment:
            if (object && parent.key == Field::function) scope = Scope::function;
            break;
        case Scope::usage:
            if (object && (parent.key == Field::completion_tokens_details ||
                           parent.key == Field::prompt_tokens_details))
                scope = Scope::usage_details;
            break;
        default:
            break;
    }
    frames[depth] = Frame{scope};
    return true;
}

bool ChunkReader::close() {
    if (depth <= kTrackedDepth && frames[depth].scope == Scope::choice) {
        if (chunk.choice.index <= 0) {
            chunk.has_choice = true;
        } else {
            fragments.resize(chunk.choice.first_fragment);
        }
    }
    --depth;
    return true;
}

bool ChunkReader::parse(std::string_view text) {
    chunk = Chunk{};
    fragments.clear();
    depth = 0;
    state = {};
    return json::parse_insitu(text, buffer, reader, *this, state, error);
}

}  // namespace

struct OpenAiDecoder::Impl {
    // What a tool call's first fragment said, by index: later fragments carry only arguments.
    struct Call {
        std::int64_t index = 0;
        std::string id, name;
    };

    ChunkReader r;
    std::vector<Call> calls;

    Impl() { calls.reserve(4); }

    const Call& remember(const Fragment& f);
    void emit_chunk(std::string_view raw, stream::Sink& sink);
    void emit_error(std::string_view raw, stream::Sink& sink) const;
};

const OpenAiDecoder::Impl::Call& OpenAiDecoder::Impl::remember(const Fragment& f) {
    const std::int64_t index = f.index >= 0 ? f.index : f.position;
    Call* call = nullptr;
    for (Call& c : calls)
        if (c.index == index) call = &c;
    if (call == nullptr) {
        call = &calls.emplace_back();
        call->index = index;
    }
    if (!f.id.empty() && f.id != call->id) {  // a new call at this index
        call->id.assign(f.id);
        call->name.clear();
    }
    if (!f.name.empty()) call->name.assign(f.name);
    return *call;
}

void OpenAiDecoder::Impl::emit_error(std::string_view raw, stream::Sink& sink) const {
    const Chunk& c = r.chunk;
    stream::Event ev;
    ev.kind = stream::Kind::error;
    ev.message_id = c.id;
    ev.name = !c.error_code.empty()   ? c.error_code
              : !c.error_type.empty() ? c.error_type
                                      : std::string_view("error");
    // The message as sent, even when it is itself JSON text (the App Server's is); else the
    // whole payload.
    ev.text = c.error_message.data() != nullptr ? c.error_message : raw;
    sink.on_event(ev);
}

void OpenAiDecoder::Impl::emit_chunk(std::string_view raw, stream::Sink& sink) {
    const Chunk& c = r.chunk;
    auto base = [&](stream::Kind kind) {
        stream::Event ev;
        ev.kind = kind;
        ev.message_id = c.id;
        return ev;
    };
    if (c.has_choice) {
        const Choice& ch = c.choice;
        // Empty deltas (the role chunk's "content":"") carry nothing to print.
        stream::Event ev = base(stream::Kind::reasoning);
        ev.text = !ch.reasoning_content.empty() ? ch.reasoning_content : ch.reasoning;
        if (!ev.text.empty()) sink.on_event(ev);
        ev = base(stream::Kind::content);
        ev.text = ch.content;
        if (!ev.text.empty()) sink.on_event(ev);
        for (const Fragment& f : r.fragments) {
            const Call& call = remember(f);
            ev = base(stream::Kind::tool_call);
            ev.tool_call_id = call.id;
            ev.name = call.name;
            ev.text = f.arguments;
            sink.on_event(ev);
        }
        if (!ch.finish_reason.empty()) {
            ev = base(stream::Kind::stop);
            ev.name = ch.finish_reason;
            sink.on_event(ev);
        }
    }
    if (c.has_usage) {
        stream::Event ev = base(stream::Kind::usage);
        ev.usage = c.usage;
        sink.on_event(ev);
    }
    if (c.has_error) emit_error(raw, sink);
}

OpenAiDecoder::OpenAiDecoder() : impl_(std::make_unique<Impl>()) {}
OpenAiDecoder::~OpenAiDecoder() = default;

const std::string& OpenAiDecoder::last_error() const noexcept {
    return impl_->r.error;
}

DecodeStatus OpenAiDecoder::decode_chunk(std::string_view json, stream::Sink& sink) {
    if (!impl_->r.parse(json)) return DecodeStatus::malformed;
    impl_->emit_chunk(json, sink);
    return DecodeStatus::ok;
}

DecodeStatus OpenAiDecoder::on_sse_event(const sse::Event& event, stream::Sink& sink) {
    stream::Event ev;
    if (event.type == "error") {
        // An error is an error: whatever its payload, it becomes one error event.
        if (impl_->r.parse(event.data) && impl_->r.chunk.has_error) {
            impl_->emit_error(event.data, sink);
            return DecodeStatus::ok;
        }
        ev.kind = stream::Kind::error;
        ev.name = "error";
        ev.text = event.data;
    } else if (!event.type.empty() && event.type != "message") {
        // Not part of the chat.completion.chunk stream; surfaced without looking at the data.
        ev.kind = stream::Kind::unknown;
        ev.name = event.type;
    } else {
        if (!is_done_marker(event.data)) return decode_chunk(event.data, sink);
        ev.kind = stream::Kind::done;
    }
    sink.on_event(ev);
    return DecodeStatus::ok;
}

}  // namespace letta_stream::protocol
