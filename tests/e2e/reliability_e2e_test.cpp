// End to end: retries, resume without duplicates, timeouts and cancelling the run on the server,
// against the fake server's faults; the assertions read its request log.
#include <catch2/catch.hpp>
#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "e2e.hpp"
#include "support/http_client.hpp"

using namespace e2e;

namespace {

constexpr const char* kText = "Héllo, wörld! 日本語 and 🚀 emoji, then plain text to the end.";

std::string generated(const std::string& extra) {
    return R"({"generate":{"text":)" + json_string(kText) +
           R"(,"tokens":8,"run_id":"run-cut","background":true},"coalesce":false)" + extra + "}";
}

// The same stream, its connection closed after `cut` body bytes (0: whole).
std::string cut_entry(const std::string& extra, std::size_t cut) {
    return generated(cut == 0 ? extra : extra + R"(,"close_after_bytes":)" + std::to_string(cut));
}

// The byte offsets where the uncut body's events end (after each blank line).
std::vector<std::size_t> event_ends(const ls_test::FakeServer& server, const std::string& sep) {
    ls_test::HttpClient c(server.port());
    ls_test::HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = "/v1/conversations/default/messages";
    spec.headers = {{"Content-Type", "application/json"},
                    {"Authorization", std::string("Bearer ") + kKey}};
    spec.body = std::string(R"({"messages":[{"role":"user","content":"x"}],"agent_id":")") +
                kAgentId + R"(","background":true})";
    const auto r = c.request(spec);
    REQUIRE(r.status == 200);
    std::vector<std::size_t> ends;
    for (std::size_t at = r.body.find(sep); at != std::string::npos; at = r.body.find(sep, at + 1))
        ends.push_back(at + sep.size());
    return ends;
}

std::vector<ls_test::LoggedRequest> paths(const ls_test::FakeServer& server,
                                          const std::string& part) {
    std::vector<ls_test::LoggedRequest> out;
    for (auto& r : server.requests())
        if (r.path.find(part) != std::string::npos) out.push_back(r);
    return out;
}

}  // namespace

// A scenario whose message POSTs get these answers in turn (the last repeats).
std::string answers(const std::string& list, const std::string& extra = "") {
    std::string s = scenario("{}", extra);
    const std::string key = R"("response":{})";
    s.replace(s.find(key), key.size(), R"("responses":[)" + list + "]");
    return s;
}

TEST_CASE("a background stream cut anywhere resumes: every byte once, one message POST",
          "[e2e][reliability]") {
    for (const std::string endings : {"lf", "crlf"}) {
        const std::string extra = R"(,"line_endings":")" + endings + "\"";
        ls_test::FakeServer uncut(scenario(generated(extra)));
        const auto whole = run(&uncut, {"-a", kAgentId, "hi"});
        REQUIRE(whole.exit_code == 0);
        const auto whole_j = run(&uncut, {"-j", "-a", kAgentId, "hi"});
        REQUIRE(whole_j.exit_code == 0);
        // Every event boundary, and inside events: a byte in, the middle, a byte before the end
        // (in a multi-byte character or between CR and LF on the way).
        std::set<std::size_t> cuts;
        const auto ends = event_ends(uncut, endings == "crlf" ? "\r\n\r\n" : "\n\n");
        std::size_t prev = 0;
        for (std::size_t e : ends) {
            for (std::size_t at : {prev + 1, (prev + e) / 2, e - 2, e - 1, e})
                if (at > 0) cuts.insert(at);
            prev = e;
        }
        for (const std::size_t cut : cuts) {
            INFO(endings << " cut at byte " << cut);
            // A cut before the first event leaves no run id to re-attach to: the turn is POSTed
            // again, with the same otid (the next answer is whole).
            ls_test::FakeServer server(answers(cut_entry(extra, cut) + "," + cut_entry(extra, 0)));
            const auto r = run(&server, {"-a", kAgentId, "hi"});
            INFO(ls_test::describe(r));
            CHECK(r.exit_code == 0);
            CHECK(r.out == whole.out);
            const auto posts = message_posts(server);
            // The first event is dispatched at its blank line (with CRLF, at its CR already).
            const std::size_t first = ends[0] - (endings == "crlf" ? 1 : 0);
            CHECK(posts.size() == (cut < first ? 2u : 1u));
            if (posts.size() == 2)
                CHECK(std::string(posts[0].json_body()["messages"][0]["otid"].GetString()) ==
                      posts[1].json_body()["messages"][0]["otid"].GetString());
            for (const auto& resume : paths(server, "/v1/runs/run-cut/stream"))
                CHECK(resume.json_body()["starting_after"].GetInt() >= 0);
        }
        // -j: the same content lines, no duplicate, none missing, seq without gaps.
        for (const std::size_t cut : {ends[2] - 5, ends[4], ends[5] + 3}) {
            ls_test::FakeServer server(answers(cut_entry(extra, cut)));
            const auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
            INFO(ls_test::describe(r));
            CHECK(r.exit_code == 0);
            std::string content, expected;
            int seq = 0, resumed = 0;
            auto collect = [](const std::string& out, std::string& text, int* seq, int* resumed) {
                for (std::size_t pos = 0; pos < out.size();) {
                    const auto nl = out.find('\n', pos);
                    rapidjson::Document d;
                    d.Parse(out.data() + pos, nl - pos);
                    REQUIRE(d.IsObject());
                    if (seq != nullptr) CHECK(d["seq"].GetInt() == ++*seq);
                    const std::string type = d["type"].GetString();
                    if (type == "content") text += d["content"].GetString();
                    if (type == "status" && std::string(d["status"].GetString()) == "resumed") {
                        ++*resumed;
                        CHECK(d.HasMember("after_seq"));
                    }
                    pos = nl + 1;
                }
            };
            int unused = 0;
            collect(whole_j.out, expected, nullptr, &unused);
            collect(r.out, content, &seq, &resumed);
            CHECK(content == expected);
            CHECK(resumed == 1);
        }
    }
}

