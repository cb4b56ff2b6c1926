// util::utf8 — UTF-8 validation and lossy repair (invalid sequences become U+FFFD), as the
// WHATWG "UTF-8 decode" does. Header-only so the JSON-lines formatter can inline the fast path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace letta_stream::util {

// Appends code point `cp` (a Unicode scalar value) as UTF-8.
inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is invalid or truncated.
// Rejects overlong forms, surrogates (U+D800..U+DFFF) and code points above U+10FFFF.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return 1;
    auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        if (i + k >= s.size()) return false;
        const auto b = static_cast<unsigned char>(s[i + k]);
        return b >= lo && b <= hi;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
    if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return cont(1) && cont(2) ? 3 : 0;
    if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    if (b0 == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (b0 >= 0xF1 && b0 <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

inline bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        // Fast path over ASCII runs.
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Appends `s` to `out`, replacing each maximal invalid subpart with U+FFFD.
// Returns the number of replacements made.
inline std::size_t append_utf8_lossy(std::string& out, std::string_view s) {
    std::size_t replaced = 0;
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n != 0) {
            i += n;
            continue;
        }
        out.append(s.data() + run_start, i - run_start);
        out.append("\xEF\xBF\xBD");
        ++replaced;
        ++i;
        run_start = i;
    }
    out.append(s.data() + run_start, s.size() - run_start);
    return replaced;
}

// `s` without a character cut short at its end, for strings capped at a byte count: a trailing
// lead byte followed by fewer continuation bytes than it announces is dropped with them. Whole
// characters, and anything before the last one, are left as they are.
inline std::string_view utf8_drop_partial_tail(std::string_view s) noexcept {
    std::size_t lead = s.size();
    while (lead > 0 && s.size() - lead < 3 &&
           (static_cast<unsigned char>(s[lead - 1]) & 0xC0) == 0x80)
        --lead;
    if (lead > 0 && static_cast<unsigned char>(s[lead - 1]) >= 0xC0 &&
        utf8_sequence_length(s, lead - 1) == 0)
        return s.substr(0, lead - 1);
    return s;
}

}  // namespace letta_stream::util
