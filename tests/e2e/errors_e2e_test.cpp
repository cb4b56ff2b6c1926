// End to end: every way a turn can fail gives one clear stderr error, the documented exit status,
// never a crash or a hang, and never loses the text that did arrive.
#include <catch2/catch.hpp>

#include "e2e.hpp"

using namespace e2e;

namespace {

// Exactly one "error:" line (plus an optional hint), nothing on stdout.
void check_one_error(const ls_test::ProcessResult& r, const std::string& fragment) {
    INFO(ls_test::describe(r));
    CHECK(contains(r.err, "letta-stream: error: "));
    CHECK(contains(r.err, fragment));
    std::size_t errors = 0;
    const std::string tag = "letta-stream: error: ";
    for (auto p = r.err.find(tag); p != std::string::npos; p = r.err.find(tag, p + 1))
        ++errors;
    CHECK(errors == 1);
    CHECK(r.term_signal == 0);
    CHECK_FALSE(r.timed_out);
}

}  // namespace

TEST_CASE("error before any output: exit 5, the server's message", "[e2e][errors]") {
    ls_test::FakeServer server(
        scenario(R"({"fixture":"synth_foreground_error_before_output.sse"})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 5);
    CHECK(r.out.empty());
    check_one_error(r, "Rate limit exceeded for LLM model provider");
    CHECK(contains(r.err, "run-6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6b"));
}

TEST_CASE("error after output: the text stays, exit 1", "[e2e][errors]") {
    ls_test::FakeServer server(
        scenario(R"({"generate":{"text":"Hello there, friend.","error_midstream_after":3}})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 1);
    CHECK(r.out == "Hello there,\n");
    check_one_error(r, "An error occurred during agent execution.");
}

TEST_CASE("unknown agent id: 404, exit 4", "[e2e][errors]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"-a", "agent-00000000-0000-4000-8000-000000000000", "hi"});
    CHECK(r.exit_code == 4);
    check_one_error(r,
                    "HTTP 404: Agent with ID agent-00000000-0000-4000-8000-000000000000 not found");
}

TEST_CASE("agent by name", "[e2e][errors]") {
    const std::string agents =
        R"("agents":[{"id":"agent-11111111-1111-4111-8111-111111111111","name":"support-bot","created_at":"2026-01-01T00:00:00Z"},)"
        R"({"id":"agent-22222222-2222-4222-8222-222222222222","name":"support-bot","created_at":"2026-05-01T00:00:00Z"},)"
        R"({"id":"agent-33333333-3333-4333-8333-333333333333","name":"calc","created_at":"2026-02-01T00:00:00Z"}])";
    ls_test::FakeServer server(R"({"api_key":")" + std::string(kKey) + R"(",)" + agents +
                               R"(,"response":{"fixture":"synth_foreground_token_stream.sse"}})");
    SECTION("a unique name is looked up, then used") {
        auto r = run(&server, {"-a", "calc", "hi"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        auto reqs = server.requests();
        REQUIRE(reqs.size() == 2);
        CHECK(reqs[0].method == "GET");
        CHECK(reqs[0].path == "/v1/agents/");
        CHECK(contains(reqs[0].query, "name=calc"));
        CHECK(reqs[0].header("authorization") == std::string("Bearer ") + kKey);
        auto body = reqs[1].json_body();
        CHECK(std::string(body["agent_id"].GetString()) ==
              "agent-33333333-3333-4333-8333-333333333333");
    }
    SECTION("several: the newest, with a warning") {
        auto r = run(&server, {"--agent", "support-bot", "hi"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.err, "warning: 2 agents are named 'support-bot'"));
        auto posts = message_posts(server);
        REQUIRE(posts.size() == 1);
        CHECK(std::string(posts[0].json_body()["agent_id"].GetString()) ==
              "agent-22222222-2222-4222-8222-222222222222");
    }
    SECTION("none: exit 4, no message sent") {
        auto r = run(&server, {"-a", "nobody", "hi"});
        CHECK(r.exit_code == 4);
        check_one_error(r, "no agent named 'nobody'");
        CHECK(message_posts(server).empty());
    }
    SECTION("a name with spaces and symbols is URL-encoded") {
        auto r = run(&server, {"-a", "my bot/é", "hi"});
        CHECK(r.exit_code == 4);
        auto reqs = server.requests();
        REQUIRE_FALSE(reqs.empty());
        CHECK(contains(reqs[0].query, "name=my%20bot%2F%C3%A9"));
    }
}

TEST_CASE("bad API key: 401, exit 3, hint names the setting", "[e2e][errors]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.env = {"LETTA_API_KEY=sk-let-wrong"}});
    CHECK(r.exit_code == 3);
    check_one_error(r, "HTTP 401: Unauthorized");
    CHECK(contains(r.err, "LETTA_API_KEY"));
}

TEST_CASE("no API key for Letta Cloud: exit 3 before any network use", "[e2e][errors]") {
    auto r = run(nullptr, {"-a", kAgentId, "hi"}, {.with_key = false});
    CHECK(r.exit_code == 3);
    check_one_error(r, "no API key");
    CHECK(contains(r.err, "--api-key-file"));
}

TEST_CASE("HTTP errors map to their exit statuses", "[e2e][errors]") {
    struct Case {
        const char* response;
        int status;
        const char* fragment;
    };
    const Case cases[] = {
        {R"({"status":429,"headers":{"Retry-After":"7"},"body_json":{"error":{"type":"llm_rate_limit","message":"Rate limited"}}})",
         5, "retry after 7 s"},
        {R"({"status":402,"body_json":{"error":"Rate limited","reasons":["not-enough-credits"]}})",
         5, "not-enough-credits"},
        {R"({"status":409,"body_json":{"detail":"CONFLICT: Cannot send a new message: Another request (run_id=run-7) is currently being processed","run_id":"run-7"}})",
         5, "[run run-7]"},
        {R"({"status":403,"body_json":{"detail":"Forbidden"}})", 3, "HTTP 403: Forbidden"},
        {R"({"status":422,"body_json":{"trace_id":"t","detail":"[{'type': 'missing'}]"}})", 2,
         "HTTP 422"},
        {R"({"status":500,"body":""})", 8, "HTTP 500: Internal Server Error"},
        {R"({"status":503,"body_json":{"error":"Service temporarily unavailable. Please retry your request.","errorCode":"cloud_api_shutting_down"}})",
         8, "Service temporarily unavailable"},
        {R"({"status":502,"headers":{"Content-Type":"text/html"},"body":"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"})",
         8, "HTML page: 502 Bad Gateway"},
        {R"({"status":504,"body_json":{"error":{"type":"llm_timeout","message":"LLM timed out"}}})",
         6, "LLM timed out"},
    };
    for (const auto& c : cases) {
        INFO(c.response);
        ls_test::FakeServer server(scenario(c.response));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        CHECK(r.exit_code == c.status);
        CHECK(r.out.empty());
        check_one_error(r, c.fragment);
    }
}

TEST_CASE("a 200 that is not an event stream is an error, not an empty reply", "[e2e][errors]") {
    ls_test::FakeServer json(scenario(R"({"status":200,"body_json":{"messages":[]}})"));
    auto r = run(&json, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 8);
    check_one_error(r, "application/json");
    ls_test::FakeServer html(scenario(
        R"({"status":200,"headers":{"Content-Type":"text/html"},"body":"<html><title>Sign in</title></html>"})"));
    auto h = run(&html, {"-a", kAgentId, "hi"});
    CHECK(h.exit_code == 8);
    check_one_error(h, "text/html");
}

TEST_CASE("connection dropped mid-stream: text kept, exit 7 naming the run", "[e2e][errors]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"One two three four five six seven.","run_id":"run-drop-1"},"close_after_bytes":1500,"coalesce":false})"));
    // A foreground run: nothing to re-attach to (a background run is resumed instead).
    auto r = run(&server, {"--background", "off", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 7);
    check_one_error(r, "the stream ended before the run finished");
    CHECK(contains(r.err, "run-drop-1"));
    CHECK_FALSE(r.out.empty());
    CHECK(std::string("One two three four five six seven.\n")
              .rfind(r.out.substr(0, r.out.size() - 1), 0) == 0);
}

TEST_CASE("server unreachable: exit 7 with the address", "[e2e][errors]") {
    auto r = run(nullptr, {"-a", kAgentId, "--base-url", "http://127.0.0.1:1", "hi"});
    CHECK(r.exit_code == 7);
    check_one_error(r, "Couldn't connect");
    CHECK(contains(r.err, "http://127.0.0.1:1"));
}

TEST_CASE("bad input never crashes or hangs", "[e2e][errors][robustness]") {
    SECTION("invalid JSON in an event: skipped with a warning, the rest kept, exit 8") {
        const std::string body =
            "data: {\"message_type\":\"assistant_message\",\"content\":\"before \"}\n\n"
            "data: {\"message_type\":\"assistant_message\",\"content\":\n\n"
            "data: {\"message_type\":\"assistant_message\",\"content\":\"after\"}\n\n"
            "data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n";
        ls_test::FakeServer server(scenario(R"({"body":)" + json_string(body) + "}"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 8);
        CHECK(r.out == "before after\n");
        CHECK(contains(r.err, "warning: skipped a malformed stream event"));
        CHECK(contains(r.err, "1 malformed event"));
    }
    SECTION("JSON escapes in content are decoded") {
        ls_test::FakeServer server(
            scenario(R"({"body":"data: {\"message_type\":\"assistant_message\",\"content\":\"caf)"
                     "\\u00e9"
                     R"(\"}\n\ndata: [DONE]\n\n"})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "caf\xC3\xA9\n");
    }
    SECTION("raw invalid UTF-8 bytes in the stream") {
        ls_test::FakeServer server(scenario(
            R"({"body":"","raw_tail":"data: {\"message_type\":\"assistant_message\",\"content\":\"a\u00ff\u00feb\"}\n\ndata: [DONE]\n\n"})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out ==
              "a\xff\xfe"
              "b\n");
    }
    SECTION("a 20 MB event: a clear error, bounded memory") {
        ls_test::FakeServer server(scenario(R"({"generate":{"big_event_bytes":20000000}})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        CHECK(r.exit_code == 8);
        check_one_error(r, "a stream event exceeded the 16 MiB limit");
        CHECK(contains(r.err, "--max-event-size"));
    }
    SECTION("a 10 MB event under the limit is delivered whole") {
        ls_test::FakeServer server(scenario(R"({"generate":{"big_event_bytes":10000000}})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.size() == 10000001);
        auto raised = run(&server, {"--max-event-size", "1M", "-a", kAgentId, "hi"});
        CHECK(raised.exit_code == 8);
        CHECK(contains(raised.err, "1 MiB limit"));
    }
    SECTION("a stream that never ends is bounded by the caller (SIGINT → 130)") {
        ls_test::FakeServer server(scenario(
            R"({"generate":{"text":"partial","stop_reason":null,"usage":false,"done":false},"endless":true,"ping_interval_ms":20})"));
        auto r = run(&server, {"-a", kAgentId, "hi"}, {.signal = SIGINT, .signal_after_ms = 500});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 130);
        CHECK(r.out == "partial\n");
        CHECK_FALSE(r.timed_out);
    }
    SECTION("binary garbage: no crash, dropped-stream error") {
        ls_test::FakeServer server(scenario(
            R"({"body":"","raw_tail":"\u0000\u00ff\u0001data\u0000:\r\r\n\u00fe\u0080\u00c0\n\n\u0000\u0000"})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        CHECK(r.exit_code == 7);
        check_one_error(r, "the stream ended before the run finished");
    }
    SECTION("an HTML page instead of a stream") {
        ls_test::FakeServer server(scenario(
            R"({"status":200,"headers":{"Content-Type":"text/event-stream"},"body":"<!doctype html><html><body>Oops</body></html>"})"));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        CHECK(r.exit_code == 7);
        check_one_error(r, "the stream ended before the run finished");
    }
}
