// The configuration file (cli/config.cpp, parse.cpp, resolve.cpp): where it is, its TOML subset,
// its keys, and its place between the environment and the built-in defaults.
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <set>

#include "cli/config.hpp"
#include "cli/parse.hpp"
#include "support/fake_cli_env.hpp"
#include "util/exit_status.hpp"

using namespace letta_stream;
using Action = cli::ParseResult::Action;

namespace {

constexpr const char* kAgent = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
constexpr const char* kPath = "/cfg/letta-stream/config.toml";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// The parser's fake environment with a configuration directory, path checks and modes.
struct FakeEnv : ls_test::FakeCliEnv {
    FakeEnv() {
        vars["XDG_CONFIG_HOME"] = "/cfg";
        check_paths = true;
        with_stat = true;
    }
    void config(const std::string& text) { files[kPath] = text; }
};

}  // namespace

TEST_CASE("config: the default path is under XDG_CONFIG_HOME, else HOME/.config, else none",
          "[config]") {
    FakeEnv f;
    f.vars = {{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/home/u"}};
    CHECK(cli::default_config_path(f.env()) == "/x/letta-stream/config.toml");
    f.vars["XDG_CONFIG_HOME"] = "/x/";
    CHECK(cli::default_config_path(f.env()) == "/x/letta-stream/config.toml");
    f.vars["XDG_CONFIG_HOME"] = "";  // empty: unset
    CHECK(cli::default_config_path(f.env()) == "/home/u/.config/letta-stream/config.toml");
    f.vars["XDG_CONFIG_HOME"] = "rel/dir";  // relative: invalid (XDG spec), ignored
    CHECK(cli::default_config_path(f.env()) == "/home/u/.config/letta-stream/config.toml");
    f.vars.erase("XDG_CONFIG_HOME");
    CHECK(cli::default_config_path(f.env()) == "/home/u/.config/letta-stream/config.toml");
    f.vars["HOME"] = "";
    CHECK_FALSE(cli::default_config_path(f.env()));
    f.vars.erase("HOME");
    CHECK_FALSE(cli::default_config_path(f.env()));

    // The file found there is read.
    f.vars = {{"LETTA_API_KEY", "k"}, {"HOME", "/home/u"}};
    f.files["/home/u/.config/letta-stream/config.toml"] = "agent = \"calc\"\n";
    CHECK(f.parse({"hi"}).options.agent == "calc");
    f.vars["XDG_CONFIG_HOME"] = "/cfg";
    f.config("agent = \"other\"\n");
    CHECK(f.parse({"hi"}).options.agent == "other");
}

TEST_CASE("config: a missing default file is no error, and nothing is read without HOME",
          "[config]") {
    FakeEnv f;
    auto r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.action == Action::run);
    CHECK(r.options.warnings.empty());
    CHECK(f.reads.empty());  // stat said there is none
    f.with_stat = false;     // without stat: a failed read counts as missing
    CHECK(f.parse({"-a", kAgent, "hi"}).action == Action::run);

    // The environment of tests/unit/app_test.cpp: no HOME, no XDG_CONFIG_HOME.
    FakeEnv bare;
    bare.vars = {{"LETTA_API_KEY", "k"}};
    bare.files["/root/.config/letta-stream/config.toml"] = "retries = \"x\"\n";
    CHECK(bare.parse({"-a", kAgent, "hi"}).action == Action::run);
    CHECK(bare.reads.empty());

    // An existing default file that cannot be read is an error naming it.
    f.with_stat = true;
    f.unreadable.insert(kPath);
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text ==
          std::string("cannot read the configuration file ") + kPath + ": Permission denied");
    CHECK(contains(r.hint, "--no-config"));
}

