// session::fetch — a small non-streaming request (agent lookup): the whole body, bounded.
// session::resolve_agent — an agent name → the id of the agent with exactly that name.
#pragma once

#include <string>

#include "output/stderr.hpp"
#include "protocol/letta_api.hpp"
#include "session/outcome.hpp"
#include "transport/transport.hpp"

namespace letta_stream::session {

struct FetchResult {
    transport::Result transport;
    transport::ResponseHead head;
    std::string body;
    bool too_large = false;
    int signal = 0;  // the cancel token's reason when it stopped the request
};

transport::Request make_request(const protocol::Endpoint& endpoint, const protocol::HttpCall& call,
                                bool sse);

// The request's own cancel token (request.cancel) stops it.
FetchResult fetch(transport::Transport& transport, const transport::Request& request,
                  std::size_t max_body);

struct AgentResolution {
    Outcome outcome;  // ok when found
    std::string agent_id;
    int signal = 0;
};

// Looks the name up with GET /v1/agents/?name=. None → not_found; several → the newest, with a
// warning naming how many there were.
// `total_timeout_ms` bounds the whole lookup (0: none); a lookup that runs out of it says to
// raise `timeout_flag`.
AgentResolution resolve_agent(transport::Transport& transport, const protocol::Endpoint& endpoint,
                              const std::string& name, output::Stderr& err,
                              const transport::CancelToken* cancel, long total_timeout_ms,
                              const std::string& timeout_flag);

}  // namespace letta_stream::session
