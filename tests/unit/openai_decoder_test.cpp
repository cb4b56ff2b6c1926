// protocol::OpenAiDecoder: chat.completion.chunk events → stream::Events, driven through the real
// sse::Parser and protocol::Decoding as the chain does, over the recorded and hand-written streams
// of tests/fixtures/openai/ (whole, byte by byte and at every two-way split point).
#include "protocol/openai_decoder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "sse/parser.hpp"
#include "stream/tool_calls.hpp"

using letta_stream::protocol::DecodeStatus;
using letta_stream::protocol::Decoding;
using letta_stream::protocol::OpenAiDecoder;
using letta_stream::stream::Kind;
namespace sse = letta_stream::sse;
namespace stream = letta_stream::stream;

namespace {

// Owned copy of one stream::Event: the views die when on_event returns.
struct Rec {
    Kind kind;
    std::string text, name, tool_call_id, message_id;
    stream::Usage usage;

    // Everything above on one line, for comparing whole runs.
    std::string line() const {
        std::string s(stream::to_string(kind));
        s += '|' + text + '|' + name + '|' + tool_call_id + '|' + message_id;
        for (std::int64_t n : {usage.prompt_tokens, usage.completion_tokens, usage.total_tokens,
                               usage.reasoning_tokens, usage.cached_input_tokens})
            s += '|' + std::to_string(n);
        return s;
    }
};

struct Recorder : stream::Sink {
    std::vector<Rec> events;
    void on_event(const stream::Event& e) override {
        events.push_back(Rec{e.kind, std::string(e.text), std::string(e.name),
                             std::string(e.tool_call_id), std::string(e.message_id), e.usage});
    }
};

std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(LS_FIXTURES_DIR) + "/openai/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const char* const kFixtures[] = {
    "appserver_stream.sse",
    "appserver_reasoning_turn.sse",
    "appserver_tool_turn.sse",
    "appserver_include_usage.sse",
    "appserver_llm_http500.sse",
    "appserver_llm_drop_retried.sse",
    "synth_openai_parallel_tool_calls.sse",
    "synth_llamacpp_reasoning.sse",
    "synth_ollama_reasoning_length.sse",
    "synth_interleaved_tool_calls_no_done.sse",
    "synth_malformed_and_errors.sse",
};

// Feeds `body` to parser → Decoding → decoder in the given pieces (one read per piece), as
// session::Exchange does: nothing more is fed once the parser stops after [DONE].
std::vector<Rec> run(std::string_view body, const std::vector<std::size_t>& cuts = {},
                     bool assemble_calls = false) {
    OpenAiDecoder decoder;
    Recorder rec;
    stream::ToolCalls calls(rec);
    stream::Sink& first = assemble_calls ? static_cast<stream::Sink&>(calls) : rec;
    Decoding decoding(decoder, first);
    sse::Parser parser;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : body.size();
        const sse::Status s = parser.feed(body.substr(start, end - start), decoding);
        start = end;
        if (s != sse::Status::ok) break;
    }
    parser.finish();
    first.on_end();
    return rec.events;
}

std::vector<Rec> run_fixture(const std::string& name, bool assemble_calls = false) {
    return run(read_fixture(name), {}, assemble_calls);
}

std::vector<std::string> lines(const std::vector<Rec>& events) {
    std::vector<std::string> out;
    for (const Rec& e : events)
        out.push_back(e.line());
    return out;
}

std::string concat(const std::vector<Rec>& events, Kind kind) {
    std::string out;
    for (const Rec& e : events)
        if (e.kind == kind) out += e.text;
    return out;
}

std::vector<Rec> of_kind(const std::vector<Rec>& events, Kind kind) {
    std::vector<Rec> out;
    for (const Rec& e : events)
        if (e.kind == kind) out.push_back(e);
    return out;
}

// One SSE event straight into a fresh decoder.
struct Result {
    DecodeStatus status;
    std::vector<Rec> events;
    std::string error;
};

