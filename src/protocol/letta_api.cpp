#include "protocol/letta_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>

#include "util/json_writer.hpp"
#include "util/strings.hpp"
#include "util/utf8.hpp"
#include "util/uuid.hpp"

namespace letta_stream::protocol {

namespace {

using rapidjson::Value;

std::string_view string_member(const Value& obj, const char* name) {
    if (!obj.IsObject()) return {};
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || !it->value.IsString()) return {};
    return {it->value.GetString(), it->value.GetStringLength()};
}

// Collapses whitespace runs (newlines included) so a message is always one line, and caps it at
// about `max` bytes, cutting between characters and marking the cut with "...".
std::string one_line(std::string_view s, std::size_t max = 400) {
    std::string out;
    bool space = false;
    for (char c : s) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
            continue;
        }
        if (out.size() >= max) {
            out.resize(util::utf8_drop_partial_tail(out).size());
            out.append("...");
            break;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

std::string reason_phrase(long status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 413:
            return "Payload Too Large";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

// Character references in a page title: the named ones error pages use, and numeric ones
// (&#39; &#x2014;) as UTF-8. Anything else is left as it is.
std::string decode_entities(std::string_view s) {
    static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
        {"amp", "&"},
        {"lt", "<"},
        {"gt", ">"},
        {"quot", "\""},
        {"apos", "'"},
        {"nbsp", "\xC2\xA0"},
        {"mdash", "\xE2\x80\x94"},
        {"ndash", "\xE2\x80\x93"}};
    std::string out;
    while (!s.empty()) {
        const auto amp = s.find('&');
        out.append(s.substr(0, amp));
        if (amp == std::string_view::npos) break;
        s.remove_prefix(amp);
        const auto semi = s.find(';');
        const std::string_view name = semi == std::string_view::npos || semi > 10
                                          ? std::string_view{}
                                          : s.substr(1, semi - 1);
        std::string decoded;
        if (name.size() > 1 && name[0] == '#') {
            const bool hex = name[1] == 'x' || name[1] == 'X';
            const std::string_view digits = name.substr(hex ? 2 : 1);
            std::uint32_t cp = 0;
            const auto r =
                std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
            if (!digits.empty() && r.ec == std::errc{} && r.ptr == digits.data() + digits.size() &&
                cp > 0 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))
                util::append_utf8(decoded, cp);
        } else {
            for (const auto& [n, v] : kNamed)
                if (n == name) decoded = v;
        }
        if (decoded.empty()) {
            out.push_back('&');
            s.remove_prefix(1);
            continue;
        }
        out += decoded;
        s.remove_prefix(semi + 1);
    }
    return out;
}

std::string html_title(std::string_view body) {
    std::string lower(body.substr(0, 64 * 1024));
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto open = lower.find("<title>");
    if (open == std::string::npos) return {};
    const auto close = lower.find("</title>", open);
    if (close == std::string::npos) return {};
    return one_line(decode_entities(body.substr(open + 7, close - open - 7)));
}

void parse_json_error(const Value& doc, ApiError& e) {
    e.run_id = std::string(string_member(doc, "run_id"));
    if (auto it = doc.FindMember("detail"); it != doc.MemberEnd()) {
        const Value& d = it->value;
        if (d.IsString()) {
            e.message = one_line({d.GetString(), d.GetStringLength()});
        } else if (d.IsObject()) {  // {"detail":{"code":"PENDING_APPROVAL","message":...}}
            e.message = one_line(string_member(d, "message"));
            e.error_type = std::string(string_member(d, "code"));
        } else if (d.IsArray()) {  // FastAPI's default validation list
            for (const auto& item : d.GetArray()) {
                auto msg = string_member(item, "msg");
                if (msg.empty()) continue;
                if (!e.message.empty()) e.message.append("; ");
                e.message.append(one_line(msg));
            }
        }
    }
    if (auto it = doc.FindMember("error"); e.message.empty() && it != doc.MemberEnd()) {
        const Value& err = it->value;
        if (err.IsObject()) {  // {"error":{"type":..,"message":..,"detail":..}} and OpenAI's form
            e.message = one_line(string_member(err, "message"));
            e.error_type = std::string(string_member(err, "type"));
            if (e.error_type.empty()) e.error_type = std::string(string_member(err, "code"));
            auto detail = string_member(err, "detail");
            if (!detail.empty() && detail != e.message) e.message += " (" + one_line(detail) + ")";
        } else if (err.IsString()) {  // Cloud: {"error":"Rate limited","reasons":[...]}
            e.message = one_line({err.GetString(), err.GetStringLength()});
            auto text = string_member(doc, "reason_text");
            std::string reasons;
            if (auto r = doc.FindMember("reasons"); r != doc.MemberEnd() && r->value.IsArray()) {
                for (const auto& v : r->value.GetArray()) {
                    if (!v.IsString()) continue;
                    if (!reasons.empty()) reasons += ", ";
                    reasons += v.GetString();
                    if (e.error_type.empty()) e.error_type = v.GetString();
                }
            }
            if (!text.empty())
                e.message += ": " + one_line(text);
            else if (!reasons.empty())
                e.message += " (" + reasons + ")";
        }
    }
    if (e.message.empty()) e.message = one_line(string_member(doc, "message"));
    const std::string& t = e.error_type;
    e.quota = t == "not-enough-credits" || t == "exceeded-quota" || t == "premium-usage-exceeded" ||
              t == "agents-limit-exceeded" || t == "llm_insufficient_credits";
}

// "Name" of a "Name: value" line, without surrounding white space.
std::string_view header_name(std::string_view line) {
    return util::trim(line.substr(0, line.find(':')));
}

}  // namespace

