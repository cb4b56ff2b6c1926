// The real environment for cli::parse: getenv, isatty(0), read(0), files.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/parse.hpp"

namespace letta_stream::cli {

namespace {

// Reads fd to EOF, at most `limit` bytes. EBADF (stdin closed by the caller, as some CI and
// cron setups do) reads as empty.
bool read_fd(int fd, std::size_t limit, std::string& out, std::string& error) {
    char buf[64 * 1024];
    while (out.size() < limit) {
        const std::size_t want = std::min(sizeof buf, limit - out.size());
        const ssize_t n = ::read(fd, buf, want);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return true;
        if (errno == EINTR) continue;
        if (errno == EBADF) return true;
        error = std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

Environment system_environment() {
    Environment env;
    env.getenv = [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
    env.stdin_is_tty = ::isatty(0) == 1;
    // Looked at now, before anything else opens a descriptor: once stdin is closed, the next
    // open() or pipe() (the signal self-pipe) gets fd 0, and reading "stdin" would read that.
    const bool stdin_closed = ::fcntl(0, F_GETFD) == -1 && errno == EBADF;
    env.read_stdin = [stdin_closed](std::size_t limit, std::string& out, std::string& error) {
        return stdin_closed || read_fd(0, limit, out, error);
    };
    env.read_file = [](const std::string& path, std::string& out, std::string& error) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error = std::strerror(errno);
            return false;
        }
        const bool ok = read_fd(fd, 64 * 1024, out, error);
        ::close(fd);
        return ok;
    };
    return env;
}

}  // namespace letta_stream::cli
