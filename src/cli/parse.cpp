// Stage one: syntax. The only file that includes CLI11. Every flag is declared here once; the
// man page and completion scripts are checked against `--help` by tests/check_flags.sh.
#include <CLI/CLI.hpp>

#include <sstream>

#include "cli/config.hpp"
#include "cli/parse.hpp"
#include "util/exit_status.hpp"
#include "util/strings.hpp"

namespace letta_stream::cli {

namespace {

constexpr const char* kDescription =
    "Send one prompt to a Letta agent and stream its reply to stdout as it is generated.\n"
    "The prompt is PROMPT, or stdin when PROMPT is '-' or absent; with both, they are joined\n"
    "as \"PROMPT\\n\\nSTDIN\". Diagnostics go to stderr. Environment: LETTA_API_KEY,\n"
    "LETTA_BASE_URL, LETTA_PROJECT_ID, LETTA_CUSTOM_HEADERS.";

// Number and name of every util::ExitStatus (the exit_name of the JSON "done" line), checked
// against the enum by tests/check_exit_statuses.sh.
constexpr const char* kFooter =
    "Exit status: 0 ok (also when the reader closes the pipe), 1 run_error, 2 usage, 3 auth,\n"
    "4 not_found, 5 rate_limited, 6 timeout, 7 network, 8 server, 9 stopped, 10 output,\n"
    "129 hangup, 130 interrupted, 143 terminated; see EXIT STATUS in letta-stream(1).";

// Usage first, then the description, then one block per group: the layout of curl and ripgrep
// rather than CLI11's default.
class HelpFormatter final : public CLI::Formatter {
  public:
    std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
        std::string out = "Usage: letta-stream [OPTIONS] [PROMPT | -]\n\n";
        out += app->get_description() + "\n";
        const std::vector<std::string> groups = {"Agent",  "Server",  "TLS and proxies",
                                                 "Input",  "Output", "Shaping",
                                                 "Replay", "Options"};
        for (const auto& group : groups) {
            out += "\n" + group + ":\n";
            for (const CLI::Option* opt : app->get_options()) {
                if (opt->get_group() != group || opt->get_positional()) continue;
                std::string left = "  " + flag_names(opt);
                const std::string type = opt->get_type_name();
                if (!type.empty() && type[0] == '[')
                    left += type;  // optional value: --x[=v]
                else if (!type.empty() && opt->get_expected_min() > 0)
                    left += " " + type;
                if (left.size() < 34)
                    left.resize(34, ' ');
                else
                    left += "\n" + std::string(34, ' ');
                std::string desc = opt->get_description();
                for (auto nl = desc.find('\n'); nl != std::string::npos;
                     nl = desc.find('\n', nl + 1))
                    desc.insert(nl + 1, std::string(34, ' '));
                out += left + desc + "\n";
            }
        }
        return out + "\n" + app->get_footer() + "\n";
    }

