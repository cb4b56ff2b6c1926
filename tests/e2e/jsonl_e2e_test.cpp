// End to end: -j/--json. Every line is decoded as JSON (never compared as raw text), the schema
// line comes first, seq increases, the concatenated content equals text mode, and exactly one
// "done" line ends every path, including errors and Ctrl-C.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "e2e.hpp"
#include "support/fixture_oracle.hpp"

using namespace e2e;

namespace {

struct Lines {
    std::vector<rapidjson::Document> docs;
    std::string content;  // concatenated "content" of content lines
    int dones = 0;
};

std::string str(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return {};
    return {v[key].GetString(), v[key].GetStringLength()};
}

// Decodes every line and checks the invariants every -j output must hold.
Lines decode(const ls_test::ProcessResult& r) {
    INFO(ls_test::describe(r));
    Lines out;
    REQUIRE_FALSE(r.out.empty());
    REQUIRE(r.out.back() == '\n');
    std::size_t start = 0;
    while (start < r.out.size()) {
        const auto nl = r.out.find('\n', start);
        const std::string line = r.out.substr(start, nl - start);
        start = nl + 1;
        rapidjson::Document d;
        d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
        INFO(line.substr(0, 300));
        REQUIRE_FALSE(d.HasParseError());
        REQUIRE(d.IsObject());
        REQUIRE(d.HasMember("type"));
        REQUIRE(d["seq"].IsUint64());
        CHECK(d["seq"].GetUint64() == out.docs.size() + 1);
        REQUIRE(d["t_ms"].IsNumber());
        const std::string type = str(d, "type");
        if (type == "content") out.content += str(d, "content");
        if (type == "done") ++out.dones;
        out.docs.push_back(std::move(d));
    }
    REQUIRE(out.docs.size() >= 2);
    CHECK(str(out.docs.front(), "type") == "start");
    CHECK(str(out.docs.front(), "schema") == "letta-stream.jsonl/1");
    CHECK(out.dones == 1);
    const auto& done = out.docs.back();
    CHECK(str(done, "type") == "done");
    CHECK(done["exit_status"].GetInt() == r.exit_code);
    for (std::size_t i = 1; i < out.docs.size(); ++i)
        CHECK(out.docs[i]["t_ms"].GetDouble() >= out.docs[i - 1]["t_ms"].GetDouble());
    return out;
}

const rapidjson::Document* find(const Lines& l, const std::string& type) {
    for (const auto& d : l.docs)
        if (str(d, "type") == type) return &d;
    return nullptr;
}

}  // namespace

TEST_CASE("every fixture: valid lines, content equals text mode, one done", "[e2e][jsonl]") {
    for (const auto& oracle : ls_test::kFixtureOracle) {
        const char* f = oracle.file;
        INFO(f);
        ls_test::FakeServer server(
            scenario(R"({"fixture":")" + std::string(f) + R"(","split":{"bytes":7}})"));
        auto text = run(&server, {"-n", "-a", kAgentId, "hi"});
        auto json = run(&server, {"-j", "-a", kAgentId, "hi"});
        CHECK(json.exit_code == text.exit_code);
        const Lines l = decode(json);
        CHECK(l.content == text.out);
        const auto& done = l.docs.back();
        if (const auto* stop = find(l, "stop"))
            CHECK(str(done, "stop_reason") == str(*stop, "stop_reason"));
    }
}

TEST_CASE("token stream: the line vocabulary and common keys", "[e2e][jsonl]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"The answer is 4.","reasoning":"Use the tool.","tool_call":{"tool_call_id":"call_1"},"run_id":"run-j1"}})"));
    auto r = run(&server, {"--json", "-a", kAgentId, "What is 2+2?"});
    REQUIRE(r.exit_code == 0);
    const Lines l = decode(r);
    CHECK(l.content == "The answer is 4.");
    const auto* start = find(l, "start");
    REQUIRE(start != nullptr);
    CHECK(str(*start, "agent") == kAgentId);
    CHECK(str(*start, "endpoint") == "conversations");
    CHECK(str(*start, "otid").size() == 36);
    const auto* status = find(l, "status");
    REQUIRE(status != nullptr);
    CHECK(str(*status, "status") == "thinking");
    const auto* reasoning = find(l, "reasoning");
    REQUIRE(reasoning != nullptr);
    const auto* call = find(l, "tool_call");
    REQUIRE(call != nullptr);
    CHECK(str(*call, "tool") == "calculator");
    CHECK(str(*call, "tool_call_id") == "call_1");
    rapidjson::Document args;
    args.Parse(str(*call, "arguments").c_str());
    CHECK(args.IsObject());
    const auto* result = find(l, "tool_result");
    REQUIRE(result != nullptr);
    CHECK(str(*result, "result") == "4");
    CHECK(str(*result, "status") == "success");
    const auto* usage = find(l, "usage");
    REQUIRE(usage != nullptr);
    CHECK((*usage)["prompt_tokens"].GetInt() == 2310);
    const auto* content = find(l, "content");
    REQUIRE(content != nullptr);
    CHECK(str(*content, "agent_id") == kAgentId);
    CHECK(str(*content, "run_id") == "run-j1");
    CHECK(str(*content, "id").rfind("message-", 0) == 0);
    CHECK(str(*content, "otid").size() == 36);
    const auto& done = l.docs.back();
    CHECK(str(done, "stop_reason") == "end_turn");
    CHECK(str(done, "exit_name") == "ok");
    CHECK(str(done, "run_id") == "run-j1");
}

