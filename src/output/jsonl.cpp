#include "output/jsonl.hpp"

#include <rapidjson/stringbuffer.h>

#include <charconv>
#include <cstring>
#include <string>

#include "util/json_text.hpp"
#include "util/json_writer.hpp"
#include "util/utf8.hpp"

#ifndef LETTA_STREAM_VERSION
#error "LETTA_STREAM_VERSION must be defined by the build"
#endif

namespace letta_stream::output {

namespace {

using stream::Kind;
using util::JsonWriter;

// Identity of the Letta message a line came from; all parts optional.
struct MessageIds {
    std::string_view id, otid;
    std::int64_t seq_id = -1;
};

// A fixed name as JSON text ("name", quotes included), built at compile time.
template <std::size_t N>
struct Literal {
    char text[N + 1]{};
    constexpr Literal(const char (&name)[N]) {  // NOLINT: implicit, so that key<"seq">() works
        text[0] = text[N] = '"';
        for (std::size_t i = 0; i + 1 < N; ++i)
            text[i + 1] = name[i];
    }
    constexpr std::string_view view() const { return {text, N + 1}; }
};

void write_string(JsonWriter& w, std::string& scratch, std::string_view s) {
    // Output must be valid UTF-8 whatever the server sent; repair only when needed.
    if (!util::is_valid_utf8(s)) {
        scratch.clear();
        util::append_utf8_lossy(scratch, s);
        s = scratch;
    }
    // The (pointer, length) overload: an embedded NUL becomes \u0000 instead of ending the string.
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// A `,"key":"value"` member that repeats line after line (agent_id, run_id, id, otid): escaped
// once when the value changes, then copied into each line.
struct Member {
    std::string value, json;  // json is empty when value is
};

// After a line this large, give the memory back rather than keep it for the rest of the turn.
constexpr std::size_t kKeepCapacity = std::size_t{1} << 20;

}  // namespace

struct JsonlFormatter::State {
    State(std::string& pending, const util::Clock& c, std::int64_t start)
        : out(pending), clock(c), start_ns(start), writer(buf) {}

    std::string& out;  // the formatter's pending_
    const util::Clock& clock;
    std::int64_t start_ns;
    rapidjson::StringBuffer buf, cache_buf;
    JsonWriter writer, cache_writer{cache_buf};
    Member agent_member, run_member, id_member, otid_member;
    std::string scratch;  // UTF-8 repair, reused
    std::uint64_t seq = 0;
    bool started = false, done = false;

    // ---- line building ----------------------------------------------------------------------
    // The Writer escapes every string that comes from outside. Text that is already JSON (keys,
    // numbers, the repeated common keys) is copied with memcpy: RapidJSON 1.1 copies raw text
    // one byte at a time, which cost more than the rest of a content line.

    void append(std::string_view json) {
        std::memcpy(buf.Push(json.size()), json.data(), json.size());
    }
    // Already-JSON text as a key or value: the Writer places the separator and counts the value
    // (RawValue with no text); the bytes follow in one copy.
    void raw(std::string_view json, rapidjson::Type type) {
        writer.RawValue(json.data(), 0, type);
        append(json);
    }
    template <Literal K>
    void key() {
        raw(K.view(), rapidjson::kStringType);
    }
    void str(std::string_view s) { write_string(writer, scratch, s); }
    template <Literal K>
    void put(std::string_view v) {
        key<K>(), str(v);
    }
    template <Literal K>
    void put_opt(std::string_view v) {  // omitted when empty
        if (!v.empty()) key<K>(), str(v);
    }
    template <Literal K>
    void put_or_null(std::string_view v) {
        key<K>();
        v.empty() ? (void)writer.Null() : str(v);
    }
    template <Literal K>
    void put_count(std::int64_t v) {  // -1: not reported
        key<K>();
        v < 0 ? writer.Null() : writer.Int64(v);
    }
    template <Literal K>
    void update(Member& m, std::string_view v) {
        if (v == m.value) return;
        m.value.assign(v);
        m.json.clear();
        if (v.empty()) return;
        cache_buf.Clear();
        cache_writer.Reset(cache_buf);
        write_string(cache_writer, scratch, v);
        m.json.append(",").append(K.view()).append(":");
        m.json.append(cache_buf.GetString(), cache_buf.GetSize());
    }
    void integer(std::int64_t v) {
        char digits[24];
        append(
            {digits, static_cast<std::size_t>(std::to_chars(digits, digits + 24, v).ptr - digits)});
    }
    // Fixed-point milliseconds, at most 3 decimals, trailing zeros trimmed: cheaper than snprintf
    // on the hot path, and never in exponent notation.
    void t_ms() {
        const std::int64_t d = clock.now_ns() - start_ns;
        const std::uint64_t mag = d < 0 ? 0 - static_cast<std::uint64_t>(d) : std::uint64_t(d);
        const std::uint64_t us = (mag + 500) / 1000;
        char text[32];
        char* p = text;
        if (d < 0 && us != 0) *p++ = '-';
        p = std::to_chars(p, text + 28, us / 1000).ptr;
        if (const unsigned f = static_cast<unsigned>(us % 1000); f != 0) {
            *p++ = '.';
            for (unsigned div : {100U, 10U, 1U})
                *p++ = static_cast<char>('0' + f / div % 10);
            while (p[-1] == '0')
                --p;
        }
        append({text, static_cast<std::size_t>(p - text)});
    }

