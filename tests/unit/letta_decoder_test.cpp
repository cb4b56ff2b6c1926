#include "protocol/letta_decoder.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using letta_stream::protocol::DecodeStatus;
using letta_stream::protocol::LettaDecoder;
using letta_stream::stream::Kind;
namespace sse = letta_stream::sse;
namespace stream = letta_stream::stream;

namespace {

// Owned copy of one stream::Event: the views die when on_event returns.
struct Rec {
    Kind kind;
    std::string text, name, detail, tool_call_id, status, message_id, otid, run_id;
    std::int64_t seq_id;
    bool redacted;
    stream::Usage usage;
};

struct Recorder : stream::Sink {
    std::vector<Rec> events;
    void on_event(const stream::Event& e) override {
        events.push_back(Rec{e.kind, std::string(e.text), std::string(e.name),
                             std::string(e.detail), std::string(e.tool_call_id),
                             std::string(e.status), std::string(e.message_id), std::string(e.otid),
                             std::string(e.run_id), e.seq_id, e.redacted, e.usage});
    }
};

struct Result {
    DecodeStatus status;
    std::vector<Rec> events;
    std::string error;
};

Result decode(std::string_view json) {
    LettaDecoder decoder;
    Recorder rec;
    const DecodeStatus status = decoder.decode_message(json, rec);
    return {status, std::move(rec.events), decoder.last_error()};
}

Result sse_event(std::string_view type, std::string_view data) {
    LettaDecoder decoder;
    Recorder rec;
    const DecodeStatus status = decoder.on_sse_event(sse::Event{type, data, {}}, rec);
    return {status, std::move(rec.events), decoder.last_error()};
}

Rec only(const Result& r) {
    REQUIRE(r.status == DecodeStatus::ok);
    REQUIRE(r.events.size() == 1);
    return r.events.front();
}

// Just enough SSE splitting for the fixtures (LF only, one "event:" line, "data: " lines).
std::vector<Rec> replay_fixture(const std::string& file) {
    std::ifstream in(std::string(LS_FIXTURES_DIR) + "/letta/" + file, std::ios::binary);
    REQUIRE(in);
    const std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LettaDecoder decoder;
    Recorder rec;
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t end = body.find("\n\n", pos);
        if (end == std::string::npos) break;
        std::istringstream block(body.substr(pos, end - pos));
        pos = end + 2;
        std::string line, type = "message", data;
        bool has_data = false;
        while (std::getline(block, line)) {
            if (line.rfind("event: ", 0) == 0) type = line.substr(7);
            if (line.rfind("data: ", 0) == 0) {
                if (has_data) data += '\n';
                data += line.substr(6);
                has_data = true;
            }
        }
        REQUIRE(decoder.on_sse_event(sse::Event{type, data, {}}, rec) == DecodeStatus::ok);
    }
    return rec.events;
}

std::string concat(const std::vector<Rec>& events, Kind kind) {
    std::string out;
    for (const Rec& e : events)
        if (e.kind == kind) out += e.text;
    return out;
}

}  // namespace

TEST_CASE("assistant_message content string carries base fields", "[letta_decoder]") {
    const auto r =
        decode(R"({"id":"message-1","date":"2026-01-15T10:30:01+00:00","name":null,)"
               R"("message_type":"assistant_message","otid":"o-1","sender_id":null,"step_id":"s",)"
               R"("is_err":null,"seq_id":7,"run_id":"run-1","content":"Hello"})");
    const Rec& e = only(r);
    CHECK(e.kind == Kind::content);
    CHECK(e.text == "Hello");
    CHECK(e.message_id == "message-1");
    CHECK(e.otid == "o-1");
    CHECK(e.run_id == "run-1");
    CHECK(e.seq_id == 7);
    CHECK(e.name.empty());
}

TEST_CASE("assistant_message content parts: one event per text part", "[letta_decoder]") {
    const auto r = decode(
        R"({"message_type":"assistant_message","content":[{"type":"text","text":"Hi","signature":null},)"
        R"({"type":"image","text":"no"},{"text":" there"},{"type":"text","text":""},)"
        R"({"type":"text","text":5},"stray"]})");
    REQUIRE(r.status == DecodeStatus::ok);
    REQUIRE(r.events.size() == 2);
    CHECK(r.events[0].text == "Hi");
    CHECK(r.events[1].text == " there");
    CHECK(r.events[1].kind == Kind::content);
    CHECK(r.events[0].seq_id == -1);
}

