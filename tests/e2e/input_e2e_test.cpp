// End to end: the prompt rules (argument, '-', stdin, combined, TTY, empty, size) and exactly
// what reaches the server (body fields, otid, headers).
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "e2e.hpp"

using namespace e2e;
using ls_test::StdinMode;

namespace {

const std::string kStream = R"({"fixture":"synth_foreground_token_stream.sse"})";

std::string posted_prompt(const ls_test::FakeServer& server) {
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    auto body = posts[0].json_body();
    REQUIRE_FALSE(body.HasParseError());
    return body["messages"][0]["content"].GetString();
}

}  // namespace

TEST_CASE("prompt from the argument", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"--agent", kAgentId, "Explain quantum computing"});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "Explain quantum computing");
}

TEST_CASE("prompt + piped stdin are joined (git diff | letta-stream -a X \"Review:\")",
          "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId, "Review this diff:"},
                 {.stdin_mode = StdinMode::pipe, .stdin_data = "--- a/x\n+++ b/x\n"});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "Review this diff:\n\n--- a/x\n+++ b/x\n");
}

TEST_CASE("git diff --color | letta-stream: ANSI escapes reach the server intact", "[e2e][input]") {
    // ESC (0x1B) in the middle of a long line: RapidJSON 1.1's SSE2 writer sent it unescaped and
    // the server answered 422 (util/json_writer.hpp).
    const std::string diff =
        "diff --git a/src/x.cpp b/src/x.cpp\n\x1b[1m--- a/src/x.cpp\x1b[m\n"
        "\x1b[31m-    return compute_the_old_value(with, several, arguments);\x1b[m\n"
        "\x1b[32m+    return compute_the_new_value(with, several, arguments);\x1b[m\n";
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId, "Review:"},
                 {.stdin_mode = StdinMode::pipe, .stdin_data = diff});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "Review:\n\n" + diff);
}

TEST_CASE("prompt from stdin alone, and with '-'", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId},
                 {.stdin_mode = StdinMode::pipe, .stdin_data = "What is 2+2?\n"});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "What is 2+2?\n");

    ls_test::FakeServer dash(scenario(kStream));
    auto d = run(&dash, {"-a", kAgentId, "-"},
                 {.stdin_mode = StdinMode::pipe, .stdin_data = "from a file"});
    CHECK(d.exit_code == 0);
    CHECK(posted_prompt(dash) == "from a file");
}

TEST_CASE("a terminal stdin and no prompt: exit 2 at once, nothing sent", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId}, {.stdin_mode = StdinMode::pty, .timeout_ms = 5000});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.timed_out);
    CHECK(contains(r.err, "no prompt given"));
    CHECK(server.requests().empty());
}

TEST_CASE("a terminal stdin is never read when a prompt is given", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r =
        run(&server, {"-a", kAgentId, "hi"}, {.stdin_mode = StdinMode::pty, .timeout_ms = 5000});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "hi");
}

TEST_CASE("closed or empty stdin (cron, CI)", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.stdin_mode = StdinMode::closed});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "hi");
    auto none = run(&server, {"-a", kAgentId}, {.stdin_mode = StdinMode::dev_null});
    CHECK(none.exit_code == 2);
    CHECK(contains(none.err, "the prompt is empty"));
}

TEST_CASE("flag --no-stdin ignores a pipe", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-a", kAgentId, "--no-stdin", "hi"},
                 {.stdin_mode = StdinMode::pipe, .stdin_data = "ignored"});
    CHECK(r.exit_code == 0);
    CHECK(posted_prompt(server) == "hi");
}

TEST_CASE("empty and oversized prompts are usage errors", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    CHECK(run(&server, {"-a", kAgentId, ""}).exit_code == 2);
    CHECK(run(&server, {"-a", kAgentId, "-"}, {.stdin_mode = StdinMode::pipe, .stdin_data = " \n"})
              .exit_code == 2);
    auto big = run(&server, {"-a", kAgentId, "--max-prompt-size", "1K"},
                   {.stdin_mode = StdinMode::pipe, .stdin_data = std::string(5000, 'x')});
    CHECK(big.exit_code == 2);
    CHECK(contains(big.err, "larger than 1 KiB"));
    CHECK(server.requests().empty());
}

