// Stage two: raw strings + environment → typed, validated Options (DESIGN.md §1 prompt rules).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <string_view>

#include "cli/parse.hpp"
#include "util/exit_status.hpp"
#include "util/strings.hpp"
#include "util/url.hpp"
#include "util/utf8.hpp"
#include "util/uuid.hpp"

namespace letta_stream::cli {

using util::human_size;
using util::trim;

namespace {

struct UsageError {
    ExitStatus status;
    std::string message;
    std::string hint;
};

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

// Control characters or a space: never in a URL, a key or a proxy as we take them.
bool has_control_or_space(std::string_view s) {
    return has_control(s) || s.find(' ') != std::string_view::npos;
}

// An http:// or https:// URL with a host, and nothing in it that cannot be sent as it is.
bool is_http_url(std::string_view url) {
    const util::UrlParts p = util::split_url(url);
    return (util::iequals(p.scheme, "http") || util::iequals(p.scheme, "https")) &&
           !p.host.empty() && !has_control_or_space(url);
}

// RFC 9110 token characters for a header name.
bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                     std::string_view::npos))
            return false;
    return true;
}

bool has_header(const Options& o, std::string_view name) {
    for (const auto& h : o.headers)
        if (util::iequals(std::string_view(h).substr(0, h.find(':')), name)) return true;
    return false;
}

void add_header(std::string_view line, std::string_view source, std::vector<std::string>& layer) {
    line = trim(line);
    const auto colon = line.find(':');
    std::string_view name = colon == std::string_view::npos ? line : trim(line.substr(0, colon));
    if (colon == std::string_view::npos || !is_token(name) || has_control(line))
        throw UsageError{ExitStatus::usage,
                         "invalid header '" + std::string(line) + "' in " + std::string(source),
                         "write headers as 'Name: value' (one per -H, or one per line in "
                         "LETTA_CUSTOM_HEADERS)"};
    // "Name:" with nothing after it removes our header of that name (curl's convention).
    const std::string_view value = trim(line.substr(colon + 1));
    layer.push_back(std::string(name) + (value.empty() ? ":" : ": " + std::string(value)));
}

// One layer of headers (the file's, LETTA_CUSTOM_HEADERS, -H) over the layers before it: a
// header replaces those of the same name from below; within a layer, all are kept (as curl -H).
void add_layer(const std::vector<std::string>& layer, Options& o) {
    const auto name = [](std::string_view h) { return h.substr(0, h.find(':')); };
    std::erase_if(o.headers, [&](const std::string& below) {
        return std::any_of(layer.begin(), layer.end(), [&](const std::string& above) {
            return util::iequals(name(below), name(above));
        });
    });
    o.headers.insert(o.headers.end(), layer.begin(), layer.end());
}

// `url` as the base the API paths are appended to: scheme in lower case, no trailing slash, no
// trailing /v1 (users copy it from the SDK docs, and every path we send starts with /v1/).
std::string normalize_base_url(std::string_view url, const std::string& source) {
    const util::UrlParts p = util::split_url(url);
    const std::string shown = "'" + util::redact_url(url) + "' (from " + source + ")";
    if (!is_http_url(url))
        throw UsageError{ExitStatus::usage, "invalid base URL " + shown,
                         "use an http:// or https:// URL such as https://api.letta.com"};
    if (const auto q = p.tail.find_first_of("?#"); q != std::string_view::npos)
        throw UsageError{ExitStatus::usage,
                         std::string("the base URL ") + shown + " has a " +
                             (p.tail[q] == '?' ? "query" : "fragment"),
                         "drop everything from '" + std::string(1, p.tail[q]) +
                             "' on: the base URL is scheme, host, port and an optional path"};
    std::string_view path = p.tail;
    for (;;) {
        while (!path.empty() && path.back() == '/')
            path.remove_suffix(1);
        if (!path.ends_with("/v1")) break;
        path.remove_suffix(3);
    }
    const std::size_t head = url.size() - p.tail.size();  // the tail is always a suffix
    return util::ascii_lowercase(p.scheme) +
           std::string(url.substr(p.scheme.size(), head - p.scheme.size())) + std::string(path);
}

// A variable that is set and not blank (an empty one counts as unset, as most tools read them).
std::optional<std::string> given(const Environment& env, const char* name) {
    auto v = env.getenv(name);
    if (!v || trim(*v).empty()) return std::nullopt;
    return std::string(trim(*v));
}

void resolve_base_url(const RawOptions& raw, const Environment& env, Options& o) {
    if (raw.base_url) {
        o.base_url = normalize_base_url(trim(*raw.base_url), "--base-url");
    } else if (auto v = given(env, "LETTA_BASE_URL")) {
        o.base_url = normalize_base_url(*v, "LETTA_BASE_URL");
    } else if (auto w = o.api == Api::openai ? given(env, "OPENAI_BASE_URL") : std::nullopt) {
        // With --api openai, the OpenAI convention's variable, when ours is not set.
        o.base_url = normalize_base_url(*w, "OPENAI_BASE_URL");
    } else {
        o.base_url = default_base_url;
    }
}

