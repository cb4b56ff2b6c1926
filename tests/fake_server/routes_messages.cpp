// The message POST routes, resume (POST /v1/runs/{id}/stream) and the cancel routes; serving the
// next `responses` entry, which the chat-completions and /x/ routes share.
#include <rapidjson/document.h>

#include <algorithm>

#include "routes.hpp"
#include "stream_serve.hpp"
#include "util.hpp"

namespace fls {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

bool json_bool(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return false;
    auto it = obj.FindMember(key);
    return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string json_string(const rapidjson::Value& obj, const char* key) {
    if (!obj.IsObject()) return "";
    auto it = obj.FindMember(key);
    return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

bool non_empty(const rapidjson::Value& obj, const char* key) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) return false;
    const auto& v = it->value;
    return (v.IsArray() && !v.Empty()) || (v.IsString() && v.GetStringLength() > 0);
}

// The archived server's SDK-version check on POST /v1/agents/{id}/messages with streaming=true.
bool legacy_client(const Request& req) {
    if (req.header("x-stainless-package-version")) return false;
    const std::string* ua = req.header("user-agent");
    if (!ua || ua->empty()) return false;
    return !starts_with(*ua, "@letta-ai/letta-client/1.") && !starts_with(*ua, "letta-client/1.");
}

// Serves an entry as the stream of a run, keeping the run's bookkeeping.
void serve_run(Conn& conn, const ResponseEntry& e, std::shared_ptr<RunRecord> run,
               const GenIds* ids, long long starting_after) {
    if (run) run->active.fetch_add(1);
    serve_entry(conn, e, ServeOptions{run, ids, starting_after});
    if (run) run->active.fetch_sub(1);
}

}  // namespace

void post_message(Conn& conn, const Request& req, ServerState& st, MessageRoute route,
                  const std::string& id) {
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    const bool body_ok = !body.HasParseError() && body.IsObject();
    std::string agent_id = route == MessageRoute::conversation_messages ? "" : id;
    std::string conversation_id = route == MessageRoute::conversation_messages ? id : "";
    if (route == MessageRoute::conversation_messages) {
        if (id == "default") agent_id = json_string(body, "agent_id");
        if (starts_with(id, "agent-")) agent_id = id;  // deprecated agent-direct form
    }
    if (st.scenario.strict) {
        if (!body_ok) {
            conn.respond_json(422,
                              detail_json("JSON decode error: the body must be a JSON object"));
            return;
        }
        if (!non_empty(body, "messages") && !non_empty(body, "input")) {
            conn.respond_json(422, detail_json("Messages must not be empty"));
            return;
        }
        if (route == MessageRoute::agent_messages && json_bool(body, "streaming") &&
            legacy_client(req)) {
            conn.respond_json(
                422, detail_json("streaming=true is only supported for SDK v1.0+ clients."));
            return;
        }
        if (route == MessageRoute::conversation_messages && id == "default" && agent_id.empty()) {
            conn.respond_json(
                422, detail_json("agent_id is required when conversation_id is 'default'"));
            return;
        }
        if (!agent_id.empty() && !agent_known(st, agent_id)) {
            conn.respond_json(404, detail_json("Agent with ID " + agent_id + " not found"));
            return;
        }
    }
    serve_next_response(conn, req, st, agent_id, conversation_id);
}

