#include "routes.hpp"

#include <vector>

#include "util.hpp"

namespace fls {

namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segs;
    if (!path.empty() && path[0] == '/') path.remove_prefix(1);
    for (;;) {
        size_t slash = path.find('/');
        segs.push_back(url_decode(path.substr(0, slash), false));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segs;
}

// Matches segments against a pattern where "*" captures one non-empty segment.
bool match(const std::vector<std::string>& segs, std::initializer_list<const char*> pattern,
           std::vector<std::string>& caps) {
    if (segs.size() != pattern.size()) return false;
    caps.clear();
    size_t i = 0;
    for (const char* p : pattern) {
        const std::string& s = segs[i++];
        if (std::string_view(p) == "*") {
            if (s.empty()) return false;
            caps.push_back(s);
        } else if (s != p) {
            return false;
        }
    }
    return true;
}

bool authorized(const Request& req, const ServerState& st) {
    if (!st.scenario.api_key) return true;
    const std::string* auth = req.header("authorization");
    return auth && *auth == "Bearer " + *st.scenario.api_key;
}

}  // namespace

std::string detail_json(std::string_view msg) {
    return "{\"detail\":" + json_quote(msg) + "}";
}

void handle_request(Conn& conn, const Request& req, ServerState& st) {
    std::vector<std::string> segs = split_path(req.path);
    std::vector<std::string> c;
    const bool get = req.method == "GET";
    const bool post = req.method == "POST";

    if (match(segs, {"health"}, c)) {
        conn.respond(get ? 200 : 405, "text/plain; charset=utf-8",
                     get ? "ok" : "Method Not Allowed");
        return;
    }
    if (match(segs, {"v1", "health", ""}, c)) {
        conn.respond_json(200, R"({"version":"0.16.8","status":"ok"})");
        return;
    }
    if (!authorized(req, st)) {
        conn.respond_json(401, detail_json("Unauthorized"));
        return;
    }

    bool known_path = true;
    if (match(segs, {"v1", "agents", ""}, c)) {
        if (get) return list_agents(conn, req, st);
    } else if (match(segs, {"v1", "agents"}, c)) {
        if (get) return redirect_agents(conn, req);
    } else if (match(segs, {"v1", "agents", "*"}, c) || match(segs, {"v1", "agents", "*", ""}, c)) {
        if (get) return get_agent(conn, st, c[0]);
    } else if (match(segs, {"v1", "agents", "*", "messages"}, c)) {
        if (post) return post_message(conn, req, st, MessageRoute::agent_messages, c[0]);
    } else if (match(segs, {"v1", "agents", "*", "messages", "stream"}, c)) {
        if (post) return post_message(conn, req, st, MessageRoute::agent_messages_stream, c[0]);
    } else if (match(segs, {"v1", "conversations", "*", "messages"}, c)) {
        if (post) return post_message(conn, req, st, MessageRoute::conversation_messages, c[0]);
    } else if (match(segs, {"v1", "agents", "*", "messages", "cancel"}, c)) {
        if (post) return post_cancel(conn, req, st, c[0], "");
    } else if (match(segs, {"v1", "conversations", "*", "cancel"}, c)) {
        if (post) {
            QueryParams q = parse_query(req.query);
            const std::string* agent = query_get(q, "agent_id");
            return post_cancel(conn, req, st, agent ? *agent : "", c[0]);
        }
    } else if (match(segs, {"v1", "runs", "*", "stream"}, c)) {
        if (post) return post_run_stream(conn, req, st, c[0]);
    } else if (match(segs, {"v1", "chat", "completions"}, c)) {
        if (post) return post_chat_completions(conn, req, st);
    } else if (segs.size() >= 2 && segs[0] == "x") {
        if (get || post) return serve_x_route(conn, req, st);
    } else {
        known_path = false;
    }
    if (known_path) {
        conn.respond_json(405, detail_json("Method Not Allowed"));
    } else {
        conn.respond_json(404, detail_json("Not Found"));
    }
}

}  // namespace fls
