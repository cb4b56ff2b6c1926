// An in-memory cli::Environment for the parser's tests: variables, stdin, files, directories and
// their modes, all injected, so cli::parse runs without touching the machine.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/parse.hpp"

namespace ls_test {

struct FakeCliEnv {
    std::map<std::string, std::string> vars{{"LETTA_API_KEY", "sk-let-test"}};
    bool tty = true;
    std::string stdin_text;
    bool stdin_fails = false;
    int stdin_reads = 0;
    std::map<std::string, std::string> files;
    std::set<std::string> dirs;
    std::map<std::string, unsigned> modes;  // default 0600
    std::set<std::string> unreadable;       // exist, but reading them fails
    bool check_paths = false;  // provide check_readable (unset: the parser does not check)
    bool with_stat = false;    // provide stat (unset: no mode warnings, no existence check)
    std::vector<std::string> reads;  // the files read, in order

    letta_stream::cli::Environment env() {
        letta_stream::cli::Environment e;
        e.getenv = [this](const char* n) -> std::optional<std::string> {
            auto it = vars.find(n);
            if (it == vars.end()) return std::nullopt;
            return it->second;
        };
        e.stdin_is_tty = tty;
        e.read_stdin = [this](std::size_t limit, std::string& out, std::string& err) {
            ++stdin_reads;
            if (stdin_fails) {
                err = "Input/output error";
                return false;
            }
            out = stdin_text.substr(0, limit);
            return true;
        };
        e.read_file = [this](const std::string& path, std::string& out, std::string& err) {
            reads.push_back(path);
            if (unreadable.contains(path)) {
                err = "Permission denied";
                return false;
            }
            auto it = files.find(path);
            if (it == files.end()) {
                err = "No such file or directory";
                return false;
            }
            out = it->second;
            return true;
        };
        if (check_paths)
            e.check_readable = [this](const std::string& path, bool dir, std::string& err) {
                if (dir ? dirs.contains(path) : files.contains(path)) return true;
                err = "No such file or directory";
                return false;
            };
        if (with_stat)
            e.stat = [this](const std::string& path, unsigned& mode, std::string& err) {
                if (files.contains(path) || unreadable.contains(path)) {
                    mode = modes.contains(path) ? modes[path] : 0600;
                    return true;
                }
                if (dirs.contains(path)) {
                    mode = 0755;
                    return true;
                }
                err = "No such file or directory";
                return false;
            };
        return e;
    }

    letta_stream::cli::ParseResult parse(std::vector<std::string> args) {
        return letta_stream::cli::parse(args, env());
    }
};

}  // namespace ls_test
