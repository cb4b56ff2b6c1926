// run_process(): spawn a program for an end-to-end test, feed its stdin, capture stdout/stderr
// (with the arrival time of every stdout read), send signals, and enforce a hard timeout.
// POSIX only; single-threaded (poll on the pipes).
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <vector>

namespace ls_test {

enum class StdinMode {
    pipe,      // a pipe: stdin_data (if any) is written, then the pipe is closed
    dev_null,  // /dev/null
    pty,       // the slave side of a pseudo-terminal (isatty(0) is true in the child); stdin_data
               // (if any) is typed into the master, which stays open until the child exits
    closed,    // fd 0 is closed in the child
};

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
    // NAME=value entries set on top of the base environment (they override inherited ones).
    std::vector<std::string> env;
    // Start from an empty environment instead of inheriting the test's.
    bool clear_env = false;
    // When inheriting, every LETTA_* variable is removed unless this is true, so that the
    // developer's own settings never leak into tests. (Variables in `env` are always set.)
    bool keep_letta_env = false;

    StdinMode stdin_mode = StdinMode::pipe;
    std::optional<std::string> stdin_data;

    // Redirect the child's stdout to this file (e.g. "/dev/full") instead of capturing it.
    std::string stdout_path;
    // Read exactly this many stdout bytes, then close the read end (emulates `| head -c N`).
    long long close_stdout_after_bytes = -1;
    // RLIMIT_FSIZE for the child (`ulimit -f`, in bytes), or -1 for no change.
    long long file_size_limit = -1;

    // Send `signal` once, after signal_after_ms since spawn and/or once signal_after_stdout_bytes
    // bytes of stdout have been read (whichever comes first).
    int signal = SIGINT;
    int signal_after_ms = -1;
    long long signal_after_stdout_bytes = -1;

    // Hard limit: the child's process group gets SIGKILL after this long (result.timed_out).
    int timeout_ms = 30000;
    std::string cwd;  // empty: inherit
};

struct OutChunk {
    double t_ms = 0;  // since spawn
    std::string bytes;
};

struct ProcessResult {
    int exit_code = -1;   // -1 when killed by a signal
    int term_signal = 0;  // the signal that killed it, or 0
    std::string out;
    std::string err;
    bool timed_out = false;
    bool signal_sent = false;
    double signal_sent_ms = -1;
    double elapsed_ms = 0;
    long max_rss_kb = 0;               // the child's peak resident memory (wait4's ru_maxrss)
    std::vector<OutChunk> out_chunks;  // one entry per read() from the stdout pipe
    std::string spawn_error;           // non-empty if the program could not be started

    bool exited_with(int code) const { return exit_code == code; }
};

ProcessResult run_process(const ProcessSpec& spec);

// Resolves a program name through PATH (returns it unchanged if it contains '/').
std::string find_program(const std::string& name);
// The environment a child gets for the spec (for tests of the harness and for FakeServer).
std::vector<std::string> build_child_env(const std::vector<std::string>& set, bool clear_env,
                                         bool keep_letta_env);

// A readable summary for failure messages: exit status, timing, stdout/stderr excerpts.
std::string describe(const ProcessResult& r);

}  // namespace ls_test