    // Starts a line: {"type":"<type>". The start line is always line 1, whatever comes first.
    template <Literal Type>
    void open() {
        if (!started) emit_start(nullptr);
        buf.Clear();
        writer.Reset(buf);
        writer.StartObject();
        key<"type">();
        raw(Type.view(), rapidjson::kStringType);
    }

    // The common keys, then the line goes to the formatter's pending buffer. They are appended as
    // whole `,"key":value` members after the Writer's last one ("type" is always there, so the
    // comma is right); the Writer then only closes the object, which needs no member count.
    void close(const MessageIds& ids = {}) {
        append(",\"seq\":");
        integer(static_cast<std::int64_t>(++seq));
        append(",\"t_ms\":");
        t_ms();
        append(agent_member.json);
        append(run_member.json);
        update<"id">(id_member, ids.id);
        append(id_member.json);
        update<"otid">(otid_member, ids.otid);
        append(otid_member.json);
        if (ids.seq_id >= 0) append(",\"seq_id\":"), integer(ids.seq_id);
        writer.EndObject();
        buf.Put('\n');
        const std::size_t line_start = out.size();
        out.append(buf.GetString(), buf.GetSize());
        util::escape_js_line_terminators(out, line_start);  // U+2028, U+2029, NEL
        if (buf.GetSize() > kKeepCapacity) buf.Clear(), buf.ShrinkToFit();
        if (scratch.capacity() > kKeepCapacity) std::string().swap(scratch);
    }

    void emit_start(const TurnInfo* info) {
        started = true;
        const TurnInfo& i = info ? *info : TurnInfo{};
        open<"start">();
        put<"schema">(kSchema);
        put<"version">(LETTA_STREAM_VERSION);
        put_or_null<"agent">(i.agent);
        put_opt<"conversation_id">(i.conversation_id);
        put_or_null<"endpoint">(i.endpoint);
        put_or_null<"otid">(i.otid);
        close();
    }

