// protocol::SimpleDecoder — the `simple` dialect: the streaming tutorial's FastAPI proxy, whose
// SSE events carry {"type": "content" | "done" | "error" | "tool_call" | "tool_result" |
// "status", ...}. Streams go through the chain's real front (sse::Parser → protocol::Decoding →
// SimpleDecoder), whole, one byte at a time and split in two at every point, with identical
// results.
#include "protocol/simple_decoder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/decoder.hpp"
#include "sse/parser.hpp"
#include "stream/tool_calls.hpp"

using namespace std::string_view_literals;
using namespace letta_stream;
using stream::Kind;

namespace {

// Owned copy of one stream::Event: the views die when on_event returns.
struct Rec {
    Kind kind = Kind::unknown;
    std::string name, text, status, tool_call_id, detail;
    std::int64_t total_tokens = -1;
    bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
    return os << "{" << stream::to_string(r.kind) << " name=\"" << r.name << "\" text=\"" << r.text
              << "\" status=\"" << r.status << "\" id=\"" << r.tool_call_id << "\" detail=\""
              << r.detail << "\" total=" << r.total_tokens << "}";
}

using Recs = std::vector<Rec>;

Rec rec(Kind kind, std::string_view name = "", std::string_view text = "") {
    Rec r;
    r.kind = kind;
    r.name = name;
    r.text = text;
    return r;
}
Rec content(std::string_view text) {
    return rec(Kind::content, "", text);
}
Rec done() {
    return rec(Kind::done);
}
Rec error(std::string_view message, std::string_view detail = "") {
    Rec r = rec(Kind::error, "error", message);
    r.detail = detail;
    return r;
}
Rec unknown(std::string_view name) {
    return rec(Kind::unknown, name);
}
Rec malformed(std::string_view why) {
    return rec(Kind::malformed, "", why);
}
Rec tool_call(std::string_view tool, std::string_view args, std::string_view status = "",
              std::string_view id = "") {
    Rec r = rec(Kind::tool_call, tool, args);
    r.status = status;
    r.tool_call_id = id;
    return r;
}
Rec tool_result(std::string_view result, std::string_view id = "", std::string_view status = "") {
    Rec r = rec(Kind::tool_result, "", result);
    r.status = status;
    r.tool_call_id = id;
    return r;
}
Rec usage(std::int64_t total) {
    Rec r = rec(Kind::usage);
    r.total_tokens = total;
    return r;
}

struct Collect : stream::Sink {
    Recs out;
    void on_event(const stream::Event& e) override {
        out.push_back({e.kind, std::string(e.name), std::string(e.text), std::string(e.status),
                       std::string(e.tool_call_id), std::string(e.detail), e.usage.total_tokens});
    }
};

// `assemble`: with stream::ToolCalls behind the decoder, as in the program.
Recs feed(const std::vector<std::string_view>& chunks, bool assemble = false) {
    protocol::SimpleDecoder decoder;
    Collect sink;
    stream::ToolCalls calls(sink);
    protocol::Decoding link(decoder, assemble ? static_cast<stream::Sink&>(calls) : sink);
    sse::Parser parser;
    for (const std::string_view chunk : chunks)
        if (parser.feed(chunk, link) == sse::Status::stopped) break;  // after done
    parser.finish();
    calls.on_end();
    return sink.out;
}

// Whole, byte by byte, and in two parts at every split point: the same events every time.
Recs decode(std::string_view bytes, bool assemble = false) {
    const Recs whole = feed({bytes}, assemble);
    std::vector<std::string_view> bytewise;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytewise.push_back(bytes.substr(i, 1));
    CHECK(feed(bytewise, assemble) == whole);
    for (std::size_t i = 0; i <= bytes.size(); ++i) {
        INFO("split at " << i);
        CHECK(feed({bytes.substr(0, i), bytes.substr(i)}, assemble) == whole);
    }
    return whole;
}

// One event's data, straight to the decoder.
Recs one(std::string_view data) {
    protocol::SimpleDecoder decoder;
    Collect sink;
    protocol::Decoding link(decoder, sink);
    link.on_event(sse::Event{"message", data, {}});
    return sink.out;
}

}  // namespace