TEST_CASE("usage errors: exit 2, one line, a hint", "[e2e][input]") {
    auto unknown = run(nullptr, {"--frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(contains(unknown.err, "letta-stream: error: unknown option --frobnicate"));
    CHECK(unknown.out.empty());
    auto noagent = run(nullptr, {"hi"});
    CHECK(noagent.exit_code == 2);
    CHECK(contains(noagent.err, "no agent given"));
    auto words = run(nullptr, {"-a", kAgentId, "two", "words"});
    CHECK(words.exit_code == 2);
    CHECK(contains(words.err, "quote"));
}

TEST_CASE("flag --help and --version go to stdout and exit 0", "[e2e][input]") {
    auto h = run(nullptr, {"--help"}, {.with_key = false});
    CHECK(h.exit_code == 0);
    CHECK(contains(h.out, "Usage: letta-stream"));
    CHECK(h.err.empty());
    auto v = run(nullptr, {"--version"}, {.with_key = false});
    CHECK(v.exit_code == 0);
    CHECK(v.out.rfind("letta-stream " LETTA_STREAM_VERSION, 0) == 0);
}

TEST_CASE("what the server receives", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r =
        run(&server, {"-a", kAgentId, "--project-id", "proj-42", "-H", "X-Trace: abc", "Say hi"},
            {.env = {"LETTA_CUSTOM_HEADERS=X-Team: blue\nX-Other: 1"}});
    INFO(ls_test::describe(r));
    REQUIRE(r.exit_code == 0);
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);  // the user's message was posted exactly once
    const auto& p = posts[0];
    CHECK(p.method == "POST");
    CHECK(p.path == "/v1/conversations/default/messages");
    CHECK(p.header("authorization") == std::string("Bearer ") + kKey);
    CHECK(p.header("content-type") == "application/json");
    CHECK(p.header("accept") == "text/event-stream");
    CHECK(p.header("x-project-id") == "proj-42");
    CHECK(p.header("x-trace") == "abc");
    CHECK(p.header("x-team") == "blue");
    CHECK(p.header("x-other") == "1");
    CHECK(p.header("user-agent").rfind("letta-stream/", 0) == 0);
    auto body = p.json_body();
    REQUIRE(body.IsObject());
    CHECK(body["streaming"].GetBool());
    CHECK(body["stream_tokens"].GetBool());
    CHECK(body["include_pings"].GetBool());
    CHECK(std::string(body["agent_id"].GetString()) == kAgentId);
    REQUIRE(body["messages"].Size() == 1);
    const auto& m = body["messages"][0];
    CHECK(std::string(m["role"].GetString()) == "user");
    CHECK(std::string(m["content"].GetString()) == "Say hi");
    const std::string otid = m["otid"].GetString();
    CHECK(otid.size() == 36);
    CHECK(otid[14] == '4');

    // A fresh otid per invocation.
    auto again = run(&server, {"-a", kAgentId, "Say hi"});
    auto posts2 = message_posts(server);
    REQUIRE(posts2.size() == 2);
    CHECK(std::string(posts2[1].json_body()["messages"][0]["otid"].GetString()) != otid);
}

TEST_CASE("flag --conversation posts to that conversation", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"--conversation", "conv-7f3e", "hi"});
    CHECK(r.exit_code == 0);
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].path == "/v1/conversations/conv-7f3e/messages");
    CHECK_FALSE(posts[0].json_body().HasMember("agent_id"));
}

TEST_CASE("flag --verbose traces on stderr with the key redacted", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"-v", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Hello! How can I help you today?\n");
    CHECK(contains(r.err, "> POST /v1/conversations/default/messages"));
    CHECK(contains(r.err, "> Authorization: Bearer [redacted]"));
    CHECK(contains(r.err, "< HTTP/1.1 200"));
    CHECK(contains(r.err, "\"message_type\":\"assistant_message\""));
    CHECK_FALSE(contains(r.err, kKey));
}