  private:
    static std::string flag_names(const CLI::Option* opt) {
        std::string s;
        for (const auto& n : opt->get_snames())
            s += "-" + n + ", ";
        if (s.empty()) s = "    ";
        for (const auto& n : opt->get_lnames())
            s += "--" + n;
        return s;
    }
};

constexpr const char* kHelpHint = "try 'letta-stream --help'";

// A usage error found in stage one, before resolve() runs.
struct SyntaxError {
    std::string message;
    std::string hint;
};

// A single-valued option, bound to no variable: CLI11 keeps every occurrence (TakeAll), so
// collect() can tell "not given", "given empty" and "given twice" apart.
CLI::Option* value_option(CLI::App& app, const std::string& names, const std::string& description,
                          const char* type, const char* group) {
    return app.add_option(names, CLI::callback_t{}, description, false)
        ->type_name(type)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(group);
}

void declare(CLI::App& app, RawOptions& raw, bool& version) {
    app.formatter(std::make_shared<HelpFormatter>());
    app.description(kDescription);
    app.footer(kFooter);
    app.set_help_flag("-h,--help", "Print this help and exit")->group("Options");
    app.add_flag("-V,--version", version, "Print the version and exit")->group("Options");

    app.add_option("PROMPT", raw.prompt, "The prompt; '-' reads it from stdin");

    const char* target = "Agent";
    value_option(app, "-a,--agent", "Agent id (agent-<uuid>) or exact agent name", "ID|NAME",
                 target);
    value_option(app, "--conversation", "Conversation id (default: the agent's default one)", "ID",
                 target);
    // A fixed set of values is shown as a|b: tests/check_flags.sh compares it with the man page
    // and the completion scripts.
    value_option(app, "--endpoint", "Message route (default: conversations)",
                 "conversations|agents", target);
    value_option(app, "--api",
                 "Wire dialect: letta (default), openai (chat completions),\n"
                 "simple (the tutorial's proxy), sse (any event stream)",
                 "letta|openai|simple|sse", target);
    value_option(app, "--model", "The model to ask for with --api openai (default: the agent)",
                 "NAME", target);
    value_option(app, "--url",
                 "The full endpoint URL (--api simple, sse; openai: instead\n"
                 "of BASE/v1/chat/completions)",
                 "URL", target);
    value_option(app, "--data", "Request body for --api sse (then a POST); @FILE reads FILE",
                 "BODY|@FILE", target);

    const char* server = "Server";
    value_option(app, "--base-url",
                 "API base URL (env LETTA_BASE_URL, default\n"
                 "https://api.letta.com)",
                 "URL", server);
    value_option(app, "--api-key-file", "Read the API key from FILE (default: env LETTA_API_KEY)",
                 "FILE", server);
    value_option(app, "--project-id", "Send X-Project-Id (env LETTA_PROJECT_ID)", "ID", server);
    app.add_option("-H,--header", raw.headers,
                   "Extra request header, repeatable (env LETTA_CUSTOM_HEADERS);\n"
                   "replaces a header of ours with the same name")
        ->type_name("'NAME: VALUE'")
        ->expected(1)
        ->allow_extra_args(false)  // `-H 'A: b' "prompt"`: the prompt is not a second header
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(server);
    value_option(app, "--connect-timeout", "Give up connecting after SECONDS (default 30)",
                 "SECONDS", server);
    value_option(app, "--first-token-timeout",
                 "Give up when no reply text has come SECONDS after the request", "SECONDS",
                 server);
    value_option(app, "--idle-timeout",
                 "Give up (or resume) after SECONDS without a byte (default 60;\n"
                 "pings count; 0: never)",
                 "SECONDS", server);
    value_option(app, "--max-time", "Give up after SECONDS in all, retries and resumes included",
                 "SECONDS", server);
    value_option(app, "--retries",
                 "Retry a failed request, or resume a dropped stream, N times\n"
                 "(default 2; 0: never)",
                 "N", server);
    value_option(app, "--retry-max-time", "Stop retrying SECONDS after the first request",
                 "SECONDS", server);
    value_option(app, "--background",
                 "Ask for a background run that can be resumed after a drop\n"
                 "(default auto: yes, unless the server cannot)",
                 "auto|on|off", server);
    app.add_flag("--no-cancel", raw.no_cancel,
                 "Leave the run going on the server after Ctrl-C or a closed pipe")
        ->group(server);

    const char* tls = "TLS and proxies";
    value_option(app, "--cacert",
                 "Trust the CA certificates in FILE (PEM) instead of the system's\n"
                 "(env CURL_CA_BUNDLE, SSL_CERT_FILE)",
                 "FILE", tls);
    value_option(app, "--capath", "Trust the CA certificates in DIR (env SSL_CERT_DIR)", "DIR",
                 tls);
    app.add_flag("-k,--insecure", raw.insecure,
                 "Do not verify the server's TLS certificate (warns every time)")
        ->group(tls);
    value_option(app, "--cert", "Client certificate (PEM) for servers that ask for one", "FILE",
                 tls);
    value_option(app, "--key", "Private key (PEM) of --cert, when not in the same file", "FILE",
                 tls);
    value_option(app, "--proxy",
                 "Use this proxy (env https_proxy, http_proxy, all_proxy;\n"
                 "https:// targets go through a CONNECT tunnel)",
                 "URL", tls);
    value_option(app, "--noproxy", "Reach these hosts directly, comma-separated (env no_proxy)",
                 "HOSTS", tls);

    const char* input = "Input";
    app.add_flag("--no-stdin", raw.no_stdin, "Never read stdin, even when it is a pipe")
        ->group(input);
    value_option(app, "--max-prompt-size", "Refuse prompts larger than BYTES (default 4M)", "BYTES",
                 input);
    value_option(app, "--max-event-size", "Fail on a stream event larger than BYTES (default 16M)",
                 "BYTES", input);

    const char* output = "Output";
    app.add_flag("-j,--json", raw.json,
                 "Write JSON lines (one event per line) instead of the reply")
        ->group(output);
    app.add_flag("-n,--no-newline", raw.no_newline,
                 "Do not add a final newline to a reply that lacks one")
        ->group(output);
    app.add_flag("-m{text},--metrics{text}", raw.metrics,
                 "Report timings and token counts on stderr at the end,\n"
                 "as text (the default) or as one JSON line (=json)")
        ->type_name("[=text|json]")
        ->group(output);
    value_option(app, "--metrics-file", "Write the metrics report as JSON to FILE", "FILE", output);
    const char* shaping = "Shaping";
    value_option(app, "--coalesce",
                 "Write the reply in chunks of at least BYTES (K, M suffixes),\n"
                 "held at most --coalesce-ms (default 100)",
                 "BYTES", shaping);
    value_option(app, "--coalesce-ms", "Hold text at most MS milliseconds, then write it", "MS",
                 shaping);
    value_option(app, "--throttle",
                 "Write at most RATE tokens per second: N, N/s, N/m, or Nc/s,\n"
                 "Nc/m for characters (a typewriter); never drops text",
                 "RATE", shaping);
    value_option(app, "--burst", "Let up to N tokens out at once under --throttle (default 1)", "N",
                 shaping);
    app.add_flag("--gzip{stream}", raw.gzip,
                 "Gzip stdout: one stream flushed after every chunk (=stream),\n"
                 "or one complete gzip member per chunk (=members)")
        ->type_name("[=stream|members]")
        ->group(shaping);
    value_option(app, "--gzip-level", "Compression level 1-9 (default 6); implies --gzip", "N",
                 shaping);

    app.add_flag("--show-reasoning", raw.show_reasoning,
                 "Print the agent's reasoning to stderr as it streams")
        ->group(output);
    app.add_flag("--show-tools", raw.show_tools, "Print tool calls and their results to stderr")
        ->group(output);

    const char* replay = "Replay";
    value_option(app, "--record",
                 "Save the response body, with arrival times, as SSE to FILE", "FILE", replay);
    value_option(app, "--replay",
                 "Read the response from FILE (SSE, e.g. from --record) instead\n"
                 "of a server: no network, agent or prompt",
                 "FILE", replay);
    value_option(app, "--replay-speed",
                 "With --replay: 0 as fast as possible (default), 1 real time,\n"
                 "2 twice as fast",
                 "X", replay);

    const char* general = "Options";
    value_option(app, "--config",
                 "Read defaults from FILE (default:\n"
                 "$XDG_CONFIG_HOME/letta-stream/config.toml)",
                 "FILE", general);
    app.add_flag("--no-config", raw.no_config, "Read no configuration file")->group(general);
    app.add_flag("-v,--verbose", raw.verbose,
                 "Trace requests and stream events on stderr (keys redacted)")
        ->group(general);
    app.add_flag("-q,--quiet", raw.quiet,
                 "No warnings or progress line on stderr; errors still show")
        ->group(general);
}

const CLI::Option* find_option(const CLI::App& app, std::string_view name, bool long_name) {
    for (const CLI::Option* opt : app.get_options())
        if (long_name ? opt->check_lname(std::string(name)) : opt->check_sname(std::string(name)))
            return opt;
    return nullptr;
}

bool takes_value(const CLI::Option* opt) {
    return opt->get_items_expected_max() > 0;
}

// -m/--metrics: a flag whose value can only be attached, as in --metrics=json.
bool takes_attached_value(const CLI::Option* opt) {
    return opt->get_type_name().rfind("[=", 0) == 0;
}

// The arguments as CLI11 should see them, and what a usage error still needs to honour:
// whether -j/--json is among the options, and the --metrics-file to write the report to.
struct Scanned {
    std::vector<std::string> args;
    bool json = false;
    std::string metrics_file;
    bool metrics_file_next = false;  // the next argument is --metrics-file's value
};

// How many of the following arguments the short-option cluster `arg` ("-ja") takes as its value:
// 1 when its last letter is an option that takes a value, 0 otherwise. Notes a -j on the way.
int scan_short_cluster(const CLI::App& app, std::string_view arg, Scanned& out) {
    for (std::size_t i = 1; i < arg.size(); ++i) {
        const CLI::Option* opt = find_option(app, arg.substr(i, 1), false);
        if (opt == nullptr) return 0;  // unknown, or a number such as -5: CLI11 decides
        if (takes_value(opt)) return i + 1 == arg.size() ? 1 : 0;  // -aNAME: the rest is the value
        if (opt->check_lname("json")) out.json = true;
    }
    return 0;
}

// One `--name` or `--name=value`; returns how many of the following arguments are its value.
// `--name=value` is rewritten as `--name` `value`: CLI11 2.1 reads `--agent=` as a bare `--agent`
// and then takes the next word as its value, so `--agent= "Summarize"` used the prompt as the
// agent. An attached empty value must stay a value. Flags refuse an attached value (CLI11 would
// read --json=no as "off"), and --metrics= an empty one.
int scan_long_option(const CLI::App& app, const std::string& arg, Scanned& out) {
    const auto eq = arg.find('=');
    const std::string flag = arg.substr(0, eq);
    const CLI::Option* opt = find_option(app, std::string_view(flag).substr(2), true);
    if (opt == nullptr) return 0;  // unknown: CLI11 reports it
    if (eq == std::string::npos) {
        if (opt->check_lname("json")) out.json = true;
        out.metrics_file_next = opt->check_lname("metrics-file");
        return takes_value(opt) ? 1 : 0;
    }
    if (takes_value(opt)) {
        out.args.back() = flag;
        out.args.push_back(arg.substr(eq + 1));
        if (opt->check_lname("metrics-file")) out.metrics_file = arg.substr(eq + 1);
    } else if (!takes_attached_value(opt)) {
        throw SyntaxError{flag + " takes no value", "write " + flag + " alone; " + kHelpHint};
    } else if (eq + 1 == arg.size()) {
        throw SyntaxError{
            "invalid " + flag + (opt->check_lname("gzip") ? " framing ''" : " format ''"),
            opt->check_lname("gzip") ? gzip_hint : metrics_hint};
    }
    return 0;
}

// The arguments for CLI11, walked as CLI11 will walk them so that an option's value (`-a --x=`)
// is never mistaken for an option, and nothing after `--` is touched.
void split_attached_values(const CLI::App& app, const std::vector<std::string>& args,
                           Scanned& out) {
    int value_words = 0;  // following arguments that are the previous option's value
    bool positional_only = false;
    for (const std::string& arg : args) {
        out.args.push_back(arg);
        if (value_words > 0 || positional_only || arg.size() < 2 || arg[0] != '-') {
            if (value_words > 0 && out.metrics_file_next) out.metrics_file = arg;
            out.metrics_file_next = false;
            value_words = std::max(value_words - 1, 0);
        } else if (arg == "--") {
            positional_only = true;
        } else if (arg[1] == '-') {
            value_words = scan_long_option(app, arg, out);
        } else {
            value_words = scan_short_cluster(app, arg, out);
        }
    }
}

}  // namespace

