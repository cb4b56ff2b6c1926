// Loading and validating the scenario JSON (format: README.md).
#include "scenario.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "util.hpp"

namespace fls {

namespace {

using Value = rapidjson::Value;

std::string serialize(const Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

std::string read_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError("cannot read " + what + " '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Reads the members of one JSON object, remembering which keys were used so that unknown keys
// (typos) can be reported. Keys starting with '_' and "comment" are always allowed.
class Obj {
  public:
    Obj(const Value& v, std::string where) : v_(v), where_(std::move(where)) {
        if (!v.IsObject()) throw ScenarioError(where_ + ": expected a JSON object");
    }
    const Value* get(const char* key) {
        used_.insert(key);
        auto it = v_.FindMember(key);
        return it == v_.MemberEnd() ? nullptr : &it->value;
    }
    [[noreturn]] void fail(const char* key, const std::string& msg) const {
        throw ScenarioError(where_ + "." + key + ": " + msg);
    }
    bool boolean(const char* key, bool def) {
        const Value* x = get(key);
        if (!x) return def;
        if (!x->IsBool()) fail(key, "expected true or false");
        return x->GetBool();
    }
    long long integer(const char* key, long long def, long long min = 0) {
        const Value* x = get(key);
        if (!x) return def;
        if (!x->IsInt64() || x->GetInt64() < min)
            fail(key, "expected an integer >= " + std::to_string(min));
        return x->GetInt64();
    }
    double number(const char* key, double def) {
        const Value* x = get(key);
        if (!x) return def;
        if (!x->IsNumber() || x->GetDouble() < 0) fail(key, "expected a number >= 0");
        return x->GetDouble();
    }
    // A key that may also be null: null clears `out`, absent leaves it as it is.
    void nullable_string(const char* key, std::optional<std::string>& out) {
        const Value* x = get(key);
        if (!x) return;
        if (x->IsNull())
            out.reset();
        else if (x->IsString())
            out = std::string(x->GetString(), x->GetStringLength());
        else
            fail(key, "expected a string or null");
    }
    std::optional<std::string> string(const char* key) {
        const Value* x = get(key);
        if (!x) return std::nullopt;
        if (!x->IsString()) fail(key, "expected a string");
        return std::string(x->GetString(), x->GetStringLength());
    }
    void check_unknown() const {
        for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
            std::string k = it->name.GetString();
            if (!used_.count(k) && k != "comment" && k.rfind('_', 0) != 0)
                throw ScenarioError(where_ + ": unknown key \"" + k + "\" (see README.md)");
        }
    }
    const std::string& where() const { return where_; }

  private:
    const Value& v_;
    std::string where_;
    std::set<std::string> used_;
};

ToolCallSpec parse_tool_call(const Value& v, const std::string& where) {
    Obj o(v, where);
    ToolCallSpec t;
    t.name = o.string("name").value_or(t.name);
    t.arguments = o.string("arguments").value_or(t.arguments);
    t.tool_call_id = o.string("tool_call_id").value_or("");
    t.tool_return = o.string("tool_return").value_or(t.tool_return);
    t.status = o.string("status").value_or(t.status);
    o.check_unknown();
    return t;
}

// `text`, `tokens`, `repeat_events` and `reasoning`, the same for both generators.
void parse_reply(Obj& o, ReplySpec& r, const std::string& default_text) {
    r.text = o.string("text").value_or(default_text);
    long long tokens = o.integer("tokens", -1, 1);
    r.pieces = tokens > 0 ? split_exact(r.text, static_cast<size_t>(tokens)) : split_words(r.text);
    r.repeat_events = o.integer("repeat_events", -1);
    if (r.repeat_events > 0 && r.pieces.empty()) o.fail("repeat_events", "needs a non-empty text");
    r.reasoning = o.string("reasoning").value_or("");
    r.reasoning_pieces = split_words(r.reasoning);
}

GenSpec parse_generate(const Value& v, const std::string& where) {
    Obj o(v, where);
    GenSpec g;
    parse_reply(o, g, default_reply_text());
    g.run_id = o.string("run_id").value_or("");
    g.agent_id = o.string("agent_id").value_or("");
    if (const Value* b = o.get("background")) {
        if (!b->IsBool()) o.fail("background", "expected true or false");
        g.background = b->GetBool();
    }
    g.initial_ping = o.boolean("initial_ping", true);
    o.nullable_string("stop_reason", g.stop_reason);
    g.usage = o.boolean("usage", true);
    g.done = o.boolean("done", true);
    g.error_midstream_after = o.integer("error_midstream_after", -1);
    if (const Value* t = o.get("tool_call"))
        g.tool_call = parse_tool_call(*t, where + ".tool_call");
    g.big_event_bytes = o.integer("big_event_bytes", -1);
    o.check_unknown();
    return g;
}

OpenAiToolCallSpec parse_openai_tool_call(const Value& v, const std::string& where) {
    Obj o(v, where);
    OpenAiToolCallSpec t;
    t.name = o.string("name").value_or(t.name);
    t.arguments = o.string("arguments").value_or(t.arguments);
    t.id = o.string("id").value_or("");
    t.fragments = split_exact(t.arguments, 3);
    o.check_unknown();
    return t;
}

OpenAiSpec parse_openai(const Value& v, const std::string& where) {
    Obj o(v, where);
    OpenAiSpec g;
    if (const Value* t = o.get("tool_call"))
        g.tool_call = parse_openai_tool_call(*t, where + ".tool_call");
    // A completion that calls a tool usually says nothing else.
    parse_reply(o, g, g.tool_call ? "" : default_reply_text());
    g.usage = o.boolean("usage", false);
    if (g.tool_call) g.finish_reason = "tool_calls";
    o.nullable_string("finish_reason", g.finish_reason);
    g.done = o.boolean("done", true);
    g.error_after = o.integer("error_after", -1);
    g.model = o.string("model").value_or("");
    o.check_unknown();
    return g;
}

// `body_events`: each string followed by a blank line.
std::string join_events(Obj& o, const Value& v) {
    if (!v.IsArray()) o.fail("body_events", "expected an array of strings");
    std::string body;
    for (const auto& x : v.GetArray()) {
        if (!x.IsString()) o.fail("body_events", "expected an array of strings");
        body.append(x.GetString(), x.GetStringLength());
        body += "\n\n";
    }
    return body;
}

void parse_split(Obj& o, ResponseEntry& e) {
    const Value* s = o.get("split");
    if (!s) return;
    if (s->IsString()) {
        std::string m = s->GetString();
        if (m == "event") {
            e.split = SplitMode::event;
        } else if (m == "all") {
            e.split = SplitMode::all;
        } else {
            o.fail("split", "expected \"event\", \"all\", {\"bytes\":N} or {\"offsets\":[...]}");
        }
        return;
    }
    Obj so(*s, o.where() + ".split");
    long long n = so.integer("bytes", -1, 1);
    if (const Value* offs = so.get("offsets")) {
        if (!offs->IsArray()) so.fail("offsets", "expected an array of integers");
        long long prev = 0;
        for (const auto& x : offs->GetArray()) {
            if (!x.IsInt64() || x.GetInt64() < prev)
                so.fail("offsets", "expected increasing integers >= 0");
            prev = x.GetInt64();
            e.offsets.push_back(prev);
        }
        e.split = SplitMode::offsets;
    } else if (n > 0) {
        e.split = SplitMode::bytes;
        e.split_bytes = n;
    } else {
        so.fail("bytes", "expected {\"bytes\":N} (N >= 1) or {\"offsets\":[...]}");
    }
    so.check_unknown();
}

void parse_headers(Obj& o, ResponseEntry& e) {
    const Value* h = o.get("headers");
    if (!h) return;
    if (!h->IsObject()) o.fail("headers", "expected an object of strings");
    for (auto it = h->MemberBegin(); it != h->MemberEnd(); ++it) {
        if (!it->value.IsString()) o.fail("headers", "header values must be strings");
        e.headers.emplace_back(it->name.GetString(), it->value.GetString());
    }
}

ResponseEntry parse_entry(const Value& v, const std::string& where, const std::string& fixtures) {
    Obj o(v, where);
    ResponseEntry e;
    e.status = static_cast<int>(o.integer("status", 200, 100));
    parse_headers(o, e);
    int sources = 0;
    if (const Value* bj = o.get("body_json")) {
        e.body_json = serialize(*bj);
        ++sources;
    }
    if (auto b = o.string("body")) {
        e.body = *b;
        ++sources;
    }
    if (auto f = o.string("fixture")) {
        e.fixture = *f;
        std::string path = (!f->empty() && (*f)[0] == '/') ? *f : fixtures + "/" + *f;
        e.fixture_data = std::make_shared<const std::string>(read_file(path, "fixture"));
        ++sources;
    }
    if (const Value* g = o.get("generate")) {
        e.generate = parse_generate(*g, where + ".generate");
        ++sources;
    }
    if (const Value* g = o.get("openai")) {
        e.openai = parse_openai(*g, where + ".openai");
        ++sources;
    }
    if (const Value* b = o.get("body_events")) {
        e.body = join_events(o, *b);
        ++sources;
    }
    if (sources > 1)
        throw ScenarioError(where +
                            ": use only one of body_json, body, body_events, fixture, generate, "
                            "openai");
    bool json_or_error = e.body_json || e.status < 200 || e.status >= 300;
    e.framing = json_or_error ? Framing::length : Framing::chunked;
    if (auto f = o.string("framing")) {
        if (*f == "chunked") {
            e.framing = Framing::chunked;
        } else if (*f == "length") {
            e.framing = Framing::length;
        } else if (*f == "close") {
            e.framing = Framing::close;
        } else {
            o.fail("framing", "expected \"chunked\", \"length\" or \"close\"");
        }
    }
    parse_split(o, e);
    if (const Value* c = o.get("coalesce")) {
        if (!c->IsBool()) o.fail("coalesce", "expected true or false");
        e.coalesce = c->GetBool();
    }
    if (auto le = o.string("line_endings")) {
        if (*le == "lf") {
            e.line_endings = LineEndings::lf;
        } else if (*le == "crlf") {
            e.line_endings = LineEndings::crlf;
        } else if (*le == "cr") {
            e.line_endings = LineEndings::cr;
        } else {
            o.fail("line_endings", "expected \"lf\", \"crlf\" or \"cr\"");
        }
    }
    e.data_no_space = o.boolean("data_no_space", false);
    e.bom = o.boolean("bom", false);
    e.headers_delay_ms = static_cast<int>(o.integer("headers_delay_ms", 0));
    e.first_delay_ms = static_cast<int>(o.integer("first_delay_ms", 0));
    e.delay_ms = static_cast<int>(o.integer("delay_ms", 0));
    e.rate = o.number("rate", 0);
    e.gzip = o.boolean("gzip", false);
    e.close_after_bytes = o.integer("close_after_bytes", -1);
    e.stall_after_bytes = o.integer("stall_after_bytes", -1);
    e.close_with_rst = o.boolean("close_with_rst", false);
    e.endless = o.boolean("endless", false);
    e.ping_interval_ms = static_cast<int>(o.integer("ping_interval_ms", 50, 1));
    if (auto t = o.string("raw_tail")) e.raw_tail = latin1_bytes(*t);
    e.run_id = o.string("run_id").value_or("");
    if (const Value* b = o.get("background")) {
        if (!b->IsBool()) o.fail("background", "expected true or false");
        e.background = b->GetBool();
    }
    o.check_unknown();
    if (e.endless && e.framing == Framing::length)
        throw ScenarioError(where + ": endless needs framing \"chunked\" or \"close\"");
    if (e.rate > 0 && !e.generated())
        throw ScenarioError(where + ": rate applies to generate and openai only");
    return e;
}

std::vector<ResponseEntry> parse_entries(const Value* v, const char* key, const std::string& fx) {
    std::vector<ResponseEntry> out;
    if (!v) return out;
    if (v->IsObject()) {
        out.push_back(parse_entry(*v, key, fx));
    } else if (v->IsArray() && !v->Empty()) {
        int i = 0;
        for (const auto& x : v->GetArray())
            out.push_back(parse_entry(x, std::string(key) + "[" + std::to_string(i++) + "]", fx));
    } else {
        throw ScenarioError(std::string(key) + ": expected an object or a non-empty array");
    }
    return out;
}

Agent parse_agent(Value& v, rapidjson::Document::AllocatorType& a, const std::string& where) {
    if (!v.IsObject()) throw ScenarioError(where + ": expected an object");
    auto str = [&](const char* k) -> std::string {
        auto it = v.FindMember(k);
        if (it == v.MemberEnd()) return "";
        if (!it->value.IsString()) throw ScenarioError(where + "." + k + ": expected a string");
        return it->value.GetString();
    };
    Agent ag;
    ag.id = str("id");
    ag.name = str("name");
    ag.created_at = str("created_at");
    if (ag.id.empty()) throw ScenarioError(where + ".id: required");
    if (ag.created_at.empty()) ag.created_at = "2026-01-01T00:00:00Z";
    auto set_default = [&](const char* k, Value val) {
        if (!v.HasMember(k)) v.AddMember(Value(k, a), val, a);
    };
    set_default("name", Value(ag.name.c_str(), a));
    set_default("created_at", Value(ag.created_at.c_str(), a));
    set_default("updated_at", Value(ag.created_at.c_str(), a));
    set_default("agent_type", Value("letta_v1_agent", a));
    set_default("description", Value(rapidjson::kNullType));
    set_default("tags", Value(rapidjson::kArrayType));
    set_default("metadata", Value(rapidjson::kNullType));
    set_default("project_id", Value(rapidjson::kNullType));
    ag.json = serialize(v);
    return ag;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::string& fixtures_dir) {
    std::string text = read_file(path, "scenario file");
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag>(text.c_str(),
                                                                                   text.size());
    if (doc.HasParseError())
        throw ScenarioError("invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) +
                            ": " + rapidjson::GetParseError_En(doc.GetParseError()));
    Obj o(doc, "scenario");
    Scenario sc;
    sc.api_key = o.string("api_key");
    sc.strict = o.boolean("strict", true);
    if (Value* agents = const_cast<Value*>(o.get("agents"))) {
        if (!agents->IsArray()) o.fail("agents", "expected an array");
        int i = 0;
        for (auto& a : agents->GetArray())
            sc.agents.push_back(
                parse_agent(a, doc.GetAllocator(), "scenario.agents[" + std::to_string(i++) + "]"));
    }
    const Value* responses = o.get("responses");
    const Value* response = o.get("response");
    if (responses && response)
        throw ScenarioError("scenario: use \"responses\" or \"response\", not both");
    sc.responses = parse_entries(responses ? responses : response,
                                 responses ? "responses" : "response", fixtures_dir);
    if (sc.responses.empty()) {
        rapidjson::Document def;
        def.Parse(R"({"generate":{}})");
        sc.responses.push_back(parse_entry(def, "response", fixtures_dir));
    }
    sc.resume = parse_entries(o.get("resume"), "resume", fixtures_dir);
    o.check_unknown();
    return sc;
}

}  // namespace fls