void resolve_api_key(const RawOptions& raw, const Environment& env, Options& o) {
    if (raw.api_key_file) {
        const std::string& path = *raw.api_key_file;
        std::string content, error;
        if (!env.read_file(path, content, error))
            throw UsageError{ExitStatus::usage, "cannot read --api-key-file " + path + ": " + error,
                             "pass a readable file that holds only the API key"};
        o.api_key = std::string(trim(content));
        if (o.api_key.empty())
            throw UsageError{ExitStatus::auth, "--api-key-file " + path + " is empty",
                             "put the API key (sk-let-...) in that file"};
        // As ssh does for a private key, but only a warning: the key is already out.
        unsigned mode = 0;
        if (env.stat && env.stat(path, mode, error) && (mode & 044) != 0) {
            char octal[8];
            std::snprintf(octal, sizeof octal, "%04o", mode & 07777);
            o.warnings.push_back("--api-key-file " + path + " is readable by others (mode " +
                                 octal + "): chmod 600 " + path);
        }
    } else if (auto v = env.getenv("LETTA_API_KEY")) {
        o.api_key = std::string(trim(*v));
    } else if (auto w = o.api == Api::openai ? env.getenv("OPENAI_API_KEY") : std::nullopt) {
        o.api_key = std::string(trim(*w));
    }
    if (has_control_or_space(o.api_key))
        throw UsageError{ExitStatus::auth, "the API key contains spaces or control characters",
                         "check LETTA_API_KEY or the --api-key-file contents"};
    // An Authorization header of the user's own (-H, LETTA_CUSTOM_HEADERS) is a key too.
    if (o.api == Api::letta && o.api_key.empty() && o.base_url == default_base_url &&
        !has_header(o, "Authorization") && o.replay_file.empty())
        throw UsageError{ExitStatus::auth, "no API key for " + util::redact_url(o.base_url),
                         "set LETTA_API_KEY or use --api-key-file FILE"};
}

bool parse_int(const std::string& text, long lo, long hi, long& out);

// A number that starts with a digit or '.' (strtod alone would also take " 5", "+5", "-1" and
// "inf"), read to its end and finite: never negative.
bool parse_decimal(const std::string& text, double& out) {
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.'))
        return false;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end != text.c_str() && *end == '\0' && std::isfinite(out);
}

// SECONDS (fractions allowed, at most a day) → milliseconds, rounded (without libm: secs is
// in [0, 86400], so adding 0.5 and truncating rounds like lround). 0 only where `zero_is_off`.
long seconds(const std::string& text, const char* flag, bool zero_is_off) {
    double secs = 0;
    if (!parse_decimal(text, secs) || (secs == 0 && !zero_is_off) || secs > 86400)
        throw UsageError{ExitStatus::usage, "invalid " + std::string(flag) + " '" + text + "'",
                         std::string("give a number of seconds") +
                             (zero_is_off ? " (0: no limit)" : " greater than 0") + ", e.g. " +
                             flag + " 5"};
    return secs == 0 ? 0 : std::max(1L, static_cast<long>(secs * 1000 + 0.5));
}

void resolve_reliability(const RawOptions& raw, Options& o) {
    if (raw.first_token_timeout)
        o.first_token_timeout_ms = seconds(*raw.first_token_timeout, "--first-token-timeout", true);
    if (raw.idle_timeout) o.idle_timeout_ms = seconds(*raw.idle_timeout, "--idle-timeout", true);
    if (raw.max_time) o.max_time_ms = seconds(*raw.max_time, "--max-time", true);
    if (raw.retry_max_time)
        o.retry_max_time_ms = seconds(*raw.retry_max_time, "--retry-max-time", true);
    long retries = 2;
    if (raw.retries && !parse_int(*raw.retries, 0, 100, retries))
        throw UsageError{ExitStatus::usage, "invalid --retries '" + *raw.retries + "'",
                         "give a whole number from 0 (never retry) to 100, e.g. --retries 5"};
    o.retries = static_cast<int>(retries);
    if (!raw.background || *raw.background == "auto")
        o.background = Background::automatic;
    else if (*raw.background == "on")
        o.background = Background::on;
    else if (*raw.background == "off")
        o.background = Background::off;
    else
        throw UsageError{ExitStatus::usage, "invalid --background '" + *raw.background + "'",
                         "use --background auto (the default), on or off"};
    o.cancel = !raw.no_cancel;
}

