// cli::parse — every flag: default, set, invalid, conflicting; the prompt rules of DESIGN.md §1.
#include <catch2/catch.hpp>
#include <map>

#include "cli/parse.hpp"
#include "util/exit_status.hpp"

using namespace letta_stream;
using Action = cli::ParseResult::Action;

namespace {

constexpr const char* kAgent = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

struct FakeEnv {
    std::map<std::string, std::string> vars{{"LETTA_API_KEY", "sk-let-test"}};
    bool tty = true;
    std::string stdin_text;
    bool stdin_fails = false;
    int stdin_reads = 0;
    std::map<std::string, std::string> files;

    cli::Environment env() {
        cli::Environment e;
        e.getenv = [this](const char* n) -> std::optional<std::string> {
            auto it = vars.find(n);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
        e.stdin_is_tty = tty;
        e.read_stdin = [this](std::size_t limit, std::string& out, std::string& err) {
            ++stdin_reads;
            if (stdin_fails) {
                err = "Input/output error";
                return false;
            }
            out = stdin_text.substr(0, limit);
            return true;
        };
        e.read_file = [this](const std::string& path, std::string& out, std::string& err) {
            auto it = files.find(path);
            if (it == files.end()) {
                err = "No such file or directory";
                return false;
            }
            out = it->second;
            return true;
        };
        return e;
    }

    cli::ParseResult parse(std::vector<std::string> args) { return cli::parse(args, env()); }
};

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
