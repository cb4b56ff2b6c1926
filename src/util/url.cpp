#include "util/url.hpp"

#include <algorithm>

namespace letta_stream::util {

namespace {

bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view s) noexcept {
    if (s.empty() || !is_alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
    });
}

// True when `authority` reads as host[:port], a port being digits: "[::1]:8283", "example.com".
bool is_host_port(std::string_view authority) noexcept {
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {  // IPv6: its colons are not a port
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return false;
        port = authority.substr(close + 1);
        if (port.empty()) return true;
        if (port.front() != ':') return false;
        port.remove_prefix(1);
    } else {
        const auto colon = authority.find(':');
        if (colon == std::string_view::npos) return true;
        port = authority.substr(colon + 1);
    }
    return std::all_of(port.begin(), port.end(), is_digit);
}

}  // namespace

UrlParts split_url(std::string_view url) noexcept {
    UrlParts p;
    std::string_view rest = url;
    if (const auto sep = url.find("://");
        sep != std::string_view::npos && is_scheme(url.substr(0, sep))) {
        p.scheme = url.substr(0, sep);
        rest = url.substr(sep + 3);
    }
    auto end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    // The last '@' of the authority: a password typed with an unencoded '@' stays in the userinfo.
    auto at = authority.rfind('@');
    if (at == std::string_view::npos && end != std::string_view::npos && !is_host_port(authority)) {
        // "user:pa/ss@host": an unencoded '/', '?' or '#' in a password ends the authority early.
        // Such a URL is invalid, but the password must still not be printed, so the userinfo runs
        // to the last '@'. An '@' after a valid host[:port] is part of the path, never userinfo.
        if (const auto last = rest.rfind('@'); last != std::string_view::npos) {
            at = last;
            end = rest.find_first_of("/?#", last);
            authority = rest.substr(0, end);
        }
    }
    if (at != std::string_view::npos) {
        p.has_userinfo = true;
        p.userinfo = authority.substr(0, at);
        p.host = authority.substr(at + 1);
    } else {
        p.host = authority;
    }
    if (end != std::string_view::npos) p.tail = rest.substr(end);
    return p;
}

std::string redact_url(std::string_view url) {
    const UrlParts p = split_url(url);
    const auto colon = p.userinfo.find(':');
    if (!p.has_userinfo || colon == std::string_view::npos) return std::string(url);
    const auto userinfo_at = static_cast<std::size_t>(p.userinfo.data() - url.data());
    std::string out(url.substr(0, userinfo_at));  // "scheme://", or nothing
    out.append(p.userinfo.substr(0, colon));
    out.append(":***@");
    out.append(p.host);
    out.append(p.tail);
    return out;
}

std::string redact_urls_in(std::string_view text) {
    std::string out;
    std::size_t done = 0;  // text[0, done) is in `out`
    for (auto sep = text.find("://"); sep != std::string_view::npos;
         sep = text.find("://", sep + 3)) {
        // The authority runs to the first character that cannot be in one unquoted.
        const std::size_t start = sep + 3;
        std::size_t end = text.find_first_of("/?# \t'\"<>", start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view authority = text.substr(start, end - start);
        const auto at = authority.rfind('@');
        if (at == std::string_view::npos) continue;
        const auto colon = authority.substr(0, at).find(':');
        if (colon == std::string_view::npos) continue;
        out.append(text.substr(done, start + colon + 1 - done));
        out.append("***");
        done = start + at;  // from the '@' on
    }
    out.append(text.substr(done));
    return out;
}

}  // namespace letta_stream::util
