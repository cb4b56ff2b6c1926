// transport::ReplayTransport: a recording served as a transport serves a response — the head,
// each recorded read as on_data + on_idle at its time (scaled by the speed), the recorded end —
// honouring what the real loop honours: the handler's stop, its deadlines, pause/resume, the
// cancel token and the wake-up fd. And a round trip: a replay recorded again is the same file.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "transport/recording.hpp"
#include "transport/replay_transport.hpp"
#include "util/clock.hpp"

using namespace letta_stream;
using transport::Control;
using transport::Failure;

namespace {

// Keeps what it is given; stops, pauses or waits when told to.
class Probe final : public transport::Handler {
  public:
    explicit Probe(const util::Clock& clock) : clock_(clock) {}

    Control on_head(const transport::ResponseHead& head) override {
        status = head.status;
        content_type = std::string(head.header("content-type"));
        return Control::proceed;
    }
    Control on_data(std::string_view bytes) override {
        body += bytes;
        arrivals.push_back(clock_.now_ns());
        ++reads;
        if (finish_after > 0 && reads >= finish_after) return Control::finish;
        if (pause_after > 0 && reads == pause_after) {
            transport->pause(id);
            resume_at = clock_.now_ns() + 30'000'000;  // 30 ms later
        }
        return Control::proceed;
    }
    Control on_idle() override {
        ++idles;
        if (resume_at >= 0 && clock_.now_ns() >= resume_at) {
            resume_at = -1;
            transport->resume(id);
            resumed_ns = clock_.now_ns();
        }
        return Control::proceed;
    }
    std::int64_t deadline_ns() const override { return resume_at; }
    void on_done(const transport::Result& r) override {
        result = r;
        ++done;
    }

    long status = 0;
    std::string content_type;
    std::string body;
    std::vector<std::int64_t> arrivals;
    int reads = 0, idles = 0, done = 0;
    int finish_after = 0, pause_after = 0;
    std::int64_t resume_at = -1, resumed_ns = -1;
    transport::Transport* transport = nullptr;
    transport::TransferId id = 0;
    transport::Result result;

  private:
    const util::Clock& clock_;
};

transport::Result serve(transport::ReplayTransport& t, Probe& probe,
                        const transport::CancelToken* cancel = nullptr) {
    transport::Request request;
    request.cancel = cancel;
    probe.transport = &t;
    probe.id = t.start(request, probe);
    t.run();
    return probe.result;
}

const char* kTimed =
    ": letta-stream recording 1\n: status=200\n: content-type=text/event-stream\n"
    ": t=0.5\ndata: a\n\n: t=40\ndata: b\n\n: t=80\ndata: c\n\n: end t=90\n";

double ms_since(std::int64_t t0, std::int64_t t1) {
    return static_cast<double>(t1 - t0) / 1e6;
}

}  // namespace

TEST_CASE("replay transport: a response as fast as possible", "[replay]") {
    util::ManualClock clock;
    transport::ReplayTransport t(transport::parse_recording(kTimed), {}, clock);
    CHECK(t.responses() == 1);
    Probe p(clock);
    const auto r = serve(t, p);
    CHECK(p.status == 200);
    CHECK(p.content_type == "text/event-stream");
    CHECK(p.body == "data: a\n\ndata: b\n\ndata: c\n\n");
    CHECK(p.reads == 3);  // one on_data per recorded read ...
    CHECK(p.idles == 3);  // ... each followed by on_idle
    CHECK(p.done == 1);
    CHECK(r.ok());
    CHECK(r.got_head);
    CHECK(r.body_bytes == p.body.size());
}

TEST_CASE("replay transport: the recorded times, scaled by the speed", "[replay]") {
    util::SteadyClock clock;
    for (const double speed : {1.0, 2.0}) {
        transport::ReplayTransport t(transport::parse_recording(kTimed), {speed, -1}, clock);
        Probe p(clock);
        const auto t0 = clock.now_ns();
        serve(t, p);
        const auto t1 = clock.now_ns();
        REQUIRE(p.arrivals.size() == 3);
        INFO("speed " << speed);
        CHECK(ms_since(t0, p.arrivals[1]) >= 40 / speed - 1);
        CHECK(ms_since(t0, p.arrivals[2]) >= 80 / speed - 1);
        CHECK(ms_since(t0, t1) >= 90 / speed - 1);  // the end too
        CHECK(ms_since(t0, t1) < 90 / speed + 500);
    }
}

