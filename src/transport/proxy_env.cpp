#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/curl_transport.hpp"
#include "util/strings.hpp"

namespace letta_stream::transport {

namespace {

const char* env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v != nullptr && *v != '\0' ? v : nullptr;
}

// no_proxy: "*", or host names and domain suffixes separated by commas (".example.com" and
// "example.com" both match sub.example.com), as libcurl reads it. Ports and CIDR ranges are not
// looked at: this only chooses the words of a hint.
bool no_proxy_matches(std::string_view list, std::string_view host) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = util::trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item == "*") return true;
        if (!item.empty() && item.front() == '.') item.remove_prefix(1);
        if (item.empty()) continue;
        if (util::iequals(host, item)) return true;
        if (host.size() > item.size() && host[host.size() - item.size() - 1] == '.' &&
            util::iequals(host.substr(host.size() - item.size()), item))
            return true;
    }
    return false;
}

}  // namespace

std::string proxy_from_environment(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) return {};
    std::string scheme(url.substr(0, colon));
    for (char& c : scheme)
        c = util::ascii_lower(c);
    std::string_view rest = url.substr(colon + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host = rest;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(1, host.find(']') - 1);
    } else if (const auto port = host.rfind(':'); port != std::string_view::npos) {
        host = host.substr(0, port);
    }
    const char* no_proxy = env("no_proxy") != nullptr ? env("no_proxy") : env("NO_PROXY");
    if (no_proxy != nullptr && no_proxy_matches(no_proxy, host)) return {};
    // libcurl reads http_proxy in lower case only (HTTP_PROXY could be set by a CGI request).
    std::string upper = scheme + "_PROXY";
    for (char& c : upper)
        c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    const char* p = env(scheme + "_proxy");
    if (p == nullptr && scheme != "http") p = env(upper);
    if (p == nullptr) p = env("all_proxy");
    if (p == nullptr) p = env("ALL_PROXY");
    return p != nullptr ? std::string(p) : std::string();
}

}  // namespace letta_stream::transport
