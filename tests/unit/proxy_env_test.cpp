// transport/proxy_env: which proxy a request takes — libcurl 7.88's own rules (detect_proxy,
// Curl_check_noproxy) as modelled for messages, plus the HTTP_PROXY rule we add — over an
// injected environment.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "transport/proxy_env.hpp"

using namespace letta_stream::transport;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
}

}  // namespace

TEST_CASE("libcurl's variables: the scheme's own, then all_proxy", "[proxy_env]") {
    const auto e = env_of(
        {{"https_proxy", "http://s:1"}, {"http_proxy", "http://p:1"}, {"all_proxy", "http://a:1"}});
    CHECK(effective_proxy("https://api.letta.com/v1", "", "", e) == "http://s:1");
    CHECK(effective_proxy("http://h/", "", "", e) == "http://p:1");
    CHECK(effective_proxy("https://h/", "", "", env_of({{"HTTPS_PROXY", "http://S:1"}})) ==
          "http://S:1");
    // Lower case first.
    CHECK(effective_proxy("https://h/", "", "",
                          env_of({{"HTTPS_PROXY", "http://S:1"}, {"https_proxy", "http://s:1"}})) ==
          "http://s:1");
    CHECK(effective_proxy("https://h/", "", "", env_of({{"all_proxy", "http://a:1"}})) ==
          "http://a:1");
    CHECK(effective_proxy("https://h/", "", "", env_of({{"ALL_PROXY", "http://A:1"}})) ==
          "http://A:1");
    // Set but empty is unset (curl_getenv).
    CHECK(effective_proxy("https://h/", "", "",
                          env_of({{"https_proxy", ""}, {"all_proxy", "http://a:1"}})) ==
          "http://a:1");
    CHECK(effective_proxy("https://h/", "", "", env_of({})).empty());
    // The scheme is matched case-insensitively.
    CHECK(effective_proxy("HTTPS://h/", "", "", e) == "http://s:1");
}

TEST_CASE("HTTP_PROXY: ours, for http:// only, not under CGI", "[proxy_env]") {
    const auto upper = env_of({{"HTTP_PROXY", "http://u:1"}});
    CHECK(proxy_to_add("http://h:8283/v1", "", upper) == "http://u:1");
    CHECK(effective_proxy("http://h:8283/v1", "", "", upper) == "http://u:1");
    // Not for https://, not when http_proxy is set, not when --proxy is given.
    CHECK(proxy_to_add("https://h/", "", upper).empty());
    CHECK(effective_proxy("https://h/", "", "", upper).empty());
    const auto both = env_of({{"HTTP_PROXY", "http://u:1"}, {"http_proxy", "http://l:1"}});
    CHECK(proxy_to_add("http://h/", "", both).empty());
    CHECK(effective_proxy("http://h/", "", "", both) == "http://l:1");
    CHECK(proxy_to_add("http://h/", "http://flag:1", upper).empty());
    // It beats all_proxy, like HTTPS_PROXY does for https://.
    const auto with_all = env_of({{"HTTP_PROXY", "http://u:1"}, {"all_proxy", "http://a:1"}});
    CHECK(proxy_to_add("http://h/", "", with_all) == "http://u:1");
    CHECK(effective_proxy("http://h/", "", "", with_all) == "http://u:1");
    // CGI: the request's "Proxy:" header becomes HTTP_PROXY (httpoxy). http_proxy still counts.
    const auto cgi = env_of({{"HTTP_PROXY", "http://evil:1"}, {"REQUEST_METHOD", "GET"}});
    CHECK(proxy_to_add("http://h/", "", cgi).empty());
    CHECK(effective_proxy("http://h/", "", "", cgi).empty());
    const auto cgi_lower = env_of(
        {{"HTTP_PROXY", "http://evil:1"}, {"http_proxy", "http://l:1"}, {"REQUEST_METHOD", "GET"}});
    CHECK(effective_proxy("http://h/", "", "", cgi_lower) == "http://l:1");
}

TEST_CASE("flags: --proxy wins over the environment, --noproxy over no_proxy", "[proxy_env]") {
    const auto e = env_of({{"https_proxy", "http://s:1"}, {"no_proxy", "other.example"}});
    CHECK(effective_proxy("https://h/", "http://flag:1", "", e) == "http://flag:1");
    // no_proxy applies to --proxy too (libcurl checks it after choosing CURLOPT_PROXY).
    CHECK(effective_proxy("https://other.example/", "http://flag:1", "", e).empty());
    // --noproxy replaces no_proxy.
    CHECK(effective_proxy("https://other.example/", "", "h", e) == "http://s:1");
    CHECK(effective_proxy("https://h/", "", "h", e).empty());
    CHECK(effective_proxy("https://h/", "http://flag:1", "*", e).empty());
    CHECK(effective_proxy("https://h/", "", "",
                          env_of({{"https_proxy", "http://s:1"}, {"NO_PROXY", "h"}}))
              .empty());
}

TEST_CASE("no_proxy matching follows Curl_check_noproxy", "[proxy_env]") {
    // Names: exact or a domain suffix at a dot, case-insensitive, leading/trailing dots ignored.
    CHECK(no_proxy_matches("example.com", "example.com"));
    CHECK(no_proxy_matches("example.com", "api.Example.COM"));
    CHECK(no_proxy_matches(".example.com", "api.example.com"));
    CHECK(no_proxy_matches(".example.com", "example.com"));
    CHECK(no_proxy_matches("example.com.", "example.com"));
    CHECK(no_proxy_matches("example.com", "example.com."));
    CHECK_FALSE(no_proxy_matches("example.com", "notexample.com"));
    CHECK_FALSE(no_proxy_matches("api.example.com", "example.com"));
    // Lists: commas and blanks separate.
    CHECK(no_proxy_matches("a.test, b.test", "b.test"));
    CHECK(no_proxy_matches("a.test b.test", "b.test"));
    CHECK(no_proxy_matches(",,a.test,,", "a.test"));
    CHECK_FALSE(no_proxy_matches("", "a.test"));
    // "*" only as the whole list.
    CHECK(no_proxy_matches("*", "anything"));
    CHECK_FALSE(no_proxy_matches("*,a.test", "b.test"));
    // IPv4: addresses and CIDR ranges, never suffixes.
    CHECK(no_proxy_matches("127.0.0.1", "127.0.0.1"));
    CHECK(no_proxy_matches("127.0.0.0/8", "127.1.2.3"));
    CHECK(no_proxy_matches("10.0.0.0/8,192.168.0.0/16", "192.168.4.5"));
    CHECK_FALSE(no_proxy_matches("10.0.0.0/8", "11.0.0.1"));
    CHECK_FALSE(no_proxy_matches("0.0.1", "127.0.0.1"));
    CHECK_FALSE(no_proxy_matches("localhost", "127.0.0.1"));
    // IPv6 literals reach 7.88's check without brackets: compared as names.
    CHECK(no_proxy_matches("::1", "[::1]"));
    CHECK(no_proxy_matches("::1", "::1"));
    CHECK_FALSE(no_proxy_matches("::/0", "::1"));
}

TEST_CASE("the host is taken from the URL", "[proxy_env]") {
    const auto e = env_of({{"https_proxy", "http://s:1"}, {"no_proxy", "h.test,::1"}});
    CHECK(effective_proxy("https://user:pw@h.test:8443/v1?x#y", "", "", e).empty());
    CHECK(effective_proxy("https://[::1]:8443/v1", "", "", e).empty());
    CHECK(effective_proxy("https://g.test/v1", "", "", e) == "http://s:1");
    CHECK(effective_proxy("not a url", "", "", e).empty());
}
