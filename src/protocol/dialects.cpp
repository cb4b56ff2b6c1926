#include "protocol/dialects.hpp"

#include <rapidjson/stringbuffer.h>

#include "util/json_writer.hpp"

namespace letta_stream::protocol {

namespace {

void string(util::JsonWriter& w, std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

HttpCall openai_chat(std::string_view model, std::string_view prompt, std::string_view url) {
    rapidjson::StringBuffer sb;
    util::JsonWriter w(sb);
    w.StartObject();
    w.Key("model");
    string(w, model);
    w.Key("stream");
    w.Bool(true);
    w.Key("stream_options");
    w.StartObject();
    w.Key("include_usage");
    w.Bool(true);
    w.EndObject();
    w.Key("messages");
    w.StartArray();
    w.StartObject();
    w.Key("role");
    w.String("user");
    w.Key("content");
    string(w, prompt);
    w.EndObject();
    w.EndArray();
    w.EndObject();
    HttpCall call;
    call.method = "POST";
    call.path = "/v1/chat/completions";
    call.url.assign(url);
    call.body.assign(sb.GetString(), sb.GetSize());
    return call;
}

HttpCall simple_message(std::string_view url, std::string_view agent_id, std::string_view prompt) {
    rapidjson::StringBuffer sb;
    util::JsonWriter w(sb);
    w.StartObject();
    w.Key("agent_id");
    string(w, agent_id);
    w.Key("message");
    string(w, prompt);
    w.EndObject();
    HttpCall call;
    call.method = "POST";
    call.url.assign(url);
    call.body.assign(sb.GetString(), sb.GetSize());
    return call;
}

HttpCall raw_sse(std::string_view url, bool post, std::string_view body) {
    HttpCall call;
    call.method = post ? "POST" : "GET";
    call.url.assign(url);
    call.body.assign(body);
    return call;
}

}  // namespace letta_stream::protocol