// The single-valued options and where each goes; -H/--header is bound directly (repeatable).
const std::vector<RawBinding> raw_bindings = {
    {"--agent", &RawOptions::agent},
    {"--api", &RawOptions::api},
    {"--model", &RawOptions::model},
    {"--url", &RawOptions::url},
    {"--data", &RawOptions::data},
    {"--conversation", &RawOptions::conversation},
    {"--endpoint", &RawOptions::endpoint},
    {"--base-url", &RawOptions::base_url},
    {"--api-key-file", &RawOptions::api_key_file},
    {"--project-id", &RawOptions::project_id},
    {"--connect-timeout", &RawOptions::connect_timeout},
    {"--first-token-timeout", &RawOptions::first_token_timeout},
    {"--idle-timeout", &RawOptions::idle_timeout},
    {"--max-time", &RawOptions::max_time},
    {"--retries", &RawOptions::retries},
    {"--retry-max-time", &RawOptions::retry_max_time},
    {"--background", &RawOptions::background},
    {"--max-prompt-size", &RawOptions::max_prompt_size},
    {"--max-event-size", &RawOptions::max_event_size},
    {"--metrics-file", &RawOptions::metrics_file},
    {"--coalesce", &RawOptions::coalesce},
    {"--coalesce-ms", &RawOptions::coalesce_ms},
    {"--throttle", &RawOptions::throttle},
    {"--burst", &RawOptions::burst},
    {"--gzip-level", &RawOptions::gzip_level},
    {"--cacert", &RawOptions::cacert},
    {"--capath", &RawOptions::capath},
    {"--cert", &RawOptions::cert},
    {"--key", &RawOptions::key},
    {"--proxy", &RawOptions::proxy},
    {"--noproxy", &RawOptions::noproxy},
    {"--record", &RawOptions::record},
    {"--replay", &RawOptions::replay},
    {"--replay-speed", &RawOptions::replay_speed},
    {"--config", &RawOptions::config},
};

