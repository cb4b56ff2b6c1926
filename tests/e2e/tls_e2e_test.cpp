// End to end: TLS and proxies — the real binary against the fake server behind a TLS forwarder
// (tests/support/tls_helpers.py), an HTTP proxy that logs what it sees, and nghttpx for HTTP/2.
// The certificates are made at test time (ls_test::test_pki()). The binary runs in a clean
// environment, so that the developer's CA and proxy variables never decide a result.
#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <vector>

#include "e2e.hpp"
#include "support/tls_servers.hpp"

using namespace e2e;

namespace {

// Catch2 v2 has no SKIP: a test whose tools are missing says so and passes.
#define REQUIRE_TLS_TOOLS(need_nghttpx)                                       \
    do {                                                                      \
        const std::string missing = ls_test::missing_tls_tools(need_nghttpx); \
        if (!missing.empty()) {                                               \
            WARN("skipped: not installed: " << missing);                      \
            return;                                                           \
        }                                                                     \
    } while (false)

struct Run {
    std::vector<std::string> env;  // NAME=value on top of the clean environment
    int signal = 0;
    int signal_after_ms = -1;
};

// letta-stream ARGS against `base_url` with the API key, and nothing else from the environment
// (no HOME: no configuration file; no CA or proxy variables unless given).
ls_test::ProcessResult run_clean(const std::string& base_url, const std::vector<std::string>& args,
                                 const Run& o = {}) {
    ls_test::ProcessSpec spec;
    spec.argv.push_back(LS_BINARY);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.clear_env = true;
    spec.env = {"PATH=/usr/bin:/bin", "LETTA_BASE_URL=" + base_url,
                std::string("LETTA_API_KEY=") + kKey, "NO_COLOR=1"};
    spec.env.insert(spec.env.end(), o.env.begin(), o.env.end());
    spec.stdin_mode = ls_test::StdinMode::dev_null;
    if (o.signal != 0) {
        spec.signal = o.signal;
        spec.signal_after_ms = o.signal_after_ms;
    }
    spec.timeout_ms = 20000;
    return ls_test::run_process(spec);
}

std::string line_of(const std::string& err, const std::string& start) {
    const auto at = err.find(start);
    return at == std::string::npos ? "" : err.substr(at, err.find('\n', at) - at);
}

std::string hint_of(const std::string& err) {
    return line_of(err, "letta-stream: hint: ");
}

std::string error_of(const std::string& err) {
    return line_of(err, "letta-stream: error: ");
}

const char* const kReply = "Hello over TLS";

std::string reply_scenario() {
    return scenario(R"({"generate":{"text":")" + std::string(kReply) + R"("}})");
}

// A turn that must work: the reply on stdout, the key delivered to the server.
void check_ok(const ls_test::ProcessResult& r, const ls_test::FakeServer& server) {
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string(kReply) + "\n");
    const auto posts = message_posts(server);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].header("authorization") == std::string("Bearer ") + kKey);
}

// The turn failed on the server's certificate: status 7, one error line naming the cause, a
// hint naming --cacert, no retry, nothing reached the server.
void check_untrusted(const ls_test::ProcessResult& r, const ls_test::FakeServer& server) {
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(error_of(r.err), "cannot verify the server's TLS certificate: "));
    CHECK(contains(hint_of(r.err), "--cacert FILE"));
    CHECK(contains(hint_of(r.err), "--insecure"));
    CHECK_FALSE(contains(r.err, "retrying"));
    CHECK(r.out.empty());
    CHECK(message_posts(server).empty());
}

}  // namespace

// ---- trust -----------------------------------------------------------------------------------

