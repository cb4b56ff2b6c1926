// util::uuid4 — random RFC 4122 version-4 UUIDs (the per-turn "otid" that makes re-sends
// idempotent on the server). Knows nothing else.
#pragma once

#include <string>

namespace letta_stream::util {

// Lower-case canonical form, e.g. "2b7e9c41-5d3a-4f86-a1c2-7e8f9a0b1c2d".
std::string uuid4();

// True when `s` is a canonical version-4 UUID, in lower or upper case (RFC 9562 asks readers to
// accept both; ids copied from some consoles come in upper case).
bool is_uuid4(std::string_view s) noexcept;

}  // namespace letta_stream::util
