// Stage one: syntax. The only file that includes CLI11. Every flag is declared here once; the
// man page and completion scripts are checked against `--help` by tests/check_flags.sh.
#include <CLI/CLI.hpp>
#include <cctype>

#include "cli/parse.hpp"
#include "util/exit_status.hpp"

namespace letta_stream::cli {

namespace {

constexpr const char* kDescription =
    "Send one prompt to a Letta agent and stream its reply to stdout as it is generated.\n"
    "The prompt is PROMPT, or stdin when PROMPT is '-' or absent; with both, they are joined\n"
    "as \"PROMPT\\n\\nSTDIN\". Diagnostics go to stderr. Environment: LETTA_API_KEY,\n"
    "LETTA_BASE_URL, LETTA_PROJECT_ID, LETTA_CUSTOM_HEADERS.";

constexpr const char* kFooter =
    "Exit status: 0 ok (also when the reader closes the pipe), 1 the run ended in error,\n"
    "2 usage, 3 authentication, 4 not found, 5 rate-limited/quota/busy, 6 timeout, 7 network,\n"
    "8 server error or malformed stream, 9 run stopped early, 10 cannot write output,\n"
    "130 SIGINT, 143 SIGTERM. See letta-stream(1).";

// Usage first, then the description, then one block per group: the layout of curl and ripgrep
// rather than CLI11's default.
class HelpFormatter final : public CLI::Formatter {
  public:
    std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
        std::string out = "Usage: letta-stream [OPTIONS] [PROMPT | -]\n\n";
        out += app->get_description() + "\n";
        const std::vector<std::string> groups = {"Agent", "Server", "Input", "Output", "Options"};
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

void declare(CLI::App& app, RawOptions& raw, bool& version) {
    app.formatter(std::make_shared<HelpFormatter>());
    app.description(kDescription);
    app.footer(kFooter);
    app.set_help_flag("-h,--help", "Print this help and exit")->group("Options");
    app.add_flag("-V,--version", version, "Print the version and exit")->group("Options");

    app.add_option("PROMPT", raw.prompt, "The prompt; '-' reads it from stdin");

    const char* target = "Agent";
    app.add_option("-a,--agent", raw.agent, "Agent id (agent-<uuid>) or exact agent name")
        ->type_name("ID|NAME")
        ->group(target);
    app.add_option("--conversation", raw.conversation,
                   "Conversation id (default: the agent's default one)")
        ->type_name("ID")
        ->group(target);
    app.add_option("--endpoint", raw.endpoint, "Message route: conversations (default) or agents")
        ->type_name("ROUTE")
        ->group(target);

    const char* server = "Server";
    app.add_option("--base-url", raw.base_url,
                   "API base URL (env LETTA_BASE_URL, default\n"
                   "https://api.letta.com)")
        ->type_name("URL")
        ->group(server);
    app.add_option("--api-key-file", raw.api_key_file,
                   "Read the API key from FILE (default: env LETTA_API_KEY)")
        ->type_name("FILE")
        ->group(server);
    app.add_option("--project-id", raw.project_id, "Send X-Project-Id (env LETTA_PROJECT_ID)")
        ->type_name("ID")
        ->group(server);
    app.add_option("-H,--header", raw.headers,
                   "Extra request header, repeatable (env LETTA_CUSTOM_HEADERS)")
        ->type_name("'NAME: VALUE'")
        ->expected(1)
        ->allow_extra_args(false)  // `-H 'A: b' "prompt"`: the prompt is not a second header
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(server);
    app.add_option("--connect-timeout", raw.connect_timeout,
                   "Give up connecting after SECONDS (default 30)")
        ->type_name("SECONDS")
        ->group(server);

    const char* input = "Input";
    app.add_flag("--no-stdin", raw.no_stdin, "Never read stdin, even when it is a pipe")
        ->group(input);
    app.add_option("--max-prompt-size", raw.max_prompt_size,
                   "Refuse prompts larger than BYTES (default 4M)")
        ->type_name("BYTES")
        ->group(input);
    app.add_option("--max-event-size", raw.max_event_size,
                   "Fail on a stream event larger than BYTES (default 16M)")
        ->type_name("BYTES")
        ->group(input);

    const char* output = "Output";
    app.add_flag("-j,--json", raw.json,
                 "Write JSON lines (one event per line) instead of the reply")
        ->group(output);
    app.add_flag("-n,--no-newline", raw.no_newline,
                 "Do not add a final newline to a reply that lacks one")
        ->group(output);
    app.add_flag("-m{text},--metrics{text}", raw.metrics,
                 "Report timings and token counts on stderr at the end;\n"
                 "--metrics=json prints them as one JSON line")
        ->type_name("[=json]")
        ->group(output);
    app.add_option("--metrics-file", raw.metrics_file, "Write the metrics report as JSON to FILE")
        ->type_name("FILE")
        ->group(output);
    app.add_flag("--show-reasoning", raw.show_reasoning,
                 "Print the agent's reasoning to stderr as it streams")
        ->group(output);
    app.add_flag("--show-tools", raw.show_tools, "Print tool calls and their results to stderr")
        ->group(output);

    const char* general = "Options";
    app.add_flag("-v,--verbose", raw.verbose,
                 "Trace requests and stream events on stderr (keys redacted)")
        ->group(general);
    app.add_flag("-q,--quiet", raw.quiet, "No warnings or progress line on stderr; errors still show")
        ->group(general);
}

}  // namespace

ParseResult parse(const std::vector<std::string>& args, const Environment& env) {
    RawOptions raw;
    bool version = false;
    CLI::App app{"", "letta-stream"};
    declare(app, raw, version);

    ParseResult result;
    try {
        // CLI11 wants argv without the program name, in reverse order.
        std::vector<std::string> rev(args.rbegin(), args.rend());
        app.parse(rev);
    } catch (const CLI::CallForHelp&) {
        result.action = ParseResult::Action::help;
        result.text = app.help();
        return result;
    } catch (const CLI::ParseError& e) {
        result.action = ParseResult::Action::error;
        result.exit_code = to_int(ExitStatus::usage);
        std::string what = e.what();
        if (!what.empty())
            what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        result.text = what;
        result.hint = "see letta-stream --help";
        if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
            const auto colon = what.rfind(": ");
            const std::string extra = colon == std::string::npos ? "" : what.substr(colon + 2);
            if (!extra.empty() && extra[0] == '-')
                result.text = "unknown option " + extra;
            else
                result.hint =
                    "quote a prompt of several words: letta-stream -a AGENT \"your prompt\"";
        }
        return result;
    }
    if (version) {
        result.action = ParseResult::Action::version;
        return result;
    }
    return resolve(raw, env);
}

}  // namespace letta_stream::cli
