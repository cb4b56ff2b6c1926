#include "session/fetch.hpp"

#include "util/url.hpp"

namespace letta_stream::session {

namespace {

class BufferHandler final : public transport::Handler {
  public:
    BufferHandler(FetchResult& out, std::size_t max) : out_(out), max_(max) {}

    transport::Control on_head(const transport::ResponseHead& head) override {
        out_.head = head;
        return transport::Control::proceed;
    }
    transport::Control on_data(std::string_view bytes) override {
        if (out_.body.size() + bytes.size() > max_) {
            out_.too_large = true;
            return transport::Control::abort;
        }
        out_.body.append(bytes);
        return transport::Control::proceed;
    }
    transport::Control on_idle() override { return transport::Control::proceed; }
    void on_done(const transport::Result& result) override { out_.transport = result; }

  private:
    FetchResult& out_;
    std::size_t max_;
};

}  // namespace

transport::Request make_request(const protocol::Endpoint& endpoint, const protocol::HttpCall& call,
                                bool sse) {
    transport::Request r;
    r.method = call.method;
    r.url = call.url.empty() ? endpoint.base_url + call.path : call.url;
    r.headers = protocol::common_headers(endpoint, !call.body.empty(), sse);
    r.body = call.body;
    r.send_user_agent = call.send_user_agent;
    return r;
}

FetchResult fetch(transport::Transport& transport, const transport::Request& request,
                  std::size_t max_body) {
    FetchResult out;
    BufferHandler handler(out, max_body);
    transport::perform(transport, request, handler);
    if (out.transport.failure == transport::Failure::cancelled && request.cancel != nullptr)
        out.signal = request.cancel->reason();
    return out;
}

AgentResolution resolve_agent(transport::Transport& transport, const protocol::Endpoint& endpoint,
                              const std::string& name, output::Stderr& diag,
                              const transport::CancelToken* cancel, long total_timeout_ms,
                              const std::string& timeout_flag) {
    AgentResolution res;
    auto request = make_request(endpoint, protocol::list_agents_by_name(name), false);
    request.total_timeout_ms = total_timeout_ms;
    request.cancel = cancel;
    const std::string what = "looking up agent '" + name + "'";
    FetchResult f = fetch(transport, request, 16u << 20);
    if (f.signal != 0) {
        res.signal = f.signal;
        return res;
    }
    if (f.too_large) {
        res.outcome = {ExitStatus::server, what + " failed: the agent list is larger than 16 MiB",
                       "use the agent id (agent-<uuid>) instead of its name"};
        return res;
    }
    if (!f.transport.ok()) {
        res.outcome = from_transport(f.transport, what, util::redact_url(endpoint.base_url));
        // libcurl's "Operation timed out" is the whole-request limit, not the connect timeout.
        if (f.transport.failure == transport::Failure::timeout &&
            f.transport.message.find("Connection timed out") == std::string::npos)
            res.outcome.hint = "raise " + timeout_flag;
        return res;
    }
    const long status = f.head.status;
    if (status < 200 || status >= 300) {
        auto err = protocol::parse_error_body(status, f.head.media_type(), f.body);
        res.outcome = from_http_status(status, err, what, f.head.header("retry-after"),
                                       f.head.header("location"));
        return res;
    }
    std::vector<protocol::AgentRef> agents;
    std::string error;
    if (!protocol::parse_agent_list(f.body, agents, error)) {
        res.outcome = {ExitStatus::server, what + " failed: " + error,
                       "check --base-url: it must point at the Letta API"};
        return res;
    }
    // The server filters by name, but be exact even if a server treats it as a pattern.
    std::vector<protocol::AgentRef> exact;
    for (auto& a : agents)
        if (a.name == name) exact.push_back(std::move(a));
    if (exact.empty()) {
        res.outcome = {ExitStatus::not_found, "no agent named '" + name + "'",
                       "check the name (it must match exactly) or pass the agent id; "
                       "--project-id selects another project"};
        return res;
    }
    const auto& chosen = exact[protocol::newest_agent(exact)];
    if (exact.size() > 1)
        diag.warning(std::to_string(exact.size()) + " agents are named '" + name +
                     "'; using the newest, " + chosen.id +
                     (chosen.created_at.empty() ? "" : " (created " + chosen.created_at + ")"));
    diag.trace("*", "agent '" + name + "' is " + chosen.id);
    res.agent_id = chosen.id;
    return res;
}

}  // namespace letta_stream::session
