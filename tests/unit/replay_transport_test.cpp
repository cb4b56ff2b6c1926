// transport::ReplayTransport: a recording served as a transport serves a response — the head,
// each recorded read as on_data + on_idle at its time (scaled by the speed), the recorded end —
// honouring what the real loop honours: the handler's stop, its deadlines, pause/resume, the
// cancel token and the wake-up fd. And a round trip: a replay recorded again is the same file.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
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

// A reader of `text`, in reads of `read_size` bytes (0: all at once).
std::unique_ptr<transport::RecordingReader> recording(std::string text, std::size_t read_size = 0) {
    return transport::RecordingReader::of(std::move(text), read_size);
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
    transport::ReplayTransport t(recording(kTimed), {}, clock);
    Probe p(clock);
    const auto r = serve(t, p);
    CHECK_FALSE(t.another_response());
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
        transport::ReplayTransport t(recording(kTimed), {speed, -1}, clock);
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

TEST_CASE("replay transport: big reads in pieces, and the handler's finish stops it", "[replay]") {
    util::ManualClock clock;
    const std::string big(200'000, 'x');
    {
        transport::ReplayTransport t(recording(big), {0, -1, 65536}, clock);
        Probe p(clock);
        serve(t, p);
        CHECK(p.body == big);
        CHECK(p.reads == 4);
    }
    {
        transport::ReplayTransport t(recording(kTimed), {}, clock);
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
    transport::ReplayTransport t(recording(kTimed), {}, clock);
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
    transport::ReplayTransport t(recording(kTimed), {}, clock);
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
    transport::ReplayTransport t(recording(file), {}, clock);
    CHECK(t.another_response());
    CHECK(t.another_response());  // asking again changes nothing
    Probe first(clock), second(clock), third(clock);
    const auto r1 = serve(t, first);
    CHECK(t.another_response());
    CHECK(first.body == "data: {\"seq_id\":1}\n\ndata: {\"se");
    CHECK(r1.failure == Failure::dropped);
    CHECK(r1.message == "connection reset");
    const auto r2 = serve(t, second);
    CHECK(second.status == 500);
    CHECK(second.content_type == "application/json");
    CHECK(second.body == "{\"detail\":\"x\"}");
    CHECK(r2.ok());
    CHECK_FALSE(t.another_response());
    const auto r3 = serve(t, third);
    CHECK(r3.failure == Failure::other);
    CHECK_FALSE(r3.got_head);
}

TEST_CASE("replay transport: a cancel token, and the wake-up fd ending a long wait", "[replay]") {
    util::SteadyClock clock;
    {
        transport::ReplayTransport t(recording(kTimed), {}, clock);
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
    transport::ReplayTransport t(recording(": t=1\ndata: a\n\n: t=3600000\ndata: b\n\n"),
                                 {1, wake[0]}, clock);
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
    transport::ReplayTransport t(recording(original), {}, clock);
    char path[] = "/tmp/ls-replay-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::close(fd);
    {
        transport::RecordingFile file(path);
        REQUIRE(file.is_open());
        do {
            Probe p(clock);
            transport::RecordingHandler recording(p, file, clock);
            t.start({}, recording);
            t.run();
        } while (t.another_response());
        CHECK(file.close() == 0);
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::remove(path);
    CHECK(ss.str() == original);
}

TEST_CASE("replay transport: any read size serves the same responses", "[replay]") {
    util::ManualClock clock;
    const std::string file =
        "\xEF\xBB\xBF: letta-stream recording 1\r\n: status=200\r\n"
        ": content-type=text/event-stream\r\n: t=1\r\ndata: a\r\n\r\n: t=2\r\ndata: {\"se\n"
        ": end t=3 newline=added failure=dropped message=reset\n"
        ": response=2 status=503\n: content-type=application/json\n{\"detail\":\"busy\"}\n: end\n"
        ": response=3 status=200\n: content-type=\n: t=1\rdata: c\r\r";
    auto serve_all = [&](std::size_t read_size) {
        transport::ReplayTransport t(recording(file, read_size), {}, clock);
        std::string seen;
        do {
            Probe p(clock);
            const auto r = serve(t, p);
            seen += std::to_string(p.status) + " [" + p.content_type + "] " + p.body + " -> " +
                    std::string(transport::failure_name(r.failure)) + " " + r.message + "\n";
        } while (t.another_response());
        return seen;
    };
    const std::string whole = serve_all(0);
    CHECK(whole ==
          "200 [text/event-stream] \xEF\xBB\xBF"
          "data: a\r\n\r\ndata: {\"se ->"
          " dropped reset\n"
          "503 [application/json] {\"detail\":\"busy\"}\n ->  \n"
          "200 [] data: c\r\r ->  \n");
    for (const std::size_t n : {1, 2, 3, 5, 7, 64}) {
        INFO("read size " << n);
        CHECK(serve_all(n) == whole);
    }
}

TEST_CASE("replay transport: a transfer stopped early leaves the rest of its response",
          "[replay]") {
    util::ManualClock clock;
    const std::string file =
        ": t=1\ndata: a\n\n: t=2\ndata: b\n\n: t=3\ndata: c\n\n: end\n"
        ": response=2 status=200\n: t=1\ndata: second\n\n"
        ": response=3 status=200\n: t=1\ndata: third\n\n";
    for (const std::size_t n : {0, 1, 4}) {
        transport::ReplayTransport t(recording(file, n), {}, clock);
        Probe first(clock);
        first.finish_after = 1;
        serve(t, first);
        INFO("read size " << n);
        CHECK_FALSE(first.body.empty());  // the first piece: at most the first recorded read
        CHECK(std::string_view("data: a\n\n").starts_with(first.body));
        Probe second(clock);
        second.finish_after = 1;
        serve(t, second);  // without asking whether another follows
        CHECK_FALSE(second.body.empty());
        CHECK(std::string_view("data: second\n\n").starts_with(second.body));
        REQUIRE(t.another_response());
        Probe third(clock);
        serve(t, third);
        CHECK(third.body == "data: third\n\n");
        CHECK_FALSE(t.another_response());
    }
}

TEST_CASE("replay transport: a file that cannot be read to its end fails the transfer",
          "[replay]") {
    util::ManualClock clock;
    const std::string text = ": t=1\ndata: a\n\n: t=2\ndata: b\n\n: end\n: response=2 status=200\n";
    for (const std::size_t fail_at :
         {std::size_t{0}, std::size_t{9}, std::size_t{30}, text.size()}) {
        INFO("the read after " << fail_at << " bytes fails");
        std::size_t at = 0;
        auto reader = std::make_unique<transport::RecordingReader>(
            [&](char* buf, std::size_t size) -> long {
                if (at >= fail_at) {
                    errno = EIO;
                    return -1;
                }
                const std::size_t n = std::min(size, fail_at - at);
                std::memcpy(buf, text.data() + at, n);
                at += n;
                return static_cast<long>(n);
            },
            4);
        transport::ReplayTransport t(std::move(reader), {}, clock);
        transport::Request request;
        request.url = "turn.sse";
        std::string body;
        transport::Result r;
        for (int i = 0; i < 3 && r.ok(); ++i) {
            Probe p(clock);
            p.transport = &t;
            p.id = t.start(request, p);
            t.run();
            body += p.body;
            r = p.result;
            if (r.ok() && !t.another_response()) break;
        }
        CHECK(r.failure == Failure::other);
        CHECK(r.message == "cannot read turn.sse: " + std::string(std::strerror(EIO)));
        CHECK(t.read_error() == std::strerror(EIO));
        CHECK(std::string_view("data: a\n\ndata: b\n\n").starts_with(body));
    }
}

TEST_CASE("replay transport: a paused transfer reads nothing more from the file", "[replay]") {
    util::SteadyClock clock;
    // 4 MiB of events, read 64 KiB at a time.
    std::string text;
    while (text.size() < 4 * 1024 * 1024)
        text += "data: {\"message_type\":\"assistant_message\",\"content\":\"word \"}\n\n";
    std::size_t at = 0;
    int reads = 0;
    auto reader =
        std::make_unique<transport::RecordingReader>([&](char* buf, std::size_t size) -> long {
            ++reads;
            const std::size_t n = std::min(size, text.size() - at);
            std::memcpy(buf, text.data() + at, n);
            at += n;
            return static_cast<long>(n);
        });
    transport::ReplayTransport t(std::move(reader), {}, clock);
    Probe p(clock);
    p.pause_after = 1;
    int reads_at_pause = -1;
    bool read_while_paused = false;
    class Watch final : public transport::Handler {
      public:
        Watch(Probe& probe, int& reads, int& at_pause, bool& read_while_paused)
            : p_(probe), reads_(reads), at_pause_(at_pause), bad_(read_while_paused) {}
        Control on_head(const transport::ResponseHead& h) override { return p_.on_head(h); }
        Control on_data(std::string_view b) override {
            const Control c = p_.on_data(b);
            if (p_.reads == p_.pause_after) at_pause_ = reads_;
            return c;
        }
        Control on_idle() override {
            if (p_.resume_at >= 0 && reads_ != at_pause_) bad_ = true;  // still paused
            return p_.on_idle();
        }
        std::int64_t deadline_ns() const override { return p_.deadline_ns(); }
        void on_done(const transport::Result& r) override { p_.on_done(r); }

      private:
        Probe& p_;
        int& reads_;
        int& at_pause_;
        bool& bad_;
    } watch(p, reads, reads_at_pause, read_while_paused);
    p.transport = &t;
    p.id = t.start({}, watch);
    t.run();
    CHECK(p.result.ok());
    CHECK(p.body == text);
    REQUIRE(p.resumed_ns > 0);
    CHECK(reads_at_pause >= 1);
    CHECK_FALSE(read_while_paused);
    CHECK(p.idles > 2);  // it did wait, paused
}
