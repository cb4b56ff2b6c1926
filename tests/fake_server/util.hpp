// Small helpers shared by the fake Letta server: URL decoding, UTF-8 checks, JSON quoting, ids,
// dates. Nothing here knows about HTTP connections or scenarios.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fls {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes %XX escapes (and '+' as a space when plus_as_space). Malformed escapes are kept as is.
std::string url_decode(std::string_view s, bool plus_as_space);
std::string url_encode(std::string_view s);
// Splits a raw query string ("a=1&b=x%20y") into decoded pairs, in order.
QueryParams parse_query(std::string_view raw);
// The first value of `name`, or nullptr.
const std::string* query_get(const QueryParams& q, std::string_view name);

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);

bool valid_utf8(std::string_view s);
// Replaces every invalid UTF-8 sequence with U+FFFD.
std::string utf8_lossy(std::string_view s);
std::string base64(std::string_view s);
// Interprets a UTF-8 string as Latin-1: code points U+0000..U+00FF become single bytes (so JSON
// "\u00ff" yields the byte 0xFF); larger code points keep their UTF-8 encoding.
std::string latin1_bytes(std::string_view utf8);

// A JSON string literal (with the quotes), escaped the way pydantic/RapidJSON do it.
std::string json_quote(std::string_view s);

// A random lowercase UUID4 ("1a2b...-4...-[89ab]...").
std::string uuid4();
// Current UTC time as "2026-01-15T10:30:01+00:00" (Letta's message date format).
std::string iso_now();
// Current time as an RFC 7231 date for the HTTP Date header.
std::string http_date();

// Milliseconds since the server process started (steady clock).
double ms_since_start();

}  // namespace fls
