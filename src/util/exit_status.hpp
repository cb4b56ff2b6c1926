// The one table of exit statuses (README and man page document exactly these).
// It lives in util/ rather than app/ so that session/ can compute a status without depending
// upward on app/.
#pragma once

#include <string_view>

namespace letta_stream {

enum class ExitStatus : int {
    ok = 0,  // success; also when the reader closed the pipe (EPIPE)
    run_error =
        1,      // the agent run ended in error (stop_reason error/llm_api_error/..., event: error)
    usage = 2,  // bad flags, bad input, empty prompt, request rejected as invalid (400/422)
    auth = 3,   // missing or rejected API key, permission denied (401/403)
    not_found = 4,     // agent, conversation or run not found (404, no agent by that name)
    rate_limited = 5,  // rate-limited, out of quota or credits, conversation busy (429/402/409)
    timeout = 6,       // connect or other timeout
    network = 7,       // could not connect, TLS failure, connection dropped mid-stream
    server = 8,  // server error (5xx) or a malformed stream (not SSE, invalid event JSON, oversized
                 // event)
    stopped = 9,        // the run stopped early: max_steps, requires_approval, cancelled elsewhere
    output = 10,        // writing to stdout failed (disk full, I/O error) other than a closed pipe
    interrupted = 130,  // SIGINT
    terminated = 143,   // SIGTERM
};

constexpr int to_int(ExitStatus s) noexcept {
    return static_cast<int>(s);
}

// Short name for diagnostics and the JSON "done" line ("ok", "run_error", ...).
std::string_view to_string(ExitStatus s) noexcept;

}  // namespace letta_stream
