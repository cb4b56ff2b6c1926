// output::JsonlFormatter — every emitted line is parsed back with RapidJSON and checked by field.
// Events reach it as they do in the program: through stream::ToolCalls, which assembles tool-call
// argument deltas into whole calls (so the tool-call cases here test the two together).
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "output/formatter.hpp"
#include "output/jsonl.hpp"
#include "stream/tool_calls.hpp"
#include "util/clock.hpp"
#include "util/utf8.hpp"

using namespace letta_stream;
using namespace letta_stream::output;
using stream::Kind;

namespace {

using Doc = std::unique_ptr<rapidjson::Document>;

// Takes everything pending, checks the framing (one object per '\n'-terminated line, valid
// UTF-8) and returns the parsed lines.
// What the chain puts in front of the formatter: tool-call assembly, and client-side status and
// errors as events.
struct Front {
    explicit Front(JsonlFormatter& f) : fmt(f) {}
    JsonlFormatter& fmt;
    stream::ToolCalls calls{fmt};

    void begin(const TurnInfo& info) { fmt.begin(info); }
    void set_agent_id(std::string_view id) { fmt.set_agent_id(id); }
    void on_event(const stream::Event& e) { calls.on_event(e); }
    void on_status(std::string_view status, std::string_view detail) {
        stream::Event e;
        e.kind = Kind::status;
        e.name = status;
        e.text = detail;
        calls.on_event(e);
    }
    void on_client_error(std::string_view type, std::string_view message, std::string_view hint,
                         long http_status) {
        stream::Event e;
        e.kind = Kind::error;
        e.client = true;
        e.name = type;
        e.text = message;
        e.hint = hint;
        e.http_status = http_status;
        calls.on_event(e);
    }
    void finish(const Ending& ending) {
        calls.on_end();
        fmt.finish(ending);
    }
    std::string& pending() { return fmt.pending(); }
};

template <typename F>
std::vector<Doc> take(F& f) {
    std::string& out = f.pending();
    std::vector<Doc> docs;
    REQUIRE(util::is_valid_utf8(out));
    REQUIRE((out.empty() || out.back() == '\n'));
    std::size_t pos = 0;
    while (pos < out.size()) {
        const std::size_t nl = out.find('\n', pos);
        REQUIRE(nl != std::string::npos);
        const std::string line = out.substr(pos, nl - pos);
        auto doc = std::make_unique<rapidjson::Document>();
        doc->Parse(line.data(), line.size());
        INFO(line.substr(0, 200));
        REQUIRE_FALSE(doc->HasParseError());  // a whole object per line: nothing split
        REQUIRE(doc->IsObject());
        REQUIRE(doc->MemberBegin()->name == "type");  // "type" is always the first key
        docs.push_back(std::move(doc));
        pos = nl + 1;
    }
    out.clear();
    return docs;
}

std::string type(const Doc& d) {
    return (*d)["type"].GetString();
}
bool has(const Doc& d, const char* k) {
    return d->HasMember(k);
}
std::string str(const Doc& d, const char* k) {
    const auto& v = (*d)[k];
    return {v.GetString(), v.GetStringLength()};
}
std::int64_t num(const Doc& d, const char* k) {
    return (*d)[k].GetInt64();
}
bool is_null(const Doc& d, const char* k) {
    return (*d)[k].IsNull();
}

stream::Event ev(Kind kind, std::string_view text = {}) {
    stream::Event e;
    e.kind = kind;
    e.text = text;
    return e;
}

stream::Event tool(std::string_view args, std::string_view name = {}, std::string_view id = {},
                   Kind kind = Kind::tool_call) {
    stream::Event e = ev(kind, args);
    e.name = name;
    e.tool_call_id = id;
    return e;
}

struct Fixture {
    util::ManualClock clock;
    JsonlFormatter fmt{clock, clock.now_ns()};
    Front f{fmt};
};

std::vector<std::string> types(const std::vector<Doc>& docs) {
    std::vector<std::string> t;
    for (const auto& d : docs)
        t.push_back(type(d));
    return t;
}

}  // namespace