TEST_CASE("tls: trusted via flag --cacert", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    check_ok(run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"}), server);
    // By name too (the certificate names localhost as well as 127.0.0.1).
    ls_test::FakeServer server2(reply_scenario());
    ls_test::TlsForwarder tls2(server2.port(), pki);
    check_ok(run_clean(tls2.url("localhost"), {"--cacert", pki.ca, "-a", kAgentId, "hi"}), server2);
}

TEST_CASE("tls: trusted via SSL_CERT_FILE", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    check_ok(run_clean(tls.url(), {"-a", kAgentId, "hi"}, {.env = {"SSL_CERT_FILE=" + pki.ca}}),
             server);
}

TEST_CASE("tls: trusted via CURL_CA_BUNDLE, which wins over SSL_CERT_FILE", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    check_ok(run_clean(tls.url(), {"-a", kAgentId, "hi"},
                       {.env = {"CURL_CA_BUNDLE=" + pki.ca, "SSL_CERT_FILE=" + pki.client_ca}}),
             server);
    ls_test::FakeServer server2(reply_scenario());
    ls_test::TlsForwarder tls2(server2.port(), pki);
    check_untrusted(
        run_clean(tls2.url(), {"-a", kAgentId, "hi"},
                  {.env = {"CURL_CA_BUNDLE=" + pki.client_ca, "SSL_CERT_FILE=" + pki.ca}}),
        server2);
}

TEST_CASE("tls: trusted via flag --capath and SSL_CERT_DIR", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    check_ok(run_clean(tls.url(), {"--capath", pki.ca_dir, "-a", kAgentId, "hi"}), server);
    ls_test::FakeServer server2(reply_scenario());
    ls_test::TlsForwarder tls2(server2.port(), pki);
    check_ok(run_clean(tls2.url(), {"-a", kAgentId, "hi"}, {.env = {"SSL_CERT_DIR=" + pki.ca_dir}}),
             server2);
}

TEST_CASE("tls: flag --cacert wins over a wrong SSL_CERT_FILE and CURL_CA_BUNDLE", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    check_ok(
        run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"},
                  {.env = {"SSL_CERT_FILE=" + pki.client_ca, "CURL_CA_BUNDLE=" + pki.client_ca}}),
        server);
}

TEST_CASE("tls: an untrusted certificate is exit 7 with a hint naming flag --cacert",
          "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    // No CA given: the system's store does not know the test CA.
    const auto r = run_clean(tls.url(), {"-a", kAgentId, "hi"});
    check_untrusted(r, server);
    CHECK(contains(error_of(r.err), "certificate"));
    // A CA that did not sign it.
    check_untrusted(run_clean(tls.url(), {"--cacert", pki.client_ca, "-a", kAgentId, "hi"}),
                    server);
    // The agent lookup (a name, not an id) fails the same way.
    const auto named = run_clean(tls.url(), {"-a", "calc", "hi"});
    INFO(ls_test::describe(named));
    CHECK(named.exit_code == 7);
    CHECK(contains(hint_of(named.err), "--cacert FILE"));
    // -j says it as an error line too.
    const auto j = run_clean(tls.url(), {"-j", "-a", kAgentId, "hi"});
    CHECK(j.exit_code == 7);
    CHECK(contains(j.out, "cannot verify the server's TLS certificate"));
}

TEST_CASE("tls: a certificate for another host name is rejected", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki, "", pki.other_name_cert, pki.other_name_key);
    const auto r = run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(error_of(r.err), "cannot verify the server's TLS certificate: "));
    CHECK(contains(hint_of(r.err), "another host name"));
    CHECK(message_posts(server).empty());
}

TEST_CASE("tls: flag --insecure and -k accept an untrusted certificate, with a warning",
          "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    for (const char* flag : {"--insecure", "-k"}) {
        INFO(flag);
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki, "", pki.other_name_cert, pki.other_name_key);
        const auto r = run_clean(tls.url(), {flag, "-a", kAgentId, "hi"});
        check_ok(r, server);
        CHECK(contains(r.err,
                       "letta-stream: warning: --insecure: the server's TLS certificate is not "
                       "verified"));
    }
}

