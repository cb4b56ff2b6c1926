// End to end: the real binary streams every recorded fixture (and generated streams) from the
// fake server over loopback, in every framing the server can produce.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <string_view>
#include <vector>

#include "e2e.hpp"
#include "support/fixture_oracle.hpp"

using namespace e2e;

namespace {

std::string expected_stdout(const char* text) {
    return *text ? std::string(text) + "\n" : "";
}

void check_fixture(const ls_test::FixtureOracle& o, const std::string& variant) {
    INFO(o.file << " " << variant);
    ls_test::FakeServer server(
        scenario(R"({"fixture":")" + std::string(o.file) + "\"" + variant + "}"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.out == expected_stdout(o.text));
    CHECK(r.exit_code == o.status);
    if (o.status == 0)
        CHECK(r.err.empty());
    else
        CHECK(contains(r.err, "letta-stream: error: "));
}

}  // namespace

TEST_CASE("every fixture gives the oracle's text and exit status", "[e2e][fixtures]") {
    for (const auto& o : ls_test::kFixtureOracle)
        check_fixture(o, "");
}

TEST_CASE("fixtures byte-at-a-time, CRLF, CR, no space, BOM and gzip", "[e2e][fixtures]") {
    const char* variants[] = {
        R"(,"split":{"bytes":1})", R"(,"line_endings":"crlf","split":{"bytes":3})",
        R"(,"line_endings":"cr")", R"(,"data_no_space":true,"bom":true)",
        R"(,"gzip":true)",         R"(,"gzip":true,"split":{"bytes":1},"line_endings":"crlf")",
        R"(,"framing":"close")",   R"(,"framing":"length")",
    };
    for (const char* v : variants)
        for (const auto& o : ls_test::kFixtureOracle)
            check_fixture(o, v);
}

TEST_CASE("a multi-byte character split across reads survives", "[e2e]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"Привет, мир! 日本語 🚀 ok"},"split":{"bytes":1},"coalesce":false})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Привет, мир! 日本語 🚀 ok\n");
}

TEST_CASE("the reply appears token by token, not at the end", "[e2e]") {
    // 30 tokens at 50 tokens/s: about 600 ms of streaming.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":30},"rate":50})"));
    auto r = run(&server, {"-a", kAgentId, "Explain quantum computing"});
    INFO(ls_test::describe(r));
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.out_chunks.size() >= 10);
    const double first = r.out_chunks.front().t_ms;
    const double last = r.out_chunks.back().t_ms;
    CHECK(last - first > 300);  // spread over the stream, not one block at exit
    std::string joined;
    for (auto& c : r.out_chunks)
        joined += c.bytes;
    CHECK(joined == r.out);

    // Every chunk (but the final newline) ends on a token boundary the server sent. The same
    // scenario with -j gives the server's deltas, one content line each (the stream is
    // generated deterministically).
    auto j = run(&server, {"-j", "-a", kAgentId, "Explain quantum computing"});
    REQUIRE(j.exit_code == 0);
    std::vector<std::size_t> boundaries;
    std::size_t offset = 0;
    for (std::size_t pos = 0; pos < j.out.size();) {
        const std::size_t nl = j.out.find('\n', pos);
        REQUIRE(nl != std::string::npos);
        rapidjson::Document d;
        d.Parse(j.out.data() + pos, nl - pos);
        REQUIRE_FALSE(d.HasParseError());
        if (std::string_view(d["type"].GetString()) == "content") {
            offset += d["content"].GetStringLength();
            boundaries.push_back(offset);
        }
        pos = nl + 1;
    }
    REQUIRE(boundaries.size() == 30);
    REQUIRE(offset + 1 == r.out.size());  // the text output is the deltas plus a newline
    std::size_t end = 0;
    for (std::size_t i = 0; i < r.out_chunks.size(); ++i) {
        end += r.out_chunks[i].bytes.size();
        if (end == r.out.size() && r.out_chunks[i].bytes.back() == '\n' && end - 1 == offset)
            continue;  // the final newline (possibly in the same write as the last token)
        INFO("chunk " << i << " ends at byte " << end);
        CHECK(std::find(boundaries.begin(), boundaries.end(), end) != boundaries.end());
    }
}

TEST_CASE("reasoning and tool steps never reach stdout", "[e2e]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"The answer is 4.","reasoning":"Let me use the calculator.","tool_call":{}}})"));
    auto r = run(&server, {"-a", kAgentId, "What is 2+2?"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "The answer is 4.\n");
}

TEST_CASE("flag -n leaves the reply exactly as sent", "[e2e]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"-n", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Hello! How can I help you today?");
    ls_test::FakeServer nl(scenario(R"({"generate":{"text":"line one\nline two\n"}})"));
    auto r2 = run(&nl, {"-a", kAgentId, "hi"});
    CHECK(r2.out == "line one\nline two\n");  // already ends with a newline: nothing added
}

TEST_CASE("a silent stream after stop_reason ends after the grace period", "[e2e]") {
    // The server stalls right after stop_reason + usage, before [DONE], and never closes.
    const std::string body =
        "data: {\"message_type\":\"assistant_message\",\"content\":\"done.\"}\n\n"
        "data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n";
    ls_test::FakeServer server(scenario(R"({"body":)" + json_string(body) +
                                        R"(,"stall_after_bytes":)" + std::to_string(body.size()) +
                                        "}"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.timeout_ms = 10000});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "done.\n");
    CHECK(r.elapsed_ms > 1500);
    CHECK(r.elapsed_ms < 8000);  // bounded: the server would stall forever
}

TEST_CASE("the agents route works without a User-Agent", "[e2e]") {
    // The fake, like Letta, answers 422 to a streaming POST with a non-SDK User-Agent.
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"--endpoint", "agents", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Hello! How can I help you today?\n");
    auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].path == std::string("/v1/agents/") + kAgentId + "/messages");
    CHECK_FALSE(posts[0].has_header("user-agent"));
}
