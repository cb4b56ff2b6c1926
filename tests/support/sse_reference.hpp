// A deliberately naive, non-incremental reading of the WHATWG event-stream rules (HTML Living
// Standard §9.2.6): the whole input at once, split into lines first, each step as the spec words
// it. An oracle for the incremental sse::Parser (unit tests on random input, the fuzz target).
// Header-only and free of Catch2, so the fuzz target can use it too.
#pragma once

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ls_test {

// One dispatched event: its type, data and the last event ID at dispatch time.
struct SseEvent {
    std::string type;
    std::string data;
    std::string id;
    bool operator==(const SseEvent&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const SseEvent& e) {
    return os << "{type=\"" << e.type << "\" data=\"" << e.data << "\" id=\"" << e.id << "\"}";
}

struct SseTrace {
    std::vector<SseEvent> events;
    std::vector<std::uint64_t> retries;  // every valid retry field; huge values saturate
};

inline SseTrace reference_sse(std::string_view s) {
    if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);  // one leading BOM
    SseTrace out;
    std::string data, type, id;
    std::size_t pos = 0;
    while (true) {
        const auto end = s.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) break;  // an unterminated last line is never processed
        const std::string_view line = s.substr(pos, end - pos);
        pos = end + (s.compare(end, 2, "\r\n") == 0 ? 2 : 1);
        if (line.empty()) {
            if (!data.empty()) {
                data.pop_back();
                out.events.push_back({type.empty() ? "message" : type, data, id});
            }
            data.clear();
            type.clear();
            continue;
        }
        if (line[0] == ':') continue;
        const auto colon = line.find(':');
        const std::string_view field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
        if (value.starts_with(' ')) value.remove_prefix(1);
        if (field == "data") {
            data.append(value).push_back('\n');
        } else if (field == "event") {
            type = value;
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) id = value;
        } else if (field == "retry" && !value.empty() &&
                   value.find_first_not_of("0123456789") == std::string_view::npos) {
            constexpr auto max = std::numeric_limits<std::uint64_t>::max();
            std::uint64_t n = 0;
            for (const char c : value) {
                const auto digit = static_cast<std::uint64_t>(c - '0');
                n = n > (max - digit) / 10 ? max : n * 10 + digit;
            }
            out.retries.push_back(n);
        }
    }
    return out;
}

}  // namespace ls_test