namespace {

void collect(const CLI::App& app, RawOptions& raw) {
    for (const RawBinding& b : raw_bindings) {
        const auto& given = app.get_option(b.name)->results();
        if (given.size() > 1)
            throw SyntaxError{std::string(b.name) + " was given more than once",
                              "give " + std::string(b.name) + " once"};
        if (given.size() == 1) raw.*b.field = given.front();
    }
}

// The option a CLI11 message is about: CLI11 starts its messages with the option's name.
const CLI::Option* option_named_in(const CLI::App& app, std::string_view what) {
    for (const CLI::Option* opt : app.get_options()) {
        const std::string name = opt->get_name();
        if (opt->get_positional() || what.rfind(name, 0) != 0) continue;
        if (what.size() == name.size() || what[name.size()] == ':' || what[name.size()] == ' ')
            return opt;
    }
    return nullptr;
}

SyntaxError unexpected_arguments(const CLI::App& app) {
    for (const std::string& extra : app.remaining()) {
        if (extra == "--") continue;
        if (extra.size() > 1 && extra[0] == '-')
            return {"unknown option " + extra.substr(0, extra.find('=')),
                    std::string(kHelpHint) + "; put -- before a prompt that starts with '-'"};
        return {"unexpected argument '" + extra + "' (the prompt is one argument)",
                "quote a prompt of several words: letta-stream -a AGENT \"your prompt\""};
    }
    return {"unexpected arguments", kHelpHint};
}

// Our own words for every CLI11 parse error: its messages ("At Most 1 required but received 2",
// "The following argument was not expected") are written for programmers, not for our users.
SyntaxError explain(const CLI::ParseError& e, const CLI::App& app) {
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) return unexpected_arguments(app);
    const CLI::Option* opt = option_named_in(app, e.what());
    const std::string name = opt != nullptr ? opt->get_name() : "";
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && opt != nullptr) {
        if (!takes_value(opt)) return {name + " takes no value", "write " + name + " alone"};
        return {name + " needs a value",
                "write " + name + " " + opt->get_type_name() + "; " + kHelpHint};
    }
    if ((dynamic_cast<const CLI::ConversionError*>(&e) != nullptr ||
         dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) &&
        opt != nullptr)
        return {"invalid value for " + name, kHelpHint};
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr ||
        dynamic_cast<const CLI::RequiresError*>(&e) != nullptr ||
        dynamic_cast<const CLI::ExcludesError*>(&e) != nullptr)
        return {name.empty() ? "missing or conflicting options" : "missing or conflicting " + name,
                kHelpHint};
    // Anything else (a value CLI11 could not convert for an unnamed option, HorribleError, ...).
    return {name.empty() ? "cannot read the command line" : "cannot read " + name, kHelpHint};
}

