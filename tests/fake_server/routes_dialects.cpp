// The routes of the other stream dialects: POST /v1/chat/completions (OpenAI-compatible, as the
// Letta App Server serves it) and /x/… (any path: raw SSE endpoints, the tutorial's proxy). Both
// answer with the next `responses` entry, like a message POST, without Letta's checks.
#include <rapidjson/document.h>

#include "routes.hpp"
#include "util.hpp"

namespace fls {

namespace {

// The App Server's (and OpenAI's) error envelope.
std::string openai_error(std::string_view message) {
    return "{\"error\":{\"message\":" + json_quote(message) +
           ",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}";
}

}  // namespace

void post_chat_completions(Conn& conn, const Request& req, ServerState& st) {
    if (st.scenario.strict) {
        rapidjson::Document body;
        body.Parse(req.body.c_str(), req.body.size());
        if (body.HasParseError() || !body.IsObject()) {
            conn.respond_json(400, openai_error("the body must be a JSON object"));
            return;
        }
        auto messages = body.FindMember("messages");
        if (messages == body.MemberEnd() || !messages->value.IsArray() || messages->value.Empty()) {
            conn.respond_json(400, openai_error("you must provide a non-empty messages array"));
            return;
        }
        auto model = body.FindMember("model");
        if (model == body.MemberEnd() || !model->value.IsString()) {
            conn.respond_json(400, openai_error("you must provide a model parameter"));
            return;
        }
    }
    serve_next_response(conn, req, st, "", "");
}

void serve_x_route(Conn& conn, const Request& req, ServerState& st) {
    serve_next_response(conn, req, st, "", "");
}

}  // namespace fls