TEST_CASE("empty or wrong-typed assistant content is skipped", "[letta_decoder]") {
    for (auto json : {R"({"message_type":"assistant_message","content":""})",
                      R"({"message_type":"assistant_message","content":5})",
                      R"({"message_type":"assistant_message","content":null})",
                      R"({"message_type":"assistant_message","content":{"text":"x"}})",
                      R"({"message_type":"assistant_message"})"}) {
        const auto r = decode(json);
        CHECK(r.status == DecodeStatus::ok);
        CHECK(r.events.empty());
    }
}

TEST_CASE("reasoning and hidden reasoning", "[letta_decoder]") {
    const Rec& e = only(decode(
        R"({"message_type":"reasoning_message","source":"reasoner_model","reasoning":"Thinking","signature":null})"));
    CHECK(e.kind == Kind::reasoning);
    CHECK(e.text == "Thinking");
    CHECK_FALSE(e.redacted);

    CHECK(decode(R"({"message_type":"reasoning_message","reasoning":null})").events.empty());

    const Rec& h = only(decode(
        R"({"message_type":"hidden_reasoning_message","state":"redacted","hidden_reasoning":"abc"})"));
    CHECK(h.kind == Kind::reasoning);
    CHECK(h.redacted);
    CHECK(h.text == "abc");
    CHECK(h.status == "redacted");

    const Rec& o = only(decode(
        R"({"message_type":"hidden_reasoning_message","state":"omitted","hidden_reasoning":null})"));
    CHECK(o.redacted);
    CHECK(o.text.empty());
    CHECK(o.status == "omitted");
}

TEST_CASE("tool_call_message shapes", "[letta_decoder]") {
    SECTION("deprecated tool_call object") {
        const Rec& e = only(decode(
            R"({"message_type":"tool_call_message","run_id":"r","tool_call":{"name":"web_search",)"
            R"("arguments":"{\"q\":\"x\"}","tool_call_id":"call-1"},"tool_calls":null})"));
        CHECK(e.kind == Kind::tool_call);
        CHECK(e.name == "web_search");
        CHECK(e.text == R"({"q":"x"})");
        CHECK(e.tool_call_id == "call-1");
        CHECK(e.run_id == "r");
    }
    SECTION("tool_calls list of two wins over tool_call") {
        const auto r = decode(
            R"({"message_type":"tool_call_message","tool_call":{"name":"old"},"tool_calls":[)"
            R"({"name":"a","arguments":"{}","tool_call_id":"c1"},)"
            R"({"name":"b","arguments":"{\"k\":1}","tool_call_id":"c2"}],"otid":"o"})");
        REQUIRE(r.status == DecodeStatus::ok);
        REQUIRE(r.events.size() == 2);
        CHECK(r.events[0].name == "a");
        CHECK(r.events[0].tool_call_id == "c1");
        CHECK(r.events[1].name == "b");
        CHECK(r.events[1].text == R"({"k":1})");
        CHECK(r.events[1].otid == "o");
    }
    SECTION("tool_calls as a single object") {
        const Rec& e = only(decode(
            R"({"message_type":"tool_call_message","tool_calls":{"name":"n","arguments":"{","tool_call_id":"c"}})"));
        CHECK(e.name == "n");
        CHECK(e.text == "{");
        CHECK(e.tool_call_id == "c");
    }
    SECTION("delta with null name and missing id") {
        const Rec& e = only(decode(
            R"({"message_type":"tool_call_message","tool_call":{"name":null,"arguments":"\"x\""}})"));
        CHECK(e.kind == Kind::tool_call);
        CHECK(e.name.empty());
        CHECK(e.text == "\"x\"");
        CHECK(e.tool_call_id.empty());
    }
    SECTION("empty tool_calls list falls back to tool_call") {
        const Rec& e = only(decode(
            R"({"message_type":"tool_call_message","tool_calls":[],"tool_call":{"name":"f"}})"));
        CHECK(e.name == "f");
    }
    SECTION("no call at all emits nothing") {
        const auto r = decode(R"({"message_type":"tool_call_message","tool_call":null})");
        CHECK(r.status == DecodeStatus::ok);
        CHECK(r.events.empty());
    }
}