ParseResult usage_error(const SyntaxError& e, const Scanned& scanned) {
    ParseResult result;
    result.action = ParseResult::Action::error;
    result.exit_code = to_int(ExitStatus::usage);
    result.text = e.message;
    result.hint = e.hint;
    result.options.json = scanned.json;
    result.options.metrics_file = scanned.metrics_file;
    return result;
}

// The configuration file. Its syntax is read by read_toml() (config.cpp), which knows the line
// of every key; the keys and value types are checked here against the declared options; then
// CLI11 maps the values to the options through its config interface (CheckedItems), as it would
// for its own TOML reader, into a RawOptions of the file's own (collect()).

// Long options that are not keys: they choose the file, or run nothing.
bool refused_key(std::string_view key) {
    return key == "config" || key == "no-config" || key == "help" || key == "version";
}

// CLI11 2.1's own TOML reader (ConfigBase::from_config) is too lenient for us: it cuts a value
// at a '#' even inside quotes ("x #1" → "x), splits an unquoted value at blanks, keeps an
// unterminated string's quote, reads a line without '=' as a flag set to true, maps [section] to
// subcommands, and keeps no line numbers. So the items it gets here were read and checked
// already.
class CheckedItems final : public CLI::ConfigBase {
  public:
    explicit CheckedItems(std::vector<CLI::ConfigItem> items) : items_(std::move(items)) {}
    std::vector<CLI::ConfigItem> from_config(std::istream&) const override { return items_; }

