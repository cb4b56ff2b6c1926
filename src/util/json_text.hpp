// util::json_text — edits to finished JSON text. escape_js_line_terminators makes a JSON line
// safe for every line splitter: U+2028, U+2029 (JavaScript before ES2019) and U+0085 (NEL; also
// Python's str.splitlines) become \u escapes, as Go's encoder writes them. Knows no JSON library.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace letta_stream::util {

namespace json_text_detail {

inline bool is_u2028_or_u2029(const char* p, const char* end) noexcept {  // E2 80 A8/A9
    return end - p >= 3 && static_cast<unsigned char>(p[0]) == 0xE2 &&
           static_cast<unsigned char>(p[1]) == 0x80 &&
           (static_cast<unsigned char>(p[2]) & 0xFE) == 0xA8;
}
inline bool is_nel(const char* p, const char* end) noexcept {  // C2 85
    return end - p >= 2 && static_cast<unsigned char>(p[0]) == 0xC2 &&
           static_cast<unsigned char>(p[1]) == 0x85;
}
// Bytes the terminator starting at p adds when escaped (6-byte \uXXXX for 3 or 2 bytes); 0 if
// none starts there.
inline std::size_t terminator_growth(const char* p, const char* end) noexcept {
    return is_u2028_or_u2029(p, end) ? 3 : is_nel(p, end) ? 4 : 0;
}

// The first byte at or after p that is E2 or C2 (a terminator's lead byte), or `end`. This scan
// is all the common case costs, so with SSE2 (all of x86-64) it tests 16 bytes at a time.
inline const char* find_lead(const char* p, const char* end) noexcept {
    auto is_lead = [](char c) { return (static_cast<unsigned char>(c) & 0xDF) == 0xC2; };
#if defined(__SSE2__)
    if (end - p >= 16) {
        const __m128i mask = _mm_set1_epi8(static_cast<char>(0xDF));
        const __m128i lead = _mm_set1_epi8(static_cast<char>(0xC2));
        auto block = [&](const char* at) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
            return _mm_cmpeq_epi8(_mm_and_si128(v, mask), lead);
        };
        auto hits = [&](const char* at) {
            return static_cast<unsigned>(_mm_movemask_epi8(block(at)));
        };
        // 64 bytes a round: one test for four blocks keeps a typical line to a few rounds.
        for (; end - p >= 64; p += 64) {
            const __m128i any = _mm_or_si128(_mm_or_si128(block(p), block(p + 16)),
                                             _mm_or_si128(block(p + 32), block(p + 48)));
            if (_mm_movemask_epi8(any) != 0) break;
        }
        for (; end - p >= 16; p += 16) {
            if (const unsigned m = hits(p); m != 0) return p + std::countr_zero(m);
        }
        // The last 16 bytes, overlapping what was scanned already (which held no lead byte).
        if (p == end) return end;
        const char* const last = end - 16;
        const unsigned m = hits(last);
        return m != 0 ? last + std::countr_zero(m) : end;
    }
#endif
    while (p < end && !is_lead(*p))
        ++p;
    return p;
}

// The first U+2028, U+2029 or NEL at or after `p`, or `end`.
inline const char* find_terminator(const char* p, const char* end) noexcept {
    for (; (p = find_lead(p, end)) != end; ++p) {
        if (terminator_growth(p, end) != 0) return p;
    }
    return end;
}

}  // namespace json_text_detail

// Escapes U+2028, U+2029 and U+0085 in s[from..]. Only correct on JSON text (outside strings it
// is ASCII, so every such sequence is inside a string, where the escape means the same
// character). In place: no allocation when s has the capacity for the longer text.
inline void escape_js_line_terminators(std::string& s, std::size_t from = 0) {
    using json_text_detail::find_terminator;
    using json_text_detail::is_nel;
    using json_text_detail::is_u2028_or_u2029;
    using json_text_detail::terminator_growth;
    if (from >= s.size()) return;
    const char* const begin = s.data();
    const char* const end = begin + s.size();
    const char* const first = find_terminator(begin + from, end);
    if (first == end) return;

    // Rare: grow once, then move the tail backwards, expanding each terminator on the way.
    std::size_t growth = 0;
    for (const char* p = first; p < end; ++p)
        growth += terminator_growth(p, end);
    const std::size_t start = static_cast<std::size_t>(first - begin);
    const std::size_t old_size = s.size();
    s.resize(old_size + growth);
    char* const d = s.data();
    std::size_t src = old_size, dst = s.size();
    while (src > start) {
        // A terminator ends at src: E2 80 A8/A9 or C2 85 (none starts before `start`).
        const char* escape = nullptr;
        std::size_t len = 0;
        if (src - start >= 3 && is_u2028_or_u2029(d + src - 3, d + src))
            escape = d[src - 1] == '\xA8' ? "\\u2028" : "\\u2029", len = 3;
        else if (src - start >= 2 && is_nel(d + src - 2, d + src))
            escape = "\\u0085", len = 2;
        if (escape != nullptr) {
            dst -= 6, src -= len;
            std::memcpy(d + dst, escape, 6);
        } else {
            d[--dst] = d[--src];
        }
    }
}

}  // namespace letta_stream::util
