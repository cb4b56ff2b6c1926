// session::fetch — a small non-streaming request (agent lookup): the whole body, bounded.
// session::resolve_agent — an agent name → the id of the agent with exactly that name.
#pragma once

#include <csignal>
#include <string>

#include "protocol/letta_api.hpp"
#include "session/outcome.hpp"
#include "transport/http.hpp"
#include "util/diag.hpp"

namespace letta_stream::session {

struct FetchResult {
    transport::Result transport;
    transport::ResponseHead head;
    std::string body;
    bool too_large = false;
    int signal = 0;
};

transport::Request make_request(const protocol::Endpoint& endpoint, const protocol::HttpCall& call,
                                bool sse);

FetchResult fetch(transport::Client& client, const transport::Request& request,
                  std::size_t max_body, const volatile std::sig_atomic_t* signal);

struct AgentResolution {
    Outcome outcome;  // ok when found
    std::string agent_id;
    int signal = 0;
};

// Looks the name up with GET /v1/agents/?name=. None → not_found; several → the newest, with a
// warning naming how many there were.
AgentResolution resolve_agent(transport::Client& client, const protocol::Endpoint& endpoint,
                              const std::string& name, util::Diag& diag,
                              const volatile std::sig_atomic_t* signal);

}  // namespace letta_stream::session