TEST_CASE("tls: a CA file that is not PEM is a usage error naming flag --cacert", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    const auto r = run_clean(tls.url(), {"--cacert", LS_BINARY, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 2);
    CHECK(contains(error_of(r.err), "cannot load the CA certificates: "));
    CHECK(contains(hint_of(r.err), "--cacert"));
    CHECK(message_posts(server).empty());
}

// ---- client certificates ---------------------------------------------------------------------

TEST_CASE("tls: a server that requires a client certificate: flag --cert and --key", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki, pki.client_ca);

    const auto without = run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"});
    {
        INFO(ls_test::describe(without));
        CHECK(without.exit_code == 7);
        CHECK(contains(error_of(without.err), "did not accept a TLS client certificate"));
        CHECK(contains(hint_of(without.err), "--cert FILE and --key FILE"));
        CHECK_FALSE(contains(without.err, "retrying"));
    }
    // One the server's client CA did not sign.
    const auto stray = run_clean(tls.url(), {"--cacert", pki.ca, "--cert", pki.stray_cert, "--key",
                                             pki.stray_key, "-a", kAgentId, "hi"});
    {
        INFO(ls_test::describe(stray));
        CHECK(stray.exit_code == 7);
        CHECK(contains(error_of(stray.err), "did not accept a TLS client certificate"));
    }
    CHECK(message_posts(server).empty());

    check_ok(run_clean(tls.url(), {"--cacert", pki.ca, "--cert", pki.client_cert, "--key",
                                   pki.client_key, "-a", kAgentId, "hi"}),
             server);
}

TEST_CASE("tls: a key that does not belong to flag --cert is a usage error", "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki, pki.client_ca);
    const auto r = run_clean(tls.url(), {"--cacert", pki.ca, "--cert", pki.client_cert, "--key",
                                         pki.stray_key, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 2);
    CHECK(contains(error_of(r.err), "cannot use the TLS client certificate: "));
    CHECK(contains(hint_of(r.err), "--cert FILE and --key FILE"));
    CHECK_FALSE(contains(r.err, "retrying"));
}

// ---- proxies ---------------------------------------------------------------------------------

TEST_CASE("tls: through a CONNECT proxy from https_proxy, the API key hidden from it",
          "[e2e][tls][proxy]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    for (const char* var : {"https_proxy", "HTTPS_PROXY", "all_proxy"}) {
        INFO(var);
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki);
        ls_test::ConnectProxy proxy(pki);
        check_ok(run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"},
                           {.env = {std::string(var) + "=" + proxy.url()}}),
                 server);
        const std::string seen = proxy.log();
        INFO(seen);
        CHECK(contains(seen, "CONNECT 127.0.0.1:" + std::to_string(tls.port()) + " HTTP/1.1"));
        CHECK_FALSE(contains(seen, kKey));
        CHECK_FALSE(contains(seen, "Authorization"));
        CHECK_FALSE(contains(seen, "/v1/"));
    }
}

TEST_CASE("tls: through a CONNECT proxy from flag --proxy", "[e2e][tls][proxy]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(reply_scenario());
    ls_test::TlsForwarder tls(server.port(), pki);
    ls_test::ConnectProxy proxy(pki);
    ls_test::ConnectProxy unused(pki);
    // The flag wins over the environment's proxy.
    check_ok(
        run_clean(tls.url(), {"--proxy", proxy.url(), "--cacert", pki.ca, "-a", kAgentId, "hi"},
                  {.env = {"https_proxy=" + unused.url()}}),
        server);
    const std::string seen = proxy.log();
    INFO(seen);
    CHECK(contains(seen, "CONNECT 127.0.0.1:" + std::to_string(tls.port()) + " HTTP/1.1"));
    CHECK_FALSE(contains(seen, kKey));
    CHECK_FALSE(contains(seen, "Authorization"));
    CHECK(unused.log().empty());
}

