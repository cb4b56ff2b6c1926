// End to end: hints point the right way — a dead proxy, a proxy that wants a password, a
// redirect, an empty event stream, a closed stdout — and never show a password.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "e2e.hpp"

using namespace e2e;

namespace {

// A loopback port that nothing listens on.
int closed_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(s);
    return ntohs(a.sin_port);
}

std::string hint_of(const std::string& err) {
    const auto at = err.find("letta-stream: hint: ");
    return at == std::string::npos ? "" : err.substr(at, err.find('\n', at) - at);
}

}  // namespace

TEST_CASE("a dead proxy is named as the proxy, with its password hidden", "[e2e][hints]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"hi"}})"));
    const std::string proxy = "http://alice:SECRET@127.0.0.1:" + std::to_string(closed_port());
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.env = {"http_proxy=" + proxy}});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(hint_of(r.err), "is the proxy http://alice:***@127.0.0.1:"));
    CHECK_FALSE(contains(r.err, "SECRET"));
    // no_proxy takes the server off the proxy: then the turn works.
    auto ok = run(&server, {"-a", kAgentId, "hi"},
                  {.env = {"http_proxy=" + proxy, "no_proxy=127.0.0.1"}});
    CHECK(ok.exit_code == 0);
}

TEST_CASE("a password in the base URL is not in connection errors or -j lines", "[e2e][hints]") {
    const std::string url = "http://alice:SECRET@127.0.0.1:" + std::to_string(closed_port());
    for (const auto& flags : {std::vector<std::string>{}, std::vector<std::string>{"-j"}}) {
        std::vector<std::string> args = flags;
        args.insert(args.end(), {"--base-url", url, "-a", kAgentId, "hi"});
        auto r = run(nullptr, args);
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 7);
        CHECK(contains(r.err, "alice:***@127.0.0.1"));
        CHECK_FALSE(contains(r.err, "SECRET"));
        CHECK_FALSE(contains(r.out, "SECRET"));
    }
}

TEST_CASE("407 says the proxy wants authentication", "[e2e][hints]") {
    ls_test::FakeServer server(scenario(R"({"status":407,"body":""})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "HTTP 407: the proxy requires authentication"));
    CHECK(contains(hint_of(r.err), "http://user:pass@host:port"));
}

TEST_CASE("a redirect shows where it points", "[e2e][hints]") {
    ls_test::FakeServer server(scenario(
        R"({"status":302,"headers":{"Location":"https://elsewhere.example/v1/"},"body":""})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 8);
    CHECK(contains(hint_of(r.err), "redirects to https://elsewhere.example/v1/"));
}

TEST_CASE("an empty event stream is called that, not a dropped connection", "[e2e][hints]") {
    ls_test::FakeServer server(
        scenario(R"({"status":200,"headers":{"Content-Type":"text/event-stream"},"body":""})"));
    auto r = run(&server, {"-a", kAgentId, "hi"});
    CHECK(r.exit_code == 7);
    CHECK(contains(r.err, "the event stream was empty: it ended before any event"));
    CHECK_FALSE(contains(r.err, "dropped"));
}

TEST_CASE("a closed stdout is an error before anything is sent", "[e2e][hints]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"hi"}})"));
    ls_test::ProcessSpec p;
    p.argv = {"/bin/sh", "-c", "exec \"$0\" -a \"$1\" hi >&-", LS_BINARY, kAgentId};
    p.env = {"LETTA_BASE_URL=" + server.base_url(), std::string("LETTA_API_KEY=") + kKey};
    const auto r = ls_test::run_process(p);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, "letta-stream: error: standard output is closed"));
    CHECK(message_posts(server).empty());
}