TEST_CASE("start line is line 1 with the schema, seq and t_ms on every line", "[jsonl]") {
    Fixture x;
    TurnInfo info;
    info.agent = "helper";
    info.endpoint = "conversations";
    info.otid = "otid-turn";
    x.f.begin(info);
    x.clock.advance_ms(12.345678);
    x.f.on_status("thinking", "");
    x.clock.advance_ms(1000);
    x.f.on_event(ev(Kind::content, "Hi"));
    x.f.finish({});
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "status", "content", "done"});
    CHECK(str(d[0], "schema") == "letta-stream.jsonl/1");
    CHECK(str(d[0], "version") == LETTA_STREAM_VERSION);
    CHECK(str(d[0], "agent") == "helper");
    CHECK(str(d[0], "endpoint") == "conversations");
    CHECK(str(d[0], "otid") == "otid-turn");
    CHECK_FALSE(has(d[0], "conversation_id"));
    CHECK_FALSE(has(d[0], "agent_id"));
    for (std::size_t i = 0; i < d.size(); ++i)
        CHECK(num(d[i], "seq") == std::int64_t(i + 1));
    CHECK((*d[0])["t_ms"].GetDouble() == 0.0);
    CHECK((*d[1])["t_ms"].GetDouble() == Approx(12.346));
    CHECK((*d[2])["t_ms"].GetDouble() == Approx(1012.346));
    CHECK_FALSE(has(d[1], "detail"));
}

TEST_CASE("t_ms has at most 3 decimals and never an exponent", "[jsonl]") {
    util::ManualClock clock;
    JsonlFormatter f(clock, 0);
    for (std::int64_t ns :
         {0LL, 1'500'000LL, 2'000'000'000LL, 12'345'678LL, 1'000'000'000'000'000LL}) {
        clock.set_ns(ns);
        f.on_event(ev(Kind::ping));
    }
    const std::string& out = f.pending();
    std::vector<std::string> values;
    for (std::size_t p = out.find("\"t_ms\":"); p != std::string::npos;
         p = out.find("\"t_ms\":", p + 1)) {
        const std::size_t b = p + 7, e = out.find_first_of(",}", b);
        values.push_back(out.substr(b, e - b));
    }
    // Line 1 is the implicit start line, at the same instant as the first ping.
    REQUIRE(values.size() == 6);
    for (const auto& v : values) {
        CHECK(v.find_first_of("eE") == std::string::npos);
        const auto dot = v.find('.');
        if (dot != std::string::npos) CHECK(v.size() - dot - 1 <= 3);
    }
    auto d = take(f);
    CHECK((*d[2])["t_ms"].GetDouble() == 1.5);
    CHECK((*d[3])["t_ms"].GetDouble() == 2000.0);
    CHECK((*d[4])["t_ms"].GetDouble() == Approx(12.346));
    CHECK((*d[5])["t_ms"].GetDouble() == Approx(1e9));
}

TEST_CASE("a start line precedes the first line even without begin", "[jsonl]") {
    Fixture x;
    x.f.set_agent_id("agent-1");
    x.f.on_event(ev(Kind::content, "a"));
    TurnInfo late;
    late.agent = "late";
    x.f.begin(late);  // too late for line 1: no second start line
    x.f.finish({});
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "content", "done"});
    CHECK(str(d[0], "schema") == "letta-stream.jsonl/1");
    CHECK(is_null(d[0], "agent"));
    CHECK(str(d[0], "agent_id") == "agent-1");
    CHECK(num(d[0], "seq") == 1);
}

TEST_CASE("agent_id, run_id, id, otid and seq_id", "[jsonl]") {
    Fixture x;
    TurnInfo info;
    info.agent_id = "agent-a";
    info.conversation_id = "conv-1";
    x.f.begin(info);
    stream::Event e = ev(Kind::reasoning, "hmm");
    e.run_id = "run-1";
    e.message_id = "message-1";
    e.otid = "otid-0";
    e.seq_id = 7;
    x.f.on_event(e);
    x.f.set_agent_id("agent-b");
    x.f.on_event(ev(Kind::content, "x"));  // no run_id of its own: remembered
    x.f.finish({});
    auto d = take(x.f);
    CHECK(str(d[0], "agent_id") == "agent-a");
    CHECK(str(d[0], "conversation_id") == "conv-1");
    CHECK_FALSE(has(d[0], "run_id"));
    CHECK(str(d[1], "run_id") == "run-1");
    CHECK(str(d[1], "id") == "message-1");
    CHECK(str(d[1], "otid") == "otid-0");
    CHECK(num(d[1], "seq_id") == 7);
    CHECK(str(d[2], "agent_id") == "agent-b");
    CHECK(str(d[2], "run_id") == "run-1");
    CHECK_FALSE(has(d[2], "id"));
    CHECK_FALSE(has(d[2], "otid"));
    CHECK_FALSE(has(d[2], "seq_id"));
    CHECK(str(d[3], "run_id") == "run-1");
}

