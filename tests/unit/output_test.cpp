// output — text formatter, pipeline flush policy, fd writer error classes.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <csignal>

#include "output/formatter.hpp"
#include "output/pipeline.hpp"
#include "output/writer.hpp"

using namespace letta_stream;
using namespace letta_stream::output;

namespace {

struct CaptureWriter final : Writer {
    std::vector<std::string> writes;
    WriteResult next;
    WriteResult write(std::string_view b) override {
        if (!next.ok()) return next;
        writes.emplace_back(b);
        return {};
    }
};

stream::Event content(std::string_view text) {
    stream::Event e;
    e.kind = stream::Kind::content;
    e.text = text;
    return e;
}

}  // namespace

TEST_CASE("text formatter writes only content, once per flush", "[output]") {
    TextFormatter f(true);
    CaptureWriter w;
    Pipeline p(f, w);
    stream::Event reasoning;
    reasoning.kind = stream::Kind::reasoning;
    reasoning.text = "thinking";
    p.on_event(reasoning);
    p.on_event(content("Hello"));
    p.on_event(content(", "));
    p.on_event(content("world"));
    REQUIRE(p.flush().ok());
    REQUIRE(p.flush().ok());  // nothing pending: no write
    CHECK(w.writes == std::vector<std::string>{"Hello, world"});
    p.finish({});
    CHECK(w.writes.back() == "\n");
}

TEST_CASE("final newline rules", "[output]") {
    SECTION("not added when the reply ends with one") {
        TextFormatter f(true);
        CaptureWriter w;
        Pipeline p(f, w);
        p.on_event(content("line\n"));
        p.finish({});
        CHECK(w.writes == std::vector<std::string>{"line\n"});
    }
    SECTION("not added to an empty reply") {
        TextFormatter f(true);
        CaptureWriter w;
        Pipeline p(f, w);
        p.finish({});
        CHECK(w.writes.empty());
    }
    SECTION("-n") {
        TextFormatter f(false);
        CaptureWriter w;
        Pipeline p(f, w);
        p.on_event(content("x"));
        p.finish({});
        CHECK(w.writes == std::vector<std::string>{"x"});
    }
}

TEST_CASE("a write failure is sticky", "[output]") {
    TextFormatter f(true);
    CaptureWriter w;
    Pipeline p(f, w);
    w.next = {WriteStatus::broken_pipe, EPIPE};
    p.on_event(content("a"));
    CHECK(p.flush().status == WriteStatus::broken_pipe);
    w.next = {};
    p.on_event(content("b"));
    CHECK(p.flush().status == WriteStatus::broken_pipe);
    CHECK(w.writes.empty());
}

TEST_CASE("fd writer: EPIPE vs other errors", "[output]") {
    std::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    FdWriter pipe_writer(fds[1]);
    auto r = pipe_writer.write("x");
    CHECK(r.status == WriteStatus::broken_pipe);
    ::close(fds[1]);

    const int full = ::open("/dev/full", O_WRONLY);
    REQUIRE(full >= 0);
    FdWriter full_writer(full);
    auto f = full_writer.write("x");
    CHECK(f.status == WriteStatus::failed);
    CHECK(f.error == ENOSPC);
    ::close(full);

    REQUIRE(::pipe(fds) == 0);
    FdWriter ok(fds[1]);
    CountingWriter counted(ok);
    CHECK(counted.write("hello").ok());
    CHECK(counted.bytes() == 5);
    char buf[8] = {};
    CHECK(::read(fds[0], buf, sizeof buf) == 5);
    ::close(fds[0]);
    ::close(fds[1]);
}