TEST_CASE("flag --verbose cuts a long event between characters", "[e2e][input]") {
    // One event longer than the 2 KiB trace cap, laid out so that the cap splits a '€' (3 bytes).
    const std::string prefix = R"({"message_type":"assistant_message","content":")";
    std::string data = prefix;
    while ((2048 - data.size()) % 3 != 1)
        data += 'x';
    for (int i = 0; i < 1000; ++i)
        data += "\xE2\x82\xAC";
    data += R"("})";
    const std::string sse = "data: " + data + "\n\ndata: " +
                            R"({"message_type":"stop_reason","stop_reason":"end_turn"})" +
                            "\n\ndata: [DONE]\n\n";
    ls_test::FakeServer server(scenario(R"({"body":)" + json_string(sse) + "}"));
    auto r = run(&server, {"-v", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    const auto cut = r.err.find("... (" + std::to_string(data.size()) + " bytes)");
    REQUIRE(cut != std::string::npos);
    CHECK(r.err.compare(cut - 3, 3, "\xE2\x82\xAC") == 0);  // a whole '€' right before the cut
}

TEST_CASE("flag --api-key-file", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    const std::string path = server.dir() + "/key";
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(kKey, f);
    std::fputs("\n", f);
    std::fclose(f);
    auto r = run(&server, {"--api-key-file", path, "-a", kAgentId, "hi"}, {.with_key = false});
    CHECK(r.exit_code == 0);
    auto missing = run(&server, {"--api-key-file", "/nonexistent/key", "-a", kAgentId, "hi"});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "/nonexistent/key"));
}

// Issue "The contract holds on every path" — each case below was reproduced with the real binary.

TEST_CASE("an attached empty value is the value: --agent= never takes the prompt", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    for (const std::string flag : {"--agent", "--conversation", "--base-url"}) {
        auto r = run(&server, {flag + "=", "Summarize"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "letta-stream: error: " + flag + " is empty\n"));
        CHECK(contains(r.err, "letta-stream: hint: "));
        CHECK(r.out.empty());
    }
    CHECK(server.requests().empty());
}