TEST_CASE("content, reasoning and redacted reasoning", "[jsonl]") {
    Fixture x;
    x.f.on_event(ev(Kind::content, ""));  // empty delta: no line
    x.f.on_event(ev(Kind::content, "Hello"));
    x.f.on_event(ev(Kind::reasoning, "think"));
    stream::Event hidden = ev(Kind::reasoning);
    hidden.redacted = true;
    hidden.status = "redacted";
    x.f.on_event(hidden);
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "content", "reasoning", "reasoning"});
    CHECK(str(d[1], "content") == "Hello");
    CHECK(str(d[2], "content") == "think");
    CHECK_FALSE(has(d[2], "redacted"));
    CHECK((*d[3])["redacted"].GetBool());
    CHECK(str(d[3], "content").empty());
    CHECK(str(d[3], "state") == "redacted");
}

TEST_CASE("a tool call streamed as deltas is one line as soon as its JSON completes", "[jsonl]") {
    Fixture x;
    stream::Event first = tool("{\"ci", "get_weather", "call-1");
    first.message_id = "message-9";
    first.otid = "otid-2";
    x.f.on_event(first);
    x.f.on_event(ev(Kind::ping));  // a keepalive between deltas does not end the call
    x.f.on_event(tool("ty\":\"Par"));
    REQUIRE(types(take(x.f)) == std::vector<std::string>{"start", "ping"});
    stream::Event last = tool("is\"}");
    last.seq_id = 12;
    x.f.on_event(last);
    auto d = take(x.f);  // before any tool_result has arrived
    REQUIRE(types(d) == std::vector<std::string>{"tool_call"});
    CHECK(str(d[0], "tool") == "get_weather");
    CHECK(str(d[0], "tool_call_id") == "call-1");
    CHECK(str(d[0], "arguments") == "{\"city\":\"Paris\"}");
    CHECK(str(d[0], "id") == "message-9");
    CHECK(str(d[0], "otid") == "otid-2");
    CHECK(num(d[0], "seq_id") == 12);

    stream::Event result = ev(Kind::tool_result, "18C");
    result.tool_call_id = "call-1";
    result.status = "success";
    x.f.on_event(result);
    d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"tool_result"});
    CHECK(str(d[0], "tool_call_id") == "call-1");
    CHECK(str(d[0], "status") == "success");
    CHECK(str(d[0], "result") == "18C");
}

TEST_CASE("braces and quotes inside argument strings do not end the call", "[jsonl]") {
    Fixture x;
    x.f.on_event(tool("{\"q\":\"a}b\\\"", "search", "c1"));
    x.f.on_event(tool("}\""));
    CHECK(take(x.f).empty());  // a pending call writes nothing, not even the start line yet
    x.f.on_event(tool("}"));
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call"});
    CHECK(str(d[1], "arguments") == "{\"q\":\"a}b\\\"}\"}");
}

TEST_CASE("a new tool_call_id ends the pending call", "[jsonl]") {
    Fixture x;
    x.f.on_event(tool("{\"a\":", "one", "c1"));
    x.f.on_event(tool("{\"b\":1}", "two", "c2"));
    x.f.finish({});
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "tool_call", "done"});
    CHECK(str(d[1], "tool") == "one");
    CHECK(str(d[1], "tool_call_id") == "c1");
    CHECK(str(d[1], "arguments") == "{\"a\":");
    CHECK(str(d[2], "tool") == "two");
    CHECK(str(d[2], "arguments") == "{\"b\":1}");
}

TEST_CASE("step mode: a complete call comes out immediately", "[jsonl]") {
    Fixture x;
    x.f.on_event(tool("{\"x\": [1, 2, {\"y\": null}]}  ", "calc", "c9"));
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call"});
    CHECK(str(d[1], "arguments") == "{\"x\": [1, 2, {\"y\": null}]}  ");
}