  private:
    std::vector<CLI::ConfigItem> items_;
};

SyntaxError at_line(const std::string& path, int line, const std::string& message,
                    std::string hint) {
    return {path + ":" + std::to_string(line) + ": " + message, std::move(hint)};
}

// The key meant by an unknown one: the long name of a short option's letter ("a" → "agent"),
// else the closest long name within an edit distance of 2; empty when none.
std::string suggest(const CLI::App& app, const std::string& key) {
    if (key.size() == 1) {
        const CLI::Option* opt = find_option(app, key, false);
        if (opt != nullptr && !opt->get_lnames().empty() && !refused_key(opt->get_lnames().front()))
            return opt->get_lnames().front();
    }
    std::string best;
    std::size_t best_distance = 3;
    for (const CLI::Option* opt : app.get_options()) {
        for (const std::string& name : opt->get_lnames()) {
            if (refused_key(name)) continue;
            const std::size_t d = edit_distance(key, name);
            if (d < best_distance) {
                best = name;
                best_distance = d;
            }
        }
    }
    return best;
}

std::string shown(const TomlValue& v) {
    return v.type == TomlValue::Type::array ? "(a list)" : "'" + v.text + "'";
}

// The CLI11 item for entry `e`; nullopt for a flag set to false (the same as leaving it out).
std::optional<CLI::ConfigItem> config_item(const CLI::App& app, const TomlEntry& e,
                                           const std::string& path) {
    auto error = [&](const std::string& message, const std::string& hint) {
        return at_line(path, e.line, message, hint);
    };
    if (e.key == "api-key" || e.key == "api_key")
        throw error("the API key cannot be set in a configuration file",
                    "name a file that holds it instead: api-key-file = "
                    "\"~/.config/letta-stream/api-key\" (chmod 600), or set LETTA_API_KEY");
    if (refused_key(e.key))
        throw error("'" + e.key + "' cannot be set in a configuration file",
                    "leave it out; see CONFIGURATION in letta-stream(1)");
    const CLI::Option* opt = find_option(app, e.key, true);
    if (opt == nullptr) {
        const std::string near = suggest(app, e.key);
        throw error("unknown key '" + e.key + "'",
                    near.empty() ? "the keys are the long options' names; see CONFIGURATION in "
                                   "letta-stream(1)"
                                 : "did you mean '" + near + "'?");
    }
    using Type = TomlValue::Type;
    const TomlValue& v = e.value;
    CLI::ConfigItem item;
    item.name = e.key;
    if (v.type == Type::array) {
        if (e.key != "header")
            throw error(e.key + " takes one value, not a list", "only header takes a list");
        for (const TomlValue& x : v.items) {
            if (x.type != Type::string)
                throw error("invalid header " + shown(x),
                            "write headers as strings: header = [\"X-A: 1\", \"X-B: 2\"]");
            item.inputs.push_back(x.text);
        }
        if (item.inputs.empty()) return std::nullopt;
        return item;
    }
    if (!takes_value(opt)) {  // a flag: true or false; -m and --gzip also take their values
        if (v.type == Type::boolean) {
            if (v.text == "false") return std::nullopt;
            // "": CLI11 gives the flag its declared default, as for a bare -m (text).
            item.inputs = {takes_attached_value(opt) ? "" : "true"};
            return item;
        }
        std::string hint = "write " + e.key + " = true or " + e.key + " = false";
        if (takes_attached_value(opt)) {
            if (v.type == Type::string && !v.text.empty()) {
                item.inputs = {v.text};
                return item;
            }
            std::string choices = opt->get_type_name().substr(2);  // "[=text|json]"
            choices.pop_back();
            for (auto bar = choices.find('|'); bar != std::string::npos; bar = choices.find('|'))
                choices.replace(bar, 1, "\" or \"");
            hint = "write " + e.key + " = true, false, \"" + choices + "\"";
        } else if (v.type == Type::string) {
            hint += " (no quotes)";
        }
        throw error("invalid " + e.key + " " + shown(v), hint);
    }
    if (v.type == Type::boolean)
        throw error("invalid " + e.key + " " + shown(v),
                    e.key + " takes " + opt->get_type_name() + ", not true or false");
    item.inputs = {v.text};
    return item;
}

