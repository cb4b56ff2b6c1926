// End to end: the other wire dialects against the fake server — OpenAI chat completions, the
// tutorial's proxy format, any SSE endpoint. What goes out (the request log) and what comes out.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "e2e.hpp"

using namespace e2e;

namespace {

std::vector<ls_test::LoggedRequest> at(const ls_test::FakeServer& server, const std::string& path) {
    std::vector<ls_test::LoggedRequest> out;
    for (auto& r : server.requests())
        if (r.path == path) out.push_back(r);
    return out;
}

std::string types(const std::string& jsonl) {
    std::string out;
    for (std::size_t pos = 0; pos < jsonl.size();) {
        const auto nl = jsonl.find('\n', pos);
        rapidjson::Document d;
        d.Parse(jsonl.data() + pos, nl - pos);
        REQUIRE(d.IsObject());
        out += std::string(out.empty() ? "" : " ") + d["type"].GetString();
        pos = nl + 1;
    }
    return out;
}

}  // namespace

TEST_CASE("flag --api openai: the request, the reply, usage and the done line", "[e2e][dialects]") {
    ls_test::FakeServer server(
        scenario(R"({"openai":{"text":"Hello wörld 🚀, done.","usage":true}})"));
    auto r = run(&server, {"--api", "openai", "-a", "fakebot", "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Hello wörld 🚀, done.\n");
    const auto posts = at(server, "/v1/chat/completions");
    REQUIRE(posts.size() == 1);
    const auto body = posts[0].json_body();
    CHECK(std::string(body["model"].GetString()) == "fakebot");
    CHECK(body["stream"].GetBool());
    CHECK(body["stream_options"]["include_usage"].GetBool());
    CHECK(std::string(body["messages"][0]["content"].GetString()) == "hi");
    CHECK(posts[0].header("authorization") == std::string("Bearer ") + kKey);
    CHECK(server.requests().size() == 1);  // no agent lookup

    auto j = run(&server, {"-j", "--api", "openai", "--model", "other", "-a", "fakebot", "hi"});
    INFO(ls_test::describe(j));
    CHECK(j.exit_code == 0);
    CHECK(types(j.out).find("start status content") == 0);
    CHECK(contains(j.out, R"("type":"usage")"));
    CHECK(contains(j.out, R"("type":"stop","stop_reason":"stop")"));
    CHECK(contains(j.out, R"("endpoint":"openai")"));
    CHECK(std::string(at(server, "/v1/chat/completions")[1].json_body()["model"].GetString()) ==
          "other");
}

TEST_CASE("flag --api openai: a base URL with /v1, OPENAI_* variables, --url", "[e2e][dialects]") {
    ls_test::FakeServer server(scenario(R"({"openai":{"text":"ok"}})"));
    auto v1 =
        run(&server, {"--api", "openai", "--base-url", server.base_url() + "/v1", "-a", "m", "hi"},
            {.with_base_url = false});
    CHECK(v1.exit_code == 0);
    CHECK(v1.out == "ok\n");
    auto env = run(&server, {"--api", "openai", "-a", "m", "hi"},
                   {.env = {"OPENAI_BASE_URL=" + server.base_url() + "/v1",
                            std::string("OPENAI_API_KEY=") + kKey},
                    .with_key = false,
                    .with_base_url = false});
    INFO(ls_test::describe(env));
    CHECK(env.exit_code == 0);
    auto url = run(
        &server,
        {"--api", "openai", "--url", server.base_url() + "/v1/chat/completions", "-a", "m", "hi"},
        {.with_base_url = false});
    CHECK(url.exit_code == 0);
    CHECK(at(server, "/v1/chat/completions").size() == 3);
}

TEST_CASE("flag --api openai: errors, finish reasons and tool-call fragments", "[e2e][dialects]") {
    struct Case {
        const char* response;
        int status;
        const char* fragment;
    };
    const Case cases[] = {
        {R"({"status":404,"body_json":{"error":{"message":"The model 'nope' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}})",
         4, "The model 'nope' does not exist"},
        {R"({"openai":{"text":"one two three four","error_after":2}})", 1, "the agent run failed"},
        {R"({"openai":{"text":"cut short","finish_reason":"length"}})", 9,
         "the run stopped: length"},
        {R"({"status":401,"body_json":{"error":{"message":"bad key","type":"auth"}}})", 3,
         "bad key"},
    };
    for (const Case& c : cases) {
        ls_test::FakeServer server(scenario(c.response));
        auto r = run(&server, {"--retries", "0", "--api", "openai", "-a", "nope", "hi"});
        INFO(c.response << " " << ls_test::describe(r));
        CHECK(r.exit_code == c.status);
        CHECK(contains(r.err, c.fragment));
    }
    ls_test::FakeServer tools(scenario(
        R"({"openai":{"text":"done","tool_call":{"name":"Read","arguments":"{\"path\": \"/tmp/x\"}","id":"call_1"}}})"));
    auto t = run(&tools, {"-j", "--api", "openai", "-a", "m", "hi"});
    INFO(ls_test::describe(t));
    CHECK(t.exit_code == 0);
    CHECK(contains(
        t.out,
        R"("type":"tool_call","tool":"Read","tool_call_id":"call_1","arguments":"{\"path\": \"/tmp/x\"}")"));
}

TEST_CASE("flag --api simple: the tutorial's proxy format", "[e2e][dialects]") {
    const std::string events = R"(["data: {\"type\":\"status\",\"status\":\"thinking\"}",)"
                               R"("data: {\"type\":\"content\",\"content\":\"Hello \"}",)"
                               R"("data: {\"type\":\"content\",\"content\":\"wörld\"}",)"
                               R"("data: {\"type\":\"done\"}"])";
    for (const char* endings : {"lf", "crlf"}) {
        ls_test::FakeServer server(
            scenario(R"({"body_events":)" + events + R"(,"line_endings":")" + endings + "\"}"));
        auto r = run(&server, {"--api", "simple", "--url", server.base_url() + "/x/chat", "-a",
                               "agent-7", "hi there"});
        INFO(endings << " " << ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Hello wörld\n");
        const auto posts = at(server, "/x/chat");
        REQUIRE(posts.size() == 1);
        CHECK(posts[0].method == "POST");
        CHECK(std::string(posts[0].json_body()["agent_id"].GetString()) == "agent-7");
        CHECK(std::string(posts[0].json_body()["message"].GetString()) == "hi there");
    }
    ls_test::FakeServer error(scenario(
        R"({"body_events":["data: {\"type\":\"content\",\"content\":\"part\"}","data: {\"type\":\"error\",\"message\":\"agent crashed\"}"]})"));
    auto e =
        run(&error, {"--api", "simple", "--url", error.base_url() + "/x/chat", "-a", "a", "hi"});
    CHECK(e.exit_code == 1);
    CHECK(e.out == "part\n");
    CHECK(contains(e.err, "agent crashed"));
    ls_test::FakeServer dropped(
        scenario(R"({"body_events":["data: {\"type\":\"content\",\"content\":\"part\"}"]})"));
    auto d = run(&dropped,
                 {"--api", "simple", "--url", dropped.base_url() + "/x/chat", "-a", "a", "hi"});
    CHECK(d.exit_code == 7);
}