TEST_CASE("arguments that never complete are emitted when the call ends", "[jsonl]") {
    SECTION("at finish, before done") {
        Fixture x;
        x.f.on_event(tool("{\"broken\": tru", "t", "c1"));
        x.f.finish({});
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "done"});
        CHECK(str(d[1], "arguments") == "{\"broken\": tru");
    }
    SECTION("before an event of another kind") {
        Fixture x;
        x.f.on_event(tool("{\"a\":}", "t", "c1"));  // closed but invalid: never valid again
        x.f.on_event(tool("   "));
        x.f.on_event(ev(Kind::content, "ok"));
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "content"});
        CHECK(str(d[1], "arguments") == "{\"a\":}   ");
    }
    SECTION("a top-level number waits: it could still grow") {
        Fixture x;
        x.f.on_event(tool("1", "t", "c1"));
        x.f.on_event(tool("2"));
        CHECK(take(x.f).empty());
        x.f.finish({});
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "done"});
        CHECK(str(d[1], "arguments") == "12");
    }
}

TEST_CASE("a delta for a call already emitted", "[jsonl]") {
    Fixture x;
    x.f.on_event(tool("{}", "t", "c1"));
    x.f.on_event(tool(""));               // nothing new: ignored
    x.f.on_event(tool(" \n", {}, "c1"));  // whitespace: still one complete value, ignored
    x.f.on_event(tool("{\"more\":1}", {}, "c1"));
    x.f.finish({});
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "tool_call", "done"});
    CHECK(str(d[2], "tool") == "t");
    CHECK(str(d[2], "tool_call_id") == "c1");
    CHECK(str(d[2], "arguments") == "{\"more\":1}");
}

TEST_CASE("approval_request", "[jsonl]") {
    Fixture x;
    x.f.on_event(tool("{\"cmd\":", "shell", "c1", Kind::approval_request));
    x.f.on_event(tool("\"ls\"}", {}, {}, Kind::approval_request));
    stream::Event stop = ev(Kind::stop);
    stop.name = "requires_approval";
    x.f.on_event(stop);
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "approval_request", "stop"});
    CHECK(str(d[1], "tool") == "shell");
    CHECK(str(d[1], "tool_call_id") == "c1");
    CHECK(str(d[1], "arguments") == "{\"cmd\":\"ls\"}");
    CHECK(str(d[2], "stop_reason") == "requires_approval");
}

TEST_CASE("usage, errors, status, unknown and [DONE]", "[jsonl]") {
    Fixture x;
    stream::Event usage = ev(Kind::usage);
    usage.usage.prompt_tokens = 10;
    usage.usage.completion_tokens = 5;
    usage.usage.total_tokens = 15;
    usage.usage.step_count = 1;
    x.f.on_event(usage);
    stream::Event err = ev(Kind::error, "Rate limit exceeded");
    err.name = "llm_rate_limit";
    err.detail = "429 from provider";
    err.run_id = "run-9";
    x.f.on_event(err);
    stream::Event err2 = ev(Kind::error, "boom");
    err2.name = "internal_error";
    x.f.on_event(err2);
    x.f.on_client_error("auth", "unauthorized", "set LETTA_API_KEY", 401);
    x.f.on_client_error("network", "connection refused", {}, 0);
    stream::Event status = ev(Kind::status, "attempt 2");
    status.name = "retrying";
    x.f.on_event(status);
    x.f.on_status("resumed", "after seq 4");
    stream::Event unknown = ev(Kind::unknown);
    unknown.name = "response_state";
    x.f.on_event(unknown);
    x.f.on_event(ev(Kind::done));
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "usage", "error", "error", "error",
                                                 "error", "status", "status", "unknown"});
    CHECK(num(d[1], "prompt_tokens") == 10);
    CHECK(num(d[1], "completion_tokens") == 5);
    CHECK(num(d[1], "total_tokens") == 15);
    CHECK(num(d[1], "step_count") == 1);
    for (const char* k :
         {"reasoning_tokens", "cached_input_tokens", "cache_write_tokens", "context_tokens"})
        CHECK(is_null(d[1], k));
    CHECK(str(d[2], "source") == "server");
    CHECK(str(d[2], "error_type") == "llm_rate_limit");
    CHECK(str(d[2], "message") == "Rate limit exceeded");
    CHECK(str(d[2], "detail") == "429 from provider");
    CHECK(str(d[2], "run_id") == "run-9");
    CHECK_FALSE(has(d[3], "detail"));
    CHECK(str(d[4], "source") == "client");
    CHECK(str(d[4], "error_type") == "auth");
    CHECK(str(d[4], "message") == "unauthorized");
    CHECK(str(d[4], "hint") == "set LETTA_API_KEY");
    CHECK(num(d[4], "http_status") == 401);
    CHECK_FALSE(has(d[5], "hint"));
    CHECK_FALSE(has(d[5], "http_status"));
    CHECK(str(d[6], "status") == "retrying");
    CHECK(str(d[6], "detail") == "attempt 2");
    CHECK(str(d[7], "status") == "resumed");
    CHECK(str(d[7], "detail") == "after seq 4");
    CHECK(str(d[8], "name") == "response_state");
}