void resolve_server(const RawOptions& raw, const std::vector<std::string>& file_headers,
                    const Environment& env, Options& o) {
    resolve_base_url(raw, env, o);

    // Given empty, --project-id sends none, even when LETTA_PROJECT_ID is set.
    if (raw.project_id)
        o.project_id = std::string(trim(*raw.project_id));
    else if (auto v = env.getenv("LETTA_PROJECT_ID"))
        o.project_id = std::string(trim(*v));
    if (has_control(o.project_id))
        throw UsageError{ExitStatus::usage, "the project id contains control characters",
                         "check --project-id or LETTA_PROJECT_ID"};

    std::vector<std::string> layer;
    for (const auto& h : file_headers)
        add_header(h, "--header", layer);  // located() names the file and line
    add_layer(layer, o);
    layer.clear();
    if (auto v = env.getenv("LETTA_CUSTOM_HEADERS")) {
        std::string_view rest = *v;
        while (!rest.empty()) {
            const auto nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
            if (!trim(line).empty()) add_header(line, "LETTA_CUSTOM_HEADERS", layer);
        }
    }
    add_layer(layer, o);
    layer.clear();
    for (const auto& h : raw.headers)
        add_header(h, "-H/--header", layer);
    add_layer(layer, o);
    resolve_api_key(raw, env, o);

    if (raw.connect_timeout)
        o.connect_timeout_ms = seconds(*raw.connect_timeout, "--connect-timeout", false);
}

// A given option whose value is empty or blank where that is never valid.
void require_value(const std::optional<std::string>& value, const char* flag, const char* hint) {
    if (value && trim(*value).empty())
        throw UsageError{ExitStatus::usage, std::string(flag) + " is empty", hint};
}

// Checked before anything else: in `--base-url= "Summarize"` the mistake is the empty value, not
// the missing agent. An empty --base-url in particular must never mean the default (the cloud,
// where the key would go).
void reject_empty_values(const RawOptions& raw) {
    require_value(raw.agent, "--agent", "give an agent id (agent-<uuid>) or an exact agent name");
    require_value(raw.conversation, "--conversation",
                  "give a conversation id (conv-<uuid>), or leave --conversation out for the "
                  "agent's default conversation");
    require_value(raw.base_url, "--base-url",
                  "give an http:// or https:// URL, or leave --base-url out to use "
                  "LETTA_BASE_URL or https://api.letta.com");
    require_value(raw.api_key_file, "--api-key-file",
                  "give the path of a file that holds the API key, or leave --api-key-file out "
                  "to use LETTA_API_KEY");
    require_value(raw.metrics_file, "--metrics-file",
                  "give a path for the JSON report, or leave --metrics-file out");
    require_value(raw.model, "--model", "give the model's name, or leave --model out");
    require_value(raw.url, "--url", "give the endpoint's full http:// or https:// URL");
    require_value(raw.config, "--config",
                  "give the path of a configuration file, or --no-config to read none");
    require_value(raw.cacert, "--cacert", "give a CA certificate file (PEM), or leave --cacert out");
    require_value(raw.capath, "--capath", "give a directory of CA certificates, or leave it out");
    require_value(raw.cert, "--cert", "give a client certificate file (PEM), or leave --cert out");
    require_value(raw.key, "--key", "give the private key file of --cert, or leave --key out");
    require_value(raw.proxy, "--proxy",
                  "give a proxy URL such as http://proxy:3128, or leave --proxy out");
    require_value(raw.record, "--record", "give a path to save the response to");
    require_value(raw.replay, "--replay", "give the path of a recorded SSE file");
}

bool parse_api(const std::string& text, Api& api) {
    if (text == "letta")
        api = Api::letta;
    else if (text == "openai")
        api = Api::openai;
    else if (text == "simple")
        api = Api::simple;
    else if (text == "sse")
        api = Api::sse;
    else
        return false;
    return true;
}

// The options that only some dialects use.
struct DialectOnly {
    const char* name;
    std::optional<std::string> RawOptions::*field;
    bool (*fits)(Api);
};
constexpr DialectOnly kDialectOnly[] = {
    {"--endpoint", &RawOptions::endpoint, [](Api a) { return a == Api::letta; }},
    {"--conversation", &RawOptions::conversation, [](Api a) { return a == Api::letta; }},
    {"--project-id", &RawOptions::project_id, [](Api a) { return a == Api::letta; }},
    {"--background", &RawOptions::background, [](Api a) { return a == Api::letta; }},
    {"--model", &RawOptions::model, [](Api a) { return a == Api::openai; }},
    {"--data", &RawOptions::data, [](Api a) { return a == Api::sse; }},
    {"--url", &RawOptions::url, [](Api a) { return a != Api::letta; }},
    {"--agent", &RawOptions::agent, [](Api a) { return a != Api::sse; }},
};

bool fits_dialect(std::string_view name, Api api) {
    for (const DialectOnly& d : kDialectOnly)
        if (name == d.name) return d.fits(api);
    return true;
}

// Letta ids are lower case, but one copied in upper case is still an id, not a name to look up.
std::string normalize_agent(std::string agent) {
    constexpr std::string_view prefix = "agent-";
    const std::string_view s = agent;
    if (s.size() == prefix.size() + 36 && util::iequals(s.substr(0, prefix.size()), prefix) &&
        util::is_uuid4(s.substr(prefix.size())))
        return util::ascii_lowercase(agent);
    return agent;
}