    void remember_run_id(std::string_view id) {
        if (!id.empty()) update<"run_id">(run_member, id);
    }
};

JsonlFormatter::JsonlFormatter(const util::Clock& clock, std::int64_t start_ns)
    : s_(std::make_unique<State>(pending_, clock, start_ns)) {}

JsonlFormatter::~JsonlFormatter() = default;

void JsonlFormatter::begin(const TurnInfo& info) {
    if (s_->done) return;
    set_agent_id(info.agent_id);
    if (!s_->started) s_->emit_start(&info);  // else a late begin: line 1 was already written
}

void JsonlFormatter::set_agent_id(std::string_view agent_id) {
    if (!agent_id.empty()) s_->update<"agent_id">(s_->agent_member, agent_id);
}

void JsonlFormatter::on_event(const stream::Event& e) {
    State& s = *s_;
    if (s.done) return;
    s.remember_run_id(e.run_id);
    const MessageIds ids{e.message_id, e.otid, e.seq_id};
    const stream::Usage& u = e.usage;
    switch (e.kind) {
        case Kind::content:
            if (e.text.empty()) return;
            s.open<"content">();
            s.put<"content">(e.text);
            break;
        case Kind::reasoning:
            if (e.text.empty() && !e.redacted) return;
            s.open<"reasoning">();
            if (e.redacted) s.key<"redacted">(), s.writer.Bool(true);
            s.put<"content">(e.text);
            if (e.redacted) s.put_opt<"state">(e.status);
            break;
        case Kind::tool_result:
            s.open<"tool_result">();
            s.put_or_null<"tool_call_id">(e.tool_call_id);
            s.put_or_null<"status">(e.status);
            s.put<"result">(e.text);
            break;
        case Kind::ping:
            s.open<"ping">();
            break;
        case Kind::stop:
            s.open<"stop">();
            s.put_or_null<"stop_reason">(e.name);
            break;
        case Kind::usage:
            s.open<"usage">();
            s.put_count<"prompt_tokens">(u.prompt_tokens);
            s.put_count<"completion_tokens">(u.completion_tokens);
            s.put_count<"total_tokens">(u.total_tokens);
            s.put_count<"step_count">(u.step_count);
            s.put_count<"reasoning_tokens">(u.reasoning_tokens);
            s.put_count<"cached_input_tokens">(u.cached_input_tokens);
            s.put_count<"cache_write_tokens">(u.cache_write_tokens);
            s.put_count<"context_tokens">(u.context_tokens);
            break;
        case Kind::error:
            s.open<"error">();
            s.put<"source">(e.client ? "client" : "server");
            s.put<"error_type">(e.name);
            s.put<"message">(e.text);
            s.put_opt<"detail">(e.detail);
            s.put_opt<"hint">(e.hint);
            if (e.http_status != 0) s.key<"http_status">(), s.writer.Int64(e.http_status);
            if (e.client) return s.close();  // not the server's message: no message ids
            break;
        case Kind::status:
            // A status is the client's own: its seq_id is the event a resume continues after.
            s.open<"status">();
            s.put<"status">(e.name);
            s.put_opt<"detail">(e.text);
            if (e.seq_id >= 0) s.key<"after_seq">(), s.writer.Int64(e.seq_id);
            return s.close();
        case Kind::sse:
            // A raw SSE event (the `sse` dialect); "id" is the SSE last event ID, so the message
            // ids of close() (always empty here) must not be added.
            s.open<"sse">();
            s.put<"event">(e.name);
            s.put<"data">(e.text);
            s.put<"id">(e.last_event_id);
            return s.close();
        case Kind::sse_retry:
            s.open<"sse_retry">();
            s.key<"retry">(), s.writer.Int64(e.retry_ms);
            return s.close();
        case Kind::unknown:
            s.open<"unknown">();
            s.put<"name">(e.name);
            break;
        case Kind::tool_call:
        case Kind::approval_request:
            // Whole calls: stream::ToolCalls assembled the argument deltas upstream.
            if (e.kind == Kind::approval_request)
                s.open<"approval_request">();
            else
                s.open<"tool_call">();
            s.put_or_null<"tool">(e.name);
            s.put_or_null<"tool_call_id">(e.tool_call_id);
            s.put<"arguments">(e.text);
            break;
        case Kind::done:
            return;  // [DONE] is framing: our own done line ends the output
        case Kind::malformed:
            return;  // skipped by the decoder; a warning on stderr says so
    }
    s.close(ids);
}

void JsonlFormatter::finish(const Ending& ending) {
    State& s = *s_;
    if (s.done) return;
    s.remember_run_id(ending.run_id);
    s.open<"done">();
    s.put_or_null<"stop_reason">(ending.stop_reason);
    s.key<"exit_status">(), s.writer.Int(ending.exit_status);
    s.put<"exit_name">(ending.exit_name);
    s.put_opt<"message">(ending.message);
    s.close();
    s.done = true;
}

}  // namespace letta_stream::output