TEST_CASE("an empty --base-url is a usage error, never the cloud", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto r = run(&server, {"--base-url", "", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--base-url is empty"));
    CHECK(server.requests().empty());
    // An empty LETTA_BASE_URL is unset: the default (the cloud), which needs a key.
    auto unset = run(nullptr, {"-a", kAgentId, "hi"},
                     {.env = {"LETTA_BASE_URL="}, .with_key = false, .with_base_url = false});
    CHECK(unset.exit_code == 3);
    CHECK(contains(unset.err, "no API key for https://api.letta.com"));
}

TEST_CASE("parse errors never show CLI11's wording", "[e2e][input]") {
    auto twice = run(nullptr, {"-a", kAgentId, "-a", "calc", "hi"});
    CHECK(twice.exit_code == 2);
    CHECK(twice.err ==
          "letta-stream: error: --agent was given more than once\n"
          "letta-stream: hint: give --agent once\n");
    auto missing = run(nullptr, {"hi", "-a"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err ==
          "letta-stream: error: --agent needs a value\n"
          "letta-stream: hint: write --agent ID|NAME; try 'letta-stream --help'\n");
    auto words = run(nullptr, {"-a", kAgentId, "two", "words"});
    CHECK(contains(words.err, "letta-stream: error: unexpected argument 'words'"));
    CHECK_FALSE(contains(words.err, "not expected"));
}

TEST_CASE("a base URL copied with /v1/ and an upper-case scheme", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    std::string url = server.base_url();
    REQUIRE(url.rfind("http://", 0) == 0);
    url = "HTTP://" + url.substr(7) + "/v1/";
    auto r = run(&server, {"--base-url", url, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].path == "/v1/conversations/default/messages");  // not /v1/v1/...
    auto query = run(&server, {"--base-url", server.base_url() + "?x=1", "-a", kAgentId, "hi"});
    CHECK(query.exit_code == 2);
    CHECK(contains(query.err, "has a query"));
}

TEST_CASE("a password in the base URL is never printed", "[e2e][input]") {
    auto r = run(nullptr, {"--base-url", "https://me:s3cret@x.example/#top", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "https://me:***@x.example/#top"));
    CHECK_FALSE(contains(r.err, "s3cret"));
}

TEST_CASE("an agent id in upper case is sent as an id, lower-cased", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    std::string upper = kAgentId;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto r = run(&server, {"-a", upper, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    for (const auto& req : server.requests())
        CHECK(req.method == "POST");  // no name lookup
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(std::string(posts[0].json_body()["agent_id"].GetString()) == kAgentId);
}

TEST_CASE("flag -H replaces our header of the same name (Authorization, Accept)", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    // LETTA_API_KEY is wrong; the -H header carries the right key and must be the only one.
    auto r = run(&server,
                 {"-a", "calc", "-H", std::string("authorization: Bearer ") + kKey, "-H",
                  "Accept: text/event-stream, */*", "hi"},
                 {.env = {"LETTA_API_KEY=sk-let-wrong"}, .with_key = false});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);  // the lookup and the message
    for (const auto& req : requests)
        CHECK(req.header("authorization") == std::string("Bearer ") + kKey);
    CHECK(message_posts(server)[0].header("accept") == "text/event-stream, */*");
    // "Name:" removes the header: no X-Project-Id at all.
    ls_test::FakeServer bare(scenario(kStream));
    auto removed = run(&bare, {"-a", kAgentId, "--project-id", "p1", "-H", "X-Project-Id:", "hi"});
    CHECK(removed.exit_code == 0);
    CHECK_FALSE(message_posts(bare)[0].has_header("x-project-id"));
}

TEST_CASE("a blank prompt says blank, not nothing on stdin", "[e2e][input]") {
    ls_test::FakeServer server(scenario(kStream));
    auto spaces =
        run(&server, {"-a", kAgentId}, {.stdin_mode = StdinMode::pipe, .stdin_data = " \n\t\n"});
    CHECK(spaces.exit_code == 2);
    CHECK(contains(spaces.err, "the prompt is blank"));
    CHECK_FALSE(contains(spaces.err, "nothing on stdin"));
    auto unicode = run(&server, {"-a", kAgentId, "\u00a0\u3000\u2003\n"});
    CHECK(unicode.exit_code == 2);
    CHECK(contains(unicode.err, "the prompt is blank"));
    CHECK(server.requests().empty());
}

TEST_CASE("usage errors still end -j output and write the --metrics-file report", "[e2e][input]") {
    auto j = run(nullptr, {"-j", "--bogus"});
    CHECK(j.exit_code == 2);
    CHECK(contains(j.out, R"("type":"start")"));
    CHECK(
        contains(j.out, R"("type":"done","stop_reason":null,"exit_status":2,"exit_name":"usage")"));

    const std::string path = "/tmp/letta-stream-e2e-usage-metrics.json";
    for (const auto& args : {std::vector<std::string>{"--metrics-file", path, "--bogus"},
                             std::vector<std::string>{"--metrics-file=" + path, "-a", "", "hi"},
                             std::vector<std::string>{"--bogus", "--metrics-file", path}}) {
        {
            std::ofstream old(path);
            old << R"({"exit_name":"ok"})" << '\n';  // the previous run's report
        }
        auto r = run(nullptr, args);
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 2);
        std::ifstream in(path);
        const std::string report{std::istreambuf_iterator<char>(in), {}};
        CHECK(contains(report, R"("exit_status":2,"exit_name":"usage")"));
        CHECK_FALSE(contains(report, R"("exit_name":"ok")"));
    }
    std::remove(path.c_str());
}
