// app::run in-process: the whole program against a FakeTransport and a ManualClock — the
// request it sends, stdout, stderr and the exit status — with no sockets and no sleeping.
#include <fcntl.h>
#include <rapidjson/document.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <map>
#include <string>

#include "app/run.hpp"
#include "support/fake_transport.hpp"

using namespace letta_stream;

namespace {

constexpr const char* kAgent = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

std::string sse(const std::string& json) {
    return "data: " + json + "\n\n";
}
std::string content(const std::string& text) {
    return sse(R"({"message_type":"assistant_message","content":")" + text +
               R"(","run_id":"run-1"})");
}
const std::string kStop = sse(R"({"message_type":"stop_reason","stop_reason":"end_turn"})");

// An in-memory file for stdout or stderr.
struct MemFile {
    int fd = ::memfd_create("app-test", 0);
    ~MemFile() { ::close(fd); }
    std::string read() const {
        std::string out;
        char buf[4096];
        for (off_t at = 0;;) {
            const ssize_t n = ::pread(fd, buf, sizeof buf, at);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
            at += n;
        }
        return out;
    }
};

struct App {
    util::ManualClock clock;
    ls_test::FakeTransport transport{clock};
    std::map<std::string, std::string> vars{{"LETTA_API_KEY", "sk-test"},
                                            {"LETTA_BASE_URL", "http://fake.test"}};
    volatile std::sig_atomic_t signal = 0;
    MemFile out, err;
    int status = -1;

    int run(std::vector<std::string> args) {
        app::Context c;
        c.env.getenv = [this](const char* n) -> std::optional<std::string> {
            auto it = vars.find(n);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        c.env.stdin_is_tty = true;
        c.env.read_stdin = [](std::size_t, std::string&, std::string&) { return true; };
        c.env.read_file = [](const std::string&, std::string&, std::string& e) {
            e = "no files here";
            return false;
        };
        c.out_fd = out.fd;
        c.err_fd = err.fd;
        c.install_signals = false;
        c.transport = &transport;
        c.clock = &clock;
        c.signal = &signal;
        return status = app::run(args, c);
    }
};

}  // namespace

TEST_CASE("a whole turn in-process: one request, the reply on stdout, exit 0", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("Hel"), content("lo") + content(" world"), kStop};
    a.transport.responses = {r};
    CHECK(a.run({"-a", kAgent, "hi"}) == 0);
    CHECK(a.out.read() == "Hello world\n");
    CHECK(a.err.read().empty());
    REQUIRE(a.transport.requests.size() == 1);
    const auto& req = a.transport.requests[0];
    CHECK(req.method == "POST");
    CHECK(req.url == "http://fake.test/v1/conversations/default/messages");
    CHECK(req.cancel != nullptr);  // the turn can be interrupted
    rapidjson::Document body;
    body.Parse(req.body.c_str());
    REQUIRE(body.IsObject());
    CHECK(std::string(body["messages"][0]["content"].GetString()) == "hi");
    CHECK(std::string(body["messages"][0]["otid"].GetString()).size() == 36);
}

