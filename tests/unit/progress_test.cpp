// output::Progress — the waiting line: delayed, redrawn in place, erased before output.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include "output/progress.hpp"
#include "output/stderr.hpp"
#include "support/pipe.hpp"
#include "util/clock.hpp"

using namespace letta_stream;

namespace {

using ls_test::Pipe;

}  // namespace

TEST_CASE("nothing is drawn for a fast reply", "[progress]") {
    Pipe p;
    util::ManualClock clock;
    output::Stderr err(p.fds[1]);
    output::Progress progress(err, clock, "waiting for calc", false);
    clock.advance_ms(250);
    progress.tick();
    progress.stop();
    CHECK(p.drain().empty());
    CHECK(progress.next_tick_ns() == -1);
}

TEST_CASE("drawn after the delay, redrawn in place, erased on stop", "[progress]") {
    Pipe p;
    util::ManualClock clock;
    output::Stderr err(p.fds[1]);
    output::Progress progress(err, clock, "waiting for calc", false);
    CHECK(progress.next_tick_ns() ==
          clock.now_ns() + std::int64_t{output::Progress::kFirstDrawMs} * 1'000'000);
    clock.advance_ms(300);
    progress.tick();
    CHECK(p.drain() == "\r\x1b[2Kletta-stream: waiting for calc connecting... 0.3 s");
    clock.advance_ms(50);
    progress.tick();  // not due yet
    CHECK(p.drain().empty());
    progress.set_phase("thinking");
    clock.advance_ms(1150);
    progress.tick();
    CHECK(p.drain() == "\r\x1b[2Kletta-stream: waiting for calc thinking... 1.5 s");
    progress.stop();
    progress.stop();
    CHECK(p.drain() == "\r\x1b[2K");
    progress.tick();
    CHECK(p.drain().empty());
}

TEST_CASE("colour dims the line", "[progress]") {
    Pipe p;
    util::ManualClock clock;
    output::Stderr err(p.fds[1]);
    output::Progress progress(err, clock, "waiting for calc", true);
    clock.advance_ms(400);
    progress.tick();
    const std::string line = p.drain();
    CHECK(line.find("\x1b[2mletta-stream:") != std::string::npos);
    CHECK(line.substr(line.size() - 4) == "\x1b[0m");
}

TEST_CASE("hidden reasoning keeps the line, with its phase, the reply ends it", "[progress]") {
    Pipe p;
    util::ManualClock clock;
    output::Stderr err(p.fds[1]);
    output::Progress progress(err, clock, "waiting for calc", false, {false, false, false});
    stream::Event e;
    e.kind = stream::Kind::reasoning;
    e.text = "The user asks";
    progress.on_event(e);
    clock.advance_ms(400);
    progress.tick();
    CHECK(p.drain() == "\r\x1b[2Kletta-stream: waiting for calc reasoning... 0.4 s");
    e.kind = stream::Kind::tool_call;
    progress.on_event(e);
    clock.advance_ms(100);
    progress.tick();
    CHECK(p.drain() == "\r\x1b[2Kletta-stream: waiting for calc running tools... 0.5 s");
    e.kind = stream::Kind::content;
    progress.on_event(e);
    CHECK(p.drain() == "\r\x1b[2K");
    CHECK_FALSE(progress.active());
}

TEST_CASE("shown reasoning ends the line at once", "[progress]") {
    Pipe p;
    util::ManualClock clock;
    output::Stderr err(p.fds[1]);
    output::Progress progress(err, clock, "waiting for calc", false, {false, true, false});
    stream::Event e;
    e.kind = stream::Kind::reasoning;
    progress.on_event(e);
    CHECK_FALSE(progress.active());
}
