// session::decide — the retry policy over a table of cases: no clock, no sleeping; the jitter
// is an argument.
#include <catch2/catch.hpp>

#include "session/retry.hpp"

using namespace letta_stream;
using session::Attempt;
using session::Decision;
using Kind = Decision::Kind;

namespace {

Attempt http(long status, bool quota = false, std::int64_t retry_after_ms = -1) {
    Attempt a;
    a.got_head = true;
    a.body = Attempt::Body::error_body;
    a.http_status = status;
    a.quota = quota;
    a.retry_after_ms = retry_after_ms;
    return a;
}

Attempt failed(transport::Failure f) {
    Attempt a;
    a.failure = f;
    return a;
}

// A stream that delivered events, then broke.
Attempt dropped(std::int64_t last_seq, std::string run = "run-1") {
    Attempt a;
    a.got_head = true;
    a.body = Attempt::Body::event_stream;
    a.events = 5;
    a.output_started = true;
    a.run_id = std::move(run);
    a.last_seq_id = last_seq;
    a.failure = transport::Failure::dropped;
    return a;
}

session::RetryState state(int used = 0, bool background = true) {
    session::RetryState s;
    s.used = used;
    s.background = background;
    s.started_ns = 1'000'000'000;
    s.now_ns = 2'000'000'000;
    return s;
}

}  // namespace

TEST_CASE("what is retried before the stream starts, and what is not", "[retry]") {
    const session::RetryPolicy p;
    for (long s : {408L, 409L, 429L, 500L, 502L, 503L, 504L}) {
        INFO(s);
        const Decision d = session::decide(http(s), state(), p, 0.5);
        CHECK(d.kind == Kind::retry);
        CHECK(d.reason == "HTTP " + std::to_string(s));
    }
    for (long s : {400L, 401L, 403L, 404L, 413L, 422L, 501L}) {
        INFO(s);
        CHECK(session::decide(http(s), state(), p, 0.5).kind == Kind::give_up);
    }
    // Out of quota or credits: waiting will not help.
    CHECK(session::decide(http(429, true), state(), p, 0.5).kind == Kind::give_up);
    CHECK(session::decide(http(402, true), state(), p, 0.5).kind == Kind::give_up);
    CHECK(session::decide(http(402), state(), p, 0.5).kind == Kind::give_up);
    for (auto f :
         {transport::Failure::connect, transport::Failure::resolve, transport::Failure::tls,
          transport::Failure::dropped, transport::Failure::timeout}) {
        const Decision d = session::decide(failed(f), state(), p, 0.5);
        CHECK(d.kind == Kind::retry);
        CHECK_FALSE(d.reason.empty());
    }
    CHECK(session::decide(failed(transport::Failure::bad_url), state(), p, 0.5).kind ==
          Kind::give_up);
}