TEST_CASE("done is the last line, exactly once", "[jsonl]") {
    Fixture x;
    stream::Event c = ev(Kind::content, "a");
    c.run_id = "run-old";
    x.f.on_event(c);
    Ending ending;
    ending.exit_status = 3;
    ending.exit_name = "run_error";
    ending.message = "the run failed";
    ending.run_id = "run-new";
    x.f.finish(ending);
    x.f.finish({});
    x.f.on_event(ev(Kind::content, "late"));
    x.f.on_status("late", "");
    x.f.on_client_error("network", "late", {}, 0);
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "content", "done"});
    CHECK(is_null(d[2], "stop_reason"));
    CHECK(num(d[2], "exit_status") == 3);
    CHECK(str(d[2], "exit_name") == "run_error");
    CHECK(str(d[2], "message") == "the run failed");
    CHECK(str(d[2], "run_id") == "run-new");
    CHECK(num(d[2], "seq") == 3);

    Fixture y;
    y.f.on_event(c);
    Ending ok;
    ok.exit_name = "ok";
    ok.stop_reason = "end_turn";
    y.f.finish(ok);
    d = take(y.f);
    CHECK(str(d.back(), "stop_reason") == "end_turn");
    CHECK(str(d.back(), "run_id") == "run-old");
    CHECK_FALSE(has(d.back(), "message"));
}

TEST_CASE("invalid UTF-8 is repaired, control characters and NUL are escaped", "[jsonl]") {
    Fixture x;
    x.f.on_event(ev(Kind::content, "caf\xe9"));
    const std::string ctrl(
        "a\nb\tc\x01"
        "d\0e\"\\",
        11);
    x.f.on_event(ev(Kind::content, ctrl));
    x.f.on_event(tool(std::string_view("{\"k\":\"\xff\"}", 9), "t\xc3", "c1"));
    const std::string raw = x.f.pending();
    CHECK(raw.find(std::string("\0", 1)) == std::string::npos);
    CHECK(raw.find("\\u0000") != std::string::npos);
    auto d = take(x.f);  // checks valid UTF-8 and one object per line
    REQUIRE(d.size() == 4);
    CHECK(str(d[1], "content") == "caf\xEF\xBF\xBD");
    CHECK(str(d[2], "content") == ctrl);  // round-trips, NUL included
    CHECK(str(d[3], "tool") == "t\xEF\xBF\xBD");
    CHECK(str(d[3], "arguments") == "{\"k\":\"\xEF\xBF\xBD\"}");
}

TEST_CASE("a 10 MB tool result is one valid line", "[jsonl]") {
    Fixture x;
    std::string big(10 * 1024 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096)
        big[i] = '\n';
    stream::Event r = ev(Kind::tool_result, big);
    r.tool_call_id = "c1";
    r.status = "error";
    x.f.on_event(r);
    x.f.on_event(ev(Kind::content, "after"));
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "tool_result", "content"});
    CHECK(str(d[1], "result") == big);
    CHECK(str(d[1], "status") == "error");
}

TEST_CASE("content values concatenate to what text mode writes", "[jsonl]") {
    Fixture x;
    TextFormatter text(false);
    const std::vector<stream::Event> events = {
        ev(Kind::reasoning, "plan"),
        ev(Kind::content, "Hello"),
        ev(Kind::content, ", "),
        ev(Kind::ping),
        ev(Kind::content, ""),
        ev(Kind::content, "wörld ✓\n"),
        tool("{}", "t", "c1"),
        ev(Kind::content, "tab\there"),
        ev(Kind::content, std::string_view("nul\0!", 5)),
        ev(Kind::done),
    };
    for (const auto& e : events) {
        x.f.on_event(e);
        text.on_event(e);
    }
    x.f.finish({});
    text.finish({});
    std::string joined;
    for (const auto& d : take(x.f))
        if (type(d) == "content") joined += str(d, "content");
    CHECK(joined == text.pending());
}

