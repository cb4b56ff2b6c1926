// cli::parse — every flag: default, set, invalid, conflicting; the prompt rules of DESIGN.md §1.
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>

#include "cli/parse.hpp"
#include "support/fake_cli_env.hpp"
#include "util/exit_status.hpp"
#include "util/strings.hpp"

using namespace letta_stream;
using Action = cli::ParseResult::Action;

namespace {

constexpr const char* kAgent = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

using FakeEnv = ls_test::FakeCliEnv;

}  // namespace

TEST_CASE("defaults", "[cli]") {
    FakeEnv f;
    auto r = f.parse({"-a", kAgent, "hello"});
    REQUIRE(r.action == Action::run);
    const auto& o = r.options;
    CHECK(o.agent == kAgent);
    CHECK(o.prompt == "hello");
    CHECK(o.base_url == "https://api.letta.com");
    CHECK(o.api_key == "sk-let-test");
    CHECK(o.route == cli::Route::conversations);
    CHECK(o.conversation.empty());
    CHECK(o.connect_timeout_ms == 30000);
    CHECK(o.max_event_size == 16u << 20);
    CHECK(o.max_prompt_size == 4u << 20);
    CHECK(o.final_newline);
    CHECK_FALSE(o.verbose);
    CHECK_FALSE(o.quiet);
    CHECK(o.headers.empty());
    CHECK(f.stdin_reads == 0);  // a terminal stdin is never read
}

TEST_CASE("help and version", "[cli]") {
    FakeEnv f;
    auto h = f.parse({"--help"});
    CHECK(h.action == Action::help);
    CHECK(h.text.find("--agent") != std::string::npos);
    CHECK(h.text.find("Exit status") != std::string::npos);
    CHECK(f.parse({"-h"}).action == Action::help);
    CHECK(f.parse({"-V"}).action == Action::version);
    CHECK(f.parse({"--version"}).action == Action::version);
    f.vars.clear();  // help needs no API key
    CHECK(f.parse({"--help"}).action == Action::help);
}

TEST_CASE("unknown flags and extra arguments are usage errors", "[cli]") {
    FakeEnv f;
    auto r = f.parse({"-a", kAgent, "--frobnicate", "x"});
    CHECK(r.action == Action::error);
    CHECK(r.exit_code == 2);
    auto e = f.parse({"-a", kAgent, "hello", "world"});
    CHECK(e.action == Action::error);
    CHECK(e.exit_code == 2);
    CHECK(e.hint.find("quote") != std::string::npos);
    auto m = f.parse({"-a"});
    CHECK(m.exit_code == 2);
}