TEST_CASE("backoff: full jitter over base·2^n, capped, Retry-After wins", "[retry]") {
    session::RetryPolicy p;
    p.retries = 10;
    p.base_ns = 500'000'000;
    p.cap_ns = 4'000'000'000;
    CHECK(session::decide(http(503), state(0), p, 1.0).delay_ns == 500'000'000);
    CHECK(session::decide(http(503), state(1), p, 1.0).delay_ns == 1'000'000'000);
    CHECK(session::decide(http(503), state(2), p, 0.5).delay_ns == 1'000'000'000);
    CHECK(session::decide(http(503), state(5), p, 1.0).delay_ns == 4'000'000'000);  // the cap
    CHECK(session::decide(http(503), state(0), p, 0.0).delay_ns == 0);
    CHECK(session::decide(http(429, false, 7000), state(0), p, 0.1).delay_ns == 7'000'000'000);
}

TEST_CASE("flag --retries and --retry-max-time bound the attempts", "[retry]") {
    session::RetryPolicy p;
    p.retries = 2;
    CHECK(session::decide(http(503), state(1), p, 0.5).kind == Kind::retry);
    CHECK(session::decide(http(503), state(2), p, 0.5).kind == Kind::give_up);
    p.retries = 0;
    CHECK(session::decide(http(503), state(0), p, 0.5).kind == Kind::give_up);
    p.retries = 5;
    p.max_time_ns = 3'000'000'000;  // started at 1 s, now 2 s: 2 s left
    CHECK(session::decide(http(429, false, 1500), state(), p, 0.5).kind == Kind::retry);
    CHECK(session::decide(http(429, false, 2500), state(), p, 0.5).kind == Kind::give_up);
}

TEST_CASE("a broken stream: background runs resume from the last seq_id, others never re-POST",
          "[retry]") {
    const session::RetryPolicy p;
    const Decision d = session::decide(dropped(41), state(), p, 0.5);
    CHECK(d.kind == Kind::resume);
    CHECK(d.after_seq == 41);
    CHECK(d.delay_ns == 0);  // the first resume is at once
    CHECK(session::decide(dropped(41), state(0, false), p, 0.5).kind == Kind::give_up);
    CHECK(session::decide(dropped(41, ""), state(), p, 0.5).kind == Kind::give_up);
    // Asked for background, ran in the foreground (no seq_id): nothing to re-attach to.
    CHECK(session::decide(dropped(-1), state(), p, 0.5).kind == Kind::give_up);
    Attempt silent = dropped(7);
    silent.failure = transport::Failure::aborted;
    silent.timeout = Attempt::Timeout::idle;
    const Decision idle = session::decide(silent, state(), p, 0.5);
    CHECK(idle.kind == Kind::resume);
    CHECK(idle.reason == "the stream went silent");
    // A re-attach refused for good (expired, unknown, not background) is not tried again; a
    // server error on it is.
    for (long status : {400L, 404L, 410L}) {
        Attempt gone = dropped(41);
        gone.failure = transport::Failure::none;
        gone.body = Attempt::Body::error_body;
        gone.http_status = status;
        CHECK(session::decide(gone, state(1), p, 0.5).kind == Kind::give_up);
    }
    Attempt busy = dropped(41);
    busy.failure = transport::Failure::none;
    busy.body = Attempt::Body::error_body;
    busy.http_status = 503;
    CHECK(session::decide(busy, state(1), p, 0.5).kind == Kind::resume);
    // Resumes count against --retries.
    CHECK(session::decide(dropped(41), state(2), p, 0.5).kind == Kind::give_up);
}

TEST_CASE("ended turns, signals, output failures and our own limits are never retried", "[retry]") {
    const session::RetryPolicy p;
    Attempt done = dropped(9);
    done.stop_reason = "end_turn";
    CHECK(session::decide(done, state(), p, 0.5).kind == Kind::give_up);
    Attempt error = dropped(9);
    error.saw_error = true;
    CHECK(session::decide(error, state(), p, 0.5).kind == Kind::give_up);
    Attempt interrupted = http(503);
    interrupted.cancelled_by = 2;
    CHECK(session::decide(interrupted, state(), p, 0.5).kind == Kind::give_up);
    Attempt pipe = dropped(9);
    pipe.write = {output::WriteStatus::broken_pipe, 32};
    CHECK(session::decide(pipe, state(), p, 0.5).kind == Kind::give_up);
    Attempt big = dropped(9);
    big.too_large = true;
    CHECK(session::decide(big, state(), p, 0.5).kind == Kind::give_up);
    Attempt first_token = dropped(3);
    first_token.timeout = Attempt::Timeout::first_token;
    CHECK(session::decide(first_token, state(), p, 0.5).kind == Kind::give_up);
    Attempt all_time = dropped(3);
    all_time.timeout = Attempt::Timeout::max_time;
    CHECK(session::decide(all_time, state(), p, 0.5).kind == Kind::give_up);
}

TEST_CASE("Retry-After: seconds, an HTTP date, retry-after-ms, garbage is absent", "[retry]") {
    using session::parse_retry_after_ms;
    const std::time_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(parse_retry_after_ms("7", "", now) == 7000);
    CHECK(parse_retry_after_ms(" 0 ", "", now) == 0);
    CHECK(parse_retry_after_ms("", "1500", now) == 1500);
    CHECK(parse_retry_after_ms("7", "250", now) == 250);  // the finer one wins
    CHECK(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", "", now) == 10'000);
    CHECK(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:30 GMT", "", now) == 0);  // past: now
    for (const char* bad : {"", "soon", "-3", "1.5", "Sun, 06 Nov 1994 08:49:47 PST", "Sun, 99"})
        CHECK(parse_retry_after_ms(bad, "", now) == -1);
}