TEST_CASE("replay transport: big reads in pieces; the handler's finish stops it", "[replay]") {
    util::ManualClock clock;
    const std::string big(200'000, 'x');
    {
        transport::ReplayTransport t(transport::parse_recording(big), {0, -1, 65536}, clock);
        Probe p(clock);
        serve(t, p);
        CHECK(p.body == big);
        CHECK(p.reads == 4);
    }
    {
        transport::ReplayTransport t(transport::parse_recording(kTimed), {}, clock);
        Probe p(clock);
        p.finish_after = 2;
        const auto r = serve(t, p);
        CHECK(p.body == "data: a\n\ndata: b\n\n");
        CHECK(r.ok());  // the handler had what it needed
    }
}

TEST_CASE("replay transport: a paused transfer gets only its deadlines until resumed",
          "[replay]") {
    util::SteadyClock clock;
    transport::ReplayTransport t(transport::parse_recording(kTimed), {}, clock);
    Probe p(clock);
    p.pause_after = 1;
    const auto r = serve(t, p);
    CHECK(r.ok());
    REQUIRE(p.arrivals.size() == 3);
    REQUIRE(p.resumed_ns > 0);
    CHECK(p.arrivals[1] >= p.resumed_ns);  // nothing arrived while paused
    CHECK(p.body == "data: a\n\ndata: b\n\ndata: c\n\n");
}

TEST_CASE("replay transport: paused with nothing to resume it ends instead of hanging",
          "[replay]") {
    util::ManualClock clock;
    transport::ReplayTransport t(transport::parse_recording(kTimed), {}, clock);
    class Stuck final : public transport::Handler {
      public:
        transport::Transport* t = nullptr;
        transport::TransferId id = 0;
        transport::Result result;
        Control on_head(const transport::ResponseHead&) override { return Control::proceed; }
        Control on_data(std::string_view) override {
            t->pause(id);
            return Control::proceed;
        }
        Control on_idle() override { return Control::proceed; }
        void on_done(const transport::Result& r) override { result = r; }
    } stuck;
    stuck.t = &t;
    stuck.id = t.start({}, stuck);
    t.run();
    CHECK(stuck.result.failure == Failure::other);
}

TEST_CASE("replay transport: responses in order, the recorded failure, none left", "[replay]") {
    util::ManualClock clock;
    const std::string file =
        ": letta-stream recording 1\n: status=200\n: content-type=text/event-stream\n"
        ": t=1\ndata: {\"seq_id\":1}\n\ndata: {\"se\n"
        ": end t=2 newline=added failure=dropped message=connection reset\n"
        ": response=2 status=500\n: content-type=application/json\n: t=1\n{\"detail\":\"x\"}";
    transport::ReplayTransport t(transport::parse_recording(file), {}, clock);
    CHECK(t.responses() == 2);
    Probe first(clock), second(clock), third(clock);
    const auto r1 = serve(t, first);
    CHECK(first.body == "data: {\"seq_id\":1}\n\ndata: {\"se");
    CHECK(r1.failure == Failure::dropped);
    CHECK(r1.message == "connection reset");
    const auto r2 = serve(t, second);
    CHECK(second.status == 500);
    CHECK(second.content_type == "application/json");
    CHECK(second.body == "{\"detail\":\"x\"}");
    CHECK(r2.ok());
    const auto r3 = serve(t, third);
    CHECK(r3.failure == Failure::other);
    CHECK_FALSE(r3.got_head);
}

TEST_CASE("replay transport: a cancel token, and the wake-up fd ending a long wait", "[replay]") {
    util::SteadyClock clock;
    {
        transport::ReplayTransport t(transport::parse_recording(kTimed), {}, clock);
        transport::CancelToken cancel;
        cancel.cancel(SIGINT);
        Probe p(clock);
        const auto r = serve(t, p, &cancel);
        CHECK(r.failure == Failure::cancelled);
        CHECK(p.body.empty());
    }
    int wake[2];
    REQUIRE(::pipe2(wake, O_NONBLOCK) == 0);  // as the signal self-pipe is
    static volatile std::sig_atomic_t flag = 0;
    flag = 0;
    transport::CancelToken cancel(&flag);
    // The second read is due in an hour.
    transport::ReplayTransport t(
        transport::parse_recording(": t=1\ndata: a\n\n: t=3600000\ndata: b\n\n"), {1, wake[0]},
        clock);
    Probe p(clock);
    std::thread signaller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        flag = SIGINT;
        const char byte = 1;
        CHECK(::write(wake[1], &byte, 1) == 1);
    });
    const auto t0 = clock.now_ns();
    const auto r = serve(t, p, &cancel);
    const auto t1 = clock.now_ns();
    signaller.join();
    CHECK(r.failure == Failure::cancelled);
    CHECK(p.body == "data: a\n\n");
    CHECK(ms_since(t0, t1) < 2000);
    // sleep_until: the same wake-up
    flag = 0;
    std::thread again([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        flag = SIGTERM;
        const char byte = 1;
        CHECK(::write(wake[1], &byte, 1) == 1);
    });
    const auto s0 = clock.now_ns();
    t.sleep_until(s0 + 3'600'000'000'000, &cancel);
    again.join();
    CHECK(ms_since(s0, clock.now_ns()) < 2000);
    ::close(wake[0]);
    ::close(wake[1]);
}

TEST_CASE("replay transport: a replay recorded again is the same recording", "[replay]") {
    util::ManualClock clock;
    const std::string original =
        ": letta-stream recording 1\n: status=200\n: content-type=text/event-stream\n"
        ": t=0.0\ndata: a\r\n\r\n: t=0.0\ndata: b\n\n: end t=0.0\n"
        ": response=2 status=429\n: content-type=application/json\n: t=0.0\n{}\n: end t=0.0\n";
    transport::ReplayTransport t(transport::parse_recording(original), {}, clock);
    char path[] = "/tmp/ls-replay-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    {
        transport::RecordingFile file(path);
        REQUIRE(file.is_open());
        for (std::size_t i = 0; i < t.responses(); ++i) {
            Probe p(clock);
            transport::RecordingHandler recording(p, file, clock);
            t.start({}, recording);
            t.run();
        }
        CHECK(file.close() == 0);
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::remove(path);
    CHECK(ss.str() == original);
}
