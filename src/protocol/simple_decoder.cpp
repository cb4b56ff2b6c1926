// The `simple` dialect (see simple_decoder.hpp for the mapping). The event object is read with
// RapidJSON's SAX reader over an in-situ copy of the payload, as letta_fields.cpp does: only the
// root object's members are kept, as string_views (strings into the copy, other values as their
// JSON text in the caller's unmodified payload), so steady state does not allocate.
#include "protocol/simple_decoder.hpp"

#include "protocol/json_reader.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <type_traits>

namespace letta_stream::protocol {

namespace {

namespace rj = rapidjson;

enum Field : std::uint8_t {
    type,
    content,
    message,
    error,
    detail,
    tool,
    arguments,
    status,
    result,
    tool_call_id,
    id,
    total_tokens,
    other
};

constexpr Field classify(std::string_view k) noexcept {
    switch (k.size()) {
        case 2:
            return k == "id" ? id : other;
        case 4:
            return k == "type" ? type : k == "tool" ? tool : other;
        case 5:
            return k == "error" ? error : other;
        case 6:
            if (k == "detail") return detail;
            if (k == "status") return status;
            return k == "result" ? result : other;
        case 7:
            return k == "content" ? content : k == "message" ? message : other;
        case 9:
            return k == "arguments" ? arguments : other;
        case 12:
            return k == "tool_call_id" ? tool_call_id : k == "total_tokens" ? total_tokens : other;
        default:
            return other;
    }
}

// One root member. A view with a null data() is absent (in-situ strings and raw spans never
// have a null pointer, even when empty); JSON null counts as absent.
struct Value {
    std::string_view text;
    bool is_string = false;
    std::int64_t integer = -1;  // a number that is an integer in [0, INT64_MAX]
};

using json::first_present;

bool is_number_char(char c) noexcept {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}


constexpr int kMaxDepth = json::kMaxDepth;

}  // namespace

struct SimpleDecoder::Impl : rj::BaseReaderHandler<rj::UTF8<>, Impl> {
    rj::Reader reader;
    std::string buffer;  // in-situ copy of the payload; string views point into it
    std::string error;
    std::array<Value, other> v{};

    // Per-parse handler state.
    rj::InsituStringStream* stream = nullptr;
    std::string_view json;  // the caller's unmodified text, for raw spans
    int depth = 0;
    Field key = other;                // the root key whose value comes next
    std::size_t container_start = 0;  // where that value starts, when it is an object or array
    json::ParseState state;

    bool parse(std::string_view text);
    void emit(std::string_view raw, stream::Sink& sink) const;

    // RapidJSON parses numbers (and strings) on a local copy of the stream, so in their callbacks
    // Tell() is where the number starts; containers are parsed on the real stream, so
    // StartObject/StartArray see it just past the opening bracket and EndObject/EndArray just past
    // the closing one. (letta_fields.cpp relies on the same.)
    std::string_view number_text() const noexcept {
        const std::size_t start = stream->Tell();
        std::size_t end = start;
        while (end < json.size() && is_number_char(json[end]))
            ++end;
        return json.substr(start, end - start);
    }
    // The value of the current root member.
    void set(const Value& value) noexcept {
        if (key != other) v[key] = value;
        key = other;
    }
    bool not_an_object(const char* kind) {
        state.root_kind = kind;
        return false;
    }
    bool scalar(const char* kind, std::string_view text, std::int64_t integer = -1) {
        if (depth == 0) return not_an_object(kind);
        if (depth == 1) set(Value{text, false, integer});
        return true;
    }
    template <typename T>
    bool number(T n) {
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        bool fits = true;
        if constexpr (std::is_signed_v<T>) fits = n >= 0;
        fits = fits && static_cast<std::uint64_t>(n) <= max;
        return scalar("a number", number_text(), fits ? static_cast<std::int64_t>(n) : -1);
    }

