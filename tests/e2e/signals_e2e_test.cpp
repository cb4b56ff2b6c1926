// End to end: signals at awkward moments — stdout blocked by a reader that stopped reading,
// SIGHUP, a signal while the prompt is still being read from stdin.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "e2e.hpp"

using namespace e2e;

namespace {

// Runs letta-stream with stdout on a pipe that nobody reads (`| less` left open), sends `sig`
// once the pipe has been full for a while, and returns the exit status (-1: still running 5 s
// later, then killed). The pipe is drained only after the process is gone.
int exit_status_with_blocked_stdout(const ls_test::FakeServer& server, int sig,
                                    const std::vector<std::string>& extra = {}) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::close(out[0]);
        ::close(out[1]);
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 2);
        const std::string url = "LETTA_BASE_URL=" + server.base_url();
        const std::string key = std::string("LETTA_API_KEY=") + kKey;
        ::putenv(const_cast<char*>(url.c_str()));
        ::putenv(const_cast<char*>(key.c_str()));
        std::vector<std::string> args = {LS_BINARY};
        args.insert(args.end(), extra.begin(), extra.end());
        args.insert(args.end(), {"-a", kAgentId, "hi"});
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(LS_BINARY, argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    // Wait until the pipe is full: the writer is then blocked in write(2).
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    ::kill(pid, sig);
    int status = 0;
    int result = -1;
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (result == -1) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ::close(out[0]);
    return result;
}

}  // namespace

TEST_CASE("SIGTERM ends the tool while stdout is blocked: exit 143", "[e2e][signals]") {
    // 200,000 events: far more than a pipe holds, sent as fast as the server can.
    ls_test::FakeServer server(scenario(R"({"generate":{"repeat_events":200000}})"));
    CHECK(exit_status_with_blocked_stdout(server, SIGTERM) == 143);
    CHECK(exit_status_with_blocked_stdout(server, SIGINT, {"-j"}) == 130);
}

TEST_CASE("SIGHUP ends the run like SIGTERM, with status 129 and a done line", "[e2e][signals]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":50})"));  // 4 s
    auto r = run(&server, {"-j", "-a", kAgentId, "hi"},
                 {.signal = SIGHUP, .signal_after_stdout_bytes = 300});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 129);
    CHECK(contains(r.out, R"("type":"done")"));
    CHECK(contains(r.out, R"("exit_status":129,"exit_name":"hangup")"));
    CHECK(r.elapsed_ms < 3000);
}

TEST_CASE("a signal while the prompt is being read from stdin ends the run cleanly",
          "[e2e][signals]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"hi"}})"));
    for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
        // A terminal on stdin that never sends EOF; '-' reads the prompt from it.
        auto r =
            run(&server, {"-j", "--metrics=json", "-a", kAgentId, "-"},
                {.stdin_mode = ls_test::StdinMode::pty, .signal = sig, .signal_after_ms = 400});
        INFO(sig << ": " << ls_test::describe(r));
        CHECK(r.exit_code == 128 + sig);
        CHECK(contains(r.out, R"("type":"done")"));
        CHECK(contains(r.err, R"("schema":"letta-stream.metrics/1")"));
        CHECK(message_posts(server).empty());
    }
}