TEST_CASE("tool call edge cases", "[jsonl]") {
    Fixture x;
    SECTION("the name may come after the id; a status ends the call") {
        x.f.on_event(tool("{\"a\":", {}, "c1"));
        x.f.on_event(tool("1", "late_name"));
        x.f.on_status("retrying", "");
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "status"});
        CHECK(str(d[1], "tool") == "late_name");
        CHECK(str(d[1], "arguments") == "{\"a\":1");
    }
    SECTION("a call without id or name has nulls; a change of kind ends it") {
        x.f.on_event(tool("[1,"));
        x.f.on_event(tool("{}", "ask", "c2", Kind::approval_request));
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "approval_request"});
        CHECK(is_null(d[1], "tool"));
        CHECK(is_null(d[1], "tool_call_id"));
        CHECK(str(d[1], "arguments") == "[1,");
        CHECK(str(d[2], "tool") == "ask");
    }
    SECTION("top-level string and literal arguments complete when they close") {
        x.f.on_event(tool("\"a b", "s", "c1"));
        x.f.on_event(tool("\""));
        x.f.on_event(tool("tr", "l", "c2"));
        x.f.on_event(tool("ue"));
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "tool_call"});
        CHECK(str(d[1], "arguments") == "\"a b\"");
        CHECK(str(d[2], "arguments") == "true");
    }
    SECTION("a NUL after the value keeps the call open until it ends") {
        x.f.on_event(tool(std::string_view("{}\0x", 4), "t", "c1"));
        CHECK(take(x.f).empty());
        x.f.finish({});
        auto d = take(x.f);
        REQUIRE(types(d) == std::vector<std::string>{"start", "tool_call", "done"});
        CHECK(str(d[1], "arguments") == std::string("{}\0x", 4));
    }
}

// Python's str.splitlines() (and JavaScript before ES2019) also end lines at U+2028, U+2029 and
// U+0085 (NEL). JSON allows them raw inside strings; we escape them as Go's encoder does, so
// every consumer sees one object per line.
TEST_CASE("U+2028, U+2029 and NEL are escaped: every line splitter sees the same lines",
          "[jsonl][json_escape]") {
    const std::string nasty =
        "a\xE2\x80\xA8"
        "b\xE2\x80\xA9"
        "c\xC2\x85"
        "d \xE2\x80\x94 \xC2\xA0 \xE2\x80\xA8";
    Fixture x;
    TurnInfo info;
    info.agent = nasty;
    x.f.begin(info);
    stream::Event c = ev(Kind::content, nasty);
    c.run_id = "run-\xC2\x85";  // the cached members too
    c.message_id = "msg-\xE2\x80\xA9";
    x.f.on_event(c);
    x.f.on_event(c);  // the second line copies the cached ones
    x.f.on_event(tool("{\"k\":\"\xE2\x80\xA8\"}", "t", "c1"));
    Ending ending;
    ending.stop_reason = nasty;
    x.f.finish(ending);

    const std::string out = x.f.pending();
    CHECK(out.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(out.find("\xE2\x80\xA9") == std::string::npos);
    CHECK(out.find("\xC2\x85") == std::string::npos);
    CHECK(out.find("\\u2028") != std::string::npos);
    CHECK(out.find("\xE2\x80\x94") != std::string::npos);  // other non-ASCII stays as it is
    // splitlines() on the decoded text would now split exactly at the '\n's.
    std::size_t newlines = 0;
    for (char ch : out)
        newlines += ch == '\n';

    auto d = take(x.f);  // parses every line back
    REQUIRE(d.size() == newlines);
    REQUIRE(types(d) ==
            std::vector<std::string>{"start", "content", "content", "tool_call", "done"});
    CHECK(str(d[0], "agent") == nasty);
    for (int i : {1, 2}) {
        CHECK(str(d[i], "content") == nasty);
        CHECK(str(d[i], "run_id") == "run-\xC2\x85");
        CHECK(str(d[i], "id") == "msg-\xE2\x80\xA9");
    }
    CHECK(str(d[3], "arguments") == "{\"k\":\"\xE2\x80\xA8\"}");
    CHECK(str(d[4], "stop_reason") == nasty);
}

// ---- the `sse` dialect's lines ----------------------------------------------------------------

#include <limits>

namespace {

stream::Event sse_event(std::string_view event, std::string_view data, std::string_view id) {
    stream::Event e = ev(Kind::sse, data);
    e.name = event;
    e.last_event_id = id;
    return e;
}

std::vector<std::string> keys(const Doc& d) {
    std::vector<std::string> k;
    for (auto m = d->MemberBegin(); m != d->MemberEnd(); ++m)
        k.emplace_back(m->name.GetString(), m->name.GetStringLength());
    return k;
}

}  // namespace

TEST_CASE("sse events are lines with event, data and the last event id", "[jsonl][raw_sse]") {
    Fixture x;
    x.f.on_event(sse_event("message", "hello", ""));
    x.clock.advance_ms(5);
    x.f.on_event(sse_event("update", "line 1\nline 2", "42"));
    x.f.on_event(sse_event("message", "", "42"));
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "sse", "sse", "sse"});
    const std::vector<std::string> want{"type", "event", "data", "id", "seq", "t_ms"};
    for (std::size_t i = 1; i < d.size(); ++i)
        CHECK(keys(d[i]) == want);
    CHECK(str(d[1], "event") == "message");
    CHECK(str(d[1], "data") == "hello");
    CHECK(str(d[1], "id") == "");  // before any id: "", not null
    CHECK(num(d[1], "seq") == 2);
    CHECK(str(d[2], "event") == "update");
    CHECK(str(d[2], "data") == "line 1\nline 2");
    CHECK(str(d[2], "id") == "42");
    CHECK((*d[2])["t_ms"].GetDouble() == 5.0);
    CHECK(str(d[3], "data") == "");
    CHECK(str(d[3], "id") == "42");
}

