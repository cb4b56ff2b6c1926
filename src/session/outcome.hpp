// session::Outcome — how a call ended, as an exit status plus the one-line message and hint the
// user sees. Errors are values at this seam: the status alone decides the exit code.
// to_outcome() is the one place that maps an attempt's facts to it.
#pragma once

#include <string>
#include <string_view>

#include "output/writer.hpp"
#include "protocol/letta_api.hpp"
#include "session/attempt.hpp"
#include "transport/transport.hpp"
#include "util/exit_status.hpp"

namespace letta_stream::session {

struct Outcome {
    ExitStatus status = ExitStatus::ok;
    std::string message;  // empty on success and on a quiet exit (closed pipe)
    std::string hint;
    // The stream itself reported this (an error event or a stop_reason), so JSON-lines output
    // already carries it; client-side failures are reported as an extra "error" line.
    bool from_stream = false;
    long http_status = 0;  // set when an HTTP error status caused this outcome

    bool ok() const noexcept { return status == ExitStatus::ok && message.empty(); }
};

// How an attempt ended, from its facts alone. `what` names the step ("sending the message"),
// `url` the server (already redacted) for hints.
Outcome to_outcome(const Attempt& attempt, std::string_view what, std::string_view url);

// Writing the end of the output (final newline, done line) failed.
Outcome output_failed(const output::WriteResult& result);

// A transport failure (nothing usable was received). `what` names the step ("agent lookup").
Outcome from_transport(const transport::Result& result, std::string_view what,
                       std::string_view url);

// A non-2xx response. `retry_after` is the raw Retry-After header, if any; `location` the
// Location header of a redirect.
Outcome from_http_status(long status, const protocol::ApiError& error, std::string_view what,
                         std::string_view retry_after, std::string_view location = {});

// SIGINT → 130, SIGTERM → 143, SIGHUP → 129 (the message is never printed; the status says
// it all).
Outcome interrupted_by(int signal);

// Exit status for a Letta stop_reason ("end_turn" → ok, "max_steps" → stopped, ...).
ExitStatus status_for_stop_reason(std::string_view stop_reason) noexcept;

// Exit status for an in-stream error_type ("llm_rate_limit" → rate_limited, else run_error).
ExitStatus status_for_error_type(std::string_view error_type) noexcept;

}  // namespace letta_stream::session