TEST_CASE("flag --config: another file, missing or unreadable is a usage error naming it",
          "[config]") {
    FakeEnv f;
    f.config("agent = \"default-file\"\n");
    f.files["/etc/ls.toml"] = "agent = \"named-file\"\n";
    CHECK(f.parse({"--config", "/etc/ls.toml", "hi"}).options.agent == "named-file");
    CHECK(f.parse({"--config=/etc/ls.toml", "hi"}).options.agent == "named-file");

    auto r = f.parse({"--config", "/nope.toml", "-a", kAgent, "hi"});
    CHECK(r.action == Action::error);
    CHECK(r.exit_code == 2);
    CHECK(r.text == "cannot read --config /nope.toml: No such file or directory");
    CHECK(contains(r.hint, "leave --config out"));

    f.unreadable.insert("/secret.toml");
    r = f.parse({"--config", "/secret.toml", "-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text == "cannot read --config /secret.toml: Permission denied");

    f.with_stat = false;  // a named file is read even when nothing can be stat'ed
    CHECK(f.parse({"--config", "/etc/ls.toml", "hi"}).options.agent == "named-file");
    CHECK(f.parse({"--config", "/nope.toml", "-a", kAgent, "hi"}).exit_code == 2);

    r = f.parse({"--config", "", "-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text == "--config is empty");
    r = f.parse({"--config", "/a", "--config", "/b", "-a", kAgent, "hi"});
    CHECK(r.text == "--config was given more than once");
}

TEST_CASE("flag --no-config: no file is read, with --config it is a usage error", "[config]") {
    FakeEnv f;
    f.config("agent = \"from-file\"\nretries = \"broken\"\n");
    auto r = f.parse({"--no-config", "-a", kAgent, "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.agent == kAgent);
    CHECK(r.options.retries == 2);
    CHECK(f.reads.empty());
    CHECK(f.parse({"--no-config", "hi"}).text == "no agent given");

    f.files["/other.toml"] = "";
    r = f.parse({"--config", "/other.toml", "--no-config", "-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text == "--config and --no-config contradict each other");
}

TEST_CASE("config: values in their TOML types", "[config]") {
    FakeEnv f;
    f.config(
        "\xEF\xBB\xBF# letta-stream configuration\r\n"
        "agent = \"calc\"  # a name\r\n"
        "\n"
        "retries = 5\n"
        "idle-timeout = 2.5\n"
        "connect-timeout = 1e1\n"
        "max-prompt-size = 1_048_576\n"
        "max-event-size = \"32M\"\n"
        "json = true\n"
        "show-tools = false\n"
        "metrics = \"json\"\n"
        "throttle = \"20/s\"\n"
        "burst = 0x10\n"
        "gzip = \"members\"\n"
        "gzip-level = 9\n"
        "background = 'off'\n"
        "\"endpoint\" = \"conversations\"\n"
        "no-newline = true\n");
    auto r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    const auto& o = r.options;
    CHECK(o.agent == "calc");
    CHECK(o.retries == 5);
    CHECK(o.idle_timeout_ms == 2500);
    CHECK(o.connect_timeout_ms == 10000);
    CHECK(o.max_prompt_size == 1048576);
    CHECK(o.max_event_size == 32u << 20);
    CHECK(o.json);
    CHECK_FALSE(o.show_tools);
    CHECK(o.metrics == cli::MetricsFormat::json);
    CHECK(o.throttle_per_s == 20);
    CHECK(o.burst == 16);
    CHECK(o.gzip == cli::Gzip::members);
    CHECK(o.gzip_level == 9);
    CHECK(o.background == cli::Background::off);
    CHECK_FALSE(o.final_newline);

    f.config("metrics = true\ngzip = true\njson = false\n");
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.options.metrics == cli::MetricsFormat::text);
    CHECK(r.options.gzip == cli::Gzip::stream);
    CHECK_FALSE(r.options.json);
    f.config("metrics = false\ngzip = false\n");
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.options.metrics == cli::MetricsFormat::none);
    CHECK(r.options.gzip == cli::Gzip::none);

    // Strings: escapes in "basic" ones, none in 'literal' ones; a '#' inside is no comment.
    f.config("agent = \"a \\\"q\\\" #1 \\u00e9\\tx\"\nmodel = 'C:\\path #2'\napi = \"openai\"\n");
    r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.agent == "a \"q\" #1 \xC3\xA9\tx");
    CHECK(r.options.model == "C:\\path #2");
}

TEST_CASE("config: flags on the command line win over the file, the file over the defaults",
          "[config]") {
    FakeEnv f;
    f.config(
        "agent = \"calc\"\nretries = 5\nmetrics = \"json\"\nthrottle = \"20/s\"\n"
        "verbose = true\nmax-time = 60\n");
    auto r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.agent == "calc");
    CHECK(r.options.retries == 5);
    CHECK(r.options.metrics == cli::MetricsFormat::json);
    CHECK(r.options.verbose);
    CHECK(r.options.max_time_ms == 60000);

    r = f.parse({"-a", kAgent, "--retries", "7", "-m", "--throttle", "5", "-q", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.agent == kAgent);
    CHECK(r.options.retries == 7);
    CHECK(r.options.metrics == cli::MetricsFormat::text);
    CHECK(r.options.throttle_per_s == 5);
    CHECK(r.options.quiet);  // -q drops the file's verbose instead of contradicting it
    CHECK_FALSE(r.options.verbose);
    CHECK(r.options.max_time_ms == 60000);

    // Defaults where neither says anything.
    f.config("");
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.options.retries == 2);
    CHECK(r.options.metrics == cli::MetricsFormat::none);
    CHECK(r.options.max_time_ms == 0);

    // Both in the file still contradict each other, named there.
    f.config("verbose = true\nquiet = true\n");
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text == std::string(kPath) + ":1: verbose and --quiet contradict each other");
}

// Every key that an environment variable can also set: flag > environment > file > default, all
// eight combinations of flag, variable and file.
TEST_CASE("config: precedence of flag, environment, file and default for every key with a variable",
          "[config]") {
    struct Key {
        const char* name;
        std::vector<std::string> flag;           // the arguments that set it
        std::map<std::string, std::string> env;  // the variables that set it
        std::string file;                        // the configuration line that sets it
        std::function<std::string(const cli::Options&)> get;
        std::string by_flag, by_env, by_file, by_default;
    };
    const std::vector<Key> keys = {
        {"base-url",
         {"--base-url", "http://flag.test"},
         {{"LETTA_BASE_URL", "http://env.test"}},
         "base-url = \"http://file.test\"",
         [](const cli::Options& o) { return o.base_url; },
         "http://flag.test",
         "http://env.test",
         "http://file.test",
         "https://api.letta.com"},
        {"base-url (--api openai)",
         {"--base-url", "http://flag.test"},
         {{"OPENAI_BASE_URL", "http://env.test"}},
         "base-url = \"http://file.test\"",
         [](const cli::Options& o) { return o.base_url; },
         "http://flag.test",
         "http://env.test",
         "http://file.test",
         "https://api.letta.com"},
        {"project-id",
         {"--project-id", "p-flag"},
         {{"LETTA_PROJECT_ID", "p-env"}},
         "project-id = \"p-file\"",
         [](const cli::Options& o) { return o.project_id; },
         "p-flag",
         "p-env",
         "p-file",
         ""},
        {"header",
         {"-H", "X-L: flag"},
         {{"LETTA_CUSTOM_HEADERS", "X-L: env"}},
         "header = \"X-L: file\"",
         [](const cli::Options& o) {
             std::string s;
             for (const auto& h : o.headers)
                 s += h + ";";
             return s;
         },
         "X-L: flag;",
         "X-L: env;",
         "X-L: file;",
         ""},
        {"cacert (CURL_CA_BUNDLE)",
         {"--cacert", "/flag.pem"},
         {{"CURL_CA_BUNDLE", "/env.pem"}},
         "cacert = \"/file.pem\"",
         [](const cli::Options& o) { return o.cacert; },
         "/flag.pem",
         "/env.pem",
         "/file.pem",
         ""},
        {"cacert (SSL_CERT_FILE)",
         {"--cacert", "/flag.pem"},
         {{"SSL_CERT_FILE", "/env.pem"}},
         "cacert = \"/file.pem\"",
         [](const cli::Options& o) { return o.cacert; },
         "/flag.pem",
         "/env.pem",
         "/file.pem",
         ""},
        {"capath",
         {"--capath", "/flag.d"},
         {{"SSL_CERT_DIR", "/env.d"}},
         "capath = \"/file.d\"",
         [](const cli::Options& o) { return o.capath; },
         "/flag.d",
         "/env.d",
         "/file.d",
         ""},
        // With a proxy variable set, Options.proxy stays empty: libcurl reads the variable.
        {"proxy (https_proxy)",
         {"--proxy", "http://flag:1"},
         {{"https_proxy", "http://env:1"}},
         "proxy = \"http://file:1\"",
         [](const cli::Options& o) { return o.proxy; },
         "http://flag:1",
         "",
         "http://file:1",
         ""},
        {"proxy (ALL_PROXY)",
         {"--proxy", "http://flag:1"},
         {{"ALL_PROXY", "http://env:1"}},
         "proxy = \"http://file:1\"",
         [](const cli::Options& o) { return o.proxy; },
         "http://flag:1",
         "",
         "http://file:1",
         ""},
        {"proxy (HTTP_PROXY)",
         {"--proxy", "http://flag:1"},
         {{"HTTP_PROXY", "http://env:1"}},
         "proxy = \"http://file:1\"",
         [](const cli::Options& o) { return o.proxy; },
         "http://flag:1",
         "",
         "http://file:1",
         ""},
        {"noproxy",
         {"--noproxy", "flag.test"},
         {{"no_proxy", "env.test"}},
         "noproxy = \"file.test\"",
         [](const cli::Options& o) { return o.noproxy; },
         "flag.test",
         "",
         "file.test",
         ""},
        {"noproxy (NO_PROXY)",
         {"--noproxy", "flag.test"},
         {{"NO_PROXY", "env.test"}},
         "noproxy = \"file.test\"",
         [](const cli::Options& o) { return o.noproxy; },
         "flag.test",
         "",
         "file.test",
         ""},
        {"api-key-file",
         {"--api-key-file", "/flag.key"},
         {{"LETTA_API_KEY", "sk-env"}},
         "api-key-file = \"/file.key\"",
         [](const cli::Options& o) { return o.api_key; },
         "sk-flag",
         "sk-env",
         "sk-file",
         ""},
        {"api-key-file (--api openai)",
         {"--api-key-file", "/flag.key"},
         {{"OPENAI_API_KEY", "sk-env"}},
         "api-key-file = \"/file.key\"",
         [](const cli::Options& o) { return o.api_key; },
         "sk-flag",
         "sk-env",
         "sk-file",
         ""},
    };
    for (const Key& k : keys) {
        for (int mask = 0; mask < 8; ++mask) {
            const bool flag = (mask & 1) != 0, env = (mask & 2) != 0, file = (mask & 4) != 0;
            const bool key_test = contains(k.name, "api-key-file");
            FakeEnv f;
            if (key_test) f.vars.erase("LETTA_API_KEY");
            f.files = {{"/flag.pem", "x"},
                       {"/env.pem", "x"},
                       {"/file.pem", "x"},
                       {"/flag.key", "sk-flag"},
                       {"/file.key", "sk-file"}};
            f.dirs = {"/flag.d", "/env.d", "/file.d"};
            if (env) f.vars.insert(k.env.begin(), k.env.end());
            if (file) f.config(k.file + "\n");
            std::vector<std::string> args = {"-a", kAgent};
            if (contains(k.name, "--api openai")) args = {"--api", "openai", "--model", "m"};
            // A server of one's own needs no key, so the default (none) can be seen.
            if (key_test) args.insert(args.end(), {"--base-url", "http://self-hosted.test"});
            if (flag) args.insert(args.end(), k.flag.begin(), k.flag.end());
            args.push_back("hi");
            auto r = f.parse(args);
            INFO(k.name << ": flag " << flag << ", env " << env << ", file " << file << ": "
                        << r.text);
            REQUIRE(r.action == Action::run);
            const std::string want = flag   ? k.by_flag
                                     : env  ? k.by_env
                                     : file ? k.by_file
                                            : k.by_default;
            CHECK(k.get(r.options) == want);
        }
    }
}

TEST_CASE("config: headers are layered: the file's, LETTA_CUSTOM_HEADERS, then -H", "[config]") {
    FakeEnv f;
    f.config(
        "header = [\n"
        "  \"X-A: file\",   # replaced by the environment's\n"
        "  \"X-B: file\",\n"
        "  \"X-C: file\",\n"
        "]\n");
    f.vars["LETTA_CUSTOM_HEADERS"] = "X-A: env\nX-C: env";
    auto r =
        f.parse({"-a", kAgent, "-H", "x-c: flag", "-H", "X-D: flag", "-H", "X-D: again", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.headers == std::vector<std::string>{"X-B: file", "X-A: env", "x-c: flag",
                                                        "X-D: flag", "X-D: again"});
    // "Name:" from a higher layer removes the file's header of that name (and ours).
    r = f.parse({"-a", kAgent, "-H", "X-B:", "hi"});
    CHECK(r.options.headers == std::vector<std::string>{"X-A: env", "X-C: env", "X-B:"});
    f.config("header = []\n");
    CHECK(f.parse({"-a", kAgent, "hi"}).options.headers ==
          std::vector<std::string>{"X-A: env", "X-C: env"});
    // A user Authorization header in the file is a key, as from -H.
    f.vars = {{"XDG_CONFIG_HOME", "/cfg"}};
    f.config("header = \"Authorization: Bearer sk-file\"\n");
    CHECK(f.parse({"-a", kAgent, "hi"}).action == Action::run);
}

TEST_CASE("config: the CA settings come as a whole from the first layer that names any",
          "[config]") {
    FakeEnv f;
    f.files = {{"/file.pem", "x"}, {"/env.pem", "x"}};
    f.dirs = {"/flag.d", "/file.d"};
    f.config("cacert = \"/file.pem\"\ncapath = \"/file.d\"\n");
    auto r = f.parse({"-a", kAgent, "--capath", "/flag.d", "hi"});
    CHECK(r.options.capath == "/flag.d");
    CHECK(r.options.cacert.empty());
    f.vars["SSL_CERT_FILE"] = "/env.pem";
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.options.cacert == "/env.pem");
    CHECK(r.options.capath.empty());
}

TEST_CASE("config: a value that makes no sense with the --api in force is ignored", "[config]") {
    FakeEnv f;
    f.config(
        "agent = \"calc\"\nmodel = \"gpt\"\nproject-id = \"p\"\nendpoint = \"agents\"\n"
        "url = \"http://x.test/chat\"\ndata = \"{}\"\n");
    auto r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api == cli::Api::letta);
    CHECK(r.options.model.empty());
    CHECK(r.options.url.empty());
    CHECK(r.options.project_id == "p");
    CHECK(r.options.route == cli::Route::agents);
    r = f.parse({"--api", "openai", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.model == "gpt");
    CHECK(r.options.project_id.empty());
    CHECK(r.options.url == "http://x.test/chat");
    r = f.parse({"--api", "sse"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.agent.empty());
    CHECK(r.options.data == "{}");
    // On the command line, the same is still an error.
    CHECK(f.parse({"--model", "m", "hi"}).text == "--model makes no sense with --api letta");
    // The dialect itself can come from the file.
    f.config("api = \"openai\"\nmodel = \"gpt\"\n");
    r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api == cli::Api::openai);
    CHECK(r.options.model == "gpt");
}

TEST_CASE("config: an unknown key names the file and line, and the closest key", "[config]") {
    FakeEnv f;
    f.config("# comment\nagent = \"calc\"\nretires = 5\n");
    auto r = f.parse({"hi"});
    CHECK(r.action == Action::error);
    CHECK(r.exit_code == 2);
    CHECK(r.text == std::string(kPath) + ":3: unknown key 'retires'");
    CHECK(r.hint == "did you mean 'retries'?");

    const std::vector<std::pair<std::string, std::string>> cases = {
        {"base_url = \"http://x\"", "did you mean 'base-url'?"},
        {"Agent = \"calc\"", "did you mean 'agent'?"},
        {"a = \"calc\"", "did you mean 'agent'?"},  // a short option's letter
        {"j = true", "did you mean 'json'?"},
        {"colour = true",
         "the keys are the long options' names; see CONFIGURATION in letta-stream(1)"},
        {"PROMPT = \"hi\"",
         "the keys are the long options' names; see CONFIGURATION in letta-stream(1)"},
    };
    for (const auto& [line, hint] : cases) {
        f.config("\n" + line + "\n");
        r = f.parse({"-a", kAgent, "hi"});
        INFO(line);
        CHECK(r.exit_code == 2);
        CHECK(r.text ==
              std::string(kPath) + ":2: unknown key '" + line.substr(0, line.find(' ')) + "'");
        CHECK(r.hint == hint);
    }
}

TEST_CASE("config: keys that cannot be in the file", "[config]") {
    FakeEnv f;
    f.config("agent = \"calc\"\napi-key = \"sk-let-secret\"\n");
    auto r = f.parse({"hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.text == std::string(kPath) + ":2: the API key cannot be set in a configuration file");
    CHECK(contains(r.hint, "api-key-file = "));
    CHECK_FALSE(contains(r.text + r.hint, "sk-let-secret"));
    for (const char* key : {"config", "no-config", "help", "version"}) {
        f.config(std::string(key) + " = true\n");
        r = f.parse({"-a", kAgent, "hi"});
        INFO(key);
        CHECK(r.exit_code == 2);
        CHECK(r.text ==
              std::string(kPath) + ":1: '" + key + "' cannot be set in a configuration file");
    }
}

TEST_CASE("config: a bad value names the file, the line and the key", "[config]") {
    FakeEnv f;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"retries = \"many\"", "invalid retries 'many'"},
        {"retries = -1", "invalid retries '-1'"},
        {"idle-timeout = \"soon\"", "invalid idle-timeout 'soon'"},
        {"throttle = \"fast\"", "invalid throttle 'fast'"},
        {"gzip = \"zip\"", "invalid gzip framing 'zip'"},
        {"metrics = \"xml\"", "invalid metrics format 'xml'"},
        {"background = \"maybe\"", "invalid background 'maybe'"},
        {"base-url = \"ftp://x\"", "invalid base URL 'ftp://x'"},
        {"header = [\"X-A: 1\", \"Bad Name: 2\"]", "invalid header 'Bad Name: 2'"},
        {"agent = \"\"", "agent is empty"},
        {"proxy = \"gopher://p\"", "invalid proxy 'gopher://p'"},
        {"cacert = \"/missing.pem\"", "cannot read cacert /missing.pem: No such file or directory"},
        {"api-key-file = \"/missing.key\"",
         "cannot read api-key-file /missing.key: No such file or directory"},
        {"burst = 5", "burst needs --throttle"},
        // A boolean, a list or a string where they do not fit: found before resolve().
        {"retries = true", "invalid retries 'true'"},
        {"json = \"yes\"", "invalid json 'yes'"},
        {"json = 1", "invalid json '1'"},
        {"metrics = \"\"", "invalid metrics ''"},
        {"agent = [\"a\", \"b\"]", "agent takes one value, not a list"},
        {"header = [1]", "invalid header '1'"},
    };
    for (const auto& [line, message] : cases) {
        FakeEnv g;
        if (line.starts_with("api-key-file")) g.vars.erase("LETTA_API_KEY");
        g.config("# settings\n\nagent = \"calc\"\n\n" + line + "\n");
        if (line.starts_with("agent")) g.config("# settings\n\n\n\n" + line + "\n");
        auto r = g.parse({"hi"});
        INFO(line << " → " << r.text);
        CHECK(r.exit_code == 2);
        CHECK(r.text == std::string(kPath) + ":5: " + message);
    }
    // The message names the option that came from the file, wherever it is in the message.
    f.config("model = \"m\"\n\napi = \"openai\"\n");
    auto r = f.parse({"--conversation", "c", "hi"});
    CHECK(r.text == std::string(kPath) + ":3: --conversation makes no sense with api openai");
    r = f.parse({"--conversation", "c", "--api", "openai", "hi"});
    CHECK(r.text == "--conversation makes no sense with --api openai");
    // A value from the command line keeps today's message.
    f.config("retries = 3\n");
    r = f.parse({"-a", kAgent, "--retries", "x", "hi"});
    CHECK(r.text == "invalid --retries 'x'");
    // A usage error honours the file's json = true (the "done" line).
    f.config("json = true\nretries = \"x\"\n");
    r = f.parse({"-a", kAgent, "hi"});
    CHECK(r.exit_code == 2);
    CHECK(r.options.json);
}

TEST_CASE("config: syntax errors name the file and the line", "[config]") {
    FakeEnv f;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"agent = \"calc", "unterminated string in 'agent'"},
        {"agent = 'calc", "unterminated string in 'agent'"},
        {"this is garbage", "expected '=' after 'this'"},
        {"agent calc", "expected '=' after 'agent'"},
        {"= \"calc\"", "a key is missing before '='"},
        {"!!", "cannot read '!!'"},
        {"agent =", "'agent' has no value"},
        {"agent = calc", "invalid value 'calc' for 'agent'"},
        {"agent = \"a\" \"b\"", "unexpected text after the value of 'agent'"},
        {"[profile]", "sections are not supported ('[profile]')"},
        {"[[agents]]", "sections are not supported ('[[agents]]')"},
        {"server.url = \"x\"", "dotted keys are not supported ('server.')"},
        {"agent = \"\"\"calc\"\"\"", "multi-line strings are not supported"},
        {"agent = \"C:\\path\"", "invalid escape '\\p' in a string"},
        {"agent = \"\\u12\"", "invalid \\u escape in a string"},
        {"agent = { name = \"calc\" }", "inline tables are not supported"},
        {"header = [\"a\" \"b\"]", "expected ',' or ']' in the list of 'header'"},
        {"created = 1979-05-27", "invalid value '1979-05-27' for 'created'"},
        {"agent = \"calc\"\x01", "unexpected text after the value of 'agent'"},
        {"agent = \"\xff\"", "not valid UTF-8"},
    };
    for (const auto& [line, message] : cases) {
        f.config("# settings\nretries = 3\n\n" + line + "\nretries = 4\n");
        auto r = f.parse({"-a", kAgent, "hi"});
        INFO(line << " → " << r.text);
        CHECK(r.exit_code == 2);
        CHECK(r.text == std::string(kPath) + ":4: " + message);
        CHECK_FALSE(r.hint.empty());
    }
    // A key given twice: the second line.
    f.config("retries = 3\nagent = \"calc\"\nretries = 4\n");
    auto r = f.parse({"hi"});
    CHECK(r.text == std::string(kPath) + ":3: 'retries' is set twice");
    // An unclosed list: the line where it starts.
    f.config("retries = 3\nheader = [\n  \"X-A: 1\",\n\n");
    CHECK(f.parse({"-a", kAgent, "hi"}).text ==
          std::string(kPath) + ":2: the list of 'header' has no closing ']'");
    // The hint for an unquoted value quotes it.
    f.config("agent = calc\n");
    CHECK(f.parse({"hi"}).hint == "put text in double quotes: agent = \"calc\"");
}

TEST_CASE("config: a group- or world-readable api-key-file is a warning", "[config]") {
    FakeEnv f;
    f.vars.erase("LETTA_API_KEY");
    f.files["/k/key"] = "sk-let-file\n";
    f.modes["/k/key"] = 0644;
    auto r = f.parse({"-a", kAgent, "--api-key-file", "/k/key", "hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key == "sk-let-file");
    CHECK(r.options.warnings ==
          std::vector<std::string>{
              "--api-key-file /k/key is readable by others (mode 0644): chmod 600 /k/key"});
    f.modes["/k/key"] = 0640;
    r = f.parse({"-a", kAgent, "--api-key-file", "/k/key", "hi"});
    CHECK(r.options.warnings ==
          std::vector<std::string>{
              "--api-key-file /k/key is readable by others (mode 0640): chmod 600 /k/key"});
    f.modes["/k/key"] = 0600;
    CHECK(f.parse({"-a", kAgent, "--api-key-file", "/k/key", "hi"}).options.warnings.empty());
    f.modes["/k/key"] = 0400;
    CHECK(f.parse({"-a", kAgent, "--api-key-file", "/k/key", "hi"}).options.warnings.empty());

    // From the file: named there.
    f.modes["/k/key"] = 0604;
    f.config("agent = \"calc\"\napi-key-file = \"/k/key\"\n");
    r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key == "sk-let-file");
    CHECK(r.options.warnings ==
          std::vector<std::string>{std::string(kPath) +
                                   ":2: api-key-file /k/key is readable by others (mode 0604): "
                                   "chmod 600 /k/key"});
    // Without stat, nothing is known: no warning.
    f.with_stat = false;
    f.files[kPath] = "agent = \"calc\"\napi-key-file = \"/k/key\"\n";
    CHECK(f.parse({"hi"}).options.warnings.empty());
}

TEST_CASE("config: paths in the file are relative to its directory, ~ to HOME", "[config]") {
    FakeEnv f;
    f.vars["HOME"] = "/home/u";
    f.vars.erase("LETTA_API_KEY");
    f.files["/cfg/letta-stream/key"] = "sk-rel";
    f.files["/home/u/ca.pem"] = "x";
    f.dirs.insert("/etc/ssl/certs");
    f.config(
        "agent = \"calc\"\napi-key-file = \"key\"\ncacert = \"~/ca.pem\"\n"
        "capath = \"/etc/ssl/certs\"\nmetrics-file = \"../m.json\"\n");
    auto r = f.parse({"hi"});
    REQUIRE(r.action == Action::run);
    CHECK(r.options.api_key == "sk-rel");
    CHECK(r.options.cacert == "/home/u/ca.pem");
    CHECK(r.options.capath == "/etc/ssl/certs");
    CHECK(r.options.metrics_file == "/cfg/letta-stream/../m.json");
    CHECK(cli::config_relative_path("x", "config.toml", f.env()) == "x");
    CHECK(cli::config_relative_path("~", "/c/config.toml", f.env()) == "/home/u");
}

TEST_CASE("config: read_toml and edit_distance", "[config]") {
    auto entries = cli::read_toml(
        "a = 1\n'quoted key' = \"v\"\nlist = [ 'x', \"y\" ,\n  # comment\n  'z', ]\n"
        "f = -0.5e-3\nneg = -3\ninf = +inf\nb = false\n");
    REQUIRE(entries.size() == 7);
    CHECK(entries[0].key == "a");
    CHECK(entries[0].value.type == cli::TomlValue::Type::integer);
    CHECK(entries[1].key == "quoted key");
    CHECK(entries[2].line == 3);
    REQUIRE(entries[2].value.items.size() == 3);
    CHECK(entries[2].value.items[2].text == "z");
    CHECK(entries[3].line == 6);
    CHECK(entries[3].value.text == "-0.5e-3");
    CHECK(entries[3].value.type == cli::TomlValue::Type::floating);
    CHECK(entries[4].value.text == "-3");
    CHECK(entries[5].value.text == "inf");
    CHECK(entries[6].value.type == cli::TomlValue::Type::boolean);
    CHECK(cli::read_toml("").empty());
    CHECK(cli::read_toml("# only a comment\n\n   \n").empty());
    CHECK_THROWS_AS(cli::read_toml("x = 1__0"), cli::TomlError);
    CHECK_THROWS_AS(cli::read_toml("x = _1"), cli::TomlError);

    CHECK(cli::edit_distance("retires", "retries") == 1);
    CHECK(cli::edit_distance("retries", "retries") == 0);
    CHECK(cli::edit_distance("base_url", "base-url") == 1);
    CHECK(cli::edit_distance("", "abc") == 3);
    CHECK(cli::edit_distance("kitten", "sitting") == 3);
}