TEST_CASE("an agent name is looked up first, then the turn goes to its id", "[app]") {
    App a;
    ls_test::FakeResponse list;
    list.headers = {{"Content-Type", "application/json"}};
    list.reads = {std::string(R"([{"id":")") + kAgent + R"(","name":"calc"}])"};
    ls_test::FakeResponse turn;
    turn.reads = {content("4"), kStop};
    a.transport.responses = {list, turn};
    CHECK(a.run({"-a", "calc", "2+2?"}) == 0);
    CHECK(a.out.read() == "4\n");
    REQUIRE(a.transport.requests.size() == 2);
    CHECK(a.transport.requests[0].url == "http://fake.test/v1/agents/?name=calc&limit=50");
    CHECK(a.transport.requests[1].body.find(kAgent) != std::string::npos);
}

TEST_CASE("with -j, an HTTP error is an error line and the done line, exit 3", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.status = 401;
    r.headers = {{"Content-Type", "application/json"}};
    r.reads = {R"({"detail":"Unauthorized"})"};
    a.transport.responses = {r};
    CHECK(a.run({"-j", "-a", kAgent, "hi"}) == 3);
    const std::string out = a.out.read();
    CHECK(out.find(R"("type":"error","source":"client","error_type":"auth")") != std::string::npos);
    CHECK(out.find(R"("http_status":401)") != std::string::npos);
    CHECK(out.find(R"("type":"done","stop_reason":null,"exit_status":3)") != std::string::npos);
    CHECK(out.find("\"status\":\"thinking\"") == std::string::npos);  // not an event stream
    CHECK(a.err.read().find("letta-stream: error: sending the message failed: HTTP 401") == 0);
}

TEST_CASE("a signal mid-stream: what arrived is out, the done line follows, exit 130", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("partial"), content(" never")};
    r.before_read = [&a](std::size_t i) {
        if (i == 1) a.signal = SIGINT;
    };
    ls_test::FakeResponse cancelled;  // the answer to the cancel request
    cancelled.headers = {{"Content-Type", "application/json"}};
    cancelled.reads = {R"({"run-1":"cancelled"})"};
    a.transport.responses = {r, cancelled};
    CHECK(a.run({"-j", "-a", kAgent, "hi"}) == 130);
    const std::string out = a.out.read();
    CHECK(out.find("\"content\":\"partial\"") != std::string::npos);
    CHECK(out.find("\"exit_name\":\"interrupted\"") != std::string::npos);
    CHECK(a.err.read().empty());  // the status says it all
    // The run is cancelled on the server too, by a request the signal does not stop.
    REQUIRE(a.transport.requests.size() == 2);
    CHECK(a.transport.requests[1].url ==
          std::string("http://fake.test/v1/conversations/default/cancel?agent_id=") + kAgent);
    CHECK(a.transport.requests[1].body == R"({"run_ids":["run-1"]})");
    CHECK(a.transport.requests[1].cancel == nullptr);
}

TEST_CASE("silence after stop_reason ends after the grace period, on the fake clock", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("done."), kStop};
    r.hang = true;
    a.transport.responses = {r};
    const auto t0 = a.clock.now_ns();
    CHECK(a.run({"-a", kAgent, "hi"}) == 0);
    CHECK(a.out.read() == "done.\n");
    CHECK(a.clock.now_ns() - t0 >= 2'000'000'000);  // 2 s of fake time, none of real time
}

TEST_CASE("silence before stop_reason has no deadline of its own", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("still thinking")};
    r.hang = true;
    a.transport.responses = {r};
    // The fake ends a transfer that nothing would ever end, and says so.
    CHECK(a.run({"--idle-timeout", "0", "-a", kAgent, "hi"}) == 7);
    CHECK(a.err.read().find("no stop_reason): fake: the handler would wait forever") !=
          std::string::npos);
}

TEST_CASE("a refused connection is exit 7 with a hint naming the server", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.failure = transport::Failure::connect;
    r.failure_message = "Failed to connect to fake.test port 80";
    a.transport.responses = {r};
    CHECK(a.run({"-a", kAgent, "hi"}) == 7);
    const std::string err = a.err.read();
    CHECK(err.find("error: sending the message failed: Failed to connect") != std::string::npos);
    CHECK(err.find("hint: is the server running and reachable at http://fake.test?") !=
          std::string::npos);
    CHECK(a.out.read().empty());
}

TEST_CASE("metrics count the bytes that reached stdout once", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("abc"), content("def"), kStop};
    a.transport.responses = {r};
    CHECK(a.run({"--metrics=json", "-a", kAgent, "hi"}) == 0);
    CHECK(a.out.read() == "abcdef\n");
    const std::string err = a.err.read();
    rapidjson::Document m;
    m.Parse(err.c_str());
    REQUIRE(m.IsObject());
    CHECK(m["bytes_out"].GetInt() == 7);
    CHECK(m["events"]["content"].GetInt() == 2);
    CHECK(m["events"]["status"].GetInt() == 1);  // "thinking" travels the chain like the rest
    CHECK(m["ttft_ms"].GetDouble() > 0);
}

