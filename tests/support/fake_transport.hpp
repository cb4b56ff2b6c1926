// FakeTransport — a transport::Transport that serves scripted responses in-process, on a
// ManualClock: the response head, then each scripted read as one network read (on_data, then
// on_idle), then — for a server that goes silent without closing, or while the handler has
// paused the transfer — the handler's own deadlines,
// with the clock jumped to each one, until the handler ends the transfer. Cancel tokens are
// honoured the way the real loop honours them. It records every request. As ninja fakes its
// disk, this lets app::run be tested whole without sockets or sleeping. Header-only, no Catch2.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace ls_test {

struct FakeResponse {
    long status = 200;
    std::vector<letta_stream::transport::Header> headers{{"Content-Type", "text/event-stream"}};
    std::vector<std::string> reads;  // one network read each
    double ms_per_read = 1;          // the clock advances this much before each read
    // After the reads: false = the server closes (EOF), true = it goes silent and stays open.
    bool hang = false;
    // No response at all: the transfer fails with this (e.g. Failure::connect).
    letta_stream::transport::Failure failure = letta_stream::transport::Failure::none;
    std::string failure_message;
    // Called before read N (0-based) is delivered: a test's chance to raise a signal.
    std::function<void(std::size_t read)> before_read;
};

class FakeTransport final : public letta_stream::transport::Transport {
  public:
    explicit FakeTransport(letta_stream::util::ManualClock& clock) : clock_(clock) {}

    std::vector<FakeResponse> responses;  // served in order, one per request; the last repeats
    std::vector<letta_stream::transport::Request> requests;
    int pauses = 0, resumes = 0, sleeps = 0;

    letta_stream::transport::TransferId start(const letta_stream::transport::Request& request,
                                              letta_stream::transport::Handler& handler) override {
        requests.push_back(request);
        pending_.push_back({requests.size() - 1, &handler});
        return requests.size();
    }
    void pause(letta_stream::transport::TransferId) override {
        ++pauses;
        paused_ = true;
    }
    void resume(letta_stream::transport::TransferId) override {
        ++resumes;
        paused_ = false;
    }
    void sleep_until(std::int64_t deadline_ns,
                     const letta_stream::transport::CancelToken* cancel) override {
        ++sleeps;
        if (cancel != nullptr && cancel->cancelled()) return;
        if (deadline_ns > clock_.now_ns()) clock_.set_ns(deadline_ns);
    }

    void run() override {
        while (!pending_.empty()) {
            const Pending p = pending_.front();
            pending_.erase(pending_.begin());
            serve(p);
        }
    }

  private:
    struct Pending {
        std::size_t index;
        letta_stream::transport::Handler* handler;
    };

    void serve(const Pending& p) {
        using letta_stream::transport::Control;
        using letta_stream::transport::Failure;
        namespace t = letta_stream::transport;
        t::Handler& h = *p.handler;
        const t::Request& req = requests[p.index];
        t::Result result;
        auto cancelled = [&] { return req.cancel != nullptr && req.cancel->cancelled(); };
        auto end = [&](Control c) {
            if (c == Control::abort) result.failure = Failure::aborted;
            if (c == Control::proceed && cancelled()) result.failure = Failure::cancelled;
            h.on_done(result);
        };
        if (responses.empty()) {
            result.failure = Failure::connect;
            result.message = "fake: no response scripted";
            return h.on_done(result);
        }
        const FakeResponse& r = responses[std::min(p.index, responses.size() - 1)];
        if (r.failure != Failure::none) {
            result.failure = r.failure;
            result.message = r.failure_message;
            return h.on_done(result);
        }
        t::ResponseHead head;
        head.status = r.status;
        head.status_line = "HTTP/1.1 " + std::to_string(r.status);
        head.headers = r.headers;
        result.got_head = true;
        Control c = h.on_head(head);
        for (std::size_t i = 0; c == Control::proceed && i < r.reads.size(); ++i) {
            // A paused transfer reads nothing: only its deadlines move it on, as in the real loop.
            if (paused_ && !wait_deadlines(h, c, [&] { return paused_ && !cancelled(); })) {
                result.failure = Failure::timeout;
                result.message = "fake: paused with no deadline to resume";
                return h.on_done(result);
            }
            if (c != Control::proceed) break;
            clock_.advance_ms(r.ms_per_read);
            if (r.before_read) r.before_read(i);
            result.body_bytes += r.reads[i].size();
            c = h.on_data(r.reads[i]);
            if (c == Control::proceed) c = h.on_idle();
            if (c == Control::proceed && cancelled()) return end(c);
        }
        if (c != Control::proceed || !r.hang) return end(c);
        // Silent and open: only the handler's deadlines (or a cancel) can end it.
        if (!wait_deadlines(h, c, [&] { return !cancelled(); })) {
            result.failure = Failure::timeout;
            result.message = "fake: the handler would wait forever";
            return h.on_done(result);
        }
        end(c);
    }

    // While `waiting()` and the handler proceeds: jump the clock to its next deadline and let it
    // look. False when it has none (it would wait forever).
    template <typename Waiting>
    bool wait_deadlines(letta_stream::transport::Handler& h, letta_stream::transport::Control& c,
                        Waiting waiting) {
        while (c == letta_stream::transport::Control::proceed && waiting()) {
            const std::int64_t d = h.deadline_ns();
            if (d < 0) return false;
            if (d > clock_.now_ns()) clock_.set_ns(d);
            c = h.on_idle();
        }
        return true;
    }

    letta_stream::util::ManualClock& clock_;
    std::vector<Pending> pending_;
    bool paused_ = false;
};

}  // namespace ls_test
