// Request routing for the fake Letta REST API (the route list is in README.md).
#pragma once

#include <string>
#include <string_view>

#include "http.hpp"
#include "state.hpp"

namespace fls {

// Answers one request (the request has already been logged).
void handle_request(Conn& conn, const Request& req, ServerState& st);

// routes_agents.cpp
void list_agents(Conn& conn, const Request& req, const ServerState& st);
void redirect_agents(Conn& conn, const Request& req);
void get_agent(Conn& conn, const ServerState& st, const std::string& agent_id);
bool agent_known(const ServerState& st, const std::string& agent_id);

// routes_messages.cpp
enum class MessageRoute { agent_messages, agent_messages_stream, conversation_messages };
void post_message(Conn& conn, const Request& req, ServerState& st, MessageRoute route,
                  const std::string& id);
void post_run_stream(Conn& conn, const Request& req, ServerState& st, const std::string& run_id);
void post_cancel(Conn& conn, const Request& req, ServerState& st, const std::string& agent_id,
                 const std::string& conversation_id);
// The next `responses` entry (the Nth request of the message, chat-completions and /x/ routes gets
// the Nth; the last repeats), with its run bookkeeping. No checks.
void serve_next_response(Conn& conn, const Request& req, ServerState& st, std::string agent_id,
                         const std::string& conversation_id);

// routes_dialects.cpp: the other stream dialects
void post_chat_completions(Conn& conn, const Request& req, ServerState& st);
void serve_x_route(Conn& conn, const Request& req, ServerState& st);

// {"detail": msg}
std::string detail_json(std::string_view msg);

}  // namespace fls