// --api and what goes with it. Flags that make no sense for the dialect are errors naming the
// conflict, never silently ignored (a configuration file's are left out before: fits_dialect()).
void resolve_api(const RawOptions& raw, const Environment& env, Options& o) {
    const std::string api = raw.api.value_or("letta");
    if (!parse_api(api, o.api))
        throw UsageError{ExitStatus::usage, "invalid --api '" + api + "'",
                         "use --api letta (the default), openai, simple or sse"};
    for (const DialectOnly& d : kDialectOnly)
        if (!d.fits(o.api) && (raw.*d.field).has_value())
            throw UsageError{ExitStatus::usage,
                             std::string(d.name) + " makes no sense with --api " + api,
                             "leave " + std::string(d.name) + " out, or use another --api"};
    if (raw.model) o.model = std::string(trim(*raw.model));
    if (raw.url) {
        o.url = std::string(trim(*raw.url));
        if (!is_http_url(o.url))
            throw UsageError{ExitStatus::usage, "invalid --url '" + util::redact_url(o.url) + "'",
                             "give the endpoint's full http:// or https:// URL"};
    }
    if ((o.api == Api::simple || o.api == Api::sse) && o.url.empty() && o.replay_file.empty())
        throw UsageError{ExitStatus::usage, "--api " + api + " needs --url",
                         "give the endpoint's full URL, e.g. --url http://localhost:8000/chat"};
    if (raw.data) {
        o.has_data = true;
        const std::string& d = *raw.data;
        if (d.starts_with("@")) {
            std::string error;
            if (!env.read_file(d.substr(1), o.data, error))
                throw UsageError{ExitStatus::usage, "cannot read --data " + d + ": " + error,
                                 "give a readable file after '@', or the body itself"};
        } else {
            o.data = d;
        }
    }
}

void resolve_target(const RawOptions& raw, Options& o) {
    if (!raw.endpoint || *raw.endpoint == "conversations") {
        o.route = Route::conversations;
    } else if (*raw.endpoint == "agents") {
        o.route = Route::agents;
    } else {
        throw UsageError{ExitStatus::usage, "invalid --endpoint '" + *raw.endpoint + "'",
                         "use --endpoint conversations or --endpoint agents"};
    }
    o.agent = normalize_agent(std::string(trim(raw.agent.value_or(""))));
    o.conversation = std::string(trim(raw.conversation.value_or("")));
    for (unsigned char c : o.conversation)
        if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.'))
            throw UsageError{ExitStatus::usage, "invalid --conversation '" + o.conversation + "'",
                             "conversation ids look like conv-<uuid>"};
    if (o.api == Api::sse) return;  // any event stream: no agent
    if (!o.replay_file.empty()) return;  // a recorded reply: no agent to ask
    if (o.api == Api::openai && o.agent.empty() && !o.model.empty()) return;
    if (o.agent.empty() && o.conversation.empty())
        throw UsageError{ExitStatus::usage, "no agent given",
                         o.api == Api::openai
                             ? "use -a/--agent NAME|ID (sent as the model) or --model NAME"
                             : "use -a/--agent with an agent id (agent-<uuid>) or name"};
    if (o.route == Route::agents && !o.conversation.empty())
        throw UsageError{ExitStatus::usage, "--conversation needs --endpoint conversations",
                         "drop --endpoint agents, or drop --conversation"};
    if (o.route == Route::agents && o.agent.empty())
        throw UsageError{ExitStatus::usage, "--endpoint agents needs an agent",
                         "use -a/--agent ID|NAME"};
}

void resolve_sizes(const RawOptions& raw, Options& o) {
    if (raw.max_prompt_size && !parse_size(*raw.max_prompt_size, o.max_prompt_size))
        throw UsageError{ExitStatus::usage,
                         "invalid --max-prompt-size '" + *raw.max_prompt_size + "'",
                         "give a size in bytes with an optional K, M or G suffix, e.g. 8M"};
    if (raw.max_event_size && !parse_size(*raw.max_event_size, o.max_event_size))
        throw UsageError{ExitStatus::usage,
                         "invalid --max-event-size '" + *raw.max_event_size + "'",
                         "give a size in bytes with an optional K, M or G suffix, e.g. 32M"};
}

// A whole number in [lo, hi]; false when malformed or out of range.
bool parse_int(const std::string& text, long lo, long hi, long& out) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || end == text.c_str() || *end != '\0' || errno != 0 || v < lo || v > hi)
        return false;
    out = v;
    return true;
}