TEST_CASE("approval_request_message", "[letta_decoder]") {
    const auto r = decode(
        R"({"id":"message-0","message_type":"approval_request_message","otid":"message-0",)"
        R"("tool_call":{"name":"delete_file","arguments":"{\"path\":\"/tmp/x\"}","tool_call_id":"call-9"},)"
        R"("tool_calls":[{"name":"delete_file","arguments":"{\"path\":\"/tmp/x\"}","tool_call_id":"call-9"}]})");
    const Rec& e = only(r);
    CHECK(e.kind == Kind::approval_request);
    CHECK(e.name == "delete_file");
    CHECK(e.text == R"({"path":"/tmp/x"})");
    CHECK(e.tool_call_id == "call-9");
    CHECK(e.message_id == "message-0");
}

TEST_CASE("tool_return_message", "[letta_decoder]") {
    SECTION("success") {
        const Rec& e = only(
            decode(R"({"message_type":"tool_return_message","tool_return":"42","status":"success",)"
                   R"("tool_call_id":"call-1","stdout":null,"stderr":null})"));
        CHECK(e.kind == Kind::tool_result);
        CHECK(e.text == "42");
        CHECK(e.status == "success");
        CHECK(e.tool_call_id == "call-1");
    }
    SECTION("error") {
        const Rec& e = only(decode(
            R"({"message_type":"tool_return_message","tool_return":"Error: boom","status":"error","tool_call_id":"c"})"));
        CHECK(e.status == "error");
        CHECK(e.text == "Error: boom");
    }
    SECTION("tool_returns list when tool_return is absent") {
        const auto r = decode(
            R"({"message_type":"tool_return_message","tool_returns":[)"
            R"({"tool_return":"a","status":"success","tool_call_id":"c1"},)"
            R"({"tool_return":[{"type":"text","text":"b"}],"status":"error","tool_call_id":"c2"}]})");
        REQUIRE(r.status == DecodeStatus::ok);
        REQUIRE(r.events.size() == 2);
        CHECK(r.events[0].text == "a");
        CHECK(r.events[0].tool_call_id == "c1");
        CHECK(r.events[1].text == R"([{"type":"text","text":"b"}])");
        CHECK(r.events[1].status == "error");
    }
    SECTION("non-string tool_return is passed as raw JSON") {
        CHECK(
            only(decode(R"({"message_type":"tool_return_message","tool_return": {"a": [1, 2]} })"))
                .text == R"({"a": [1, 2]})");
        CHECK(
            only(
                decode(
                    R"({"message_type":"tool_return_message","tool_return" : -1.5e3,"status":"success"})"))
                .text == "-1.5e3");
        CHECK(only(decode(R"({"message_type":"tool_return_message","tool_return":true})")).text ==
              "true");
        CHECK(only(decode(R"({"message_type":"tool_return_message","tool\u005freturn":7})")).text ==
              "7");
        CHECK(only(decode(R"({"message_type":"tool_return_message","tool_return":null})"))
                  .text.empty());
    }
}

