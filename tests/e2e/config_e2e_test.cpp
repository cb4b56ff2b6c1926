// End to end: the configuration file, a real one in a temporary XDG_CONFIG_HOME, read by the real
// binary: its values reach the server, flags and the environment override it, its errors name
// the file and the line.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "e2e.hpp"

using namespace e2e;

namespace {

constexpr const char* kOtherAgent = "agent-00000000-0000-4000-8000-000000000000";

// A temporary directory used as XDG_CONFIG_HOME, removed at the end of the test.
struct ConfigHome {
    std::string dir;

    ConfigHome() {
        char templ[] = "/tmp/letta-stream-config-XXXXXX";
        const char* made = ::mkdtemp(templ);
        REQUIRE(made != nullptr);
        dir = made;
        std::filesystem::create_directories(dir + "/letta-stream");
    }
    ~ConfigHome() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    ConfigHome(const ConfigHome&) = delete;
    ConfigHome& operator=(const ConfigHome&) = delete;

    std::string path() const { return dir + "/letta-stream/config.toml"; }
    std::string env() const { return "XDG_CONFIG_HOME=" + dir; }

    void write(const std::string& file, const std::string& text, unsigned mode = 0600) const {
        {
            std::ofstream out(file, std::ios::binary | std::ios::trunc);
            out << text;
        }
        REQUIRE(::chmod(file.c_str(), mode) == 0);
    }
    void config(const std::string& text) const { write(path(), text); }
};

// The first message POST's path and body (the agent id is in one of them).
std::string first_post(const ls_test::FakeServer& server) {
    const auto posts = message_posts(server);
    return posts.empty() ? "" : posts.front().path + " " + posts.front().body;
}

}  // namespace

TEST_CASE("config e2e: agent and base-url from the file reach the server", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"from the file"}})"));
    ConfigHome home;
    home.config("# mine\nagent = \"" + std::string(kAgentId) + "\"\nbase-url = \"" +
                server.base_url() + "\"\nretries = 1\nidle-timeout = 10.5\n");
    Options o;
    o.with_base_url = false;
    o.env = {home.env()};
    auto r = run(&server, {"hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "from the file\n");
    CHECK(contains(first_post(server), kAgentId));
}

TEST_CASE("config e2e: a flag overrides the file", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"ok"}})"));
    ConfigHome home;
    home.config("agent = \"" + std::string(kOtherAgent) + "\"\n");
    Options o;
    o.env = {home.env()};
    auto r = run(&server, {"-a", kAgentId, "hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(contains(first_post(server), kAgentId));
}

TEST_CASE("config e2e: the environment overrides the file", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"ok"}})"));
    ConfigHome home;
    // Nothing listens on port 9 (discard): the file's base-url would fail with exit 7.
    home.config("agent = \"" + std::string(kAgentId) +
                "\"\nbase-url = \"http://127.0.0.1:9\"\nheader = [\"X-Layer: file\", "
                "\"X-File: yes\"]\n");
    Options o;
    o.env = {home.env(), "LETTA_CUSTOM_HEADERS=X-Layer: env"};  // LETTA_BASE_URL: run() sets it
    auto r = run(&server, {"hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    const auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].header("x-layer") == "env");
    CHECK(posts[0].header("x-file") == "yes");
}

TEST_CASE("config e2e: an unknown key is exit 2 naming the file and line", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"ok"}})"));
    ConfigHome home;
    home.config("agent = \"calc\"\nretires = 5\n");
    Options o;
    o.env = {home.env()};
    auto r = run(&server, {"hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "letta-stream: error: " + home.path() + ":2: unknown key 'retires'"));
    CHECK(contains(r.err, "did you mean 'retries'?"));
    CHECK(r.out.empty());
    CHECK(server.requests().empty());

    // A bad value too, and --no-config reads none of it.
    home.config("agent = \"calc\"\n\nretries = \"many\"\n");
    r = run(&server, {"hi"}, o);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, home.path() + ":3: invalid retries 'many'"));
    r = run(&server, {"--no-config", "-a", kAgentId, "hi"}, o);
    CHECK(r.exit_code == 0);

    // A named file that is missing.
    r = run(&server, {"--config", home.dir + "/nope.toml", "-a", kAgentId, "hi"}, o);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "cannot read --config " + home.dir + "/nope.toml"));
}

TEST_CASE("config e2e: a 0644 api-key-file warns, a 0600 one does not", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"ok"}})"));
    ConfigHome home;
    const std::string key = home.dir + "/letta-stream/api-key";
    home.write(key, std::string(kKey) + "\n", 0644);
    home.config("agent = \"" + std::string(kAgentId) + "\"\napi-key-file = \"api-key\"\n");
    Options o;
    o.with_key = false;
    o.env = {home.env()};
    auto r = run(&server, {"hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);  // the key in the file was sent: the server checks it
    CHECK(contains(r.err, "letta-stream: warning: " + home.path() + ":2: api-key-file " + key +
                              " is readable by others (mode 0644): chmod 600 " + key));
    r = run(&server, {"--api-key-file", key, "hi"}, o);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "letta-stream: warning: --api-key-file " + key +
                              " is readable by others (mode 0644): chmod 600 " + key));
    REQUIRE(::chmod(key.c_str(), 0600) == 0);
    r = run(&server, {"hi"}, o);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.err, "readable by others"));
    // The environment's key beats the file's api-key-file.
    home.write(key, "sk-wrong\n");
    o.with_key = true;
    r = run(&server, {"hi"}, o);
    CHECK(r.exit_code == 0);
}

TEST_CASE("config e2e: without XDG_CONFIG_HOME, $HOME/.config is read", "[e2e][config]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"ok"}})"));
    ConfigHome home;
    std::filesystem::create_directories(home.dir + "/.config/letta-stream");
    home.write(home.dir + "/.config/letta-stream/config.toml",
               "agent = \"" + std::string(kAgentId) + "\"\n");
    Options o;
    o.env = {"XDG_CONFIG_HOME=", "HOME=" + home.dir};
    auto r = run(&server, {"hi"}, o);
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(contains(first_post(server), kAgentId));
}