TEST_CASE("a foreground stream that breaks after output is never re-POSTed", "[e2e][reliability]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"One two three four five six seven.","run_id":"run-fg","background":false},"close_after_bytes":1500,"coalesce":false})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "run-fg"));
    CHECK(contains(r.err, "--background on"));
    CHECK(message_posts(server).size() == 1);
}

TEST_CASE("retries: 503 then success, the same otid every time, -j says so", "[e2e][reliability]") {
    ls_test::FakeServer server(
        answers(R"({"status":503,"body_json":{"detail":"busy"}},{"generate":{"text":"ok"}})"));
    auto r = run(&server, {"-j", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(
        contains(r.out, R"("type":"status","status":"retrying","detail":"HTTP 503; retrying in)"));
    CHECK(contains(r.out, R"("content":"ok")"));
    CHECK(contains(r.err, "warning: HTTP 503; retrying"));
    const auto posts = message_posts(server);
    REQUIRE(posts.size() == 2);
    CHECK(std::string(posts[0].json_body()["messages"][0]["otid"].GetString()) ==
          posts[1].json_body()["messages"][0]["otid"].GetString());
}

TEST_CASE("429 with Retry-After: 1 waits about a second", "[e2e][reliability]") {
    ls_test::FakeServer server(answers(
        R"({"status":429,"headers":{"Retry-After":"1"},"body_json":{"error":{"type":"llm_rate_limit","message":"slow down"}}},{"generate":{"text":"ok"}})"));
    auto r = run(&server, {"--metrics=json", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok\n");
    CHECK(r.elapsed_ms > 900);
    CHECK(contains(r.err, R"("retries":1)"));
}

TEST_CASE("not retried: quota 429, 401, 404, --retries 0", "[e2e][reliability]") {
    struct Case {
        const char* response;
        int status;
    };
    for (const Case& c :
         {Case{
              R"({"status":429,"body_json":{"error":"Rate limited","reasons":["exceeded-quota"]}})",
              5},
          Case{R"({"status":401,"body_json":{"detail":"Unauthorized"}})", 3},
          Case{R"({"status":404,"body_json":{"detail":"no"}})", 4}}) {
        ls_test::FakeServer server(answers(c.response));
        auto r = run(&server, {"-a", kAgentId, "hi"});
        INFO(c.response << " " << ls_test::describe(r));
        CHECK(r.exit_code == c.status);
        CHECK(message_posts(server).size() == 1);
        CHECK_FALSE(contains(r.err, "retrying"));
    }
    ls_test::FakeServer busy(answers(R"({"status":503,"body_json":{"detail":"busy"}})"));
    CHECK(run(&busy, {"--retries", "0", "-a", kAgentId, "hi"}).exit_code == 8);
    CHECK(message_posts(busy).size() == 1);
}

TEST_CASE("flag --retry-max-time bounds the retries and their waits", "[e2e][reliability]") {
    ls_test::FakeServer server(
        answers(R"({"status":503,"headers":{"Retry-After":"1"},"body_json":{"detail":"busy"}})"));
    auto r = run(&server, {"--retries", "10", "--retry-max-time", "1.5", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 8);
    CHECK(message_posts(server).size() == 2);  // the second wait would pass 1.5 s
    CHECK(r.elapsed_ms < 2500);
}

TEST_CASE("a refused connection is retried", "[e2e][reliability]") {
    auto r =
        run(nullptr, {"--retries", "2", "--base-url", "http://127.0.0.1:1", "-a", kAgentId, "hi"});
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "the connection was refused; retrying"));
    CHECK(contains(r.err, "(2/2), the last try"));
}

TEST_CASE("the four hangs end with the timeout status", "[e2e][reliability]") {
    struct Case {
        const char* response;
        std::vector<std::string> flags;
        const char* message;
    };
    const Case cases[] = {
        {R"({"generate":{},"headers_delay_ms":20000})",
         {"--idle-timeout", "1"},
         "no answer from the server for 1 s"},
        {R"({"generate":{},"first_delay_ms":20000})",
         {"--idle-timeout", "1"},
         "the server sent nothing for 1 s"},
        {R"({"generate":{"text":"a b c d e f"},"stall_after_bytes":900})",
         {"--idle-timeout", "1", "--background", "off"},
         "the server sent nothing for 1 s"},
        {R"({"generate":{"text":"x","stop_reason":null,"done":false},"endless":true,"ping_interval_ms":100})",
         {"--idle-timeout", "1", "--max-time", "2"},
         "gave up after 2 s in all (--max-time)"},
        {R"({"generate":{"text":"x"},"first_delay_ms":20000})",
         {"--first-token-timeout", "1"},
         "no reply text within 1 s of the request"},
    };
    for (const Case& c : cases) {
        ls_test::FakeServer server(scenario(c.response));
        std::vector<std::string> args = c.flags;
        args.insert(args.end(), {"--retries", "0", "-a", kAgentId, "hi"});
        auto r = run(&server, args);
        INFO(c.response << " " << ls_test::describe(r));
        CHECK(r.exit_code == 6);
        CHECK(contains(r.err, c.message));
        CHECK(r.elapsed_ms < 4500);
    }
}

// (Pings keeping a stream alive past --idle-timeout: the endless-pings case above ends by
// --max-time, not by the idle timeout.)
TEST_CASE("a silent background stream is resumed, not failed", "[e2e][reliability]") {
    ls_test::FakeServer silent(scenario(
        R"({"generate":{"text":"one two three four five six","run_id":"run-s","background":true},"stall_after_bytes":1200,"coalesce":false})"));
    auto r = run(&silent, {"--idle-timeout", "1", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "one two three four five six\n");
    CHECK(contains(r.err, "the stream went silent; resuming the run"));
    CHECK(paths(silent, "/v1/runs/run-s/stream").size() == 1);
}

TEST_CASE("SIGINT cancels the run on the server: one cancel request, --no-cancel: none",
          "[e2e][reliability]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":50})"));
    auto r = run(&server, {"-j", "-a", kAgentId, "hi"},
                 {.signal = SIGINT, .signal_after_stdout_bytes = 600});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 130);
    CHECK(contains(r.out, R"("type":"done")"));
    CHECK(paths(server, "/cancel").size() == 1);

    ls_test::FakeServer term(scenario(R"({"generate":{"tokens":200},"rate":50})"));
    auto t = run(&term, {"-a", kAgentId, "hi"}, {.signal = SIGTERM, .signal_after_ms = 500});
    CHECK(t.exit_code == 143);
    CHECK(paths(term, "/cancel").size() == 1);

    ls_test::FakeServer left(scenario(R"({"generate":{"tokens":200},"rate":50})"));
    auto n = run(&left, {"--no-cancel", "-a", kAgentId, "hi"},
                 {.signal = SIGINT, .signal_after_ms = 500});
    CHECK(n.exit_code == 130);
    CHECK(paths(left, "/cancel").empty());
}

TEST_CASE("a reader that goes away cancels the run, then exit 0 quietly", "[e2e][reliability]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":100})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.close_stdout_after = 20});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto cancels = paths(server, "/cancel");
    REQUIRE(cancels.size() == 1);
    CHECK(contains(cancels[0].body, "run-"));
}