TEST_CASE("simple: the tutorial's stream with LF separators", "[simple]") {
    // generate_stream(): f"data: {json.dumps(data)}\n\n" per chunk, then {"type": "done"}.
    // Nothing after done is read.
    CHECK(decode("data: {\"type\": \"content\", \"content\": \"Hel\"}\n\n"
                 "data: {\"type\": \"content\", \"content\": \"lo \\u00e9\\n\"}\n\n"
                 "data: {\"type\": \"done\"}\n\n"
                 "data: {\"type\": \"content\", \"content\": \"after\"}\n\n") ==
          Recs{content("Hel"), content("lo \xC3\xA9\n"), done()});
}

TEST_CASE("simple: the tutorial's stream with CRLF separators", "[simple]") {
    CHECK(decode("data: {\"type\": \"content\", \"content\": \"Hi\"}\r\n\r\n"
                 "data: {\"type\": \"content\", \"content\": \" there\"}\r\n\r\n"
                 "data: {\"type\": \"done\"}\r\n\r\n") ==
          Recs{content("Hi"), content(" there"), done()});
}

TEST_CASE("simple: sse-starlette's double framing and ping comments", "[simple]") {
    // EventSourceResponse wraps each yielded string in an event of its own: `data: ` + each of
    // its lines, CRLF-separated; the proxy's "\n\n" becomes two empty data lines. Its keepalive
    // is a comment.
    CHECK(decode("data: data: {\"type\": \"content\", \"content\": \"Hi\"}\r\ndata: \r\ndata: \r\n"
                 "\r\n"
                 ": ping - 2025-02-01 12:00:00.000000+00:00\r\n\r\n"
                 "data: data: {\"type\": \"done\"}\r\ndata: \r\ndata: \r\n\r\n") ==
          Recs{content("Hi"), done()});
}

TEST_CASE("simple: an error mid-stream", "[simple]") {
    // except Exception as e: {"type": "error", "message": str(e)} — and the generator ends.
    // The error is an event like any other: the stream is read on.
    const std::string_view lf =
        "data: {\"type\": \"content\", \"content\": \"Partial\"}\n\n"
        "data: {\"type\": \"error\", \"message\": \"Connection reset\"}\n\n"
        "data: {\"type\": \"content\", \"content\": \"more\"}\n\n";
    const Recs want{content("Partial"), error("Connection reset"), content("more")};
    CHECK(decode(lf) == want);
    std::string crlf;
    for (const char c : lf)
        c == '\n' ? crlf.append("\r\n") : crlf.append(1, c);
    CHECK(decode(crlf) == want);
}

TEST_CASE("simple: error events without a message", "[simple]") {
    CHECK(one(R"({"type":"error","error":"quota","detail":"try later"})") ==
          Recs{error("quota", "try later")});
    CHECK(one(R"({"type":"error","code":7})") == Recs{error(R"({"type":"error","code":7})")});
    CHECK(one(R"({"type":"error","message":{"reason":"x"}})") == Recs{error(R"({"reason":"x"})")});
}

TEST_CASE("simple: tool calls and results", "[simple]") {
    CHECK(one(R"({"type":"tool_call","tool":"web_search","status":"started"})") ==
          Recs{tool_call("web_search", "", "started")});
    CHECK(one(R"({"type":"tool_call","tool":"f","arguments":{"q": [1, "x"]},"id":"c1"})") ==
          Recs{tool_call("f", R"({"q": [1, "x"]})", "", "c1")});
    CHECK(one(R"({"type":"tool_call","tool":"f","arguments":"{\"a\":1}","tool_call_id":"c2"})") ==
          Recs{tool_call("f", R"({"a":1})", "", "c2")});
    CHECK(one(R"({"type":"tool_result","result":"42 results"})") ==
          Recs{tool_result("42 results")});
    CHECK(
        one(R"({"type":"tool_result","result":{"rows":[]},"tool_call_id":"c1","status":"error"})") ==
        Recs{tool_result(R"({"rows":[]})", "c1", "error")});
    CHECK(one(R"({"type":"tool_result","result":null})") == Recs{tool_result("")});
}

TEST_CASE("simple: the proxy's tool-call chunks become one call", "[simple]") {
    // The proxy yields a tool_call per OpenAI function_call chunk: the name on the first, null
    // after. stream::ToolCalls joins them; the result ends the call.
    CHECK(
        decode("data: {\"type\": \"tool_call\", \"tool\": \"search\", \"status\": \"started\"}\n\n"
               "data: {\"type\": \"tool_call\", \"tool\": null, \"status\": \"started\"}\n\n"
               "data: {\"type\": \"tool_call\", \"tool\": null, \"status\": \"started\"}\n\n"
               "data: {\"type\": \"tool_result\", \"result\": \"found\"}\n\n"
               "data: {\"type\": \"done\"}\n\n",
               true) == Recs{tool_call("search", ""), tool_result("found"), done()});
}