Result decode(std::string_view data, std::string_view type = "message") {
    OpenAiDecoder decoder;
    Recorder rec;
    const DecodeStatus status = decoder.on_sse_event(sse::Event{type, data, {}}, rec);
    return {status, std::move(rec.events), decoder.last_error()};
}

const std::string kAppServerText =
    "Hello from the fake model! Tokens arrive one by one: caf\xc3\xa9, na\xc3\xafve, "
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, \xf0\x9f\x99\x82.";

}  // namespace

TEST_CASE("openai: every fixture decodes the same whole, byte by byte and at every split point",
          "[openai][fixtures]") {
    for (const char* name : kFixtures) {
        INFO(name);
        const std::string body = read_fixture(name);
        const auto whole = lines(run(body));
        REQUIRE_FALSE(whole.empty());
        std::vector<std::size_t> bytes;
        for (std::size_t k = 1; k < body.size(); ++k)
            bytes.push_back(k);
        CHECK(lines(run(body, bytes)) == whole);
        for (std::size_t k = 1; k < body.size(); ++k) {
            if (lines(run(body, {k})) != whole) {
                INFO("split at " << k);
                CHECK(lines(run(body, {k})) == whole);
                break;
            }
        }
    }
}

TEST_CASE("openai: App Server stream: text, chunk id, stop, done", "[openai][fixtures]") {
    const auto events = run_fixture("appserver_stream.sse");
    CHECK(concat(events, Kind::content) == kAppServerText);
    REQUIRE(events.size() == 14 + 2);  // the role chunk's "content":"" emits nothing
    for (const Rec& e : events) {
        if (e.kind == Kind::done) continue;
        CHECK(e.message_id == "chatcmpl-5697ed89-2898-4a98-91e9-6963b90df093");
    }
    CHECK(events[0].text == "Hello ");
    CHECK(events[14].kind == Kind::stop);
    CHECK(events[14].name == "stop");
    CHECK(events[15].kind == Kind::done);
    CHECK(events[15].message_id.empty());
}

TEST_CASE("openai: App Server reasoning, tool and include_usage turns stream only the reply",
          "[openai][fixtures]") {
    for (const char* name : {"appserver_reasoning_turn.sse", "appserver_include_usage.sse"}) {
        INFO(name);
        const auto events = run_fixture(name);
        CHECK(concat(events, Kind::content) == kAppServerText);
        CHECK(of_kind(events, Kind::reasoning).empty());
        CHECK(of_kind(events, Kind::usage).empty());  // never sent, even when asked for
        CHECK(events.back().kind == Kind::done);
    }
    const auto tool = run_fixture("appserver_tool_turn.sse");
    CHECK(concat(tool, Kind::content) == "The file says: hello from a file.");
    CHECK(of_kind(tool, Kind::tool_call).empty());
    REQUIRE(of_kind(tool, Kind::stop).size() == 1);
    CHECK(of_kind(tool, Kind::stop)[0].name == "stop");
}

TEST_CASE("openai: App Server error events after an upstream 500 and a dropped stream",
          "[openai][fixtures]") {
    auto events = run_fixture("appserver_llm_http500.sse");
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == Kind::error);
    CHECK(events[0].name == "server_error");
    // The message is JSON text itself; it is kept as sent (unescaped once, as a JSON string).
    CHECK(events[0].text.rfind("{\n  \"error\": {\n    \"error\": {\n      \"type\": \"llm_error\"",
                               0) == 0);
    CHECK(events[0].text.find("fake upstream failure") != std::string::npos);
    CHECK(events[0].text.find("\"run_id\": \"local-run-11\"") != std::string::npos);
    CHECK(events[1].kind == Kind::done);

    events = run_fixture("appserver_llm_drop_retried.sse");
    // Every attempt's partial text was streamed: duplicated output, as the server sent it.
    CHECK(concat(events, Kind::content) ==
          "Hello from the Hello from the Hello from the Hello from the ");
    CHECK(of_kind(events, Kind::stop).empty());  // no finish_reason after an error
    REQUIRE(events.size() >= 2);
    CHECK(events[events.size() - 2].kind == Kind::error);
    CHECK(events[events.size() - 2].name == "server_error");
    CHECK_THAT(events[events.size() - 2].text,
               Catch::Contains("Stream ended without finish_reason"));
    CHECK(events.back().kind == Kind::done);
}