// "50", "50/s", "3000/m": server deltas per second; "200c/s", "200c/m": characters.
bool parse_rate(const std::string& text, double& per_s, bool& chars) {
    char* end = nullptr;
    const double n = std::strtod(text.c_str(), &end);
    // Digits first: strtod would also take " 5", "+5", "inf" and "0x10".
    if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '.') ||
        text.find_first_of("xXeEnN") < static_cast<std::size_t>(end - text.c_str()) ||
        end == text.c_str() || !std::isfinite(n) || n <= 0)
        return false;
    std::string_view unit(end);
    chars = !unit.empty() && unit.front() == 'c';
    if (chars) unit.remove_prefix(1);
    double per = 1;
    if (unit.empty() && !chars)
        per = 1;
    else if (unit == "/s")
        per = 1;
    else if (unit == "/m")
        per = 60;
    else
        return false;
    per_s = n / per;
    return per_s >= 0.001 && per_s <= 1e9;
}

void resolve_shaping(const RawOptions& raw, Options& o) {
    if (raw.coalesce && !parse_size(*raw.coalesce, o.coalesce_bytes))
        throw UsageError{ExitStatus::usage, "invalid --coalesce '" + *raw.coalesce + "'",
                         "give a size of at least 1 byte, with an optional K or M suffix, e.g. "
                         "--coalesce 4K"};
    long ms = 0;
    if (raw.coalesce_ms && !parse_int(*raw.coalesce_ms, 1, 3'600'000, ms))
        throw UsageError{ExitStatus::usage, "invalid --coalesce-ms '" + *raw.coalesce_ms + "'",
                         "give whole milliseconds from 1 to 3600000, e.g. --coalesce-ms 250"};
    o.coalesce_ms = raw.coalesce_ms ? static_cast<int>(ms) : raw.coalesce ? 100 : 0;
    if (raw.throttle && !parse_rate(*raw.throttle, o.throttle_per_s, o.throttle_chars))
        throw UsageError{ExitStatus::usage, "invalid --throttle '" + *raw.throttle + "'",
                         "give a rate above 0: N or N/s (tokens per second), N/m (per minute), "
                         "Nc/s or Nc/m (characters)"};
    long burst = 1;
    if (raw.burst && !parse_int(*raw.burst, 1, 1'000'000, burst))
        throw UsageError{ExitStatus::usage, "invalid --burst '" + *raw.burst + "'",
                         "give a whole number of tokens from 1 to 1000000, e.g. --burst 10"};
    if (raw.burst && !raw.throttle)
        throw UsageError{ExitStatus::usage, "--burst needs --throttle",
                         "add --throttle RATE, or leave --burst out"};
    o.burst = static_cast<int>(burst);
    if (raw.gzip == "stream")
        o.gzip = Gzip::stream;
    else if (raw.gzip == "members")
        o.gzip = Gzip::members;
    else if (!raw.gzip.empty())
        throw UsageError{ExitStatus::usage, "invalid --gzip framing '" + raw.gzip + "'", gzip_hint};
    long level = 6;
    if (raw.gzip_level && !parse_int(*raw.gzip_level, 1, 9, level))
        throw UsageError{ExitStatus::usage, "invalid --gzip-level '" + *raw.gzip_level + "'",
                         "give a level from 1 (fastest) to 9 (smallest)"};
    o.gzip_level = static_cast<int>(level);
    if (raw.gzip_level && o.gzip == Gzip::none) o.gzip = Gzip::stream;
}

std::string read_stdin(const Environment& env, const Options& o) {
    std::string text, error;
    if (!env.read_stdin(o.max_prompt_size + 1, text, error))
        throw UsageError{ExitStatus::usage, "cannot read the prompt from stdin: " + error,
                         "pass the prompt as an argument and use --no-stdin"};
    return text;
}

// Empty (nothing at all) and blank (white space only, Unicode spaces included) are told apart:
// "nothing on stdin" sends the user looking for a broken pipe, a blank prompt for its text.
void require_text(const std::string& prompt, bool from_stdin) {
    if (prompt.empty() && from_stdin)
        throw UsageError{ExitStatus::usage, "the prompt is empty (nothing on stdin)",
                         "pipe a prompt in, or give it as an argument"};
    if (prompt.empty())
        throw UsageError{ExitStatus::usage, "the prompt is empty", "give a non-empty prompt"};
    if (util::is_blank(prompt))
        throw UsageError{ExitStatus::usage, "the prompt is blank (only white space)",
                         "give a prompt with some text in it"};
}

