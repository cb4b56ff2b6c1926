// util::strings — the few string helpers several modules need (ASCII, no locale; is_blank also
// knows the Unicode spaces).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace letta_stream::util {

inline bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ascii_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back()))
        s.remove_suffix(1);
    return s;
}

inline char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = ascii_lower(c);
    return out;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

// U+0085, U+00A0, U+1680, U+2000..U+200B, U+2028, U+2029, U+202F, U+205F, U+3000 and U+FEFF: the
// Unicode white space (plus the zero-width space and the BOM) that copy and paste brings along.
inline bool is_unicode_space(char32_t c) noexcept {
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

// True when `s` holds nothing but white space, ASCII or Unicode (so a prompt of only no-break
// spaces is as blank as one of only newlines). Any other character, or invalid UTF-8, is not.
inline bool is_blank(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (is_ascii_space(s[i])) {
            ++i;
            continue;
        }
        // Every space above is a 2- or 3-byte sequence.
        const std::size_t n = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3 : 0;
        if (n == 0 || i + n > s.size()) return false;
        char32_t c = b0 & (n == 2 ? 0x1Fu : 0x0Fu);
        for (std::size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            c = (c << 6) | (b & 0x3Fu);
        }
        if ((n == 3 && c < 0x800) || !is_unicode_space(c)) return false;  // no overlong forms
        i += n;
    }
    return true;
}

// "16 MiB", "512 KiB", "1000 bytes": the way limits are spelled in messages.
inline std::string human_size(std::size_t bytes) {
    if (bytes != 0 && bytes % (std::size_t{1} << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    if (bytes != 0 && bytes % (std::size_t{1} << 10) == 0)
        return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace letta_stream::util
