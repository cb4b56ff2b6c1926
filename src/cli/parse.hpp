// cli::parse — argv, environment, configuration file and stdin → Options, or a usage error naming
// the flag (or the file and line) that fixes it. Two stages: CLI11 parses syntax into raw strings
// (parse.cpp, the only file that includes CLI11); resolve() turns raw values plus the environment
// into typed Options (resolve.cpp). The environment (variables, stdin, files) is injected so
// tests run in-process.
//
// The configuration file (config.hpp has its syntax) is a second layer of raw strings, kept apart
// from the command line's: parse.cpp reads it into its own RawOptions with a second CLI::App of
// the same declarations, fed through CLI11's config interface (keys are the long option names).
// resolve() then takes, for each option:
//   - the command line's value, if given;
//   - else, for the options the environment can also set (base-url, project-id, api-key-file,
//     cacert/capath, proxy, noproxy), the environment's, if set;
//   - else the file's, unless the option makes no sense with the --api in force (a file holds
//     defaults for every dialect: its `model` is ignored under --api letta, not an error);
//   - else the built-in default.
// -H headers are layered instead: the file's, then LETTA_CUSTOM_HEADERS, then -H, each layer
// replacing the headers of the same name from the layers before it. A flag (json = true) in the
// file cannot be turned off from the command line except by --no-config; -v or -q on the command
// line drops the file's verbose and quiet. A usage error about a value that came from the file
// names FILE:LINE and the key instead of the flag ("FILE:5: invalid retries 'x'"), rewritten in
// one place (resolve.cpp, located()) from the flag's own message.
#pragma once

#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.hpp"

namespace letta_stream::cli {

// What the outside world looks like to the parser.
struct Environment {
    // Returns the variable's value, or nullopt when unset.
    std::function<std::optional<std::string>(const char* name)> getenv;
    bool stdin_is_tty = false;
    // Reads stdin to EOF, but at most `limit` bytes; sets `error` on failure (a closed stdin
    // reads as empty, not as an error).
    std::function<bool(std::size_t limit, std::string& out, std::string& error)> read_stdin;
    // Reads a whole (small) file.
    std::function<bool(const std::string& path, std::string& out, std::string& error)> read_file;
    // Whether `path` can be opened for reading (a directory when `dir`); sets `error` (strerror)
    // when not. Unset: not checked (libcurl reports it later).
    std::function<bool(const std::string& path, bool dir, std::string& error)> check_readable;
    // stat(2): the permission bits (st_mode & 07777) of `path` in `mode`; false, with `error`
    // (strerror), when it cannot be stat'ed. Unset: nothing is known (no warning about a
    // readable --api-key-file; a default configuration file that cannot be read counts as
    // missing).
    std::function<bool(const std::string& path, unsigned& mode, std::string& error)> stat;
};

// The process's own environment. `stop`, when given, is a signal flag: once it is set, reading
// stdin gives up ("interrupted") instead of waiting for EOF.
Environment system_environment(const volatile std::sig_atomic_t* stop = nullptr);

// Raw values as CLI11 saw them: strings, no validation beyond syntax. nullopt: not given; an
// empty string: given empty (`--agent ""` or `--agent=`), which resolve() rejects or honours.
struct RawOptions {
    std::optional<std::string> prompt;  // positional
    std::optional<std::string> agent;
    std::optional<std::string> api;
    std::optional<std::string> url;
    std::optional<std::string> data;
    std::optional<std::string> model;
    std::optional<std::string> conversation;
    std::optional<std::string> base_url;
    std::optional<std::string> api_key_file;
    std::optional<std::string> project_id;
    std::vector<std::string> headers;
    std::optional<std::string> endpoint;
    std::optional<std::string> connect_timeout;
    std::optional<std::string> first_token_timeout;
    std::optional<std::string> idle_timeout;
    std::optional<std::string> max_time;
    std::optional<std::string> retries;
    std::optional<std::string> retry_max_time;
    std::optional<std::string> background;
    bool no_cancel = false;
    std::optional<std::string> max_event_size;
    std::optional<std::string> max_prompt_size;
    bool no_stdin = false;
    bool no_newline = false;
    bool verbose = false;
    bool quiet = false;
    bool json = false;
    std::string metrics;  // "" (off), "text" (bare -m) or the value of --metrics=FORMAT
    std::optional<std::string> metrics_file;
    bool show_reasoning = false;
    bool show_tools = false;
    std::optional<std::string> coalesce;
    std::optional<std::string> coalesce_ms;
    std::optional<std::string> throttle;
    std::optional<std::string> burst;
    std::string gzip;  // "" (off), "stream" (bare --gzip) or the value of --gzip=FRAMING
    std::optional<std::string> gzip_level;
    std::optional<std::string> cacert;
    std::optional<std::string> capath;
    std::optional<std::string> cert;
    std::optional<std::string> key;
    bool insecure = false;
    std::optional<std::string> proxy;
    std::optional<std::string> noproxy;
    std::optional<std::string> record;
    std::optional<std::string> replay;
    std::optional<std::string> replay_speed;
    std::optional<std::string> config;
    bool no_config = false;
};

// A configuration file as read: its values as raw strings, as the command line would give them
// (paths already made absolute: see config_relative_path()), and the line of each key.
struct ConfigFile {
    std::string path;                  // empty: no file was read
    RawOptions raw;                    // never prompt, config or no_config
    std::map<std::string, int> lines;  // long option name ("retries") → the line of its key
};

// The single-valued options, by long name ("--agent"), and the RawOptions field of each.
struct RawBinding {
    const char* name;
    std::optional<std::string> RawOptions::*field;
};
extern const std::vector<RawBinding> raw_bindings;

struct ParseResult {
    enum class Action : unsigned char { run, help, version, error };
    Action action = Action::run;
    int exit_code = 0;  // for error: the ExitStatus value
    std::string text;   // help text (stdout) or the error message (stderr)
    std::string hint;   // for error
    // For error, what could be resolved before the failure: options.json says whether the
    // user asked for JSON lines, so even a usage error can end with a "done" line.
    Options options;
};

// The hint for a --metrics value that is not a format.
inline constexpr const char* metrics_hint =
    "use -m or --metrics=text for text, --metrics=json for "
    "one JSON line";

// The hint for a --gzip value that is not a framing.
inline constexpr const char* gzip_hint =
    "use --gzip (one gzip stream, flushed per chunk) or --gzip=members (one gzip member per "
    "chunk)";

// Full parse: syntax, the configuration file (--config FILE, else the default one unless
// --no-config), then resolve().
ParseResult parse(const std::vector<std::string>& args, const Environment& env);

// Stage two, pure apart from the injected environment: the command line's raw values over the
// configuration file's (see the top of this file for the layers).
ParseResult resolve(const RawOptions& raw, const ConfigFile& file, const Environment& env);
// The same without a configuration file.
ParseResult resolve(const RawOptions& raw, const Environment& env);

// Parses "16M", "512K", "1048576", "2MiB" into bytes; false when malformed or zero.
bool parse_size(const std::string& text, std::size_t& out);

}  // namespace letta_stream::cli
