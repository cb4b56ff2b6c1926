// The one exit-status table, and how HTTP statuses, stop reasons and transport failures map to it.
#include <catch2/catch.hpp>

#include "session/outcome.hpp"
#include "util/exit_status.hpp"

using namespace letta_stream;
using namespace letta_stream::session;

TEST_CASE("the table's values are the documented ones", "[exit_status]") {
    CHECK(to_int(ExitStatus::ok) == 0);
    CHECK(to_int(ExitStatus::run_error) == 1);
    CHECK(to_int(ExitStatus::usage) == 2);
    CHECK(to_int(ExitStatus::auth) == 3);
    CHECK(to_int(ExitStatus::not_found) == 4);
    CHECK(to_int(ExitStatus::rate_limited) == 5);
    CHECK(to_int(ExitStatus::timeout) == 6);
    CHECK(to_int(ExitStatus::network) == 7);
    CHECK(to_int(ExitStatus::server) == 8);
    CHECK(to_int(ExitStatus::stopped) == 9);
    CHECK(to_int(ExitStatus::output) == 10);
    CHECK(to_int(ExitStatus::interrupted) == 130);
    CHECK(to_int(ExitStatus::terminated) == 143);
    CHECK(to_string(ExitStatus::rate_limited) == "rate_limited");
}

TEST_CASE("HTTP statuses", "[exit_status]") {
    protocol::ApiError e{"why", "", "", false};
    auto status = [&](long s) { return from_http_status(s, e, "x", "").status; };
    CHECK(status(400) == ExitStatus::usage);
    CHECK(status(401) == ExitStatus::auth);
    CHECK(status(403) == ExitStatus::auth);
    CHECK(status(404) == ExitStatus::not_found);
    CHECK(status(408) == ExitStatus::timeout);
    CHECK(status(409) == ExitStatus::rate_limited);
    CHECK(status(402) == ExitStatus::rate_limited);
    CHECK(status(422) == ExitStatus::usage);
    CHECK(status(429) == ExitStatus::rate_limited);
    CHECK(status(500) == ExitStatus::server);
    CHECK(status(503) == ExitStatus::server);
    CHECK(status(504) == ExitStatus::timeout);
    CHECK(status(307) == ExitStatus::server);
    auto o = from_http_status(429, e, "sending the message", "7");
    CHECK(o.message == "sending the message failed: HTTP 429: why");
    CHECK(o.hint.find("retry after 7 s") != std::string::npos);
    auto unauthorized = from_http_status(401, e, "x", "");
    CHECK(unauthorized.hint.find("LETTA_API_KEY") != std::string::npos);
}

TEST_CASE("stop reasons and error types", "[exit_status]") {
    CHECK(status_for_stop_reason("end_turn") == ExitStatus::ok);
    CHECK(status_for_stop_reason("tool_rule") == ExitStatus::ok);
    CHECK(status_for_stop_reason("max_steps") == ExitStatus::stopped);
    CHECK(status_for_stop_reason("requires_approval") == ExitStatus::stopped);
    CHECK(status_for_stop_reason("cancelled") == ExitStatus::stopped);
    CHECK(status_for_stop_reason("insufficient_credits") == ExitStatus::rate_limited);
    CHECK(status_for_stop_reason("llm_api_error") == ExitStatus::run_error);
    CHECK(status_for_stop_reason("error") == ExitStatus::run_error);
    CHECK(status_for_stop_reason("something_new") == ExitStatus::run_error);
    CHECK(status_for_error_type("llm_rate_limit") == ExitStatus::rate_limited);
    CHECK(status_for_error_type("internal_error") == ExitStatus::run_error);
}

TEST_CASE("transport failures", "[exit_status]") {
    using transport::Failure;
    auto status = [](Failure f) {
        transport::Result r;
        r.failure = f;
        r.message = "m";
        return from_transport(r, "x", "http://h").status;
    };
    CHECK(status(Failure::resolve) == ExitStatus::network);
    CHECK(status(Failure::connect) == ExitStatus::network);
    CHECK(status(Failure::tls) == ExitStatus::network);
    CHECK(status(Failure::dropped) == ExitStatus::network);
    CHECK(status(Failure::timeout) == ExitStatus::timeout);
    CHECK(status(Failure::bad_encoding) == ExitStatus::server);
    CHECK(status(Failure::bad_url) == ExitStatus::usage);
    CHECK(status(Failure::none) == ExitStatus::ok);
}