void serve_next_response(Conn& conn, const Request& req, ServerState& st, std::string agent_id,
                         const std::string& conversation_id) {
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    const auto& rs = st.scenario.responses;
    size_t n = static_cast<size_t>(st.message_posts.fetch_add(1));
    const ResponseEntry& e = rs[std::min(n, rs.size() - 1)];

    const bool requested_bg = json_bool(body, "background");
    auto recipe = std::make_shared<StreamRecipe>();
    recipe->entry = e;
    std::string run_id;
    bool bg;
    if (e.generate) {
        bg = e.generate->background.value_or(e.background.value_or(requested_bg));
        recipe->ids = make_gen_ids(*e.generate, bg);
        run_id = recipe->ids.run_id;
        if (!e.generate->agent_id.empty()) agent_id = e.generate->agent_id;
    } else {
        bg = e.background.value_or(requested_bg);
        if (e.openai) recipe->ids = make_openai_ids(*e.openai, json_string(body, "model"));
        run_id = e.run_id;
        if (run_id.empty() && e.fixture_data) run_id = find_run_id(*e.fixture_data);
        if (run_id.empty() && e.body) run_id = find_run_id(*e.body);
        recipe->ids.run_id = run_id;
    }
    std::shared_ptr<RunRecord> run;
    if (!run_id.empty()) run = st.runs.start(run_id, agent_id, conversation_id, bg, recipe);
    serve_run(conn, recipe->entry, run, &recipe->ids, -1);
}

void post_run_stream(Conn& conn, const Request& req, ServerState& st, const std::string& run_id) {
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    long long after = 0;
    if (!req.body.empty() && !body.HasParseError() && body.IsObject()) {
        auto it = body.FindMember("starting_after");
        if (it != body.MemberEnd() && it->value.IsInt64()) after = it->value.GetInt64();
    } else if (!req.body.empty()) {
        conn.respond_json(422, detail_json("JSON decode error: the body must be a JSON object"));
        return;
    }
    if (!st.scenario.resume.empty()) {
        const auto& rs = st.scenario.resume;
        size_t n = static_cast<size_t>(st.resume_posts.fetch_add(1));
        const ResponseEntry& e = rs[std::min(n, rs.size() - 1)];
        GenIds ids;
        if (e.generate) {
            GenSpec g = *e.generate;
            if (g.run_id.empty()) g.run_id = run_id;
            ids = make_gen_ids(g, g.background.value_or(true));
        } else if (e.openai) {
            ids = make_openai_ids(*e.openai, json_string(body, "model"));
        }
        serve_run(conn, e, st.runs.find_or_create(run_id), &ids, -1);
        return;
    }
    std::shared_ptr<RunRecord> run = st.runs.find(run_id);
    if (!run || !run->recipe) {
        conn.respond_json(404, detail_json("Run " + run_id + " not found"));
        return;
    }
    if (!run->background) {
        conn.respond_json(400, detail_json("INVALID_ARGUMENT: Run was not created in background "
                                           "mode, so it cannot be retrieved."));
        return;
    }
    ResponseEntry e = run->recipe->entry;  // replay without the faults of the original
    e.close_after_bytes = e.stall_after_bytes = -1;
    e.endless = false;
    e.raw_tail.clear();
    serve_run(conn, e, run, &run->recipe->ids, after);
}

void post_cancel(Conn& conn, const Request& req, ServerState& st, const std::string& agent_id,
                 const std::string& conversation_id) {
    rapidjson::Document body;
    body.Parse(req.body.c_str(), req.body.size());
    std::vector<std::string> ids;
    if (!body.HasParseError() && body.IsObject()) {
        auto it = body.FindMember("run_ids");
        if (it != body.MemberEnd() && it->value.IsArray())
            for (const auto& v : it->value.GetArray())
                if (v.IsString()) ids.emplace_back(v.GetString());
    }
    if (ids.empty()) {
        std::string conv = conversation_id == "default" ? "" : conversation_id;
        for (const auto& r : st.runs.cancel_targets(agent_id, conv))
            ids.push_back(r->run_id);
    }
    if (ids.empty()) {
        std::string who =
            agent_id.empty() ? "conversation " + conversation_id : "agent " + agent_id;
        conn.respond_json(409, detail_json("CONFLICT: No active runs to cancel for " + who));
        return;
    }
    std::string out = "{";
    for (size_t i = 0; i < ids.size(); ++i) {
        st.runs.find_or_create(ids[i])->cancelled.store(true);
        if (i) out += ',';
        out += json_quote(ids[i]) + ":\"cancelled\"";
    }
    out += '}';
    conn.respond_json(200, out);
}

}  // namespace fls