TEST_CASE("with -m, the report comes first, the error and its hint are the last two lines",
          "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.status = 500;
    r.headers = {{"Content-Type", "application/json"}};
    r.reads = {R"({"detail":"boom"})"};
    a.transport.responses = {r};
    CHECK(a.run({"-m", "--retries", "0", "-a", kAgent, "hi"}) == 8);
    std::string err = a.err.read();
    REQUIRE(err.size() > 2);
    err.pop_back();
    const auto hint = err.rfind('\n');
    const auto error = err.rfind('\n', hint - 1);
    CHECK(err.substr(hint + 1).rfind("letta-stream: hint: ", 0) == 0);
    CHECK(err.substr(error + 1, hint - error - 1) ==
          "letta-stream: error: sending the message failed: HTTP 500: boom");
    CHECK(err.find("letta-stream metrics") == 0);
    CHECK(err.find("events    error") == std::string::npos);  // a client error is no event
}

TEST_CASE("a --metrics-file that cannot be written fails a turn that succeeded: exit 10", "[app]") {
    App a;
    ls_test::FakeResponse r;
    r.reads = {content("ok"), kStop};
    a.transport.responses = {r};
    CHECK(a.run({"--metrics-file", "/dev/full", "-a", kAgent, "hi"}) == 10);
    CHECK(a.out.read() == "ok\n");
    CHECK(a.err.read().find("letta-stream: error: could not write --metrics-file /dev/full: No "
                            "space left on device") == 0);

    App failed;  // the turn's own failure keeps its status; the file is a warning then
    ls_test::FakeResponse missing;
    missing.status = 404;
    missing.headers = {};
    missing.reads = {R"({"detail":"no"})"};
    failed.transport.responses = {missing};
    CHECK(failed.run({"--metrics-file", "/dev/full", "-a", kAgent, "hi"}) == 4);
    CHECK(failed.err.read().find("warning: could not write --metrics-file") != std::string::npos);
}

namespace {

// A pseudo-terminal for stderr: what a person at a terminal sees.
struct Pty {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    int slave = -1;
    Pty() {
        REQUIRE(master >= 0);
        REQUIRE(::grantpt(master) == 0);
        REQUIRE(::unlockpt(master) == 0);
        slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
        REQUIRE(slave >= 0);
        ::fcntl(master, F_SETFL, O_NONBLOCK);
    }
    ~Pty() {
        ::close(slave);
        ::close(master);
    }
    std::string read() const {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(master, buf, sizeof buf)) > 0)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }
};

std::string stderr_on_a_terminal(const char* term) {
    App a;
    a.vars["TERM"] = term;
    ls_test::FakeResponse r;
    r.reads = {sse(R"({"message_type":"ping"})"), content("ok"), kStop};
    r.ms_per_read = 400;  // slow enough for the progress line to be drawn after the ping
    a.transport.responses = {r};
    Pty pty;
    ::dup2(pty.slave, a.err.fd);  // stderr is the terminal now
    CHECK(a.run({"-m", "-a", kAgent, "hi"}) == 0);
    return pty.read();
}

}  // namespace

TEST_CASE("TERM=dumb: no colour and no progress line on a terminal", "[app]") {
    const std::string smart = stderr_on_a_terminal("xterm-256color");
    CHECK(smart.find("\x1b[2m") != std::string::npos);      // dimmed labels
    CHECK(smart.find("waiting for") != std::string::npos);  // the progress line
    const std::string dumb = stderr_on_a_terminal("dumb");
    CHECK(dumb.find('\x1b') == std::string::npos);
    CHECK(dumb.find("waiting for") == std::string::npos);
    CHECK(dumb.find("letta-stream metrics") != std::string::npos);
}