TEST_CASE("simple: status events", "[simple]") {
    // The server's status is not Kind::status (the client's own): a word alone is unknown; with
    // total_tokens it is usage.
    CHECK(one(R"({"type": "status", "status": "thinking"})") == Recs{unknown("status")});
    CHECK(one(R"({"type": "status", "status": "complete", "total_tokens": 42})") ==
          Recs{usage(42)});
    CHECK(one(R"({"type": "status", "total_tokens": -1})") == Recs{unknown("status")});
    CHECK(one(R"({"type": "status", "total_tokens": 1.5})") == Recs{unknown("status")});
    CHECK(one(R"({"type": "status", "total_tokens": "42"})") == Recs{unknown("status")});
}

TEST_CASE("simple: content edge cases", "[simple]") {
    CHECK(one(R"({"type":"content","content":""})").empty());  // nothing to print
    CHECK(one(R"({"type":"content"})").empty());
    CHECK(one(R"({"type":"content","content":null})").empty());
    CHECK(one(R"({"type":"content","content":42})") == Recs{content("42")});
    CHECK(one(R"({"type":"content","content":"a","tokens":3,"extra":{"x":[1]}})") ==
          Recs{content("a")});
    CHECK(one(R"({"content":"b","type":"content"})") == Recs{content("b")});  // any key order
    CHECK(one("{\"type\":\"content\",\"content\":\"nul\\u0000in\"}") == Recs{content("nul\0in"sv)});
}

TEST_CASE("simple: unknown types", "[simple]") {
    CHECK(one(R"({"type":"chunk","content":"x"})") == Recs{unknown("chunk")});
    CHECK(one(R"({"agent_id":"a","content":"x"})") == Recs{unknown("")});
    CHECK(one("{}") == Recs{unknown("")});
    CHECK(one(R"({"type":5})") == Recs{unknown("")});
    CHECK(one(R"({"type":"Content","content":"x"})") == Recs{unknown("Content")});
}

TEST_CASE("simple: [DONE] ends the stream too", "[simple]") {
    CHECK(decode("data: {\"type\":\"content\",\"content\":\"x\"}\n\ndata: [DONE]\n\ndata: y\n\n") ==
          Recs{content("x"), done()});
}

TEST_CASE("simple: data that is not one JSON object is malformed", "[simple]") {
    CHECK(one("hello") == Recs{malformed("invalid JSON at offset 0: Invalid value.")});
    CHECK(one("") == Recs{malformed("invalid JSON at offset 0: The document is empty.")});
    CHECK(one("[1, 2]") == Recs{malformed("expected a JSON object, got an array")});
    CHECK(one("\"text\"") == Recs{malformed("expected a JSON object, got a string")});
    CHECK(one("42") == Recs{malformed("expected a JSON object, got a number")});
    CHECK(one("null") == Recs{malformed("expected a JSON object, got null")});
    CHECK(one(R"({"type":"done"} {})")[0].kind == Kind::malformed);
    CHECK(one(R"({"type":"content","content":"x)")[0].kind == Kind::malformed);
    CHECK(one("{\"type\":\"done\"}\0garbage"sv) ==
          Recs{malformed("invalid JSON at offset 15: unexpected NUL byte")});
    const std::string deep = "{\"a\":" + std::string(300, '[') + std::string(300, ']') + "}";
    CHECK(one(deep)[0].kind == Kind::malformed);
    CHECK(one(deep)[0].text.starts_with("JSON nested deeper than 256 levels"));
}

TEST_CASE("simple: a malformed event does not end the stream", "[simple]") {
    CHECK(decode("data: oops\r\n\r\ndata: {\"type\":\"content\",\"content\":\"ok\"}\r\n\r\n") ==
          Recs{malformed("invalid JSON at offset 0: Invalid value."), content("ok")});
}

TEST_CASE("simple: whitespace around the JSON and multi-line data", "[simple]") {
    // The data lines of one event are joined with LF: pretty-printed JSON is one event.
    CHECK(decode("data: {\n"
                 "data:   \"type\": \"content\",\n"
                 "data:   \"content\": \"pretty\"\n"
                 "data: }\n\n") == Recs{content("pretty")});
    CHECK(one("  \t{\"type\":\"done\"}\r\n ") == Recs{done()});
}