TEST_CASE("flag -j never changes what the server is asked", "[e2e][jsonl]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    run(&server, {"-a", kAgentId, "same prompt"});
    run(&server, {"-j", "-a", kAgentId, "same prompt"});
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 2);
    auto a = posts[0].json_body();
    auto b = posts[1].json_body();
    a["messages"][0].RemoveMember("otid");
    b["messages"][0].RemoveMember("otid");
    CHECK(a == b);
    CHECK(posts[0].path == posts[1].path);
}

TEST_CASE("exactly one done line on every error path", "[e2e][jsonl]") {
    SECTION("HTTP 401") {
        ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"}, {.env = {"LETTA_API_KEY=wrong"}});
        CHECK(r.exit_code == 3);
        const Lines l = decode(r);
        const auto* err = find(l, "error");
        REQUIRE(err != nullptr);
        CHECK(str(*err, "source") == "client");
        CHECK(str(*err, "error_type") == "auth");
        CHECK((*err)["http_status"].GetInt() == 401);
    }
    SECTION("unknown agent name") {
        ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
        auto r = run(&server, {"-j", "-a", "nobody", "hi"});
        CHECK(r.exit_code == 4);
        decode(r);
    }
    SECTION("usage error after -j") {
        auto r = run(nullptr, {"-j", "-a", kAgentId, ""});
        CHECK(r.exit_code == 2);
        const Lines l = decode(r);
        CHECK(str(*find(l, "error"), "error_type") == "usage");
    }
    SECTION("server unreachable") {
        auto r = run(nullptr, {"-j", "--base-url", "http://127.0.0.1:1", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 7);
        decode(r);
    }
    SECTION("in-stream error: the server's error line, no client error line") {
        ls_test::FakeServer server(
            scenario(R"({"fixture":"synth_foreground_error_midstream.sse"})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 1);
        const Lines l = decode(r);
        int errors = 0;
        for (const auto& d : l.docs)
            if (str(d, "type") == "error") {
                ++errors;
                CHECK(str(d, "source") == "server");
                CHECK(str(d, "error_type") == "internal_error");
            }
        CHECK(errors == 1);
    }
    SECTION("dropped connection") {
        ls_test::FakeServer server(scenario(
            R"({"generate":{"text":"One two three four five."},"close_after_bytes":1200,"coalesce":false})"));
        auto r = run(&server, {"-j", "--background", "off", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 7);
        const Lines l = decode(r);
        CHECK(str(*find(l, "error"), "error_type") == "network");
    }
    SECTION("oversized event") {
        ls_test::FakeServer server(scenario(R"({"generate":{"big_event_bytes":2000000}})"));
        auto r = run(&server, {"-j", "--max-event-size", "1M", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 8);
        decode(r);
    }
    SECTION("Ctrl-C mid-stream") {
        ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":100})"));
        auto r =
            run(&server, {"-j", "-a", kAgentId, "hi"}, {.signal = SIGINT, .signal_after_ms = 400});
        CHECK(r.exit_code == 130);
        const Lines l = decode(r);
        CHECK(str(l.docs.back(), "exit_name") == "interrupted");
        CHECK_FALSE(l.content.empty());
    }
    SECTION("the run stopped early") {
        ls_test::FakeServer server(scenario(R"({"fixture":"synth_background_cancelled.sse"})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 9);
        const Lines l = decode(r);
        CHECK(str(l.docs.back(), "stop_reason") == "cancelled");
    }
}

TEST_CASE("strings are valid UTF-8 and a 10 MB tool result is one line", "[e2e][jsonl]") {
    SECTION("invalid UTF-8 becomes U+FFFD") {
        ls_test::FakeServer server(scenario(
            R"({"body":"","raw_tail":"data: {\"message_type\":\"assistant_message\",\"content\":\"caf\u00e9 \u00ff\"}\n\ndata: [DONE]\n\n"})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 0);
        const Lines l = decode(r);  // parsed with UTF-8 validation
        CHECK(l.content == "caf\xEF\xBF\xBD \xEF\xBF\xBD");
    }
    SECTION("control characters are escaped, lines never split") {
        ls_test::FakeServer server(scenario(R"({"generate":{"text":"a\nb\tc\u0001d"}})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
        const Lines l = decode(r);
        CHECK(l.content ==
              "a\nb\tc\x01"
              "d");
    }
    SECTION("10 MB tool result") {
        const std::string big(10'000'000, 'r');
        ls_test::FakeServer server(
            scenario(R"({"generate":{"text":"ok","tool_call":{"tool_return":")" + big + R"("}}})"));
        auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
        REQUIRE(r.exit_code == 0);
        const Lines l = decode(r);
        const auto* result = find(l, "tool_result");
        REQUIRE(result != nullptr);
        CHECK(str(*result, "result").size() == big.size());
    }
}