TEST_CASE("sse_retry lines carry the milliseconds", "[jsonl][raw_sse]") {
    Fixture x;
    stream::Event r = ev(Kind::sse_retry);
    r.retry_ms = 3000;
    x.f.on_event(r);
    r.retry_ms = std::numeric_limits<std::int64_t>::max();
    x.f.on_event(r);
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "sse_retry", "sse_retry"});
    CHECK(keys(d[1]) == std::vector<std::string>{"type", "retry", "seq", "t_ms"});
    CHECK(num(d[1], "retry") == 3000);
    CHECK(num(d[2], "retry") == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("an sse line's id is never a message id from an earlier line", "[jsonl][raw_sse]") {
    // "id" on Letta lines is the message id, added by the common keys; on sse lines it is the
    // SSE last event ID, and it must be the only "id".
    Fixture x;
    stream::Event c = ev(Kind::content, "x");
    c.message_id = "message-1";
    x.f.on_event(c);
    x.f.on_event(sse_event("message", "y", ""));
    x.f.on_event(sse_event("message", "z", "7"));
    x.f.on_event(c);
    auto d = take(x.f);
    REQUIRE(types(d) == std::vector<std::string>{"start", "content", "sse", "sse", "content"});
    CHECK(str(d[1], "id") == "message-1");
    CHECK(keys(d[2]) == std::vector<std::string>{"type", "event", "data", "id", "seq", "t_ms"});
    CHECK(str(d[2], "id") == "");
    CHECK(keys(d[3]) == std::vector<std::string>{"type", "event", "data", "id", "seq", "t_ms"});
    CHECK(str(d[3], "id") == "7");
    CHECK(str(d[4], "id") == "message-1");
}

TEST_CASE("sse lines escape what the data holds", "[jsonl][raw_sse]") {
    Fixture x;
    const std::string data("a\0b\x01\"\\\xE2\x80\xA8z", 10);
    x.f.on_event(sse_event("ev\xFF", data, "i\nd"));
    const std::string raw = x.f.pending();
    CHECK(raw.find("\\u2028") != std::string::npos);
    auto d = take(x.f);
    REQUIRE(d.size() == 2);
    CHECK(str(d[1], "data") == data);
    CHECK(str(d[1], "event") == "ev\xEF\xBF\xBD");
    CHECK(str(d[1], "id") == "i\nd");
}