void resolve_prompt(const RawOptions& raw, const Environment& env, Options& o) {
    // A replay sends nothing: a pipeline's command line can be replayed by adding --replay, so
    // its prompt argument is accepted, and stdin is left unread.
    if (!o.replay_file.empty()) return;
    if (o.api == Api::sse) {  // any event stream: what is sent is --data, if anything
        if (raw.prompt)
            throw UsageError{ExitStatus::usage, "--api sse sends no prompt",
                             "give the request body with --data BODY|@FILE, or leave PROMPT out"};
        return;
    }
    const bool dash = raw.prompt && *raw.prompt == "-";
    if (dash && raw.no_stdin)
        throw UsageError{ExitStatus::usage,
                         "'-' reads the prompt from stdin, but --no-stdin forbids it",
                         "drop --no-stdin, or give the prompt as an argument"};
    std::string prompt;
    const bool from_stdin = dash || !raw.prompt;
    if (raw.prompt && !dash) {
        prompt = *raw.prompt;
        if (!raw.no_stdin && !env.stdin_is_tty) {
            std::string extra = read_stdin(env, o);
            if (!extra.empty()) prompt += "\n\n" + extra;
        }
    } else if (!dash && (raw.no_stdin || env.stdin_is_tty)) {
        throw UsageError{ExitStatus::usage, "no prompt given",
                         "give one as an argument (letta-stream -a AGENT \"PROMPT\") or pipe it "
                         "on stdin"};
    } else {
        prompt = read_stdin(env, o);
    }
    require_text(prompt, from_stdin);
    if (prompt.size() > o.max_prompt_size)
        throw UsageError{ExitStatus::usage,
                         "the prompt is larger than " + human_size(o.max_prompt_size),
                         "shorten it, or raise the limit with --max-prompt-size"};
    if (!util::is_valid_utf8(prompt)) {
        std::string fixed;
        const auto n = util::append_utf8_lossy(fixed, prompt);
        prompt = std::move(fixed);
        o.warnings.push_back("the prompt is not valid UTF-8: replaced " + std::to_string(n) +
                             " invalid byte(s) with U+FFFD");
    }
    o.prompt = std::move(prompt);
}

// "host", "host:port" or "[v6]:port", the port 1-65535: what a proxy is addressed by.
bool is_host_port(std::string_view s) {
    std::string_view port;
    if (s.starts_with('[')) {
        const auto close = s.find(']');
        if (close == std::string_view::npos || close < 3) return false;
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') return false;
        port = rest.empty() ? rest : rest.substr(1);
        if (rest.empty()) return true;
    } else {
        const auto colon = s.find(':');
        if (colon == 0 || s.empty()) return false;
        if (colon == std::string_view::npos) return true;
        port = s.substr(colon + 1);
    }
    long n = 0;
    return !port.empty() && port.size() <= 5 && parse_int(std::string(port), 1, 65535, n);
}

// A file or directory named by a flag or a variable must be readable now: a typo in
// SSL_CERT_FILE should be named as such, not surface as libcurl's "problem with the SSL CA cert".
void require_readable(const Environment& env, const std::string& path, bool dir,
                      const std::string& source, const std::string& hint) {
    std::string error;
    if (env.check_readable && !env.check_readable(path, dir, error))
        throw UsageError{ExitStatus::usage, "cannot read " + source + " " + path + ": " + error,
                         hint};
}

// Where the CA certificates come from: a flag wins; then CURL_CA_BUNDLE, SSL_CERT_FILE and
// SSL_CERT_DIR (curl's own order; libcurl itself reads none of them). Either flag turns all
// three variables off, as in curl.
void resolve_tls(const RawOptions& raw, const Environment& env, Options& o) {
    // `path` from `source` (a flag or a variable) into `out`, once it is known to be readable.
    auto take = [&](const std::string& path, bool dir, const std::string& source,
                    const std::string& hint, std::string& out) {
        require_readable(env, path, dir, source, hint);
        out = path;
    };
    const bool flag = raw.cacert || raw.capath;
    if (raw.cacert) {
        take(*raw.cacert, false, "--cacert", "give a readable CA certificate file (PEM)", o.cacert);
    } else if (!flag) {
        for (const char* name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
            if (auto v = given(env, name)) {
                take(*v, false, name, std::string("fix or unset ") + name + ", or give --cacert FILE",
                     o.cacert);
                break;
            }
        }
    }
    if (raw.capath)
        take(*raw.capath, true, "--capath", "give a readable directory", o.capath);
    else if (auto v = flag ? std::nullopt : given(env, "SSL_CERT_DIR"))
        take(*v, true, "SSL_CERT_DIR", "fix or unset SSL_CERT_DIR, or give --capath DIR", o.capath);
    if (raw.key && !raw.cert)
        throw UsageError{ExitStatus::usage, "--key needs --cert",
                         "give the client certificate with --cert FILE"};
    if (raw.cert)
        take(*raw.cert, false, "--cert", "give a readable client certificate file (PEM)",
             o.client_cert);
    if (raw.key) take(*raw.key, false, "--key", "give a readable private key (PEM)", o.client_key);
    o.insecure = raw.insecure;

    if (raw.proxy) {
        o.proxy = std::string(trim(*raw.proxy));
        const util::UrlParts p = util::split_url(o.proxy);
        const std::string scheme = util::ascii_lowercase(std::string(p.scheme));
        const bool known = scheme.empty() || scheme == "http" || scheme == "https" ||
                           scheme == "socks4" || scheme == "socks4a" || scheme == "socks5" ||
                           scheme == "socks5h";
        if (!known || has_control_or_space(o.proxy) || !is_host_port(p.host) || (!p.tail.empty() && p.tail != "/"))
            throw UsageError{ExitStatus::usage,
                             "invalid --proxy '" + util::redact_url(o.proxy) + "'",
                             "give [SCHEME://][USER:PASSWORD@]HOST[:PORT] with SCHEME http, "
                             "https, socks4, socks4a, socks5 or socks5h"};
    }
    if (raw.noproxy) {
        o.noproxy = std::string(trim(*raw.noproxy));
        if (o.noproxy.empty() || has_control(o.noproxy))
            throw UsageError{ExitStatus::usage, "invalid --noproxy '" + o.noproxy + "'",
                             "give host names or domains separated by commas, or '*'"};
    }
}