TEST_CASE("flag --agent and --conversation", "[cli]") {
    FakeEnv f;
    SECTION("a name is kept for lookup") {
        auto r = f.parse({"--agent", "support-bot", "hi"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.agent == "support-bot");
    }
    SECTION("no agent") {
        auto r = f.parse({"hi"});
        CHECK(r.exit_code == 2);
        CHECK(r.text == "no agent given");
        CHECK(r.hint.find("--agent") != std::string::npos);
    }
    SECTION("a conversation alone is enough") {
        auto r = f.parse({"--conversation", "conv-123", "hi"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.conversation == "conv-123");
    }
    SECTION("conversation ids are checked") {
        auto r = f.parse({"-a", kAgent, "--conversation", "../x", "hi"});
        CHECK(r.exit_code == 2);
    }
    SECTION("--endpoint") {
        CHECK(f.parse({"-a", kAgent, "--endpoint", "agents", "hi"}).options.route ==
              cli::Route::agents);
        CHECK(f.parse({"-a", kAgent, "--endpoint", "conversations", "hi"}).options.route ==
              cli::Route::conversations);
        auto bad = f.parse({"-a", kAgent, "--endpoint", "chat", "hi"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.hint.find("conversations") != std::string::npos);
        auto conflict =
            f.parse({"-a", kAgent, "--endpoint", "agents", "--conversation", "c1", "hi"});
        CHECK(conflict.exit_code == 2);
    }
}

TEST_CASE("base URL from flag, env, default", "[cli]") {
    FakeEnv f;
    CHECK(f.parse({"-a", kAgent, "--base-url", "http://127.0.0.1:8283/", "hi"}).options.base_url ==
          "http://127.0.0.1:8283");
    f.vars["LETTA_BASE_URL"] = "http://localhost:9/";
    CHECK(f.parse({"-a", kAgent, "hi"}).options.base_url == "http://localhost:9");
    CHECK(f.parse({"-a", kAgent, "--base-url", "https://x.example", "hi"}).options.base_url ==
          "https://x.example");
    auto bad = f.parse({"-a", kAgent, "--base-url", "ftp://x", "hi"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.text.find("--base-url") != std::string::npos);
    f.vars["LETTA_BASE_URL"] = "localhost";
    auto bad_env = f.parse({"-a", kAgent, "hi"});
    CHECK(bad_env.exit_code == 2);
    CHECK(bad_env.text.find("LETTA_BASE_URL") != std::string::npos);
}

TEST_CASE("API key from env or file, never required for other servers", "[cli]") {
    FakeEnv f;
    SECTION("missing key for Letta Cloud is an auth error naming the fix") {
        f.vars.clear();
        auto r = f.parse({"-a", kAgent, "hi"});
        CHECK(r.exit_code == 3);
        CHECK(r.hint.find("LETTA_API_KEY") != std::string::npos);
        CHECK(r.hint.find("--api-key-file") != std::string::npos);
    }
    SECTION("a self-hosted server needs none") {
        f.vars.clear();
        auto r = f.parse({"-a", kAgent, "--base-url", "http://127.0.0.1:1", "hi"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.api_key.empty());
    }
    SECTION("--api-key-file wins and is trimmed") {
        f.files["/k"] = "sk-let-from-file\n";
        CHECK(f.parse({"-a", kAgent, "--api-key-file", "/k", "hi"}).options.api_key ==
              "sk-let-from-file");
    }
    SECTION("unreadable or empty key file") {
        auto r = f.parse({"-a", kAgent, "--api-key-file", "/missing", "hi"});
        CHECK(r.exit_code == 2);
        CHECK(r.text.find("/missing") != std::string::npos);
        f.files["/empty"] = "\n";
        CHECK(f.parse({"-a", kAgent, "--api-key-file", "/empty", "hi"}).exit_code == 3);
    }
    SECTION("a key with a newline inside is rejected") {
        f.vars["LETTA_API_KEY"] = "sk-let-a\nInjected: 1";
        CHECK(f.parse({"-a", kAgent, "hi"}).exit_code == 3);
    }
}

TEST_CASE("flag --project-id and headers", "[cli]") {
    FakeEnv f;
    CHECK(f.parse({"-a", kAgent, "--project-id", "proj-1", "hi"}).options.project_id == "proj-1");
    f.vars["LETTA_PROJECT_ID"] = "proj-env";
    CHECK(f.parse({"-a", kAgent, "hi"}).options.project_id == "proj-env");

    f.vars["LETTA_CUSTOM_HEADERS"] = "X-One: 1\n\nX-Two:2\n";
    auto r = f.parse({"-a", kAgent, "-H", "X-Three: three", "--header", "X-Four: 4", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.headers ==
          std::vector<std::string>{"X-One: 1", "X-Two: 2", "X-Three: three", "X-Four: 4"});
    CHECK(r.options.prompt == "hi");  // -H takes exactly one value

    CHECK(f.parse({"-a", kAgent, "-H", "no colon", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "-H", "Bad Name: x", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "-H", "X: a\rInjected: b", "hi"}).exit_code == 2);
    f.vars["LETTA_CUSTOM_HEADERS"] = "garbage";
    auto e = f.parse({"-a", kAgent, "hi"});
    CHECK(e.exit_code == 2);
    CHECK(e.text.find("LETTA_CUSTOM_HEADERS") != std::string::npos);
}

TEST_CASE("flag --connect-timeout", "[cli]") {
    FakeEnv f;
    CHECK(f.parse({"-a", kAgent, "--connect-timeout", "2.5", "hi"}).options.connect_timeout_ms ==
          2500);
    CHECK(f.parse({"-a", kAgent, "--connect-timeout", "0", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "--connect-timeout", "-1", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "--connect-timeout", "abc", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "--connect-timeout", "nan", "hi"}).exit_code == 2);
}

TEST_CASE("sizes", "[cli]") {
    std::size_t n = 0;
    CHECK((cli::parse_size("1024", n) && n == 1024));
    CHECK((cli::parse_size("16M", n) && n == 16u << 20));
    CHECK((cli::parse_size("512k", n) && n == 512u << 10));
    CHECK((cli::parse_size("2MiB", n) && n == 2u << 20));
    CHECK((cli::parse_size("1G", n) && n == 1u << 30));
    CHECK_FALSE(cli::parse_size("0", n));
    CHECK_FALSE(cli::parse_size("", n));
    CHECK_FALSE(cli::parse_size("12Q", n));
    CHECK_FALSE(cli::parse_size("-5", n));
    CHECK_FALSE(cli::parse_size("99999999999999999999", n));

    FakeEnv f;
    CHECK(f.parse({"-a", kAgent, "--max-event-size", "1K", "hi"}).options.max_event_size == 1024);
    CHECK(f.parse({"-a", kAgent, "--max-event-size", "x", "hi"}).exit_code == 2);
    CHECK(f.parse({"-a", kAgent, "--max-prompt-size", "0", "hi"}).exit_code == 2);
}

TEST_CASE("flags: -n -v -q", "[cli]") {
    FakeEnv f;
    CHECK_FALSE(f.parse({"-a", kAgent, "-n", "hi"}).options.final_newline);
    CHECK_FALSE(f.parse({"-a", kAgent, "--no-newline", "hi"}).options.final_newline);
    CHECK(f.parse({"-a", kAgent, "-v", "hi"}).options.verbose);
    CHECK(f.parse({"-a", kAgent, "--quiet", "hi"}).options.quiet);
    CHECK(f.parse({"-a", kAgent, "-v", "-q", "hi"}).exit_code == 2);
}

TEST_CASE("prompt rules (DESIGN.md §1)", "[cli]") {
    FakeEnv f;
    SECTION("argument only, terminal stdin") {
        auto r = f.parse({"-a", kAgent, "Explain quantum computing"});
        CHECK(r.options.prompt == "Explain quantum computing");
    }
    SECTION("argument + piped stdin are combined") {
        f.tty = false;
        f.stdin_text = "diff --git a/x b/x\n";
        auto r = f.parse({"-a", kAgent, "Review this diff:"});
        CHECK(r.options.prompt == "Review this diff:\n\ndiff --git a/x b/x\n");
    }
    SECTION("argument + empty stdin (cron, /dev/null) is just the argument") {
        f.tty = false;
        CHECK(f.parse({"-a", kAgent, "hi"}).options.prompt == "hi");
    }
    SECTION("--no-stdin never reads stdin") {
        f.tty = false;
        f.stdin_text = "ignored";
        CHECK(f.parse({"-a", kAgent, "--no-stdin", "hi"}).options.prompt == "hi");
        CHECK(f.stdin_reads == 0);
        auto r = f.parse({"-a", kAgent, "--no-stdin"});
        CHECK(r.exit_code == 2);
    }
    SECTION("no argument: piped stdin is the prompt") {
        f.tty = false;
        f.stdin_text = "What is 2+2?\n";
        CHECK(f.parse({"-a", kAgent}).options.prompt == "What is 2+2?\n");
    }
    SECTION("'-' reads stdin") {
        f.tty = false;
        f.stdin_text = "from a file";
        CHECK(f.parse({"-a", kAgent, "-"}).options.prompt == "from a file");
    }
    SECTION("no argument and a terminal stdin is a usage error, never a hang") {
        auto r = f.parse({"-a", kAgent});
        CHECK(r.exit_code == 2);
        CHECK(r.text == "no prompt given");
        CHECK(f.stdin_reads == 0);
    }
    SECTION("empty prompts") {
        CHECK(f.parse({"-a", kAgent, ""}).exit_code == 2);
        CHECK(f.parse({"-a", kAgent, "  \n\t"}).exit_code == 2);
        f.tty = false;
        CHECK(f.parse({"-a", kAgent}).exit_code == 2);       // stdin empty
        CHECK(f.parse({"-a", kAgent, "-"}).exit_code == 2);  // stdin empty
        f.stdin_text = "\n\n";
        CHECK(f.parse({"-a", kAgent}).exit_code == 2);
    }
    SECTION("size bound") {
        f.tty = false;
        f.stdin_text = std::string(2000, 'x');
        auto r = f.parse({"-a", kAgent, "--max-prompt-size", "1K"});
        CHECK(r.exit_code == 2);
        CHECK(r.hint.find("--max-prompt-size") != std::string::npos);
        CHECK(f.parse({"-a", kAgent, "--max-prompt-size", "2K"}).action == Action::run);
    }
    SECTION("stdin read error") {
        f.tty = false;
        f.stdin_fails = true;
        auto r = f.parse({"-a", kAgent});
        CHECK(r.exit_code == 2);
        CHECK(r.text.find("Input/output error") != std::string::npos);
    }
    SECTION("invalid UTF-8 is repaired with a warning") {
        auto r = f.parse({"-a", kAgent, "caf\xe9 ok"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.prompt == "caf\xEF\xBF\xBD ok");
        REQUIRE(r.options.warnings.size() == 1);
    }
    SECTION("a prompt that starts with a dash after --") {
        CHECK(f.parse({"-a", kAgent, "--", "-5 degrees?"}).options.prompt == "-5 degrees?");
    }
}

TEST_CASE("output flags: -j, -m, --metrics=json, --metrics-file, --show-*", "[cli]") {
    FakeEnv f;
    auto d = f.parse({"-a", kAgent, "hi"});
    CHECK_FALSE(d.options.json);
    CHECK(d.options.metrics == cli::MetricsFormat::none);
    CHECK(d.options.metrics_file.empty());
    CHECK_FALSE(d.options.show_reasoning);
    CHECK_FALSE(d.options.show_tools);

    CHECK(f.parse({"-j", "-a", kAgent, "hi"}).options.json);
    CHECK(f.parse({"--json", "-a", kAgent, "hi"}).options.json);
    CHECK(f.parse({"-m", "-a", kAgent, "hi"}).options.metrics == cli::MetricsFormat::text);
    CHECK(f.parse({"--metrics", "-a", kAgent, "hi"}).options.metrics == cli::MetricsFormat::text);
    CHECK(f.parse({"--metrics=json", "-a", kAgent, "hi"}).options.metrics ==
          cli::MetricsFormat::json);
    CHECK(f.parse({"--metrics=text", "-a", kAgent, "hi"}).options.metrics ==
          cli::MetricsFormat::text);
    // A bare -m never swallows the prompt that follows it.
    auto m = f.parse({"-a", kAgent, "-m", "hi"});
    CHECK(m.options.metrics == cli::MetricsFormat::text);
    CHECK(m.options.prompt == "hi");
    auto bad = f.parse({"--metrics=xml", "-a", kAgent, "hi"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.hint.find("--metrics=json") != std::string::npos);
    CHECK(bad.hint.find("--metrics=text") != std::string::npos);
    CHECK(f.parse({"--metrics-file", "/tmp/m.json", "-a", kAgent, "hi"}).options.metrics_file ==
          "/tmp/m.json");
    CHECK(f.parse({"--show-reasoning", "-a", kAgent, "hi"}).options.show_reasoning);
    CHECK(f.parse({"--show-tools", "-a", kAgent, "hi"}).options.show_tools);
}

TEST_CASE("a usage error still says whether -j was asked for", "[cli]") {
    FakeEnv f;
    auto r = f.parse({"-j", "-a", kAgent, ""});
    CHECK(r.action == Action::error);
    CHECK(r.options.json);
    CHECK_FALSE(f.parse({"-a", kAgent, ""}).options.json);
}

TEST_CASE("'-' and --no-stdin contradict each other", "[cli]") {
    FakeEnv f;
    f.tty = false;
    f.stdin_text = "x";
    auto r = f.parse({"-a", kAgent, "--no-stdin", "-"});
    CHECK(r.exit_code == 2);
    CHECK(f.stdin_reads == 0);
}

// Issue "The contract holds on every path", item 1: `--agent= "Summarize"` used the prompt as the
// agent. Every option that takes a value, attached empty (`--x=`) and separate empty (`--x ""`).
TEST_CASE("an empty value is the value, never the next word", "[cli]") {
    FakeEnv f;
    f.vars["LETTA_PROJECT_ID"] = "proj-env";
    // option → a word of the usage error (empty is never valid for these)
    const std::map<std::string, std::string> rejected = {
        {"--agent", "--agent is empty"},
        {"--conversation", "--conversation is empty"},
        {"--endpoint", "invalid --endpoint ''"},
        {"--base-url", "--base-url is empty"},
        {"--api-key-file", "--api-key-file is empty"},
        {"--header", "invalid header '' in -H/--header"},
        {"--connect-timeout", "invalid --connect-timeout ''"},
        {"--max-prompt-size", "invalid --max-prompt-size ''"},
        {"--max-event-size", "invalid --max-event-size ''"},
        {"--metrics-file", "--metrics-file is empty"},
        {"--metrics", "invalid --metrics format ''"},
        {"--coalesce", "invalid --coalesce ''"},
        {"--coalesce-ms", "invalid --coalesce-ms ''"},
        {"--throttle", "invalid --throttle ''"},
        {"--burst", "invalid --burst ''"},
        {"--gzip", "invalid --gzip framing ''"},
        {"--gzip-level", "invalid --gzip-level ''"},
        {"--first-token-timeout", "invalid --first-token-timeout ''"},
        {"--idle-timeout", "invalid --idle-timeout ''"},
        {"--max-time", "invalid --max-time ''"},
        {"--retries", "invalid --retries ''"},
        {"--retry-max-time", "invalid --retry-max-time ''"},
        {"--background", "invalid --background ''"},
        {"--api", "invalid --api ''"},
        {"--model", "--model is empty"},
        {"--url", "--url is empty"},
        {"--data", "--data makes no sense with --api letta"},
        {"--cacert", "--cacert is empty"},
        {"--capath", "--capath is empty"},
        {"--cert", "--cert is empty"},
        {"--key", "--key is empty"},
        {"--proxy", "--proxy is empty"},
        {"--noproxy", "invalid --noproxy ''"},
        {"--record", "--record is empty"},
        {"--replay", "--replay is empty"},
        {"--replay-speed", "invalid --replay-speed ''"},
        {"--config", "--config is empty"},
    };
    for (const auto& [flag, message] : rejected) {
        INFO(flag);
        const std::string agent = flag == "--agent" ? "--no-stdin" : "-a" + std::string(kAgent);
        auto attached = f.parse({agent, flag + "=", "Summarize"});
        CHECK(attached.action == Action::error);
        CHECK(attached.exit_code == 2);
        CHECK(attached.text == message);
        CHECK_FALSE(attached.hint.empty());
        if (flag == "--metrics" || flag == "--gzip") continue;  // values only attached
        auto separate = f.parse({agent, flag, "", "Summarize"});
        CHECK(separate.exit_code == 2);
        CHECK(separate.text == message);
    }
    SECTION("an empty --project-id sends none, even with LETTA_PROJECT_ID set") {
        for (auto args :
             {std::vector<std::string>{"-a", kAgent, "--project-id=", "Summarize"},
              std::vector<std::string>{"-a", kAgent, "--project-id", "", "Summarize"}}) {
            auto r = f.parse(args);
            REQUIRE(r.action == Action::run);
            CHECK(r.options.project_id.empty());
            CHECK(r.options.prompt == "Summarize");
        }
    }
    SECTION("short options with an empty value") {
        CHECK(f.parse({"-a", "", "Summarize"}).text == "--agent is empty");
        CHECK(f.parse({"-a", kAgent, "-H", "", "Summarize"}).exit_code == 2);
    }
    SECTION("an attached value that looks like an option is still the value") {
        auto r = f.parse({"--agent=--json", "hi"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.agent == "--json");
        CHECK_FALSE(r.options.json);
    }
    SECTION("the value of an option is not scanned for '='") {
        auto r = f.parse({"-a", "--agent=", "hi"});
        REQUIRE(r.action == Action::run);
        CHECK(r.options.agent == "--agent=");
        CHECK(r.options.prompt == "hi");
    }
}

// The table above must cover every option of --help that takes a value.
TEST_CASE("every option that takes a value is tested empty", "[cli]") {
    FakeEnv f;
    const std::string help = f.parse({"--help"}).text;
    const std::set<std::string> tested = {"--agent",
                                          "--conversation",
                                          "--endpoint",
                                          "--base-url",
                                          "--api-key-file",
                                          "--header",
                                          "--connect-timeout",
                                          "--max-prompt-size",
                                          "--max-event-size",
                                          "--metrics-file",
                                          "--metrics",
                                          "--project-id",
                                          "--coalesce",
                                          "--coalesce-ms",
                                          "--throttle",
                                          "--burst",
                                          "--gzip",
                                          "--gzip-level",
                                          "--first-token-timeout",
                                          "--idle-timeout",
                                          "--max-time",
                                          "--retries",
                                          "--retry-max-time",
                                          "--background",
                                          "--api",
                                          "--model",
                                          "--url",
                                          "--data",
                                          "--cacert",
                                          "--capath",
                                          "--cert",
                                          "--key",
                                          "--proxy",
                                          "--noproxy",
                                          "--record",
                                          "--replay",
                                          "--replay-speed",
                                          "--config"};
    const std::regex with_value(R"((--[a-z][a-z0-9-]*)(\[=| [^ ]))");
    std::set<std::string> seen;  // a description may name another option ("--throttle (...)")
    for (std::sregex_iterator it(help.begin(), help.end(), with_value), end; it != end; ++it) {
        INFO((*it)[1].str());
        CHECK(tested.count((*it)[1].str()) == 1);
        seen.insert((*it)[1].str());
    }
    CHECK(seen == tested);
}

TEST_CASE("an empty LETTA_BASE_URL counts as unset, an empty --base-url is an error", "[cli]") {
    FakeEnv f;
    f.vars["LETTA_BASE_URL"] = "";
    CHECK(f.parse({"-a", kAgent, "hi"}).options.base_url == "https://api.letta.com");
    f.vars["LETTA_BASE_URL"] = " \n";
    CHECK(f.parse({"-a", kAgent, "hi"}).options.base_url == "https://api.letta.com");
    // Never the cloud by accident: the key would be sent there.
    f.vars["LETTA_BASE_URL"] = "http://127.0.0.1:8283";
    for (auto args : {std::vector<std::string>{"-a", kAgent, "--base-url", "", "hi"},
                      std::vector<std::string>{"-a", kAgent, "--base-url=", "hi"},
                      std::vector<std::string>{"-a", kAgent, "--base-url", "  ", "hi"}}) {
        auto r = f.parse(args);
        CHECK(r.exit_code == 2);
        CHECK(r.text == "--base-url is empty");
        CHECK(contains(r.hint, "http://"));
    }
}

// Item 3: CLI11's own wording ("--agent: At Most 1 required but received 2", "The following
// argument was not expected") never reaches the user.
TEST_CASE("parse errors are our own one-line messages naming the flag", "[cli]") {
    FakeEnv f;
    struct Case {
        std::vector<std::string> args;
        std::string text;
        std::string hint_word;
    };
    const std::vector<Case> cases = {
        {{"-a", kAgent, "-a", "support-bot", "hi"}, "--agent was given more than once", "once"},
        {{"-a", kAgent, "--base-url", "http://a", "--base-url=http://b", "hi"},
         "--base-url was given more than once",
         "--base-url"},
        {{"hi", "-a"}, "--agent needs a value", "--agent ID|NAME"},
        {{"-a", kAgent, "hi", "--max-event-size"}, "--max-event-size needs a value", "BYTES"},
        {{"-a", kAgent, "hi", "-H"}, "--header needs a value", "'NAME: VALUE'"},
        {{"--json=no", "-a", kAgent, "hi"}, "--json takes no value", "--json alone"},
        {{"--no-stdin=1", "-a", kAgent, "hi"}, "--no-stdin takes no value", "--no-stdin alone"},
        {{"-a", kAgent, "--frobnicate", "hi"}, "unknown option --frobnicate", "--help"},
        {{"-a", kAgent, "--frobnicate=3", "hi"}, "unknown option --frobnicate", "--help"},
        {{"-a", kAgent, "-x", "hi"}, "unknown option -x", "--"},
        {{"-a", kAgent, "two", "words"},
         "unexpected argument 'words' (the prompt is one argument)",
         "quote"},
        {{"-a", kAgent, "--", "a", "b"},
         "unexpected argument 'b' (the prompt is one argument)",
         "quote"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = f.parse(c.args);
        CHECK(r.action == Action::error);
        CHECK(r.exit_code == 2);
        CHECK(r.text == c.text);
        CHECK(contains(r.hint, c.hint_word));
        for (const char* cli11 : {"required", "not expected", "At Most", "convert", "missing"})
            CHECK_FALSE(contains(r.text, cli11));
        CHECK_FALSE(contains(r.text, "\n"));
    }
    // A usage error found while parsing still says whether -j was asked for.
    CHECK(f.parse({"-j", "-a", kAgent, "-a", "x", "hi"}).options.json);
    CHECK(f.parse({"--json", "hi", "-a"}).options.json);
    CHECK_FALSE(f.parse({"--json=no", "-a", kAgent, "hi"}).options.json);
}

// Item 4: scheme in any case, no query or fragment, a trailing /v1 from the SDK docs dropped.
TEST_CASE("base URLs are normalised", "[cli]") {
    FakeEnv f;
    auto url = [&](const std::string& given) {
        auto r = f.parse({"-a", kAgent, "--base-url", given, "hi"});
        INFO(given << ": " << r.text);
        return r.options.base_url;
    };
    CHECK(url("HTTP://127.0.0.1:8283") == "http://127.0.0.1:8283");
    CHECK(url("Https://letta.example.com/") == "https://letta.example.com");
    CHECK(url("https://letta.example.com/v1") == "https://letta.example.com");
    CHECK(url("https://letta.example.com/v1/") == "https://letta.example.com");
    CHECK(url("https://letta.example.com/v1//") == "https://letta.example.com");
    CHECK(url("https://letta.example.com/v1/v1") == "https://letta.example.com");  // never /v1/v1/
    CHECK(url("http://proxy/letta/v1/") == "http://proxy/letta");
    CHECK(url("http://proxy/letta-v1") == "http://proxy/letta-v1");
    CHECK(url("http://[::1]:8283/v1") == "http://[::1]:8283");
    f.vars["LETTA_BASE_URL"] = "HTTP://localhost:9/v1/";
    CHECK(f.parse({"-a", kAgent, "hi"}).options.base_url == "http://localhost:9");

    for (const std::string bad : {"https://x.example/?x=1", "https://x.example/v1?x=1",
                                  "https://x.example#a", "http://", "http:///v1", "HTTP//x"}) {
        auto r = f.parse({"-a", kAgent, "--base-url", bad, "hi"});
        INFO(bad);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.text, "--base-url"));
    }
    auto query = f.parse({"-a", kAgent, "--base-url", "https://x.example/?x=1", "hi"});
    CHECK(query.text == "the base URL 'https://x.example/?x=1' (from --base-url) has a query");
    CHECK(contains(query.hint, "'?'"));
    auto fragment = f.parse({"-a", kAgent, "--base-url", "https://x.example/#a", "hi"});
    CHECK(contains(fragment.text, "has a fragment"));
    CHECK(contains(fragment.hint, "'#'"));

    // The cloud is the cloud however it is written: it still needs a key.
    f.vars.clear();
    CHECK(f.parse({"-a", kAgent, "--base-url", "HTTPS://api.letta.com/v1/", "hi"}).exit_code == 3);
}

// Item 5: a password in the base URL is never printed.
TEST_CASE("messages about a base URL never show its password", "[cli]") {
    FakeEnv f;
    for (const std::string bad : {"ftp://me:s3cret@x.example", "https://me:s3cret@x.example/?a=1",
                                  "https://me:s3cret@x.example#f", "me:s3cret@x.example"}) {
        auto r = f.parse({"-a", kAgent, "--base-url", bad, "hi"});
        INFO(bad);
        CHECK(r.exit_code == 2);
        CHECK_FALSE(contains(r.text + r.hint, "s3cret"));
        CHECK(contains(r.text, "me:***@x.example"));
    }
    f.vars["LETTA_BASE_URL"] = "https://me:s3cret@x.example?x";
    auto env = f.parse({"-a", kAgent, "hi"});
    CHECK(env.exit_code == 2);
    CHECK(contains(env.text, "LETTA_BASE_URL"));
    CHECK_FALSE(contains(env.text, "s3cret"));
    // A valid one is kept as it is: curl needs the password.
    CHECK(f.parse({"-a", kAgent, "--base-url", "https://me:s3cret@x.example/v1", "hi"})
              .options.base_url == "https://me:s3cret@x.example");
}

// Item 6: an id copied in upper case is an id (sent lower-cased), not a name to look up.
TEST_CASE("agent ids in upper case are ids", "[cli]") {
    FakeEnv f;
    CHECK(f.parse({"-a", "agent-1B2C3D4E-5F60-4A7B-8C9D-0E1F2A3B4C5D", "hi"}).options.agent ==
          kAgent);
    CHECK(f.parse({"-a", "AGENT-1b2c3d4e-5F60-4a7b-8C9D-0e1f2a3b4c5d", "hi"}).options.agent ==
          kAgent);
    // Names stay as they are, whatever their case.
    CHECK(f.parse({"-a", "Support-Bot", "hi"}).options.agent == "Support-Bot");
    CHECK(f.parse({"-a", "agent-1B2C3D4E-5F60-1A7B-8C9D-0E1F2A3B4C5D", "hi"}).options.agent ==
          "agent-1B2C3D4E-5F60-1A7B-8C9D-0E1F2A3B4C5D");  // not a v4 UUID: a name
}

// Item 7 (the cli half): "Name:" is kept as curl's "remove this header"; a user Authorization
// header is a key.
TEST_CASE("headers: an empty value removes, a user Authorization is a key", "[cli]") {
    FakeEnv f;
    auto r = f.parse({"-a", kAgent, "-H", "Accept:", "-H", "Content-Type:  ", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.headers == std::vector<std::string>{"Accept:", "Content-Type:"});
    f.vars.clear();
    auto keyed = f.parse({"-a", kAgent, "-H", "authorization: Bearer sk-let-h", "hi"});
    CHECK(keyed.action == Action::run);
    CHECK(f.parse({"-a", kAgent, "hi"}).exit_code == 3);
}

// Item 8: blank is not empty, and Unicode spaces are blank.
TEST_CASE("blank prompts", "[cli]") {
    FakeEnv f;
    SECTION("white space on stdin is blank, not nothing") {
        f.tty = false;
        f.stdin_text = " \n\t\n";
        for (auto args : {std::vector<std::string>{"-a", kAgent},
                          std::vector<std::string>{"-a", kAgent, "-"}}) {
            auto r = f.parse(args);
            CHECK(r.exit_code == 2);
            CHECK(r.text == "the prompt is blank (only white space)");
        }
        f.stdin_text = "";
        CHECK(f.parse({"-a", kAgent}).text == "the prompt is empty (nothing on stdin)");
        CHECK(f.parse({"-a", kAgent, "-"}).text == "the prompt is empty (nothing on stdin)");
    }
    SECTION("an argument") {
        CHECK(f.parse({"-a", kAgent, ""}).text == "the prompt is empty");
        CHECK(f.parse({"-a", kAgent, " \n"}).text == "the prompt is blank (only white space)");
    }
    SECTION("Unicode spaces") {
        for (const std::string space :
             {"\u00a0", "\u3000", "\u2000", "\u2005", "\u200a", "\u2028", "\u2029", "\u202f",
              "\u205f", "\ufeff", "\u0085", "\u1680", "\u200b"}) {
            INFO(space);
            CHECK(util::is_blank(space));
            auto r = f.parse({"-a", kAgent, " " + space + space + "\n"});
            CHECK(r.text == "the prompt is blank (only white space)");
            f.tty = false;
            f.stdin_text = space + "\n";
            CHECK(f.parse({"-a", kAgent}).text == "the prompt is blank (only white space)");
            f.tty = true;
        }
        CHECK(util::is_blank(""));
        CHECK_FALSE(util::is_blank("\u00a0x"));
        CHECK_FALSE(util::is_blank("\u00e9"));
        CHECK_FALSE(util::is_blank("\u200c"));        // zero-width non-joiner: not a space
        CHECK_FALSE(util::is_blank("\xe0\x82\xa0"));  // overlong U+00A0: invalid, not blank
        CHECK_FALSE(util::is_blank("\xc2"));          // truncated
        CHECK(f.parse({"-a", kAgent, "\u3000hi\u3000"}).options.prompt == "\u3000hi\u3000");
    }
}

// Item 9: the values of --metrics and --endpoint are in --help (tests/check_flags.sh compares
// them with the man page and the completion scripts).
TEST_CASE("help lists the values of --metrics and --endpoint", "[cli]") {
    FakeEnv f;
    const std::string help = f.parse({"--help"}).text;
    CHECK(contains(help, "--metrics[=text|json]"));
    CHECK(contains(help, "--endpoint conversations|agents"));
}

namespace {

// `-a AGENT ARGS... hi`: the options, which must parse.
cli::Options options_of(FakeEnv& f, std::vector<std::string> args) {
    args.insert(args.begin(), {"-a", kAgent});
    args.push_back("hi");
    auto r = f.parse(args);
    INFO(r.text);
    REQUIRE(r.action == Action::run);
    return r.options;
}

// `-a AGENT ARGS... hi`: a usage error with a hint; its message.
std::string error_of(FakeEnv& f, std::vector<std::string> args) {
    args.insert(args.begin(), {"-a", kAgent});
    args.push_back("hi");
    auto r = f.parse(args);
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.hint.empty());
    return r.text;
}

}  // namespace

TEST_CASE("shaping: --coalesce, --throttle, --burst and --gzip values", "[cli]") {
    FakeEnv f;
    auto opts = [&](std::vector<std::string> args) { return options_of(f, std::move(args)); };
    auto error = [&](std::vector<std::string> args) { return error_of(f, std::move(args)); };
    auto o = opts({});
    CHECK(o.coalesce_bytes == 0);
    CHECK(o.coalesce_ms == 0);
    CHECK(o.throttle_per_s == 0);
    CHECK(o.gzip == cli::Gzip::none);

    o = opts({"--coalesce", "4K"});
    CHECK(o.coalesce_bytes == 4096);
    CHECK(o.coalesce_ms == 100);  // the default time bound
    o = opts({"--coalesce", "1M", "--coalesce-ms", "250"});
    CHECK(o.coalesce_bytes == 1u << 20);
    CHECK(o.coalesce_ms == 250);
    o = opts({"--coalesce-ms", "50"});
    CHECK(o.coalesce_bytes == 0);  // time-only batching
    CHECK(o.coalesce_ms == 50);

    CHECK(opts({"--throttle", "50"}).throttle_per_s == 50);
    CHECK(opts({"--throttle", "50/s"}).throttle_per_s == 50);
    CHECK(opts({"--throttle", "3000/m"}).throttle_per_s == 50);
    CHECK(opts({"--throttle", "0.5"}).throttle_per_s == 0.5);
    o = opts({"--throttle", "200c/s", "--burst", "10"});
    CHECK(o.throttle_per_s == 200);
    CHECK(o.throttle_chars);
    CHECK(o.burst == 10);
    CHECK(opts({"--throttle", "600c/m"}).throttle_per_s == 10);

    CHECK(opts({"--gzip"}).gzip == cli::Gzip::stream);
    CHECK(opts({"--gzip=stream"}).gzip == cli::Gzip::stream);
    CHECK(opts({"--gzip=members"}).gzip == cli::Gzip::members);
    o = opts({"--gzip-level", "9"});
    CHECK(o.gzip == cli::Gzip::stream);  // implied
    CHECK(o.gzip_level == 9);
    CHECK(opts({"--gzip=members", "--gzip-level", "1"}).gzip == cli::Gzip::members);

    CHECK(error({"--coalesce", "0"}) == "invalid --coalesce '0'");
    CHECK(error({"--coalesce", "4X"}) == "invalid --coalesce '4X'");
    CHECK(error({"--coalesce-ms", "0"}) == "invalid --coalesce-ms '0'");
    CHECK(error({"--throttle", "0"}) == "invalid --throttle '0'");
    CHECK(error({"--throttle", "5/x"}) == "invalid --throttle '5/x'");
    for (const char* bad : {"-5", " 5", "+5", "inf", "nan", "1e3", "0x10", "5c", "5/s/s", "c/s"})
        CHECK(error({"--throttle", bad}) == "invalid --throttle '" + std::string(bad) + "'");
    CHECK(error({"--throttle", "5", "--burst", "0"}) == "invalid --burst '0'");
    CHECK(error({"--burst", "3"}) == "--burst needs --throttle");
    CHECK(error({"--gzip=zip"}) == "invalid --gzip framing 'zip'");
    CHECK(error({"--gzip-level", "12"}) == "invalid --gzip-level '12'");
    CHECK(error({"--gzip-level", "0"}) == "invalid --gzip-level '0'");
    CHECK(error({"--throttle", "5/x"}).find("--throttle") != std::string::npos);
    // The hints name the valid forms.
    auto r = f.parse({"-a", kAgent, "--throttle", "5/x", "hi"});
    CHECK(r.hint.find("N/m") != std::string::npos);
    CHECK(r.hint.find("Nc/s") != std::string::npos);
}

TEST_CASE("reliability: timeouts, retries, --background and --no-cancel", "[cli]") {
    FakeEnv f;
    auto opts = [&](std::vector<std::string> args) { return options_of(f, std::move(args)); };
    auto error = [&](std::vector<std::string> args) { return error_of(f, std::move(args)); };
    auto o = opts({});
    CHECK(o.idle_timeout_ms == 60'000);
    CHECK(o.first_token_timeout_ms == 0);
    CHECK(o.max_time_ms == 0);
    CHECK(o.retries == 2);
    CHECK(o.retry_max_time_ms == 0);
    CHECK(o.background == cli::Background::automatic);
    CHECK(o.cancel);
    o = opts({"--idle-timeout", "1.5", "--first-token-timeout", "30", "--max-time", "600",
              "--retries", "0", "--retry-max-time", "20", "--background", "off", "--no-cancel"});
    CHECK(o.idle_timeout_ms == 1500);
    CHECK(o.first_token_timeout_ms == 30'000);
    CHECK(o.max_time_ms == 600'000);
    CHECK(o.retries == 0);
    CHECK(o.retry_max_time_ms == 20'000);
    CHECK(o.background == cli::Background::off);
    CHECK_FALSE(o.cancel);
    CHECK(opts({"--idle-timeout", "0"}).idle_timeout_ms == 0);  // no limit
    CHECK(opts({"--background", "on"}).background == cli::Background::on);
    CHECK(error({"--retries", "-1"}) == "invalid --retries '-1'");
    CHECK(error({"--retries", "x"}) == "invalid --retries 'x'");
    CHECK(error({"--idle-timeout", "-5"}) == "invalid --idle-timeout '-5'");
    CHECK(error({"--max-time", "1e9"}) == "invalid --max-time '1e9'");
    CHECK(error({"--connect-timeout", "0"}) == "invalid --connect-timeout '0'");
    CHECK(error({"--background", "maybe"}) == "invalid --background 'maybe'");
}

TEST_CASE("dialects: --api, --model, --url, --data and what conflicts with them", "[cli]") {
    FakeEnv f;
    auto parse = [&](std::vector<std::string> args) { return f.parse(args); };
    auto r = parse({"--api", "openai", "-a", "fakebot", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api == cli::Api::openai);
    CHECK(r.options.agent == "fakebot");
    r = parse({"--api", "openai", "--model", "qwen", "hi"});  // no agent: the model is enough
    REQUIRE(r.action == Action::run);
    CHECK(r.options.model == "qwen");
    r = parse({"--api", "simple", "--url", "http://localhost:8000/chat", "-a", "x", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.url == "http://localhost:8000/chat");
    r = parse(
        {"--api", "sse", "--url", "http://localhost:8000/events?x=1"});  // no prompt, no agent
    REQUIRE(r.action == Action::run);
    CHECK(r.options.prompt.empty());
    CHECK_FALSE(r.options.has_data);
    f.files["/tmp/body.json"] = R"({"q":1})";
    r = parse({"--api", "sse", "--url", "http://h/e", "--data", "@/tmp/body.json"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.has_data);
    CHECK(r.options.data == R"({"q":1})");

    auto error = [&](std::vector<std::string> args) {
        auto e = f.parse(args);
        CHECK(e.exit_code == 2);
        CHECK_FALSE(e.hint.empty());
        return e.text;
    };
    CHECK(error({"--api", "grpc", "-a", "x", "hi"}) == "invalid --api 'grpc'");
    CHECK(error({"--api", "openai", "--endpoint", "agents", "-a", "x", "hi"}) ==
          "--endpoint makes no sense with --api openai");
    CHECK(error({"--api", "openai", "--conversation", "conv-1", "-a", "x", "hi"}) ==
          "--conversation makes no sense with --api openai");
    CHECK(error({"--data", "x", "-a", kAgent, "hi"}) == "--data makes no sense with --api letta");
    CHECK(error({"--model", "m", "-a", kAgent, "hi"}) == "--model makes no sense with --api letta");
    CHECK(error({"--url", "http://h/", "-a", kAgent, "hi"}) ==
          "--url makes no sense with --api letta");
    CHECK(error({"--api", "simple", "-a", "x", "hi"}) == "--api simple needs --url");
    CHECK(error({"--api", "sse"}) == "--api sse needs --url");
    CHECK(error({"--api", "sse", "--url", "http://h/e", "hi"}) == "--api sse sends no prompt");
    CHECK(error({"--api", "sse", "--url", "http://h/e", "-a", "x"}) ==
          "--agent makes no sense with --api sse");
    CHECK(error({"--api", "sse", "--url", "ftp://h/e"}) == "invalid --url 'ftp://h/e'");
    CHECK(error({"--api", "openai", "hi"}) == "no agent given");
}

TEST_CASE("flag --api openai reads OPENAI_API_KEY and OPENAI_BASE_URL after ours", "[cli]") {
    FakeEnv f;
    f.vars.erase("LETTA_API_KEY");
    f.vars["OPENAI_API_KEY"] = "sk-openai";
    f.vars["OPENAI_BASE_URL"] = "http://localhost:8080/v1";
    auto r = f.parse({"--api", "openai", "-a", "m", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key == "sk-openai");
    CHECK(r.options.base_url == "http://localhost:8080");  // /v1 is added back with the path
    f.vars["LETTA_API_KEY"] = "sk-letta";
    f.vars["LETTA_BASE_URL"] = "http://letta.local";
    r = f.parse({"--api", "openai", "-a", "m", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key == "sk-letta");
    CHECK(r.options.base_url == "http://letta.local");
    // The letta dialect never reads them.
    f.vars.erase("LETTA_API_KEY");
    f.vars.erase("LETTA_BASE_URL");
    auto letta = f.parse({"-a", kAgent, "hi"});
    CHECK(letta.exit_code == 3);  // no key for Letta Cloud
    // Without any key, a self-hosted OpenAI-compatible server needs none.
    f.vars.erase("OPENAI_API_KEY");
    r = f.parse({"--api", "openai", "-a", "m", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key.empty());
}

TEST_CASE("flag --proxy: a URL of host and port, or a usage error naming it", "[cli]") {
    FakeEnv f;
    for (const char* good : {"http://proxy:3128", "proxy:3128", "proxy", "http://proxy:3128/",
                             "socks5h://u:p@[::1]:1080", "https://[2001:db8::1]", "HTTP://P:1"}) {
        INFO(good);
        auto r = f.parse({"-a", kAgent, "--proxy", good, "hi"});
        CHECK(r.action == Action::run);
        CHECK(r.options.proxy == good);
    }
    for (const char* bad : {"http://[::1", "http://proxy:99999", "http://proxy:0",
                            "http://proxy:abc", "http://proxy/path", "ftp://proxy:21",
                            "http://:3128", "http://u:secret@", "[]:1"}) {
        INFO(bad);
        auto r = f.parse({"-a", kAgent, "--proxy", bad, "hi"});
        CHECK(r.exit_code == 2);
        CHECK(contains(r.text, "invalid --proxy"));
        CHECK_FALSE(contains(r.text, "secret"));
        CHECK(contains(r.hint, "HOST[:PORT]"));
    }
}

TEST_CASE("flag --replay-speed: a number from 0 to 1000, with --replay", "[cli]") {
    FakeEnv f;
    CHECK(f.parse({"--replay", "r.sse", "--replay-speed", "0.5"}).options.replay_speed == 0.5);
    CHECK(f.parse({"--replay", "r.sse", "--replay-speed", ".25"}).options.replay_speed == 0.25);
    CHECK(f.parse({"--replay", "r.sse", "--replay-speed", "1000"}).options.replay_speed == 1000);
    for (const char* bad : {"-1", "+2", " 2", "2x", "inf", "nan", "1001", "1e9", "x"}) {
        INFO(bad);
        auto r = f.parse({"--replay", "r.sse", "--replay-speed", bad});
        CHECK(r.exit_code == 2);
        CHECK(r.text == "invalid --replay-speed '" + std::string(bad) + "'");
    }
    CHECK(f.parse({"--replay-speed", "2", "-a", kAgent, "hi"}).text ==
          "--replay-speed needs --replay");
}
