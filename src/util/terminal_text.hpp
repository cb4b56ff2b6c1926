// util::append_terminal_safe — server text made safe to show on a terminal: no control
// character of its own can reach it. C0 controls (ESC, BEL, BS, ...), DEL and the C1 controls
// U+0080..U+009F (8-bit CSI and OSC) become '?'; "\r\n" becomes "\n" and a lone CR '?' (it would
// rewrite the line). Newlines and tabs stay. Everything else, invalid UTF-8 included, is copied
// as it is. Used for every server-originated string written to stderr; stdout is never filtered.
// `one_line` (a diagnostic): CR and LF become a space each, so no line can be forged.
#pragma once

#include <string>
#include <string_view>

namespace letta_stream::util {

inline void append_terminal_safe(std::string& out, std::string_view s, bool one_line = false) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (one_line && (c == '\n' || c == '\r')) {
            out.push_back(' ');
        } else if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
            out.push_back(static_cast<char>(c));
        } else if (c == '\r') {
            if (i + 1 < s.size() && s[i + 1] == '\n') continue;
            out.push_back('?');
        } else if (c < 0x20 || c == 0x7f) {
            out.push_back('?');
        } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
            out.push_back('?');  // a C1 control, U+0080..U+009F
            ++i;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
}

}  // namespace letta_stream::util