void resolve_replay(const RawOptions& raw, Options& o) {
    if (raw.record) o.record_file = *raw.record;
    if (raw.replay) o.replay_file = *raw.replay;
    if (raw.replay_speed) {
        const std::string& t = *raw.replay_speed;
        double x = 0;
        if (!parse_decimal(t, x) || x > 1000)
            throw UsageError{ExitStatus::usage, "invalid --replay-speed '" + t + "'",
                             "give 0 (as fast as possible), 1 (real time), 2 (twice as fast), "
                             "... up to 1000"};
        if (!raw.replay)
            throw UsageError{ExitStatus::usage, "--replay-speed needs --replay",
                             "add --replay FILE, or leave --replay-speed out"};
        o.replay_speed = x;
    }
    if (raw.record && raw.replay && *raw.record == *raw.replay)
        throw UsageError{ExitStatus::usage, "--record and --replay name the same file",
                         "record to another file"};
}

// Whether the environment has a value for option `name` that ranks above the configuration
// file's: the variables the resolve_* functions read, set and not blank.
bool environment_has(std::string_view name, const RawOptions& cli, const Environment& env,
                     Api api) {
    auto any = [&](std::initializer_list<const char*> names) {
        return std::any_of(names.begin(), names.end(),
                           [&](const char* n) { return given(env, n).has_value(); });
    };
    if (name == "--base-url")
        return any({"LETTA_BASE_URL"}) || (api == Api::openai && any({"OPENAI_BASE_URL"}));
    if (name == "--project-id") return any({"LETTA_PROJECT_ID"});
    if (name == "--api-key-file")
        return any({"LETTA_API_KEY"}) || (api == Api::openai && any({"OPENAI_API_KEY"}));
    // The CA certificates come as a whole from the first layer that names any, as a flag turns
    // curl's variables off: --capath on the command line also drops the file's cacert.
    if (name == "--cacert" || name == "--capath")
        return cli.cacert || cli.capath || any({"CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"});
    // With Options.proxy empty, the transport and libcurl read these themselves.
    if (name == "--proxy")
        return any(
            {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"});
    if (name == "--noproxy") return any({"no_proxy", "NO_PROXY"});
    return false;
}

// The command line's raw values over the configuration file's, and which came from the file.
struct Layered {
    RawOptions raw;
    std::set<std::string> from_file;  // long names ("retries")
};

Layered layer(const RawOptions& cli, const ConfigFile& file, const Environment& env) {
    Layered l{cli, {}};
    const RawOptions& f = file.raw;
    auto take = [&](std::string_view flag) { l.from_file.insert(std::string(flag.substr(2))); };
    // --api first: it decides which of the file's values are for this run.
    if (!cli.api && f.api) {
        l.raw.api = f.api;
        take("--api");
    }
    Api api = Api::letta;
    parse_api(l.raw.api.value_or("letta"), api);  // an invalid one: resolve_api() says so
    for (const RawBinding& b : raw_bindings) {
        if ((cli.*b.field).has_value() || !(f.*b.field).has_value() || !fits_dialect(b.name, api) ||
            environment_has(b.name, cli, env, api))
            continue;
        l.raw.*b.field = f.*b.field;
        take(b.name);
    }
    // A flag in the file can only turn it on; -v or -q on the command line drops both of the
    // file's (they contradict each other).
    struct Flag {
        const char* name;
        bool RawOptions::*field;
    };
    constexpr Flag kFlags[] = {
        {"--json", &RawOptions::json},
        {"--no-newline", &RawOptions::no_newline},
        {"--show-reasoning", &RawOptions::show_reasoning},
        {"--show-tools", &RawOptions::show_tools},
        {"--no-cancel", &RawOptions::no_cancel},
        {"--no-stdin", &RawOptions::no_stdin},
        {"--insecure", &RawOptions::insecure},
        {"--verbose", &RawOptions::verbose},
        {"--quiet", &RawOptions::quiet},
    };
    const bool loudness = cli.verbose || cli.quiet;
    for (const Flag& flag : kFlags) {
        const bool loud = flag.field == &RawOptions::verbose || flag.field == &RawOptions::quiet;
        if (!(f.*flag.field) || cli.*flag.field || (loud && loudness)) continue;
        l.raw.*flag.field = true;
        take(flag.name);
    }
    if (cli.metrics.empty() && !f.metrics.empty()) {
        l.raw.metrics = f.metrics;
        take("--metrics");
    }
    if (cli.gzip.empty() && !f.gzip.empty()) {
        l.raw.gzip = f.gzip;
        take("--gzip");
    }
    if (!f.headers.empty()) take("--header");  // a layer of its own: resolve_server()
    return l;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// A message (error or warning) about a value that came from the configuration file names the
// file, the line and the key instead of the flag. The first "--NAME" (at the start, or after a
// blank or '(') whose value came from the file is rewritten: "invalid --retries 'x'" becomes
// "FILE:5: invalid retries 'x'"; " in --NAME" and " (from --NAME)" go, the prefix says it all.
std::string located(const std::string& message, const ConfigFile& file,
                    const std::set<std::string>& from_file) {
    for (auto at = message.find("--"); at != std::string::npos; at = message.find("--", at + 2)) {
        if (at > 0 && message[at - 1] != ' ' && message[at - 1] != '(') continue;
        std::size_t end = at + 2;
        while (end < message.size() && is_name_char(message[end]))
            ++end;
        const std::string name = message.substr(at + 2, end - at - 2);
        const auto line = file.lines.find(name);
        if (!from_file.contains(name) || line == file.lines.end()) continue;
        std::string out = message;
        constexpr std::string_view in = " in ", from = " (from ";
        if (at >= in.size() && std::string_view(out).substr(at - in.size(), in.size()) == in)
            out.erase(at - in.size(), end - at + in.size());
        else if (at >= from.size() &&
                 std::string_view(out).substr(at - from.size(), from.size()) == from &&
                 end < out.size() && out[end] == ')')
            out.erase(at - from.size(), end + 1 - at + from.size());
        else
            out.replace(at, end - at, name);
        return file.path + ":" + std::to_string(line->second) + ": " + out;
    }
    return message;
}

}  // namespace

bool parse_size(const std::string& text, std::size_t& out) {
    std::string_view s = trim(text);
    std::size_t i = 0;
    unsigned long long value = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        value = value * 10 + static_cast<unsigned>(s[i] - '0');
        if (value > (1ull << 40)) return false;
        ++i;
    }
    if (i == 0) return false;
    std::string suffix(s.substr(i));
    for (char& c : suffix)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    unsigned shift = 0;
    if (suffix.empty() || suffix == "B")
        shift = 0;
    else if (suffix == "K" || suffix == "KB" || suffix == "KIB")
        shift = 10;
    else if (suffix == "M" || suffix == "MB" || suffix == "MIB")
        shift = 20;
    else if (suffix == "G" || suffix == "GB" || suffix == "GIB")
        shift = 30;
    else
        return false;
    value <<= shift;
    if (value == 0 || value > (1ull << 40)) return false;
    out = static_cast<std::size_t>(value);
    return true;
}

ParseResult resolve(const RawOptions& raw, const Environment& env) {
    return resolve(raw, ConfigFile{}, env);
}

ParseResult resolve(const RawOptions& cli, const ConfigFile& file, const Environment& env) {
    const Layered layered = layer(cli, file, env);
    const RawOptions& raw = layered.raw;
    ParseResult r;
    Options& o = r.options;
    o.final_newline = !raw.no_newline;
    o.verbose = raw.verbose;
    o.quiet = raw.quiet;
    o.json = raw.json;
    o.show_reasoning = raw.show_reasoning;
    o.show_tools = raw.show_tools;
    // Known before anything can fail: a usage error still writes its report there.
    o.metrics_file = raw.metrics_file.value_or("");
    try {
        reject_empty_values(raw);
        if (raw.metrics.empty())
            o.metrics = MetricsFormat::none;
        else if (raw.metrics == "text")
            o.metrics = MetricsFormat::text;
        else if (raw.metrics == "json")
            o.metrics = MetricsFormat::json;
        else
            throw UsageError{ExitStatus::usage, "invalid --metrics format '" + raw.metrics + "'",
                             metrics_hint};

        if (raw.verbose && raw.quiet)
            throw UsageError{ExitStatus::usage, "--verbose and --quiet contradict each other",
                             "use one of them"};
        if (raw.config && raw.no_config)
            throw UsageError{ExitStatus::usage, "--config and --no-config contradict each other",
                             "use one of them"};
        resolve_replay(raw, o);
        resolve_api(raw, env, o);
        resolve_target(raw, o);
        resolve_sizes(raw, o);
        resolve_shaping(raw, o);
        resolve_reliability(raw, o);
        resolve_server(raw, file.raw.headers, env, o);
        resolve_tls(raw, env, o);
        resolve_prompt(raw, env, o);
    } catch (const UsageError& e) {
        r.action = ParseResult::Action::error;
        r.exit_code = to_int(e.status);
        r.text = located(e.message, file, layered.from_file);
        r.hint = e.hint;
    }
    for (std::string& w : o.warnings)
        w = located(w, file, layered.from_file);
    return r;
}

}  // namespace letta_stream::cli