TEST_CASE("flag --throttle: the same bytes, at the rate, text after the stream keeps it", "[app]") {
    App a;
    ls_test::FakeResponse r;
    std::string all;
    for (int i = 0; i < 20; ++i) {
        const std::string t = "w" + std::to_string(i) + " ";
        all += t;
        r.reads.push_back(content(t));
    }
    r.reads.push_back(kStop);
    r.ms_per_read = 0;  // a fast server: everything at once
    a.transport.responses = {r};
    const auto t0 = a.clock.now_ns();
    CHECK(a.run({"--throttle", "10/s", "-a", kAgent, "hi"}) == 0);
    CHECK(a.out.read() == all + "\n");
    CHECK((a.clock.now_ns() - t0) / 1'000'000 == Approx(1900).margin(5));  // 19 gaps of 100 ms
    CHECK(a.transport.sleeps > 0);  // the wait after the stream, on the (fake) clock
}

TEST_CASE("flag --throttle behind a fast agent pauses the transfer, and resumes it", "[app]") {
    App a;
    ls_test::FakeResponse r;
    const std::string big(64 * 1024, 'x');
    for (int i = 0; i < 40; ++i)  // 2.5 MiB, far over the pacer's 1 MiB backlog
        r.reads.push_back(content(big));
    r.reads.push_back(kStop);
    r.ms_per_read = 0;
    a.transport.responses = {r};
    CHECK(a.run({"--throttle", "100", "--burst", "4", "-a", kAgent, "hi"}) == 0);
    CHECK(a.transport.pauses >= 1);
    CHECK(a.transport.resumes == a.transport.pauses);
    CHECK(a.out.read().size() == 40 * big.size() + 1);
}

TEST_CASE("flag --coalesce with -j: one content line per chunk, seq without gaps", "[app]") {
    App a;
    ls_test::FakeResponse r;
    for (int i = 0; i < 30; ++i)
        r.reads.push_back(content("abcd"));
    r.reads.push_back(kStop);
    a.transport.responses = {r};
    CHECK(a.run({"-j", "--coalesce", "32", "-a", kAgent, "hi"}) == 0);
    const std::string out = a.out.read();
    std::string text;
    int lines = 0, contents = 0;
    for (std::size_t pos = 0; pos < out.size(); ++lines) {
        const auto nl = out.find('\n', pos);
        rapidjson::Document d;
        d.Parse(out.data() + pos, nl - pos);
        REQUIRE(d.IsObject());
        CHECK(d["seq"].GetInt() == lines + 1);
        if (std::string_view(d["type"].GetString()) == "content") {
            ++contents;
            text += d["content"].GetString();
        }
        pos = nl + 1;
    }
    CHECK(text.size() == 120);
    CHECK(contents == 4);  // 3 × 32 bytes, then the last 24 before stop
}

TEST_CASE("metrics add the output side: writes and the time the throttle held text", "[app]") {
    App a;
    ls_test::FakeResponse r;
    for (int i = 0; i < 10; ++i)
        r.reads.push_back(content("t "));
    r.reads.push_back(kStop);
    r.ms_per_read = 0;
    a.transport.responses = {r};
    CHECK(a.run({"--metrics=json", "--throttle", "20", "-a", kAgent, "hi"}) == 0);
    rapidjson::Document m;
    m.Parse(a.err.read().c_str());
    REQUIRE(m.IsObject());
    CHECK(m["writes"].GetInt() == 11);  // one per released token, then the final newline
    CHECK(m["held_ms"].GetDouble() == Approx(450).margin(5));  // 9 gaps of 50 ms
    CHECK(m["tokens"].GetInt() == 10);
    CHECK(m["ttft_ms"].GetDouble() < 5);  // the stream as it arrived, not as it was let out

    App plain;
    plain.transport.responses = {r};
    CHECK(plain.run({"--metrics=json", "-a", kAgent, "hi"}) == 0);
    rapidjson::Document p;
    p.Parse(plain.err.read().c_str());
    REQUIRE(p.IsObject());
    CHECK(p["held_ms"].IsNull());
}
