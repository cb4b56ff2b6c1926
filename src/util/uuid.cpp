#include "util/uuid.hpp"

#include <sys/random.h>

#include <array>
#include <cstdint>
#include <random>

namespace letta_stream::util {

namespace {

void random_bytes(std::array<std::uint8_t, 16>& out) {
    std::size_t got = 0;
    while (got < out.size()) {
        ssize_t n = getrandom(out.data() + got, out.size() - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got <
        out.size()) {  // getrandom unavailable (very old kernel): fall back to std::random_device
        std::random_device rd;
        for (auto& b : out)
            b = static_cast<std::uint8_t>(rd());
    }
}

bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string uuid4() {
    std::array<std::uint8_t, 16> b{};
    random_bytes(b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10xx
    static constexpr char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
        s.push_back(hex[b[i] >> 4]);
        s.push_back(hex[b[i] & 0x0f]);
    }
    return s;
}

bool is_uuid4(std::string_view s) noexcept {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    const char variant = static_cast<char>(s[19] | 0x20);  // 'A' and 'B' as 'a' and 'b'
    return s[14] == '4' && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b');
}

}  // namespace letta_stream::util
