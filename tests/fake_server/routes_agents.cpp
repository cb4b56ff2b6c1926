// GET /v1/agents/ (list, newest first), the 307 for /v1/agents, GET /v1/agents/{id}.
#include <algorithm>
#include <charconv>

#include "routes.hpp"
#include "util.hpp"

namespace fls {

bool agent_known(const ServerState& st, const std::string& agent_id) {
    if (st.scenario.agents.empty()) return true;
    return std::any_of(st.scenario.agents.begin(), st.scenario.agents.end(),
                       [&](const Agent& a) { return a.id == agent_id; });
}

void list_agents(Conn& conn, const Request& req, const ServerState& st) {
    QueryParams q = parse_query(req.query);
    const std::string* name = query_get(q, "name");
    const std::string* text = query_get(q, "query_text");
    const std::string* order = query_get(q, "order");
    const std::string* after = query_get(q, "after");
    const std::string* before = query_get(q, "before");
    long limit = 50;
    if (const std::string* l = query_get(q, "limit")) {
        auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
        if (ec != std::errc() || p != l->data() + l->size() || limit < 0) {
            conn.respond_json(422, detail_json("limit: Input should be a valid integer"));
            return;
        }
    }
    std::vector<const Agent*> v;
    for (const Agent& a : st.scenario.agents) {
        if (name && a.name != *name) continue;
        if (text && to_lower(a.name).find(to_lower(*text)) == std::string::npos) continue;
        v.push_back(&a);
    }
    bool asc = order && *order == "asc";
    std::stable_sort(v.begin(), v.end(), [&](const Agent* x, const Agent* y) {
        return asc ? x->created_at < y->created_at : x->created_at > y->created_at;
    });
    if (after) {
        auto it = std::find_if(v.begin(), v.end(), [&](const Agent* a) { return a->id == *after; });
        v.erase(v.begin(), it == v.end() ? v.end() : it + 1);
    }
    if (before) {
        auto it =
            std::find_if(v.begin(), v.end(), [&](const Agent* a) { return a->id == *before; });
        v.erase(it, v.end());
    }
    if (static_cast<long>(v.size()) > limit) v.resize(static_cast<size_t>(limit));
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        out += v[i]->json;
    }
    out += ']';
    conn.respond_json(200, out);
}

void redirect_agents(Conn& conn, const Request& req) {
    const std::string* host = req.header("host");
    std::string location = "http://" + (host ? *host : std::string("127.0.0.1")) + "/v1/agents/";
    if (!req.query.empty()) location += "?" + req.query;
    conn.respond(307, "", "", {{"location", location}});
}

void get_agent(Conn& conn, const ServerState& st, const std::string& agent_id) {
    for (const Agent& a : st.scenario.agents) {
        if (a.id == agent_id) {
            conn.respond_json(200, a.json);
            return;
        }
    }
    if (st.scenario.agents.empty()) {  // no agents listed: every id exists
        conn.respond_json(200, "{\"id\":" + json_quote(agent_id) +
                                   ",\"name\":\"agent\",\"created_at\":\"2026-01-01T00:00:00Z\","
                                   "\"agent_type\":\"letta_v1_agent\",\"description\":null,"
                                   "\"tags\":[]}");
        return;
    }
    conn.respond_json(404, detail_json("Agent with ID " + agent_id + " not found"));
}

}  // namespace fls
