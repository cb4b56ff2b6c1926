// protocol::letta_api — the Letta REST calls as plain data: which method, path, headers and JSON
// body a call needs, and how to read the JSON that comes back (agent lists, error bodies).
// Pure functions: no I/O, no libcurl, no flags. session/ performs the calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace letta_stream::protocol {

enum class Route : unsigned char {
    conversations,  // POST /v1/conversations/{id|default}/messages (Letta's own CLI uses this)
    agents,         // POST /v1/agents/{agent_id}/messages (rejects most User-Agents: send none)
};

// One HTTP call, described without any transport types.
struct HttpCall {
    std::string method;
    std::string path;  // path and query, starting with "/v1/"
    std::string body;  // JSON, empty for GET
    bool send_user_agent = true;
    std::string url;  // when set, the whole URL, instead of the base URL and `path`
};

// Connection-wide settings every call carries.
struct Endpoint {
    std::string base_url;  // no trailing slash
    std::string api_key;   // empty: no Authorization header
    std::string project_id;
    std::vector<std::string> extra_headers;  // "Name: value"; "Name:" removes that header
};

struct MessageRequest {
    Route route = Route::conversations;
    std::string agent_id;         // may be empty when conversation_id is set
    std::string conversation_id;  // empty: the agent's default conversation
    std::string prompt;
    std::string otid;         // client UUID4 for this turn: every re-send carries the same one
    bool background = false;  // run it detached on the server, so a dropped stream can re-attach
};

struct AgentRef {
    std::string id;
    std::string name;
    std::string created_at;
};

// A parsed HTTP error body.
struct ApiError {
    std::string message;     // one line, human-readable ("Agent with ID agent-... not found")
    std::string error_type;  // e.g. "llm_rate_limit", "PENDING_APPROVAL", "not-enough-credits"
    std::string run_id;      // when the body names a run (409 busy)
    bool quota = false;      // out of credits / quota: never worth retrying
};

// "agent-<uuid4>": Letta's ids are lower case, but an id copied in upper case is still an id (send
// it lower-cased; cli::resolve does).
bool is_agent_id(std::string_view s) noexcept;

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

// Headers every request carries: Authorization, X-Project-Id, Content-Type, Accept, then the
// user's own (`extra_headers`), each of which replaces ours of the same name (case-insensitive).
std::vector<std::string> common_headers(const Endpoint& endpoint, bool json_body, bool sse);

HttpCall list_agents_by_name(std::string_view name, int limit = 50);
HttpCall send_message(const MessageRequest& request);

// POST /v1/runs/{run_id}/stream {"starting_after": N}: re-attach to a background run, getting
// the events with seq_id > N.
HttpCall resume_run(std::string_view run_id, std::int64_t starting_after);

// Cancel a run: POST /v1/conversations/{id|default}/cancel[?agent_id=] on the conversations
// route, POST /v1/agents/{id}/messages/cancel on the agents route; {"run_ids":[run_id]} either way.
HttpCall cancel_run(Route route, std::string_view agent_id, std::string_view conversation_id,
                    std::string_view run_id);

// Parses GET /v1/agents/ (a bare JSON array). On failure returns false and sets `error`.
bool parse_agent_list(std::string_view body, std::vector<AgentRef>& out, std::string& error);

// Index of the newest agent in `agents` (largest created_at; the first on ties or when missing).
std::size_t newest_agent(const std::vector<AgentRef>& agents) noexcept;

// Reads `detail`, `error.message`, `error` + `reasons`, OpenAI-style bodies, HTML pages and plain
// text into one line. `status` fills in when the body says nothing useful.
ApiError parse_error_body(long status, std::string_view media_type, std::string_view body);

}  // namespace letta_stream::protocol
