// End to end: stdout is a pipe that can close, a full disk, or a terminal's reader that hits
// Ctrl-C. Closed pipe = quiet exit 0; other write errors = message + exit 10; SIGINT = 130.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "e2e.hpp"

using namespace e2e;

TEST_CASE("| head -c 5: exit 0, no error text", "[e2e][output]") {
    // A long, paced stream (4 s): the reader goes away while the turn is still running.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":50})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.close_stdout_after = 5});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Quant");
    CHECK(r.err.empty());
    CHECK(r.elapsed_ms < 3000);  // it stopped; it did not wait for the stream to finish
}

TEST_CASE("> /dev/full: an error and exit 10", "[e2e][output]") {
    ls_test::FakeServer server(scenario(R"({"fixture":"synth_foreground_token_stream.sse"})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.stdout_path = "/dev/full"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 10);
    CHECK(
        contains(r.err, "letta-stream: error: writing to stdout failed: No space left on device"));
}

TEST_CASE("past ulimit -f: not killed by SIGXFSZ, what fit is kept, an error and exit 10",
          "[e2e][output]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200}})"));
    const std::string path = server.dir() + "/out.txt";
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.stdout_path = path, .file_size_limit = 100});
    INFO(ls_test::describe(r));
    CHECK(r.term_signal == 0);
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, "letta-stream: error: writing to stdout failed: File too large"));
    std::ifstream in(path, std::ios::binary);
    const std::string written{std::istreambuf_iterator<char>(in), {}};
    CHECK(written.size() == 100);
    CHECK(written.starts_with("Quantum"));
}

TEST_CASE("SIGINT mid-stream: what arrived is on stdout, exit 130", "[e2e][output]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":50})"));  // 4 s
    auto r =
        run(&server, {"-a", kAgentId, "hi"}, {.signal = SIGINT, .signal_after_stdout_bytes = 20});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 130);
    CHECK(r.out.size() >= 20);
    CHECK(r.elapsed_ms < 3000);
}

TEST_CASE("SIGTERM: exit 143", "[e2e][output]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":200},"rate":100})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.signal = SIGTERM, .signal_after_ms = 300});
    CHECK(r.exit_code == 143);
}

TEST_CASE("SIGINT while waiting for the first byte", "[e2e][output]") {
    ls_test::FakeServer server(scenario(R"({"generate":{},"headers_delay_ms":8000})"));
    auto r = run(&server, {"-a", kAgentId, "hi"}, {.signal = SIGINT, .signal_after_ms = 300});
    CHECK(r.exit_code == 130);
    CHECK(r.elapsed_ms < 4000);
}

TEST_CASE("help written to /dev/full is an error too", "[e2e][output]") {
    auto r = run(nullptr, {"--help"}, {.stdout_path = "/dev/full", .with_key = false});
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, "writing to stdout failed"));
}

TEST_CASE("help and version into a pipe already closed: exit 0, as curl", "[e2e][output]") {
    // `(sleep .3; letta-stream --help) | true`: the reader is gone before the first write, so
    // the write is EPIPE, and SIGPIPE (ignored first thing in main) must not kill us with 141.
    for (const char* flag : {"--help", "--version"}) {
        ls_test::ProcessSpec p;
        p.argv = {
            "/bin/bash", "-c",
            std::string("(sleep 0.3; exec \"$0\" ") + flag + ") | true; exit ${PIPESTATUS[0]}",
            LS_BINARY};
        const auto r = ls_test::run_process(p);
        INFO(flag << ": " << ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
    }
}
