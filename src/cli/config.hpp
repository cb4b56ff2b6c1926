// cli::config — the configuration file's syntax and place. No CLI11 here: parse.cpp maps the keys
// to the declared options and feeds the values to CLI11's config interface.
//
// The syntax is a subset of TOML v1.0, one `key = value` per line:
//   - keys: bare (letters, digits, '-', '_') or quoted; no dotted keys, no [section] or [[array]]
//     headers (CLI11 would map a section to a subcommand; we have none, so a header is an error);
//   - values: "basic strings" (with \" \\ \n \t \uXXXX ... escapes) and 'literal strings' on one
//     line, integers and floats (1_000, 2.5, 1e3; 0x/0o/0b integers), true and false, and arrays
//     of them, which may span lines; no multi-line strings, inline tables or dates;
//   - '#' starts a comment outside a string; blank lines, CRLF line ends and a UTF-8 BOM are fine.
// Every error names the line (1-based) where it is.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/parse.hpp"

namespace letta_stream::cli {

struct TomlValue {
    enum class Type : unsigned char { string, integer, floating, boolean, array };
    Type type = Type::string;
    // string: its value, escapes decoded; integer and floating: the number as written, without
    // '_' (a 0x/0o/0b integer in decimal); boolean: "true" or "false"; array: empty.
    std::string text;
    std::vector<TomlValue> items;  // array
};

struct TomlEntry {
    std::string key;
    TomlValue value;
    int line = 0;  // the key's line
};

struct TomlError {
    int line = 0;
    std::string message;
    std::string hint;
};

// The entries of `text`, in file order (a key given twice is an error); throws TomlError.
std::vector<TomlEntry> read_toml(std::string_view text);

// $XDG_CONFIG_HOME/letta-stream/config.toml (XDG_CONFIG_HOME set to an absolute path), else
// $HOME/.config/letta-stream/config.toml (HOME set and not empty), else nullopt.
std::optional<std::string> default_config_path(const Environment& env);

// A path from the file: "~" and "~/..." are under $HOME, and a relative path is relative to the
// directory of the configuration file `config_path`, not to the current one.
std::string config_relative_path(const std::string& value, const std::string& config_path,
                                 const Environment& env);

// Edit distance with transpositions (optimal string alignment): "retires" → "retries" is 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace letta_stream::cli