// Reads the configuration file the command line asks for into `file`; leaves it empty when there
// is none (or --no-config). A missing default file is no error; a missing --config FILE is.
void read_config(const RawOptions& cli, const Environment& env, ConfigFile& file) {
    if (cli.no_config) return;  // with --config too: resolve() says they contradict
    const bool named = cli.config.has_value();
    std::string path;
    if (named) {
        if (util::trim(*cli.config).empty()) return;  // resolve() says it is empty
        path = *cli.config;
    } else if (auto p = default_config_path(env)) {
        path = *p;
    } else {
        return;
    }
    std::string text, error;
    unsigned mode = 0;
    if (!named && env.stat && !env.stat(path, mode, error)) return;  // no default file
    if (!env.read_file(path, text, error)) {
        if (!named && !env.stat) return;  // cannot tell a missing file from a broken one
        throw SyntaxError{"cannot read " +
                              std::string(named ? "--config " : "the configuration file ") + path +
                              ": " + error,
                          named ? "check the path, or leave --config out"
                                : "fix or remove that file, or use --no-config"};
    }
    std::vector<TomlEntry> entries;
    try {
        entries = read_toml(text);
    } catch (const TomlError& e) {
        throw at_line(path, e.line, e.message, e.hint);
    }
    CLI::App app{"", "letta-stream"};
    bool version = false;
    declare(app, file.raw, version);
    std::vector<CLI::ConfigItem> items;
    for (const TomlEntry& e : entries) {
        if (auto item = config_item(app, e, path)) items.push_back(std::move(*item));
        file.lines[e.key] = e.line;
    }
    app.config_formatter(std::make_shared<CheckedItems>(std::move(items)));
    try {
        std::istringstream none;
        app.parse_from_stream(none);
        collect(app, file.raw);
    } catch (const CLI::ParseError& e) {  // not expected: the items were checked
        throw SyntaxError{path + ": " + explain(e, app).message,
                          "see CONFIGURATION in letta-stream(1)"};
    }
    // Paths are relative to the file's directory ("~/" to $HOME), not to the current one.
    for (const RawBinding& b : raw_bindings) {
        const std::string type = app.get_option(b.name)->get_type_name();
        auto& value = file.raw.*b.field;
        if (value && (type == "FILE" || type == "DIR"))
            value = config_relative_path(*value, path, env);
    }
    file.path = path;
}

}  // namespace

ParseResult parse(const std::vector<std::string>& args, const Environment& env) {
    RawOptions raw;
    bool version = false;
    CLI::App app{"", "letta-stream"};
    declare(app, raw, version);

    Scanned scanned;
    try {
        split_attached_values(app, args, scanned);
        // CLI11 wants argv without the program name, in reverse order.
        std::vector<std::string> rev(scanned.args.rbegin(), scanned.args.rend());
        app.parse(rev);
        collect(app, raw);
    } catch (const CLI::CallForHelp&) {
        ParseResult result;
        result.action = ParseResult::Action::help;
        result.text = app.help();
        return result;
    } catch (const CLI::ParseError& e) {
        return usage_error(explain(e, app), scanned);
    } catch (const SyntaxError& e) {
        scanned.json = scanned.json || raw.json;
        return usage_error(e, scanned);
    }
    if (version) {
        ParseResult result;
        result.action = ParseResult::Action::version;
        return result;
    }
    ConfigFile file;
    try {
        read_config(raw, env, file);
    } catch (const SyntaxError& e) {
        scanned.json = scanned.json || raw.json;
        return usage_error(e, scanned);
    }
    return resolve(raw, file, env);
}

}  // namespace letta_stream::cli
