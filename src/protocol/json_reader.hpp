// protocol::json — what every SAX reader of one JSON object (a Letta message, an OpenAI chunk,
// a proxy event) shares: an in-place copy padded for RapidJSON's SSE2 scan, the parse, the check
// for a NUL inside the text, and the one-line message of a failure.
#pragma once

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

namespace letta_stream::protocol::json {

// A view with a non-null data() was present as a JSON string (in-situ strings never have a null
// pointer, even when empty); absent, null and wrong-typed fields stay default-constructed.
inline bool present(std::string_view s) noexcept {
    return s.data() != nullptr;
}

inline std::string_view first_present(std::initializer_list<std::string_view> options,
                                      std::string_view fallback = {}) noexcept {
    for (std::string_view s : options)
        if (present(s)) return s;
    return fallback;
}

inline bool is_json_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// `s` without JSON white space at either end.
inline std::string_view trim_json_space(std::string_view s) noexcept {
    while (!s.empty() && is_json_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_json_space(s.back()))
        s.remove_suffix(1);
    return s;
}

// Deeper nesting is refused: a hostile stream must not run the parser's stack away.
inline constexpr int kMaxDepth = 256;
// RapidJSON's SSE2 string scan reads whole aligned 16-byte blocks: the copy is padded with NULs
// so those loads stay inside memory we own (the first NUL still ends the text).
inline constexpr std::size_t kSimdPadding = 16;

// What a reader notes while parsing, for the message of a failure.
struct ParseState {
    const char* root_kind = nullptr;  // set when the root is not an object
    bool too_deep = false;
};

inline std::string describe_error(rapidjson::ParseResult result, const ParseState& state) {
    char line[160];
    if (state.root_kind != nullptr)
        std::snprintf(line, sizeof line, "expected a JSON object, got %s", state.root_kind);
    else if (state.too_deep)
        std::snprintf(line, sizeof line, "JSON nested deeper than %d levels at offset %zu",
                      kMaxDepth, result.Offset());
    else
        std::snprintf(line, sizeof line, "invalid JSON at offset %zu: %s", result.Offset(),
                      rapidjson::GetParseError_En(result.Code()));
    return line;
}

// Parses `text` in place (a padded copy in `buffer`, reused) with `handler`; false with `error`
// set on failure. `current`, when given, points at the input stream while the parse runs (for
// handlers that read raw text spans).
template <typename Handler>
bool parse_insitu(std::string_view text, std::string& buffer, rapidjson::Reader& reader,
                  Handler& handler, const ParseState& state, std::string& error,
                  rapidjson::InsituStringStream** current = nullptr) {
    buffer.assign(text.data(), text.size());
    buffer.append(kSimdPadding, '\0');
    rapidjson::InsituStringStream is(buffer.data());
    if (current != nullptr) *current = &is;
    const rapidjson::ParseResult result = reader.Parse<rapidjson::kParseInsituFlag>(is, handler);
    if (current != nullptr) *current = nullptr;
    if (result.IsError()) {
        error = describe_error(result, state);
        return false;
    }
    // RapidJSON stops at a NUL byte as if at the end of the text; anything after it is garbage.
    if (is.Tell() != text.size()) {
        char line[96];
        std::snprintf(line, sizeof line, "invalid JSON at offset %zu: unexpected NUL byte",
                      is.Tell());
        error.assign(line);
        return false;
    }
    return true;
}

}  // namespace letta_stream::protocol::json
