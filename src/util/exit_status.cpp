#include "util/exit_status.hpp"

namespace letta_stream {

std::string_view to_string(ExitStatus s) noexcept {
    switch (s) {
        case ExitStatus::ok:
            return "ok";
        case ExitStatus::run_error:
            return "run_error";
        case ExitStatus::usage:
            return "usage";
        case ExitStatus::auth:
            return "auth";
        case ExitStatus::not_found:
            return "not_found";
        case ExitStatus::rate_limited:
            return "rate_limited";
        case ExitStatus::timeout:
            return "timeout";
        case ExitStatus::network:
            return "network";
        case ExitStatus::server:
            return "server";
        case ExitStatus::stopped:
            return "stopped";
        case ExitStatus::output:
            return "output";
        case ExitStatus::hangup:
            return "hangup";
        case ExitStatus::interrupted:
            return "interrupted";
        case ExitStatus::terminated:
            return "terminated";
    }
    return "unknown";
}

}  // namespace letta_stream
