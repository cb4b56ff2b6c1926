// util::url — the few things letta-stream needs to know about a URL: its parts as written (for
// --base-url) and a copy that is safe to print (no password). Not a validating RFC 3986 parser:
// nothing is decoded, and any string at all splits into some parts without throwing.
#pragma once

#include <string>
#include <string_view>

namespace letta_stream::util {

// Views into the original string: scheme "://" userinfo "@" host tail.
struct UrlParts {
    std::string_view scheme;    // without "://"; empty when the string has none
    std::string_view userinfo;  // "user" or "user:password", without the '@'
    bool has_userinfo = false;  // true for "http://@host" too
    std::string_view host;      // host and port, e.g. "[::1]:8283"
    std::string_view tail;      // path, query and fragment: from the first '/', '?' or '#'
};

UrlParts split_url(std::string_view url) noexcept;

// `url` with the password of its userinfo replaced: "https://me:secret@host/x" becomes
// "https://me:***@host/x". A user name alone stays; anything without userinfo is returned as is.
// For every message that shows a URL (errors, hints, JSON error lines, traces).
std::string redact_url(std::string_view url);

// `text` with the password of every URL in it replaced as redact_url does: for lines that
// merely contain URLs, such as libcurl's "Uses proxy env variable https_proxy == 'http://...'".
std::string redact_urls_in(std::string_view text);

}  // namespace letta_stream::util
