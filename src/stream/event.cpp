#include "stream/event.hpp"

namespace letta_stream::stream {

std::string_view to_string(Kind kind) noexcept {
    switch (kind) {
        case Kind::content:
            return "content";
        case Kind::reasoning:
            return "reasoning";
        case Kind::tool_call:
            return "tool_call";
        case Kind::tool_result:
            return "tool_result";
        case Kind::approval_request:
            return "approval_request";
        case Kind::ping:
            return "ping";
        case Kind::stop:
            return "stop";
        case Kind::usage:
            return "usage";
        case Kind::error:
            return "error";
        case Kind::status:
            return "status";
        case Kind::done:
            return "done";
        case Kind::malformed:
            return "malformed";
        case Kind::sse:
            return "sse";
        case Kind::sse_retry:
            return "sse_retry";
        case Kind::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace letta_stream::stream
