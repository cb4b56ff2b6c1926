// The one table of exit statuses. `--help`, the README and the man page list exactly these
// (tests/check_exit_statuses.sh compares all four); one entry per line, for that check.
// It lives in util/ rather than app/ so that session/ can compute a status without depending
// upward on app/.
#pragma once

#include <string_view>

namespace letta_stream {

enum class ExitStatus : int {
    // success; also when the reader closed the pipe (EPIPE)
    ok = 0,
    // the agent run ended in error (stop_reason error/llm_api_error/..., event: error)
    run_error = 1,
    // bad flags, bad input, empty prompt, request rejected as invalid (400/422)
    usage = 2,
    // missing or rejected API key, permission denied (401/403)
    auth = 3,
    // agent, conversation or run not found (404, no agent by that name)
    not_found = 4,
    // rate-limited, out of quota or credits, conversation busy (429/402/409)
    rate_limited = 5,
    // connect or other timeout
    timeout = 6,
    // could not connect, TLS failure, connection dropped mid-stream
    network = 7,
    // server error (5xx) or a malformed stream (not SSE, invalid event JSON, oversized event)
    server = 8,
    // the run stopped early: max_steps, requires_approval, cancelled elsewhere
    stopped = 9,
    // writing to stdout failed (disk full, I/O error) other than a closed pipe
    output = 10,
    // SIGHUP (the terminal or ssh session closed)
    hangup = 129,
    // SIGINT
    interrupted = 130,
    // SIGTERM
    terminated = 143,
};

constexpr int to_int(ExitStatus s) noexcept {
    return static_cast<int>(s);
}

// Short name for diagnostics and the JSON "done" line ("ok", "run_error", ...).
std::string_view to_string(ExitStatus s) noexcept;

}  // namespace letta_stream
