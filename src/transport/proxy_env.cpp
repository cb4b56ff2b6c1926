#include "transport/proxy_env.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/strings.hpp"

namespace letta_stream::transport {

namespace {

struct Target {
    std::string scheme;  // lower case
    std::string host;    // without brackets or port
};

Target parse_target(std::string_view url) {
    Target t;
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) return t;
    t.scheme = std::string(url.substr(0, colon));
    for (char& c : t.scheme)
        c = util::ascii_lower(c);
    std::string_view rest = url.substr(colon + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host = rest;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
    } else if (const auto port = host.rfind(':'); port != std::string_view::npos) {
        host = host.substr(0, port);
    }
    t.host = std::string(host);
    return t;
}

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
}

// Curl_cidr4_match(): `bits` 0 or 32 is an exact match.
bool cidr4_match(const std::string& address, const std::string& network, unsigned bits) {
    in_addr a{}, n{};
    if (bits > 32) return false;
    if (::inet_pton(AF_INET, address.c_str(), &a) != 1) return false;
    if (::inet_pton(AF_INET, network.c_str(), &n) != 1) return false;
    if (bits == 0 || bits == 32) return a.s_addr == n.s_addr;
    const std::uint32_t mask = 0xffffffffU << (32 - bits);
    return ((ntohl(a.s_addr) ^ ntohl(n.s_addr)) & mask) == 0;
}

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

// The protocol's own variable as libcurl reads it, plus our HTTP_PROXY rule (see the header).
std::optional<std::string> scheme_proxy(const std::string& scheme, const EnvLookup& env) {
    if (scheme.empty()) return std::nullopt;
    const std::string lower = scheme + "_proxy";
    if (auto v = env(lower.c_str())) return v;
    if (scheme != "http") return env(upper(lower).c_str());
    if (env("REQUEST_METHOD")) return std::nullopt;  // CGI: HTTP_PROXY may be the request's
    return env("HTTP_PROXY");
}

}  // namespace

EnvLookup process_environment() {
    return [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (v == nullptr || *v == '\0') return std::nullopt;
        return std::string(v);
    };
}

bool no_proxy_matches(std::string_view list, std::string_view host_in) {
    std::string_view name = host_in;
    if (!name.empty() && name.front() == '[' && name.back() == ']')
        name = name.substr(1, name.size() - 2);
    if (name.empty() || list.empty()) return false;
    if (list == "*") return true;
    // libcurl 7.88 gets IPv6 literals without their brackets, so matches them as names; only
    // IPv4 addresses are compared by address and CIDR range.
    in_addr probe{};
    const std::string name_z(name);
    const bool ipv4 = ::inet_pton(AF_INET, name_z.c_str(), &probe) == 1;
    if (!ipv4 && name.back() == '.') name.remove_suffix(1);
    std::size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && is_blank(list[i]))
            ++i;
        const std::size_t start = i;
        while (i < list.size() && !is_blank(list[i]) && list[i] != ',')
            ++i;
        std::string_view token = list.substr(start, i - start);
        if (!token.empty()) {
            if (ipv4) {
                std::string network(token);
                unsigned bits = 0;
                if (const auto slash = network.find('/'); slash != std::string::npos) {
                    bits = static_cast<unsigned>(std::atoi(network.c_str() + slash + 1));
                    network.resize(slash);
                }
                if (cidr4_match(name_z, network, bits)) return true;
            } else {
                if (token.back() == '.') token.remove_suffix(1);
                if (!token.empty() && token.front() == '.') token.remove_prefix(1);
                if (token.size() == name.size() && util::iequals(token, name)) return true;
                if (token.size() < name.size() && name[name.size() - token.size() - 1] == '.' &&
                    util::iequals(name.substr(name.size() - token.size()), token))
                    return true;
            }
        }
        while (i < list.size() && (is_blank(list[i]) || list[i] == ','))
            ++i;
    }
    return false;
}

std::string proxy_to_add(std::string_view url, std::string_view explicit_proxy,
                         const EnvLookup& env) {
    if (!explicit_proxy.empty()) return {};
    // libcurl reads http_proxy itself; what is left of scheme_proxy's rule is HTTP_PROXY.
    if (parse_target(url).scheme != "http" || env("http_proxy")) return {};
    return scheme_proxy("http", env).value_or(std::string());
}

std::string effective_proxy(std::string_view url, std::string_view explicit_proxy,
                            std::string_view explicit_noproxy, const EnvLookup& env) {
    const Target t = parse_target(url);
    const std::string no_proxy =
        !explicit_noproxy.empty()
            ? std::string(explicit_noproxy)
            : env("no_proxy").value_or(env("NO_PROXY").value_or(std::string()));
    if (no_proxy_matches(no_proxy, t.host)) return {};
    if (!explicit_proxy.empty()) return std::string(explicit_proxy);
    if (auto p = scheme_proxy(t.scheme, env)) return *p;
    if (auto p = env("all_proxy")) return *p;
    return env("ALL_PROXY").value_or(std::string());
}

}  // namespace letta_stream::transport