TEST_CASE("flag --api sse: any event stream, in text and as JSON lines", "[e2e][dialects]") {
    ls_test::FakeServer server(scenario(
        R"({"body_events":["data: one","event: tick\nid: 7\ndata: two\ndata: lines","retry: 2500\ndata: three"],"headers":{"Content-Type":"text/event-stream"}})"));
    const std::string url = server.base_url() + "/x/events";
    auto r = run(&server, {"--api", "sse", "--url", url});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "one\ntwo\nlines\nthree\n");
    CHECK(at(server, "/x/events")[0].method == "GET");
    auto j = run(&server, {"-j", "--api", "sse", "--url", url});
    INFO(ls_test::describe(j));
    CHECK(j.exit_code == 0);
    CHECK(contains(j.out, R"("type":"sse","event":"message","data":"one","id":"")"));
    CHECK(contains(j.out, R"("type":"sse","event":"tick","data":"two\nlines","id":"7")"));
    CHECK(contains(j.out, R"("type":"sse_retry","retry":2500)"));
    CHECK(contains(j.out, R"("type":"sse","event":"message","data":"three","id":"7")"));
    auto post = run(&server, {"--api", "sse", "--url", url, "--data", R"({"q":1})"});
    CHECK(post.exit_code == 0);
    const auto posts = at(server, "/x/events");
    REQUIRE(posts.size() == 3);
    CHECK(posts[2].method == "POST");
    CHECK(posts[2].body == R"({"q":1})");
    // --data @FILE sends the whole file, however long (it was once cut at 64 KiB).
    const std::string big = "/tmp/letta-stream-e2e-body-" + std::to_string(::getpid()) + ".json";
    const std::string body = R"({"pad":")" + std::string(200'000, 'x') + R"("})";
    std::ofstream(big, std::ios::binary | std::ios::trunc) << body;
    auto file = run(&server, {"--api", "sse", "--url", url, "--data", "@" + big});
    std::remove(big.c_str());
    CHECK(file.exit_code == 0);
    const auto all = at(server, "/x/events");
    REQUIRE(all.size() == 4);
    CHECK(all[3].body == body);
}
