// Which proxy a request goes through, from --proxy/--noproxy and the environment — the part of
// the choice that libcurl does not make itself, and a model of the whole choice for messages.
// Internal to transport/ (curl_transport.cpp and the unit tests); the environment is passed in.
//
// What libcurl 7.88 does (lib/url.c, create_conn_helper_init_proxy() and detect_proxy();
// lib/noproxy.c, Curl_check_noproxy(); lib/getenv.c: a variable set to "" counts as unset):
//   1. The no-proxy list is CURLOPT_NOPROXY if set, else no_proxy, else NO_PROXY. A host in it
//      goes direct — even when CURLOPT_PROXY names a proxy. "*" alone matches every host;
//      otherwise entries are separated by commas (or blanks), a leading or trailing dot is
//      ignored, "example.com" matches example.com and any sub.example.com (case-insensitively),
//      and for an IPv4 address host an entry may be an address or a CIDR range (10.0.0.0/8).
//      (An IPv6 literal reaches the check without its brackets, so 7.88 compares it as a name.)
//   2. Otherwise CURLOPT_PROXY if set (an empty string: no proxy at all, the environment unread).
//   3. Otherwise <scheme>_proxy in lower case (http_proxy, https_proxy); for every scheme but
//      http also the upper case (HTTPS_PROXY) when the lower case is unset. HTTP_PROXY is never
//      read: in a CGI program it comes from the request's "Proxy:" header ("httpoxy").
//   4. Otherwise all_proxy, then ALL_PROXY.
// What we add: for an http:// URL, HTTP_PROXY when http_proxy is unset and REQUEST_METHOD is
// unset (not a CGI program) — Go's net/http rule for the upper-case name; unlike Go, http_proxy in
// lower case is still honoured under CGI, as libcurl does. It goes to CURLOPT_PROXY, so step 1
// still applies to it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace letta_stream::transport {

// A variable's value; nullopt when unset or empty (libcurl's curl_getenv() treats both alike).
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment, as EnvLookup.
EnvLookup process_environment();

// The proxy for CURLOPT_PROXY that libcurl would not take from the environment itself: HTTP_PROXY
// for an http:// URL (rules above), when `explicit_proxy` (--proxy) is empty. Empty: set nothing.
std::string proxy_to_add(std::string_view url, std::string_view explicit_proxy,
                         const EnvLookup& env);

// The proxy the request to `url` goes through, all of the rules above applied; empty: direct.
// `explicit_proxy` and `explicit_noproxy` are --proxy and --noproxy (empty: not given).
std::string effective_proxy(std::string_view url, std::string_view explicit_proxy,
                            std::string_view explicit_noproxy, const EnvLookup& env);

// Whether `host` (a name, an IPv4 address, or an IPv6 address with or without brackets) is in
// the no-proxy list `list`, as libcurl's Curl_check_noproxy() decides.
bool no_proxy_matches(std::string_view list, std::string_view host);

}  // namespace letta_stream::transport