TEST_CASE("ping, stop_reason and usage_statistics", "[letta_decoder]") {
    const Rec& p = only(decode(
        R"({"id":"ping-1","date":"2026-01-15T10:30:00+00:00","name":null,"message_type":"ping","otid":null,)"
        R"("sender_id":null,"step_id":null,"is_err":null,"seq_id":null,"run_id":"run-6f"})"));
    CHECK(p.kind == Kind::ping);
    CHECK(p.run_id == "run-6f");
    CHECK(p.message_id == "ping-1");
    CHECK(p.otid.empty());
    CHECK(p.seq_id == -1);

    for (auto reason : {"end_turn", "max_steps", "requires_approval", "llm_api_error"}) {
        const Rec& s = only(decode(std::string(R"({"message_type":"stop_reason","stop_reason":")") +
                                   reason + "\"}"));
        CHECK(s.kind == Kind::stop);
        CHECK(s.name == reason);
    }
    const Rec& spaced =
        only(decode(R"({"message_type": "stop_reason", "stop_reason": "cancelled"})"));
    CHECK(spaced.kind == Kind::stop);
    CHECK(spaced.name == "cancelled");
    CHECK(
        only(decode(R"({"message_type":"stop_reason","stop_reason":"end_turn","run_id":"run-1"})"))
            .run_id == "run-1");

    const Rec& u = only(
        decode(R"({"message_type":"usage_statistics","completion_tokens":38,"prompt_tokens":2310,)"
               R"("total_tokens":2348,"step_count":1,"run_ids":null,"cached_input_tokens":2048,)"
               R"("cache_write_tokens":null,"reasoning_tokens":14,"context_tokens":2348.5})"));
    CHECK(u.kind == Kind::usage);
    CHECK(u.usage.prompt_tokens == 2310);
    CHECK(u.usage.completion_tokens == 38);
    CHECK(u.usage.total_tokens == 2348);
    CHECK(u.usage.step_count == 1);
    CHECK(u.usage.cached_input_tokens == 2048);
    CHECK(u.usage.cache_write_tokens == -1);
    CHECK(u.usage.reasoning_tokens == 14);
    CHECK(u.usage.context_tokens == -1);  // not an integer
}

TEST_CASE("error_message with and without event: error", "[letta_decoder]") {
    const std::string json =
        R"({"message_type":"error_message","run_id":"run-1","error_type":"llm_rate_limit",)"
        R"("message":"Rate limit exceeded.","detail":"429 from provider","seq_id":12})";
    for (const Result& r : {sse_event("error", json), decode(json)}) {
        const Rec& e = only(r);
        CHECK(e.kind == Kind::error);
        CHECK(e.name == "llm_rate_limit");
        CHECK(e.text == "Rate limit exceeded.");
        CHECK(e.detail == "429 from provider");
        CHECK(e.run_id == "run-1");
        CHECK(e.seq_id == 12);
    }
    const Rec& n = only(sse_event(
        "error",
        R"({"message_type":"error_message","run_id":"r","error_type":"internal_error","message":"m","detail":null,"seq_id":null})"));
    CHECK(n.detail.empty());
    CHECK(n.seq_id == -1);
}