    // SAX handler.
    bool Null() {
        if (depth == 0) return not_an_object("null");
        if (depth == 1) set(Value{});
        return true;
    }
    bool Bool(bool b) { return scalar("a boolean", b ? "true" : "false"); }
    bool Int(int n) { return number(n); }
    bool Uint(unsigned n) { return number(n); }
    bool Int64(std::int64_t n) { return number(n); }
    bool Uint64(std::uint64_t n) { return number(n); }
    bool Double(double) { return scalar("a number", number_text()); }
    bool String(const char* s, rj::SizeType n, bool) {
        if (depth == 0) return not_an_object("a string");
        if (depth == 1) set(Value{{s, n}, true, -1});
        return true;
    }
    bool Key(const char* s, rj::SizeType n, bool) {
        if (depth == 1) key = classify({s, n});
        return true;
    }
    bool open() {
        if (++depth > kMaxDepth) {
            state.too_deep = true;
            return false;
        }
        if (depth == 2) container_start = stream->Tell() - 1;  // the value of a root member
        return true;
    }
    bool close() {
        if (--depth == 1)  // that value is complete
            set(Value{json.substr(container_start, stream->Tell() - container_start), false, -1});
        return true;
    }
    bool StartObject() { return open(); }
    bool EndObject(rj::SizeType) { return close(); }
    bool StartArray() { return depth == 0 ? not_an_object("an array") : open(); }
    bool EndArray(rj::SizeType) { return close(); }
};

bool SimpleDecoder::Impl::parse(std::string_view text) {
    v.fill(Value{});
    json = text;
    depth = 0;
    key = other;
    state = {};
    return protocol::json::parse_insitu(text, buffer, reader, *this, state, error, &stream);
}

void SimpleDecoder::Impl::emit(std::string_view raw, stream::Sink& sink) const {
    auto text = [&](Field f) { return v[f].text; };
    auto str = [&](Field f) { return v[f].is_string ? v[f].text : std::string_view{}; };
    const std::string_view kind = str(type);
    stream::Event ev;
    if (kind == "content") {
        ev.kind = stream::Kind::content;
        ev.text = text(content);
        if (ev.text.empty()) return;  // nothing to print
    } else if (kind == "done") {
        ev.kind = stream::Kind::done;
    } else if (kind == "error") {
        ev.kind = stream::Kind::error;
        ev.name = "error";
        ev.text = first_present({text(message), text(Field::error)}, raw);
        ev.detail = str(detail);
    } else if (kind == "tool_call") {
        ev.kind = stream::Kind::tool_call;
        ev.name = str(tool);
        ev.text = text(arguments);
        ev.status = str(status);
        ev.tool_call_id = first_present({str(tool_call_id), str(id)});
    } else if (kind == "tool_result") {
        ev.kind = stream::Kind::tool_result;
        ev.text = text(result);
        ev.status = str(status);
        ev.tool_call_id = first_present({str(tool_call_id), str(id)});
    } else if (kind == "status" && v[total_tokens].integer >= 0) {
        ev.kind = stream::Kind::usage;
        ev.usage.total_tokens = v[total_tokens].integer;
    } else {
        ev.kind = stream::Kind::unknown;  // includes a status without total_tokens
        ev.name = kind;
    }
    sink.on_event(ev);
}

SimpleDecoder::SimpleDecoder() : impl_(std::make_unique<Impl>()) {
    impl_->error.reserve(160);
}
SimpleDecoder::~SimpleDecoder() = default;

const std::string& SimpleDecoder::last_error() const noexcept {
    return impl_->error;
}

DecodeStatus SimpleDecoder::decode_message(std::string_view json, stream::Sink& sink) {
    if (!impl_->parse(json)) return DecodeStatus::malformed;
    impl_->emit(json, sink);
    return DecodeStatus::ok;
}

DecodeStatus SimpleDecoder::on_sse_event(const sse::Event& event, stream::Sink& sink) {
    std::string_view data = json::trim_json_space(event.data);
    // sse-starlette's second framing of an already framed string: `data: {...}` plus blank lines.
    if (data.starts_with("data:")) data = json::trim_json_space(data.substr(5));
    if (data == "[DONE]") {
        stream::Event done;
        done.kind = stream::Kind::done;
        sink.on_event(done);
        return DecodeStatus::ok;
    }
    return decode_message(data, sink);
}

}  // namespace letta_stream::protocol
