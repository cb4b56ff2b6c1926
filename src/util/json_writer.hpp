// util::JsonWriter — the one RapidJSON writer type the project uses (request bodies, JSON lines,
// the metrics report).
//
// Why not plain rapidjson::Writer<StringBuffer>: RapidJSON 1.1.0 (Debian 12's rapidjson-dev) has
// an SSE2 fast path for exactly that type, Writer<StringBuffer>::ScanWriteUnescapedString, whose
// control-character test is `s <= 0x19` where JSON needs `s < 0x20`. Bytes 0x1A–0x1F inside the
// 16-byte-aligned middle of a string then go out unescaped, which is invalid JSON: a prompt piped
// from `git diff --color` (ESC = 0x1B) was rejected with HTTP 422. A distinct, otherwise identical
// stack allocator type selects the generic writer, which escapes all of them; the reader keeps its
// SSE2 scanning. (Fixed upstream after 1.1.0; tests/unit/json_escape_test.cpp pins it here.)
#pragma once

#include <rapidjson/allocators.h>
#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace letta_stream::util {

struct JsonStackAllocator : rapidjson::CrtAllocator {};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     JsonStackAllocator>;

}  // namespace letta_stream::util