TEST_CASE("tls: no_proxy and flag --noproxy go around the proxy", "[e2e][tls][proxy]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::ConnectProxy proxy(pki);
    {
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki);
        check_ok(run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"},
                           {.env = {"https_proxy=" + proxy.url(), "no_proxy=localhost,127.0.0.1"}}),
                 server);
    }
    {
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki);
        check_ok(run_clean(tls.url(),
                           {"--cacert", pki.ca, "--noproxy", "127.0.0.0/8", "-a", kAgentId, "hi"},
                           {.env = {"https_proxy=" + proxy.url()}}),
                 server);
    }
    {
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki);
        check_ok(run_clean(tls.url(), {"--proxy", proxy.url(), "--noproxy", "*", "--cacert", pki.ca,
                                       "-a", kAgentId, "hi"}),
                 server);
    }
    CHECK(proxy.log().empty());
}

TEST_CASE("tls: HTTP_PROXY in upper case is used for http://, but not under CGI",
          "[e2e][tls][proxy]") {
    REQUIRE_TLS_TOOLS(false);
    const auto& pki = ls_test::test_pki();
    ls_test::ConnectProxy proxy(pki);
    {
        ls_test::FakeServer server(reply_scenario());
        check_ok(run_clean(server.base_url(), {"-a", kAgentId, "hi"},
                           {.env = {"HTTP_PROXY=" + proxy.url()}}),
                 server);
        const std::string seen = proxy.log();
        INFO(seen);
        CHECK(contains(seen, "POST " + server.base_url() + "/v1/"));
        // A plain http:// request is the proxy's to read: the log does see headers.
        CHECK(contains(seen, kKey));
    }
    const std::size_t before = proxy.log().size();
    {
        // A CGI program: HTTP_PROXY may come from the request's "Proxy:" header (httpoxy).
        ls_test::FakeServer server(reply_scenario());
        check_ok(run_clean(server.base_url(), {"-a", kAgentId, "hi"},
                           {.env = {"HTTP_PROXY=" + proxy.url(), "REQUEST_METHOD=GET"}}),
                 server);
        // http_proxy in lower case is still honoured there (the administrator's, not the
        // client's).
        ls_test::FakeServer server2(reply_scenario());
        check_ok(run_clean(server2.base_url(), {"-a", kAgentId, "hi"},
                           {.env = {"HTTP_PROXY=http://127.0.0.1:1", "http_proxy=" + proxy.url(),
                                    "REQUEST_METHOD=GET"}}),
                 server2);
        CHECK(contains(proxy.log().substr(before), "POST " + server2.base_url() + "/v1/"));
        CHECK_FALSE(contains(proxy.log().substr(before), server.base_url() + "/"));
    }
    {
        // HTTP_PROXY is never used for an https:// server, and no_proxy applies to it.
        ls_test::FakeServer server(reply_scenario());
        ls_test::TlsForwarder tls(server.port(), pki);
        check_ok(run_clean(tls.url(), {"--cacert", pki.ca, "-a", kAgentId, "hi"},
                           {.env = {"HTTP_PROXY=http://127.0.0.1:1"}}),
                 server);
        ls_test::FakeServer server2(reply_scenario());
        check_ok(run_clean(server2.base_url(), {"-a", kAgentId, "hi"},
                           {.env = {"HTTP_PROXY=http://127.0.0.1:1", "NO_PROXY=127.0.0.1"}}),
                 server2);
    }
}

