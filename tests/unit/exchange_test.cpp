// session::Exchange and session::to_outcome — how a turn ends: HTTP errors, non-SSE answers,
// malformed and oversized events, the grace period after stop_reason, signals, output failures.
// Time is a ManualClock.
#include <catch2/catch.hpp>

#include "support/turn_harness.hpp"

using namespace letta_stream;
using transport::Control;

namespace {

using Harness = ls_test::TurnHarness;

constexpr const char* kSse = "text/event-stream; charset=utf-8";

}  // namespace

TEST_CASE("HTTP errors are read from the body", "[turn]") {
    Harness h;
    h.head(401, "application/json");
    h.data(R"({"detail":"Unauthorized"})");
    auto o = h.finish();
    CHECK(o.status == ExitStatus::auth);
    CHECK(o.message == "sending the message failed: HTTP 401: Unauthorized");
    CHECK(h.writer.bytes.empty());

    Harness r;
    r.head(429, "application/json", {{"Retry-After", "3"}});
    r.data(R"({"error":{"type":"llm_rate_limit","message":"slow down"}})");
    auto o2 = r.finish();
    CHECK(o2.status == ExitStatus::rate_limited);
    CHECK(o2.hint.find("retry after 3 s") != std::string::npos);
}

TEST_CASE("a 200 that is not an event stream is an error, not an empty reply", "[turn]") {
    Harness h;
    h.head(200, "application/json");
    h.data(R"({"messages":[]})");
    auto o = h.finish();
    CHECK(o.status == ExitStatus::server);
    CHECK(o.message.find("application/json") != std::string::npos);

    Harness html;
    html.head(200, "text/html");
    html.data("<html><title>Login</title></html>");
    CHECK(html.finish().status == ExitStatus::server);
}

TEST_CASE("malformed events are skipped, the rest is kept, and the exit says so", "[turn]") {
    Harness h;
    h.head(200, kSse);
    h.data("data: {\"message_type\":\"assistant_message\",\"content\":\"a\"}\n\n");
    h.data("data: {not json\n\n");
    h.data("data: {\"message_type\":\"assistant_message\",\"content\":\"b\"}\n\n");
    h.data("data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n");
    auto o = h.finish();
    CHECK(h.writer.bytes == "ab\n");
    CHECK(o.status == ExitStatus::server);
    CHECK(o.message.find("1 malformed") != std::string::npos);
}

TEST_CASE("an oversized event stops the stream with a clear error", "[turn]") {
    Harness h(1024);
    h.head(200, kSse);
    h.data("data: {\"message_type\":\"assistant_message\",\"content\":\"ok\"}\n\n");
    auto c = h.data("data: " + std::string(4096, 'x'));
    CHECK(c == Control::abort);
    auto o = h.finish(transport::Failure::aborted);
    CHECK(o.status == ExitStatus::server);
    CHECK(o.message == "a stream event exceeded the 1 KiB limit");
    CHECK(o.hint.find("--max-event-size") != std::string::npos);
    CHECK(h.writer.bytes == "ok\n");
}

TEST_CASE("[DONE] ends the transfer, data after it is ignored", "[turn]") {
    Harness h;
    h.head(200, kSse);
    auto c = h.turn->on_data(
        "data: {\"message_type\":\"assistant_message\",\"content\":\"x\"}\n\ndata: [DONE]\n\n"
        "data: {\"message_type\":\"assistant_message\",\"content\":\"late\"}\n\n");
    CHECK(c == Control::finish);
    CHECK(h.finish().ok());
    CHECK(h.writer.bytes == "x\n");
}

TEST_CASE("after stop_reason, a silent stream is closed after the grace period", "[turn]") {
    Harness h;
    h.head(200, kSse);
    h.data("data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n");
    CHECK(h.turn->on_idle() == Control::proceed);
    CHECK(h.turn->deadline_ns() > h.clock.now_ns());
    h.clock.advance_ms(1999);
    CHECK(h.turn->on_idle() == Control::proceed);
    h.clock.advance_ms(2);
    CHECK(h.turn->on_idle() == Control::finish);
    CHECK(h.finish().ok());
}

TEST_CASE("before stop_reason there is no deadline", "[turn]") {
    Harness h;
    h.head(200, kSse);
    h.data("data: {\"message_type\":\"ping\"}\n\n");
    CHECK(h.turn->deadline_ns() < 0);
    h.clock.advance_ms(600'000);
    CHECK(h.turn->on_idle() == Control::proceed);
}

TEST_CASE("a drop after stop_reason is still a success, before it, exit 7", "[turn]") {
    Harness ok;
    ok.head(200, kSse);
    ok.data("data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n");
    CHECK(ok.finish(transport::Failure::dropped).ok());

    Harness dropped;
    dropped.head(200, kSse);
    dropped.data(
        "data: "
        "{\"message_type\":\"assistant_message\",\"content\":\"par\",\"run_id\":\"run-9\"}\n\n");
    auto o = dropped.finish(transport::Failure::dropped);
    CHECK(o.status == ExitStatus::network);
    CHECK(o.message.find("run-9") != std::string::npos);
    CHECK(dropped.writer.bytes == "par\n");
}

TEST_CASE("signals abort with 130 / 143", "[turn]") {
    Harness h;
    h.head(200, kSse);
    h.signal = SIGINT;
    CHECK(h.data("data: {\"message_type\":\"ping\"}\n\n") == Control::abort);
    CHECK(h.finish(transport::Failure::aborted).status == ExitStatus::interrupted);
    Harness t;
    t.head(200, kSse);
    t.signal = SIGTERM;
    t.turn->on_idle();
    CHECK(t.finish(transport::Failure::aborted).status == ExitStatus::terminated);
}

TEST_CASE("write failures: EPIPE is quiet, others are errors", "[turn]") {
    Harness pipe;
    pipe.writer.fail = {output::WriteStatus::broken_pipe, EPIPE};
    pipe.head(200, kSse);
    CHECK(pipe.data("data: {\"message_type\":\"assistant_message\",\"content\":\"x\"}\n\n") ==
          Control::abort);
    auto o = pipe.finish(transport::Failure::aborted);
    CHECK(o.status == ExitStatus::ok);
    CHECK(o.message.empty());

    Harness full;
    full.writer.fail = {output::WriteStatus::failed, ENOSPC};
    full.head(200, kSse);
    full.data("data: {\"message_type\":\"assistant_message\",\"content\":\"x\"}\n\n");
    auto f = full.finish(transport::Failure::aborted);
    CHECK(f.status == ExitStatus::output);
    CHECK(f.message == "writing to stdout failed: No space left on device");
}

TEST_CASE("pings after stop_reason do not extend the grace period", "[turn]") {
    Harness h;
    h.head(200, kSse);
    h.data("data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n");
    h.clock.advance_ms(1500);
    h.data("data: {\"message_type\":\"usage_statistics\",\"total_tokens\":3}\n\n");  // restarts it
    for (int i = 0; i < 19; ++i) {
        h.clock.advance_ms(100);
        CHECK(h.data("data: {\"message_type\":\"ping\"}\n\n") == Control::proceed);
    }
    h.clock.advance_ms(150);
    CHECK(h.data("data: {\"message_type\":\"ping\"}\n\n") == Control::finish);
    CHECK(h.finish().ok());
}