TEST_CASE("generic error payloads", "[letta_decoder]") {
    SECTION("json.dumps error string with code") {
        const Rec& e = only(
            sse_event("error", R"({"error": "boom: KeyError", "code": "INTERNAL_SERVER_ERROR"})"));
        CHECK(e.kind == Kind::error);
        CHECK(e.name == "INTERNAL_SERVER_ERROR");
        CHECK(e.text == "boom: KeyError");
    }
    SECTION("error string without code") {
        const Rec& e = only(sse_event("error", R"({"error":"x"})"));
        CHECK(e.name == "error");
        CHECK(e.text == "x");
    }
    SECTION("SDK fixture shape") {
        const Rec& e = only(sse_event(
            "error",
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
        CHECK(e.name == "overloaded_error");
        CHECK(e.text == "Overloaded");
        CHECK(e.detail.empty());
    }
    SECTION("error object chunk without event: error") {
        const Rec& e = only(decode(R"({"error":{"type":"t","message":"m","detail":"d"}})"));
        CHECK(e.kind == Kind::error);
        CHECK(e.name == "t");
        CHECK(e.text == "m");
        CHECK(e.detail == "d");
    }
    SECTION("not JSON is still an error") {
        const auto r = sse_event("error", "upstream exploded");
        const Rec& e = only(r);
        CHECK(e.name == "error");
        CHECK(e.text == "upstream exploded");
    }
    SECTION("unknown JSON shape keeps the raw text") {
        const std::string raw = R"({"status":503,"reason":"busy"})";
        const Rec& e = only(sse_event("error", raw));
        CHECK(e.name == "error");
        CHECK(e.text == raw);
        CHECK(only(sse_event("error", "[1,2]")).text == "[1,2]");
    }
}

TEST_CASE("SSE framing: cancelled, [DONE], named events", "[letta_decoder]") {
    const Rec& c = only(sse_event("cancelled", R"({"message": "Run was cancelled"})"));
    CHECK(c.kind == Kind::stop);
    CHECK(c.name == "cancelled");
    CHECK(c.text == "Run was cancelled");
    CHECK(only(sse_event("cancelled", "")).name == "cancelled");

    for (auto data : {"[DONE]", "  [DONE]\n", "[DONE] trailing"}) {
        const Rec& d = only(sse_event("message", data));
        CHECK(d.kind == Kind::done);
    }
    CHECK(only(sse_event("", "[DONE]")).kind == Kind::done);

    const Rec& ping = only(sse_event("ping", "{\n\"foo\":\n\n\ntrue}"));
    CHECK(ping.kind == Kind::unknown);
    CHECK(ping.name == "ping");
    CHECK(ping.text.empty());
    CHECK(only(sse_event("completion", "not json")).name == "completion");

    const Rec& msg = only(sse_event("message", R"({"message_type":"ping","run_id":"r"})"));
    CHECK(msg.kind == Kind::ping);
}

TEST_CASE("unknown and legacy message types", "[letta_decoder]") {
    for (auto type : {"response_state", "summary_message", "event_message", "user_message",
                      "system_message", "approval_response_message"}) {
        const Rec& e = only(decode(std::string(R"({"message_type":")") + type + R"(","x":[{}]})"));
        CHECK(e.kind == Kind::unknown);
        CHECK(e.name == type);
    }
    const Rec& legacy = only(decode(
        R"({"id":"message-201caa6d","date":"2024-10-30T00:28:02+00:00","message_type":"internal_monologue","internal_monologue":" user"})"));
    CHECK(legacy.kind == Kind::unknown);
    CHECK(legacy.name == "internal_monologue");
    CHECK(legacy.message_id == "message-201caa6d");

    const Rec& none = only(decode(R"({"foo":"bar"})"));
    CHECK(none.kind == Kind::unknown);
    CHECK(none.name.empty());
    CHECK(only(decode("{}")).kind == Kind::unknown);
}

TEST_CASE("malformed input is reported, never fatal", "[letta_decoder]") {
    SECTION("invalid JSON") {
        const auto r = decode(R"({"message_type":"assistant_message" "content":"x"})");
        CHECK(r.status == DecodeStatus::malformed);
        CHECK(r.events.empty());
        CHECK_THAT(r.error, Catch::Contains("offset 36") && Catch::Contains("Missing a comma"));
    }
    SECTION("not an object") {
        auto r = decode("[1,2]");
        CHECK(r.status == DecodeStatus::malformed);
        CHECK_THAT(r.error, Catch::Contains("array"));
        r = decode("42");
        CHECK(r.status == DecodeStatus::malformed);
        CHECK_THAT(r.error, Catch::Contains("number"));
        CHECK(decode(R"("s")").status == DecodeStatus::malformed);
        CHECK(decode("null").status == DecodeStatus::malformed);
        CHECK(decode("").status == DecodeStatus::malformed);
        CHECK(sse_event("message", "").status == DecodeStatus::malformed);
    }
    SECTION("truncated and trailing garbage") {
        CHECK(decode(R"({"message_type":"ping")").status == DecodeStatus::malformed);
        CHECK(decode(R"({"message_type":"ping"} x)").status == DecodeStatus::malformed);
        const auto r = decode(std::string(R"({"message_type":"ping"})") + '\0' + "junk");
        CHECK(r.status == DecodeStatus::malformed);
        CHECK_THAT(r.error, Catch::Contains("NUL"));
    }
    SECTION("100 000 nested arrays") {
        const auto r = decode(std::string(100000, '['));
        CHECK(r.status == DecodeStatus::malformed);
        CHECK(r.events.empty());
    }
    SECTION("deep nesting inside an object hits the depth limit") {
        std::string deep = R"({"message_type":"x","a":)" + std::string(100000, '[') +
                           std::string(100000, ']') + "}";
        const auto r = decode(deep);
        CHECK(r.status == DecodeStatus::malformed);
        CHECK_THAT(r.error, Catch::Contains("nested deeper"));
        deep = R"({"message_type":"tool_return_message","tool_return":)" + std::string(100, '[') +
               std::string(100, ']') + "}";
        CHECK(only(decode(deep)).text.size() == 200);
    }
    SECTION("invalid UTF-8 and raw bytes do not crash") {
        const auto r =
            decode("{\"message_type\":\"assistant_message\",\"content\":\"a\xff\xc3(\x80z\"}");
        CHECK(only(r).text == "a\xff\xc3(\x80z");
        CHECK(decode("{\"message_type\":\"assistant_message\",\"content\":\"a\nb\"}").status ==
              DecodeStatus::malformed);
        CHECK(decode(R"({"content":"\ud83d"})").status == DecodeStatus::malformed);
        CHECK(decode("\xef\xbb\xbf{}").status == DecodeStatus::malformed);
    }
}

TEST_CASE("string escapes are unescaped in place", "[letta_decoder]") {
    const Rec& e = only(decode(
        R"({"message_type":"assistant_message","content":"a\nb \"q\" \u00e9 \ud83d\ude00 \\ \/"})"));
    CHECK(e.text == "a\nb \"q\" \xc3\xa9 \xf0\x9f\x98\x80 \\ /");

    const Rec& nul = only(decode(R"({"message_type":"assistant_message","content":"x\u0000y"})"));
    REQUIRE(nul.text.size() == 3);
    CHECK(nul.text == std::string("x\0y", 3));
}

TEST_CASE("one decoder is reusable across messages of different sizes", "[letta_decoder]") {
    LettaDecoder decoder;
    Recorder rec;
    const std::string big = std::string(R"({"message_type":"assistant_message","content":")") +
                            std::string(100000, 'x') + "\"}";
    REQUIRE(decoder.decode_message(big, rec) == DecodeStatus::ok);
    REQUIRE(decoder.decode_message("{bad", rec) == DecodeStatus::malformed);
    REQUIRE_FALSE(decoder.last_error().empty());
    REQUIRE(decoder.decode_message(R"({"message_type":"assistant_message","content":"y"})", rec) ==
            DecodeStatus::ok);
    REQUIRE(rec.events.size() == 2);
    CHECK(rec.events[0].text.size() == 100000);
    CHECK(rec.events[1].text == "y");
}

TEST_CASE("fixture: foreground token stream", "[letta_decoder][fixtures]") {
    const auto events = replay_fixture("synth_foreground_token_stream.sse");
    CHECK(concat(events, Kind::content) == "Hello! How can I help you today?");
    CHECK(concat(events, Kind::reasoning) == "The user greeted me. I should reply warmly.");
    REQUIRE(events.size() == 19);
    CHECK(events.front().kind == Kind::ping);
    CHECK(events[16].kind == Kind::stop);
    CHECK(events[16].name == "end_turn");
    CHECK(events[17].kind == Kind::usage);
    CHECK(events[17].usage.prompt_tokens == 2310);
    CHECK(events[18].kind == Kind::done);
    CHECK(events[7].otid == "2b7e9c41-5d3a-4f86-a1c2-7e8f9a0b1c01");
}

TEST_CASE("fixture: foreground error midstream", "[letta_decoder][fixtures]") {
    const auto events = replay_fixture("synth_foreground_error_midstream.sse");
    CHECK(concat(events, Kind::content) == "Hello! How");
    REQUIRE(events.size() >= 2);
    const Rec& stop = events[events.size() - 2];
    CHECK(stop.kind == Kind::stop);
    CHECK(stop.name == "llm_api_error");
    const Rec& err = events.back();
    CHECK(err.kind == Kind::error);
    CHECK(err.name == "internal_error");
    CHECK(err.text == "An error occurred during agent execution.");
    CHECK(err.detail == "Connection error during OpenAI streaming");
}

TEST_CASE("fixtures: SDK error event, background error and cancellation",
          "[letta_decoder][fixtures]") {
    auto events = replay_fixture("sdk_test_error_event.sse");
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == Kind::error);
    CHECK(events[0].name == "overloaded_error");
    CHECK(events[0].text == "Overloaded");

    events = replay_fixture("synth_background_error_midstream.sse");
    CHECK(concat(events, Kind::content) == "Hello! How");
    CHECK(events.back().kind == Kind::error);
    CHECK(events.back().seq_id == 12);
    CHECK(events.back().run_id == "run-6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6b");

    events = replay_fixture("synth_background_cancelled.sse");
    REQUIRE(events.size() >= 2);
    CHECK(events[events.size() - 2].kind == Kind::stop);
    CHECK(events[events.size() - 2].name == "cancelled");
    CHECK(events.back().kind == Kind::done);
}
