// End to end: the metrics report against a server whose pacing is known, and --show-reasoning /
// --show-tools narration on stderr. Tolerances are generous: a loaded 2-core CI machine must pass.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "e2e.hpp"

using namespace e2e;

namespace {

// The last stderr line that is a metrics JSON object.
rapidjson::Document metrics_json(const std::string& err) {
    rapidjson::Document d;
    const auto pos = err.rfind("{\"schema\":\"letta-stream.metrics/1\"");
    REQUIRE(pos != std::string::npos);
    const auto end = err.find('\n', pos);
    d.Parse(err.substr(pos, end - pos).c_str());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

}  // namespace

TEST_CASE("metrics match a paced stream", "[e2e][metrics]") {
    // 200 ms before the first byte, then 30 content tokens 20 ms apart (50 tokens/s).
    ls_test::FakeServer server(
        scenario(R"({"generate":{"tokens":30},"first_delay_ms":200,"rate":50})"));
    auto r = run(&server, {"--metrics=json", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    REQUIRE(r.exit_code == 0);
    auto m = metrics_json(r.err);
    CHECK(m["finished"].GetBool());
    CHECK(m["tokens"].GetInt() == 30);
    CHECK(m["words"].GetInt() == 235);
    CHECK(m["ttft_ms"].GetDouble() >= 195);
    CHECK(m["ttft_ms"].GetDouble() <= 700);
    CHECK(m["headers_ms"].GetDouble() < m["ttft_ms"].GetDouble());
    const auto& itl = m["itl_ms"];
    CHECK(itl["samples"].GetInt() == 29);
    CHECK(itl["p50"].GetDouble() == Approx(20.0).margin(8.0));
    CHECK(itl["max"].GetDouble() >= itl["p50"].GetDouble());
    CHECK(m["generation_ms"].GetDouble() == Approx(580).margin(250));
    CHECK(m["generation_tokens_per_s"].GetDouble() == Approx(50).margin(20));
    // Usage is what the server sent.
    const auto& u = m["usage"];
    CHECK(u["prompt_tokens"].GetInt() == 2310);
    CHECK(u["completion_tokens"].GetInt() == 30);
    CHECK(u["total_tokens"].GetInt() == 2340);
    CHECK(u["cached_input_tokens"].GetInt() == 2048);
    CHECK(u["step_count"].GetInt() == 1);
    CHECK(std::string(m["stop_reason"].GetString()) == "end_turn");
    CHECK(m["http_status"].GetInt() == 200);
    CHECK(m["exit_status"].GetInt() == 0);
    CHECK(m["bytes_out"].GetInt() == static_cast<int>(r.out.size()));
    CHECK(m["events"]["content"].GetInt() == 30);
}

TEST_CASE("a stall is counted", "[e2e][metrics]") {
    // Two token events, then the server waits 1.3 s before the next write.
    const std::string body =
        "data: {\"message_type\":\"assistant_message\",\"content\":\"a\"}\n\n"
        "data: {\"message_type\":\"assistant_message\",\"content\":\"b\"}\n\n"
        "data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n";
    ls_test::FakeServer server(
        scenario(R"({"body":)" + json_string(body) + R"(,"delay_ms":1300})"));
    auto r = run(&server, {"--metrics=json", "-a", kAgentId, "hi"});
    REQUIRE(r.exit_code == 0);
    auto m = metrics_json(r.err);
    CHECK(m["stalls"].GetInt() == 1);
    CHECK(m["stall_ms"].GetDouble() >= 1200);
    CHECK(m["itl_ms"]["max"].GetDouble() >= 1200);
}

TEST_CASE("flag -m prints a short human report on stderr, stdout is untouched", "[e2e][metrics]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"-m", "-a", kAgentId, "hi"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "Hello! How can I help you today?\n");
    CHECK(contains(r.err, "letta-stream metrics"));
    CHECK(contains(r.err, "first token"));
    CHECK(contains(r.err, "prompt 2,310"));
    CHECK(contains(r.err, "end_turn"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 12);
    CHECK_FALSE(contains(r.err, "\x1b["));  // NO_COLOR and not a terminal
}

TEST_CASE("flag --metrics-file writes one JSON line, stderr stays quiet", "[e2e][metrics]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    const std::string path = server.dir() + "/metrics.json";
    auto r = run(&server, {"--metrics-file", path, "-a", kAgentId, "hi"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    REQUIRE_FALSE(text.empty());
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    auto m = metrics_json(text);
    CHECK(m["tokens"].GetInt() == 9);

    auto bad = run(&server, {"--metrics-file", "/nonexistent/dir/m.json", "-a", kAgentId, "hi"});
    CHECK(bad.exit_code == 2);
    CHECK(contains(bad.err, "--metrics-file"));
}

TEST_CASE("the report comes after errors and Ctrl-C too", "[e2e][metrics]") {
    SECTION("HTTP 500") {
        ls_test::FakeServer server(scenario(R"({"status":500,"body":""})"));
        auto r = run(&server, {"--metrics=json", "-a", kAgentId, "hi"});
        CHECK(r.exit_code == 8);
        auto m = metrics_json(r.err);
        CHECK(m["http_status"].GetInt() == 500);
        CHECK(m["ttft_ms"].IsNull());
        CHECK(m["exit_status"].GetInt() == 8);
    }
    SECTION("SIGINT") {
        ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":100})"));
        auto r = run(&server, {"--metrics=json", "-a", kAgentId, "hi"},
                     {.signal = SIGINT, .signal_after_ms = 500});
        CHECK(r.exit_code == 130);
        auto m = metrics_json(r.err);
        CHECK(m["exit_status"].GetInt() == 130);
        CHECK(m["tokens"].GetInt() > 5);
    }
}

TEST_CASE("flag --show-reasoning and --show-tools narrate on stderr only", "[e2e][metrics]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"The answer is 4.","reasoning":"Use the calculator.","tool_call":{}}})"));
    auto r = run(&server, {"--show-reasoning", "--show-tools", "-a", kAgentId, "2+2?"});
    INFO(ls_test::describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == "The answer is 4.\n");
    CHECK(contains(r.err, "reasoning: Use the calculator.\n"));
    CHECK(contains(r.err, "tool: calculator({\"expression\": \"2 + 2\"})\n"));
    CHECK(contains(r.err, "tool result: 4\n"));
    CHECK_FALSE(contains(r.err, "\x1b["));

    auto quiet = run(&server, {"-a", kAgentId, "2+2?"});
    CHECK(quiet.err.empty());
}