bool is_agent_id(std::string_view s) noexcept {
    return s.size() == 42 && util::iequals(s.substr(0, 6), "agent-") && util::is_uuid4(s.substr(6));
}

std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

std::vector<std::string> common_headers(const Endpoint& endpoint, bool json_body, bool sse) {
    std::vector<std::string> h;
    if (!endpoint.api_key.empty()) h.push_back("Authorization: Bearer " + endpoint.api_key);
    if (!endpoint.project_id.empty()) h.push_back("X-Project-Id: " + endpoint.project_id);
    if (json_body) h.emplace_back("Content-Type: application/json");
    h.emplace_back(sse ? "Accept: text/event-stream" : "Accept: application/json");
    // A user header replaces ours of the same name, as curl's -H does: sending both would give
    // the server "Bearer A, Bearer B" once libcurl joins them. "Name:" with no value is passed on
    // as it is, and libcurl then sends no header of that name at all (not even its own).
    std::erase_if(h, [&](const std::string& ours) {
        return std::any_of(endpoint.extra_headers.begin(), endpoint.extra_headers.end(),
                           [&](const std::string& theirs) {
                               return util::iequals(header_name(ours), header_name(theirs));
                           });
    });
    h.insert(h.end(), endpoint.extra_headers.begin(), endpoint.extra_headers.end());
    return h;
}

HttpCall list_agents_by_name(std::string_view name, int limit) {
    // Trailing slash: it is the route's own path; without it the server answers 307.
    return {"GET",
            "/v1/agents/?name=" + url_encode(name) + "&limit=" + std::to_string(limit),
            {},
            true,
            {}};
}

HttpCall send_message(const MessageRequest& request) {
    rapidjson::StringBuffer sb;
    util::JsonWriter w(sb);
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    w.StartObject();
    w.Key("role");
    w.String("user");
    w.Key("content");
    w.String(request.prompt.data(), static_cast<rapidjson::SizeType>(request.prompt.size()));
    w.Key("otid");
    w.String(request.otid);
    w.EndObject();
    w.EndArray();
    w.Key("streaming");
    w.Bool(true);
    w.Key("stream_tokens");
    w.Bool(true);
    w.Key("include_pings");
    w.Bool(true);
    if (request.background) {
        w.Key("background");
        w.Bool(true);
    }
    const bool default_conversation = request.conversation_id.empty();
    if (request.route == Route::conversations && default_conversation) {
        w.Key("agent_id");
        w.String(request.agent_id);
    }
    w.EndObject();

    HttpCall call;
    call.method = "POST";
    call.body.assign(sb.GetString(), sb.GetSize());
    if (request.route == Route::agents) {
        call.path = "/v1/agents/" + url_encode(request.agent_id) + "/messages";
        // The agents route answers 422 to any User-Agent that is not an SDK v1 client.
        call.send_user_agent = false;
    } else {
        call.path =
            "/v1/conversations/" +
            (default_conversation ? std::string("default") : url_encode(request.conversation_id)) +
            "/messages";
    }
    return call;
}

HttpCall resume_run(std::string_view run_id, std::int64_t starting_after) {
    HttpCall call;
    call.method = "POST";
    call.path = "/v1/runs/" + url_encode(run_id) + "/stream";
    call.body = R"({"starting_after":)" +
                std::to_string(std::max<std::int64_t>(0, starting_after)) +
                R"(,"include_pings":true})";
    return call;
}

HttpCall cancel_run(Route route, std::string_view agent_id, std::string_view conversation_id,
                    std::string_view run_id) {
    rapidjson::StringBuffer sb;
    util::JsonWriter w(sb);
    w.StartObject();
    w.Key("run_ids");
    w.StartArray();
    w.String(run_id.data(), static_cast<rapidjson::SizeType>(run_id.size()));
    w.EndArray();
    w.EndObject();
    HttpCall call;
    call.method = "POST";
    call.body.assign(sb.GetString(), sb.GetSize());
    if (route == Route::agents) {
        call.path = "/v1/agents/" + url_encode(agent_id) + "/messages/cancel";
        call.send_user_agent = false;
    } else if (conversation_id.empty()) {
        call.path = "/v1/conversations/default/cancel?agent_id=" + url_encode(agent_id);
    } else {
        call.path = "/v1/conversations/" + url_encode(conversation_id) + "/cancel";
    }
    return call;
}

bool parse_agent_list(std::string_view body, std::vector<AgentRef>& out, std::string& error) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsArray()) {
        error = "the agent list is not a JSON array";
        return false;
    }
    out.clear();
    for (const auto& a : doc.GetArray()) {
        auto id = string_member(a, "id");
        if (id.empty()) continue;
        out.push_back({std::string(id), std::string(string_member(a, "name")),
                       std::string(string_member(a, "created_at"))});
    }
    return true;
}

std::size_t newest_agent(const std::vector<AgentRef>& agents) noexcept {
    std::size_t best = 0;
    for (std::size_t i = 1; i < agents.size(); ++i)
        if (agents[i].created_at > agents[best].created_at) best = i;  // ISO-8601 sorts as text
    return best;
}

ApiError parse_error_body(long status, std::string_view media_type, std::string_view body) {
    ApiError e;
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (!doc.HasParseError() && doc.IsObject()) {
        parse_json_error(doc, e);
    } else if (media_type == "text/html" || body.find("<html") != std::string_view::npos ||
               body.find("<HTML") != std::string_view::npos) {
        auto title = html_title(body);
        e.message = title.empty() ? "the server sent an HTML error page" : "HTML page: " + title;
    } else {
        e.message = one_line(body, 200);
    }
    if (status == 402) e.quota = true;
    if (e.message.empty())
        e.message = reason_phrase(status).empty() ? "no details" : reason_phrase(status);
    return e;
}

}  // namespace letta_stream::protocol