TEST_CASE("tls: a dead proxy from flag --proxy is named in the hint", "[e2e][tls][proxy]") {
    REQUIRE_TLS_TOOLS(false);
    ls_test::FakeServer server(reply_scenario());
    const auto r = run_clean(server.base_url(),
                             {"--proxy", "http://bob:SECRET@127.0.0.1:1", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(contains(hint_of(r.err), "is the proxy http://bob:***@127.0.0.1:1 running"));
    CHECK_FALSE(contains(r.err, "SECRET"));
}

// ---- HTTP/2 ----------------------------------------------------------------------------------

TEST_CASE("tls: HTTP/2 through nghttpx, the reply arrives token by token", "[e2e][tls][h2]") {
    REQUIRE_TLS_TOOLS(true);
    const auto& pki = ls_test::test_pki();
    // 30 tokens at 50 tokens/s: about 600 ms of streaming.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":30},"rate":50})"));
    ls_test::Http2Front h2(server.port(), pki);
    const auto r =
        run_clean(h2.url(), {"--verbose", "--metrics=json", "--cacert", pki.ca, "-a", kAgentId,
                             "Explain"});
    INFO(ls_test::describe(r));
    INFO(h2.stderr_text());
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.err, "< HTTP/2 200"));
    CHECK(contains(r.err, R"("http_version":"2")"));
    REQUIRE(r.out_chunks.size() >= 10);
    CHECK(r.out_chunks.back().t_ms - r.out_chunks.front().t_ms > 300);
    // The same text as over HTTP/1.1.
    const auto plain = run_clean(server.base_url(), {"-a", kAgentId, "Explain"});
    CHECK(plain.exit_code == 0);
    CHECK(r.out == plain.out);
    const auto posts = message_posts(server);
    REQUIRE(posts.size() == 2);
    CHECK(posts[0].header("authorization") == std::string("Bearer ") + kKey);
}

TEST_CASE("tls: HTTP/2 behind flag --throttle pauses and resumes the stream", "[e2e][tls][h2]") {
    REQUIRE_TLS_TOOLS(true);
    const auto& pki = ls_test::test_pki();
    // 2 MB in 40 deltas at 20 deltas/s: the throttle's 1 MiB backlog fills, the transfer is
    // paused and resumed several times, and all of it arrives in about 2 s.
    std::string text;
    for (int i = 0; i < 200'000; ++i)
        text += "abcdefghi ";
    ls_test::FakeServer server(scenario(R"({"generate":{"text":")" + text + R"(","tokens":40}})"));
    ls_test::Http2Front h2(server.port(), pki);
    const auto r =
        run_clean(h2.url(), {"--throttle", "20", "--cacert", pki.ca, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r).substr(0, 2000));
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == text.size() + 1);
    CHECK(r.out == text + "\n");
    CHECK(r.elapsed_ms > 1500);
    CHECK(r.elapsed_ms < 15000);
}

TEST_CASE("tls: HTTP/2 flood behind flag --throttle: bounded memory, SIGINT ends it",
          "[e2e][tls][h2]") {
    REQUIRE_TLS_TOOLS(true);
    const auto& pki = ls_test::test_pki();
    ls_test::FakeServer server(scenario(R"({"generate":{"repeat_events":1000000}})"));
    ls_test::Http2Front h2(server.port(), pki);
    const auto r =
        run_clean(h2.url(), {"--throttle", "1000", "--cacert", pki.ca, "-a", kAgentId, "hi"},
                  {.signal = SIGINT, .signal_after_ms = 2000});
    INFO(ls_test::describe(r).substr(0, 2000));
    CHECK(r.exit_code == 130);
    CHECK(r.elapsed_ms < 6000);
    CHECK(r.out.size() > 1000 * 5);
    CHECK(r.max_rss_kb > 0);
    CHECK(r.max_rss_kb < 64 * 1024);
}

TEST_CASE("tls: https:// to a plain-HTTP port is exit 7 at once, with a hint to use http://",
          "[e2e][tls]") {
    REQUIRE_TLS_TOOLS(false);
    ls_test::PlainHttp400 plain(ls_test::test_pki());
    const std::string https = "https://127.0.0.1:" + std::to_string(plain.port());
    auto r = run_clean(https, {"-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 7);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "does not speak TLS on that port"));
    CHECK(contains(hint_of(r.err), "http://"));
    CHECK_FALSE(contains(r.err, "retrying"));  // the same answer every time
}