TEST_CASE("openai: tool-call fragments carry the id and name of their index's first fragment",
          "[openai][fixtures]") {
    const auto events = run_fixture("synth_openai_parallel_tool_calls.sse");
    const auto calls = of_kind(events, Kind::tool_call);
    REQUIRE(calls.size() == 9);
    std::string a, b;
    for (const Rec& c : calls) {
        if (c.tool_call_id == "call_DdmO9pD3xa9XTPNJ32zg2hcA") {
            CHECK(c.name == "get_weather");
            a += c.text;
        } else {
            CHECK(c.tool_call_id == "call_ABCDEFGHIJKLMNOPQRSTUVWX");
            CHECK(c.name == "get_time");
            b += c.text;
        }
    }
    CHECK(a == R"({"location": "Paris, France"})");
    CHECK(b == R"({"tz": "Europe/Paris"})");
    REQUIRE(of_kind(events, Kind::stop).size() == 1);
    CHECK(of_kind(events, Kind::stop)[0].name == "tool_calls");
    CHECK(concat(events, Kind::content).empty());  // "content": null

    // stream::ToolCalls downstream makes one event per call with the whole arguments.
    const auto assembled =
        of_kind(run_fixture("synth_openai_parallel_tool_calls.sse", true), Kind::tool_call);
    REQUIRE(assembled.size() == 2);
    CHECK(assembled[0].name == "get_weather");
    CHECK(assembled[0].text == R"({"location": "Paris, France"})");
    CHECK(assembled[1].name == "get_time");
    CHECK(assembled[1].tool_call_id == "call_ABCDEFGHIJKLMNOPQRSTUVWX");
    CHECK(assembled[1].text == R"({"tz": "Europe/Paris"})");
}

TEST_CASE("openai: interleaved tool-call indexes keep their own id and name", "[openai]") {
    const auto events = run_fixture("synth_interleaved_tool_calls_no_done.sse");
    const auto calls = of_kind(events, Kind::tool_call);
    REQUIRE(calls.size() == 6);
    const char* ids[] = {"call_a", "call_b", "call_a", "call_b", "call_a", "call_b"};
    std::string add, mul;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        INFO(i);
        CHECK(calls[i].tool_call_id == ids[i]);
        CHECK(calls[i].name == (i % 2 == 0 ? "add" : "mul"));
        CHECK(calls[i].message_id == "chatcmpl-interleave");
        (i % 2 == 0 ? add : mul) += calls[i].text;
    }
    CHECK(add == R"({"a":1,"b":2})");
    CHECK(mul == R"({"x":3,"y":4})");

    SECTION("an index without an id of its own, and the position when no index is sent") {
        OpenAiDecoder decoder;
        Recorder rec;
        auto feed = [&](std::string_view tool_calls) {
            const std::string data =
                R"({"choices":[{"delta":{"tool_calls":)" + std::string(tool_calls) + "}}]}";
            REQUIRE(decoder.on_sse_event(sse::Event{"message", data, {}}, rec) == DecodeStatus::ok);
        };
        feed(R"([{"id":"c0","function":{"name":"f","arguments":"{"}},)"
             R"({"id":"c1","function":{"name":"g","arguments":"["}}])");
        feed(
            R"([{"index":1,"function":{"arguments":"]"}},{"index":0,"function":{"arguments":"}"}}])");
        feed(R"([{"index":0,"id":"c2","function":{"name":"h","arguments":"1"}}])");
        feed(R"([{"index":0,"function":{"arguments":"2"}}])");
        feed(R"([{"index":5,"function":{"arguments":"x"}}])");
        REQUIRE(rec.events.size() == 7);
        CHECK((rec.events[0].tool_call_id == "c0" && rec.events[0].name == "f"));
        CHECK((rec.events[1].tool_call_id == "c1" && rec.events[1].name == "g"));
        CHECK((rec.events[2].tool_call_id == "c1" && rec.events[2].text == "]"));
        CHECK((rec.events[3].tool_call_id == "c0" && rec.events[3].text == "}"));
        // A new id at an index is a new call there: the old name does not carry over.
        CHECK((rec.events[4].tool_call_id == "c2" && rec.events[4].name == "h"));
        CHECK((rec.events[5].tool_call_id == "c2" && rec.events[5].name == "h"));
        // An index never named stays unnamed; stream::ToolCalls decides what that means.
        CHECK((rec.events[6].tool_call_id.empty() && rec.events[6].name.empty()));
        CHECK(rec.events[6].text == "x");
    }
}

