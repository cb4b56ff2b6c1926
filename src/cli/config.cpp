// The configuration file's syntax (a TOML subset, see config.hpp) and where it is.
#include "cli/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "util/utf8.hpp"

namespace letta_stream::cli {

namespace {

constexpr const char* kQuoteHint =
    "write key = value, with text in double quotes: agent = \"calc\"";

bool is_bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Digits of `base`, with single '_' between two of them; the digits without the '_' in `out`.
bool digits(std::string_view t, int base, std::string& out) {
    if (t.empty() || t.front() == '_' || t.back() == '_') return false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (c == '_') {
            if (t[i + 1] == '_') return false;
            continue;
        }
        const int v = is_digit(c)              ? c - '0'
                      : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                      : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                               : 99;
        if (v >= base) return false;
        out.push_back(c);
    }
    return true;
}

// A TOML integer or float, as `out` (see TomlValue::text); false when `t` is neither.
bool number(std::string_view t, TomlValue& out) {
    std::string sign;
    if (!t.empty() && (t.front() == '+' || t.front() == '-')) {
        if (t.front() == '-') sign = "-";
        t.remove_prefix(1);
    }
    if (t == "inf" || t == "nan") {
        out = {TomlValue::Type::floating, sign + std::string(t), {}};
        return true;
    }
    if (sign.empty() && t.size() > 2 && t[0] == '0' &&
        (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        std::string d;
        const int base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        if (!digits(t.substr(2), base, d)) return false;
        errno = 0;
        const unsigned long long v = std::strtoull(d.c_str(), nullptr, base);
        if (errno != 0) return false;
        out = {TomlValue::Type::integer, std::to_string(v), {}};
        return true;
    }
    const auto dot = t.find('.');
    const auto exp = t.find_first_of("eE");
    std::string text = sign;
    if (!digits(t.substr(0, std::min(dot, exp)), 10, text)) return false;
    if (dot != std::string_view::npos) {
        if (exp != std::string_view::npos && exp < dot) return false;
        text += '.';
        if (!digits(t.substr(dot + 1, exp == std::string_view::npos ? exp : exp - dot - 1), 10,
                    text))
            return false;
    }
    if (exp != std::string_view::npos) {
        std::string_view e = t.substr(exp + 1);
        text += 'e';
        if (!e.empty() && (e.front() == '+' || e.front() == '-')) {
            text += e.front();
            e.remove_prefix(1);
        }
        if (!digits(e, 10, text)) return false;
    }
    const bool is_float = dot != std::string_view::npos || exp != std::string_view::npos;
    out = {is_float ? TomlValue::Type::floating : TomlValue::Type::integer, text, {}};
    return true;
}

class Reader {
  public:
    explicit Reader(std::string_view text) : s_(text) {
        if (s_.starts_with("\xEF\xBB\xBF")) s_.remove_prefix(3);
    }

    std::vector<TomlEntry> entries() {
        check_utf8();
        std::vector<TomlEntry> out;
        std::set<std::string> seen;
        while (skip_blank_lines()) {
            if (peek() == '[') section();
            TomlEntry e;
            e.line = line_;
            e.key = key();
            skip_blanks();
            if (peek() == '.')
                fail("dotted keys are not supported ('" + e.key + ".')",
                     "write every key at the top level, as the long option's name: base-url = ...");
            if (peek() != '=') fail("expected '=' after '" + e.key + "'", kQuoteHint);
            ++i_;
            skip_blanks();
            e.value = value(e.key);
            end_of_line(e.key);
            if (!seen.insert(e.key).second)
                fail("'" + e.key + "' is set twice", "keep one of the two lines");
            out.push_back(std::move(e));
        }
        return out;
    }

  private:
    std::string_view s_;
    std::size_t i_ = 0;
    int line_ = 1;

    [[noreturn]] void fail(std::string message, std::string hint) const {
        throw TomlError{line_, std::move(message), std::move(hint)};
    }

    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    bool at_end() const { return i_ >= s_.size(); }
    bool at_newline() const {
        return peek() == '\n' || (peek() == '\r' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n');
    }

    void check_utf8() {
        int line = 1;
        std::size_t start = 0;
        while (start <= s_.size()) {
            const auto nl = s_.find('\n', start);
            const std::string_view l =
                s_.substr(start, nl == std::string_view::npos ? nl : nl - start);
            if (!util::is_valid_utf8(l)) {
                line_ = line;
                fail("not valid UTF-8", "save the file as UTF-8");
            }
            if (nl == std::string_view::npos) break;
            start = nl + 1;
            ++line;
        }
    }

    void skip_blanks() {
        while (peek() == ' ' || peek() == '\t')
            ++i_;
    }

    void skip_comment() {
        if (peek() != '#') return;
        while (!at_end() && !at_newline())
            ++i_;
    }

    void newline() {
        i_ += peek() == '\r' ? 2 : 1;
        ++line_;
    }

    // Past blank lines and comment lines; false at the end of the text.
    bool skip_blank_lines() {
        for (;;) {
            skip_blanks();
            skip_comment();
            if (at_end()) return false;
            if (!at_newline()) return true;
            newline();
        }
    }

    // Blanks, comments and line ends inside an array.
    void skip_array_space() {
        for (;;) {
            skip_blanks();
            skip_comment();
            if (!at_newline()) return;
            newline();
        }
    }

    [[noreturn]] void section() {
        std::size_t end = i_;
        while (end < s_.size() && s_[end] != '\n' && s_[end] != '\r' && s_[end] != '#')
            ++end;
        std::string header(s_.substr(i_, end - i_));
        while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
            header.pop_back();
        fail("sections are not supported ('" + header + "')",
             "put every key at the top level, above any [section]; letta-stream reads no "
             "sections");
    }

    std::string key() {
        if (peek() == '"' || peek() == '\'') return string(peek() == '"', "key");
        const std::size_t start = i_;
        while (is_bare_key_char(peek()))
            ++i_;
        if (i_ == start) {
            if (peek() == '=') fail("a key is missing before '='", kQuoteHint);
            std::size_t end = i_;
            while (end < s_.size() && s_[end] != '\n' && s_[end] != '\r')
                ++end;
            fail("cannot read '" + std::string(s_.substr(i_, std::min<std::size_t>(end - i_, 40))) +
                     "'",
                 kQuoteHint);
        }
        return std::string(s_.substr(start, i_ - start));
    }

    void end_of_line(const std::string& key) {
        skip_blanks();
        skip_comment();
        if (!at_end() && !at_newline())
            fail(
                "unexpected text after the value of '" + key + "'",
                "one key = value per line; a list goes in brackets: header = [\"A: 1\", \"B: 2\"]");
    }

    TomlValue value(const std::string& key) {
        if (at_end() || at_newline() || peek() == '#')
            fail("'" + key + "' has no value", kQuoteHint);
        const char c = peek();
        if (c == '"' || c == '\'') {
            if (s_.substr(i_, 3) == std::string(3, c))
                fail("multi-line strings are not supported",
                     "write the value on one line, with \\n for a line break");
            return {TomlValue::Type::string, string(c == '"', key), {}};
        }
        if (c == '[') return array(key);
        if (c == '{')
            fail("inline tables are not supported", "give every key its own line at the top level");
        const std::size_t start = i_;
        while (!at_end() && !at_newline() &&
               std::string_view(" \t,]#").find(peek()) == std::string_view::npos)
            ++i_;
        const std::string_view token = s_.substr(start, i_ - start);
        if (token.empty()) fail("cannot read the value of '" + key + "'", kQuoteHint);
        if (token == "true" || token == "false")
            return {TomlValue::Type::boolean, std::string(token), {}};
        TomlValue v;
        if (number(token, v)) return v;
        fail("invalid value '" + std::string(token) + "' for '" + key + "'",
             "put text in double quotes: " + key + " = \"" + std::string(token) + "\"");
    }

    TomlValue array(const std::string& key) {
        const int start_line = line_;
        ++i_;  // '['
        TomlValue a{TomlValue::Type::array, "", {}};
        for (;;) {
            skip_array_space();
            if (at_end()) {
                line_ = start_line;
                fail("the list of '" + key + "' has no closing ']'", "close the list with ]");
            }
            if (peek() == ']') break;
            a.items.push_back(value(key));
            skip_array_space();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            if (peek() == ']') break;
            if (at_end()) {
                line_ = start_line;
                fail("the list of '" + key + "' has no closing ']'", "close the list with ]");
            }
            fail("expected ',' or ']' in the list of '" + key + "'",
                 "separate the items with commas: header = [\"A: 1\", \"B: 2\"]");
        }
        ++i_;  // ']'
        return a;
    }

    // A "basic string" (escapes) or a 'literal string' (none), on one line.
    std::string string(bool basic, const std::string& what) {
        const char quote = peek();
        ++i_;
        std::string out;
        for (;;) {
            if (at_end() || at_newline())
                fail("unterminated string in '" + what + "'",
                     std::string("close it with ") + quote + " on the same line");
            const char c = s_[i_++];
            if (c == quote) return out;
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f)
                fail("a control character in a string", "write it as an escape such as \\t");
            if (c != '\\' || !basic) {
                out.push_back(c);
                continue;
            }
            escape(out);
        }
    }

    void escape(std::string& out) {
        const char e = peek();
        ++i_;
        switch (e) {
            case 'b':
                out.push_back('\b');
                return;
            case 't':
                out.push_back('\t');
                return;
            case 'n':
                out.push_back('\n');
                return;
            case 'f':
                out.push_back('\f');
                return;
            case 'r':
                out.push_back('\r');
                return;
            case '"':
                out.push_back('"');
                return;
            case '\\':
                out.push_back('\\');
                return;
            case 'u':
            case 'U': {
                const std::size_t n = e == 'u' ? 4 : 8;
                std::string hex;
                if (i_ + n <= s_.size()) hex = std::string(s_.substr(i_, n));
                std::string d;
                const bool ok = hex.size() == n && digits(hex, 16, d) && d.size() == n;
                const unsigned long cp = ok ? std::strtoul(d.c_str(), nullptr, 16) : 0;
                if (!ok || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                    fail("invalid \\" + std::string(1, e) + " escape in a string",
                         "write \\uXXXX or \\UXXXXXXXX with a Unicode code point in hex");
                util::append_utf8(out, static_cast<std::uint32_t>(cp));
                i_ += n;
                return;
            }
            default:
                fail("invalid escape '\\" + std::string(e == '\0' ? "" : std::string(1, e)) +
                         "' in a string",
                     "write a backslash as \\\\, or use a 'literal string' in single quotes");
        }
    }
};

}  // namespace

std::vector<TomlEntry> read_toml(std::string_view text) {
    return Reader(text).entries();
}

std::optional<std::string> default_config_path(const Environment& env) {
    auto strip = [](std::string dir) {
        while (dir.size() > 1 && dir.back() == '/')
            dir.pop_back();
        return dir;
    };
    // The XDG Base Directory spec: a relative path in XDG_CONFIG_HOME is invalid, and ignored.
    if (auto xdg = env.getenv("XDG_CONFIG_HOME"); xdg && xdg->starts_with("/"))
        return strip(*xdg) + "/letta-stream/config.toml";
    if (auto home = env.getenv("HOME"); home && !home->empty())
        return strip(*home) + "/.config/letta-stream/config.toml";
    return std::nullopt;
}

std::string config_relative_path(const std::string& value, const std::string& config_path,
                                 const Environment& env) {
    if (value == "~" || value.starts_with("~/")) {
        if (auto home = env.getenv("HOME"); home && !home->empty()) return *home + value.substr(1);
        return value;
    }
    if (value.empty() || value.starts_with("/")) return value;
    const auto slash = config_path.rfind('/');
    if (slash == std::string::npos) return value;
    return config_path.substr(0, slash + 1) + value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace letta_stream::cli