TEST_CASE("a run that can no longer be re-attached ends with exit 7 and its run id",
          "[e2e][reliability]") {
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":"one two three four five six","run_id":"run-gone","background":true},"close_after_bytes":1200,"coalesce":false})",
        R"("resume":{"status":410,"body_json":{"detail":"EXPIRED: Run was created more than 3 hours ago, and is now expired."}})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "run run-gone can no longer be re-attached: HTTP 410"));
    CHECK(contains(r.err, "GET /v1/runs/run-gone/messages"));
    CHECK_FALSE(r.out.empty());  // what arrived stays
    CHECK(message_posts(server).size() == 1);
    CHECK(paths(server, "/v1/runs/run-gone/stream").size() == 1);  // refused for good: once
}

TEST_CASE("flag --background auto falls back to the foreground when the server cannot, on: error",
          "[e2e][reliability]") {
    const std::string refused =
        R"({"status":503,"body_json":{"detail":"Background streaming requires Redis to be running."}})";
    ls_test::FakeServer server(answers(refused + R"(,{"generate":{"text":"ok"}})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok\n");
    CHECK(contains(r.err, "warning: the server cannot run the turn in the background"));
    const auto posts = message_posts(server);
    REQUIRE(posts.size() == 2);
    CHECK(posts[0].json_body()["background"].GetBool());
    CHECK_FALSE(posts[1].json_body().HasMember("background"));

    ls_test::FakeServer strict(answers(refused));
    auto on = run(&strict, {"--background", "on", "-a", kAgentId, "hi"});
    CHECK(on.exit_code == 8);
    CHECK(contains(on.err, "the server cannot run the turn in the background"));
    CHECK(message_posts(strict).size() == 1);
}