TEST_CASE("openai: usage chunks, with details, usage null is nothing", "[openai]") {
    const auto events = run_fixture("synth_openai_parallel_tool_calls.sse");
    const auto usage = of_kind(events, Kind::usage);
    REQUIRE(usage.size() == 1);
    const stream::Usage& u = usage[0].usage;
    CHECK(u.prompt_tokens == 82);
    CHECK(u.completion_tokens == 37);
    CHECK(u.total_tokens == 119);
    CHECK(u.reasoning_tokens == 0);
    CHECK(u.cached_input_tokens == 64);
    CHECK(u.step_count == -1);
    CHECK(u.cache_write_tokens == -1);
    CHECK(u.context_tokens == -1);
    CHECK(usage[0].message_id == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
    CHECK(events[events.size() - 2].kind == Kind::usage);  // after the stop, before [DONE]

    // llama.cpp: usage (and timings) on the finish chunk: the stop comes first.
    const auto llama = run_fixture("synth_llamacpp_reasoning.sse");
    REQUIRE(llama.size() >= 3);
    CHECK(llama[llama.size() - 3].kind == Kind::stop);
    const Rec& lu = llama[llama.size() - 2];
    CHECK(lu.kind == Kind::usage);
    CHECK(lu.usage.prompt_tokens == 21);
    CHECK(lu.usage.completion_tokens == 14);
    CHECK(lu.usage.total_tokens == 35);
    CHECK(lu.usage.reasoning_tokens == -1);
    CHECK(lu.usage.cached_input_tokens == -1);

    const auto partial = decode(R"({"id":"x","choices":[],"usage":{"completion_tokens":5}})");
    REQUIRE(partial.events.size() == 1);
    CHECK(partial.events[0].usage.completion_tokens == 5);
    CHECK(partial.events[0].usage.prompt_tokens == -1);
    CHECK(decode(R"({"id":"x","choices":[],"usage":null})").events.empty());
}

TEST_CASE("openai: reasoning_content (llama.cpp) and reasoning (Ollama), finish length",
          "[openai][fixtures]") {
    const auto llama = run_fixture("synth_llamacpp_reasoning.sse");
    CHECK(concat(llama, Kind::reasoning) == "The user wants a haiku about tea.");
    CHECK(concat(llama, Kind::content) ==
          "Steam curls from the cup \xe2\x80\x94 quiet leaves unfold.");
    CHECK(llama.front().kind == Kind::reasoning);  // the role chunk's "content": null is nothing
    CHECK(llama.front().message_id == "chatcmpl-qC6laQHbZ2CmxNvJ4NoB1L93LcVF7nfe");  // id after
    CHECK(llama.back().kind == Kind::done);

    const auto ollama = run_fixture("synth_ollama_reasoning_length.sse");
    CHECK(concat(ollama, Kind::reasoning) == "Short answer.");
    CHECK(concat(ollama, Kind::content) ==
          "Caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
    REQUIRE(of_kind(ollama, Kind::stop).size() == 1);
    CHECK(of_kind(ollama, Kind::stop)[0].name == "length");

    // Both fields in one delta: reasoning_content wins, no duplicate.
    const auto both = decode(
        R"({"choices":[{"delta":{"reasoning_content":"a","reasoning":"a","content":"b"}}]})");
    REQUIRE(both.events.size() == 2);
    CHECK((both.events[0].kind == Kind::reasoning && both.events[0].text == "a"));
    CHECK((both.events[1].kind == Kind::content && both.events[1].text == "b"));
}

TEST_CASE("openai: a stream without [DONE] has no done event", "[openai][fixtures]") {
    const auto events = run_fixture("synth_interleaved_tool_calls_no_done.sse");
    CHECK(of_kind(events, Kind::done).empty());
    CHECK(of_kind(events, Kind::stop).empty());
    CHECK(events.back().kind == Kind::tool_call);
}

TEST_CASE("openai: malformed JSON, non-objects and named events, the stream goes on",
          "[openai][fixtures]") {
    const auto events = run_fixture("synth_malformed_and_errors.sse");
    REQUIRE(events.size() == 7);
    CHECK((events[0].kind == Kind::content && events[0].text == "before "));
    CHECK(events[1].kind == Kind::malformed);
    CHECK_THAT(events[1].text, Catch::StartsWith("invalid JSON at offset"));
    CHECK(events[2].kind == Kind::malformed);
    CHECK(events[2].text == "expected a JSON object, got a number");
    CHECK((events[3].kind == Kind::unknown && events[3].name == "ping"));
    CHECK((events[4].kind == Kind::content && events[4].text == "after"));
    CHECK(events[5].kind == Kind::error);
    CHECK(events[5].name == "rate_limit_exceeded");
    CHECK(events[5].text == "Rate limit reached for gpt-4o");
    CHECK(events[6].kind == Kind::done);

    for (auto [data, why] : std::initializer_list<std::pair<const char*, const char*>>{
             {"not json", "invalid JSON at offset 1: Invalid value"},
             {R"("text")", "expected a JSON object, got a string"},
             {"[1]", "expected a JSON object, got an array"},
             {"null", "expected a JSON object, got null"},
             {"true", "expected a JSON object, got a boolean"},
             {R"({"choices":[)", "invalid JSON"},
             {R"({"id":"a"} x)", "invalid JSON"}}) {
        INFO(data);
        const auto r = decode(data);
        CHECK(r.status == DecodeStatus::malformed);
        CHECK(r.events.empty());
        CHECK_THAT(r.error, Catch::StartsWith(why));
    }
    const auto nul = decode(std::string(R"({"id":"a"})") + '\0' + "junk");
    CHECK(nul.status == DecodeStatus::malformed);
    CHECK_THAT(nul.error, Catch::Contains("NUL"));
    const auto deep =
        decode(R"({"choices":)" + std::string(100000, '[') + std::string(100000, ']') + "}");
    CHECK(deep.status == DecodeStatus::malformed);
    CHECK_THAT(deep.error, Catch::Contains("nested deeper"));
    CHECK(decode(std::string(100000, '[')).status == DecodeStatus::malformed);
}

TEST_CASE("openai: error payload shapes", "[openai]") {
    auto only = [](const Result& r) {
        REQUIRE(r.status == DecodeStatus::ok);
        REQUIRE(r.events.size() == 1);
        REQUIRE(r.events[0].kind == Kind::error);
        return r.events[0];
    };
    Rec e = only(decode(R"({"error":{"message":"m","type":"t","param":null,"code":"c"}})"));
    CHECK((e.name == "c" && e.text == "m"));
    e = only(decode(R"({"error":{"message":"m","type":"t","param":null,"code":null}})"));
    CHECK((e.name == "t" && e.text == "m"));
    // vLLM and llama.cpp send a numeric code: the type names the error.
    e = only(decode(R"({"error":{"code":500,"message":"m","type":"server_error"}})"));
    CHECK(e.name == "server_error");
    e = only(decode(R"({"error":{"message":"only a message"}})"));
    CHECK((e.name == "error" && e.text == "only a message"));
    e = only(decode(R"({"error":{"type":"t"}})"));
    CHECK((e.name == "t" && e.text == R"({"error":{"type":"t"}})"));  // no message: the payload
    e = only(decode(R"({"error":"plain text"})"));
    CHECK((e.name == "error" && e.text == "plain text"));
    e = only(decode(R"({"error":{"message":"m","type":"t"}})", "error"));
    CHECK((e.name == "t" && e.text == "m"));
    e = only(decode("Overloaded", "error"));
    CHECK((e.name == "error" && e.text == "Overloaded"));
    e = only(decode(R"({"message":"x"})", "error"));
    CHECK((e.name == "error" && e.text == R"({"message":"x"})"));
    CHECK(decode(R"({"error":null,"choices":[]})").events.empty());
}

TEST_CASE("openai: choice 0 only, index after the delta, empty chunks are nothing", "[openai]") {
    auto texts = [](const Result& r) {
        REQUIRE(r.status == DecodeStatus::ok);
        std::string out;
        for (const Rec& e : r.events)
            out += std::string(stream::to_string(e.kind)) + ":" + e.text + e.name + ";";
        return out;
    };
    CHECK(
        texts(decode(R"({"choices":[{"delta":{"content":"one"},"index":1},)"
                     R"({"delta":{"content":"zero","tool_calls":[{"id":"c","function":)"
                     R"({"name":"f","arguments":"{}"}}]},"index":0,"finish_reason":"stop"}]})")) ==
        "content:zero;tool_call:{}f;stop:stop;");
    // Fragments of a skipped choice are dropped with it.
    CHECK(texts(decode(R"({"choices":[{"delta":{"tool_calls":[{"id":"x","function":)"
                       R"({"name":"g","arguments":"1"}}]},"index":2}]})")) == "");
    CHECK(texts(decode(R"({"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]})")) ==
          "content:a;");
    // A whole choice ("message") as some proxies send it in one event.
    CHECK(texts(decode(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"all"},)"
                       R"("finish_reason":"stop"}]})")) == "content:all;stop:stop;");
    for (
        const char* empty :
        {R"({})", R"({"id":"x","object":"chat.completion.chunk","model":"m","created":1})",
         R"({"choices":[]})", R"({"choices":null})",
         R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
         R"({"choices":[{"index":0,"delta":{"content":null,"tool_calls":null},"finish_reason":""}]})",
         R"({"choices":[{"index":0,"delta":{"content":5,"reasoning":{"x":"y"}}}]})",
         R"({"usage":[1],"error":[2],"choices":{"0":{}}})"}) {
        INFO(empty);
        CHECK(texts(decode(empty)).empty());
    }
    // [DONE] with surrounding space, and named events that are not "message".
    CHECK(texts(decode(" [DONE]")) == "done:;");
    CHECK(texts(decode("[DONE]", "done")) == "unknown:done;");
}

TEST_CASE("openai: one decoder is reusable across chunks of different sizes", "[openai]") {
    OpenAiDecoder decoder;
    Recorder rec;
    const std::string big =
        R"({"choices":[{"delta":{"content":")" + std::string(100000, 'x') + R"("}}]})";
    REQUIRE(decoder.decode_chunk(big, rec) == DecodeStatus::ok);
    REQUIRE(decoder.decode_chunk("{bad", rec) == DecodeStatus::malformed);
    REQUIRE_FALSE(decoder.last_error().empty());
    REQUIRE(decoder.decode_chunk(R"({"choices":[{"delta":{"content":"a\n\u00e9 \ud83d\ude00"}}]})",
                                 rec) == DecodeStatus::ok);
    REQUIRE(rec.events.size() == 2);
    CHECK(rec.events[0].text.size() == 100000);
    CHECK(rec.events[1].text == "a\n\xc3\xa9 \xf0\x9f\x98\x80");
}
