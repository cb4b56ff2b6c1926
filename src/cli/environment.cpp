// The real environment for cli::parse: getenv, isatty(0), read(0), files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "cli/parse.hpp"

namespace letta_stream::cli {

namespace {

// Reads fd to EOF, at most `limit` bytes. EBADF (stdin closed by the caller, as some CI and
// cron setups do) reads as empty. A signal that sets *stop ends the read (signals interrupt
// read(2): they are installed without SA_RESTART).
bool read_fd(int fd, std::size_t limit, std::string& out, std::string& error,
             const volatile std::sig_atomic_t* stop) {
    char buf[64 * 1024];
    while (out.size() < limit) {
        const std::size_t want = std::min(sizeof buf, limit - out.size());
        const ssize_t n = ::read(fd, buf, want);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return true;
        if (errno == EINTR && stop != nullptr && *stop != 0) {
            error = "interrupted";
            return false;
        }
        if (errno == EINTR) continue;
        if (errno == EBADF) return true;
        error = std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace

Environment system_environment(const volatile std::sig_atomic_t* stop) {
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
    env.read_stdin = [stdin_closed, stop](std::size_t limit, std::string& out, std::string& error) {
        return stdin_closed || read_fd(0, limit, out, error, stop);
    };
    env.read_file = [](const std::string& path, std::string& out, std::string& error) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error = std::strerror(errno);
            return false;
        }
        // Files named on the command line or in the config file (a key, --data @FILE, the config
        // itself) are small; one that is not is an error, never silently cut short.
        constexpr std::size_t kLimit = 16u << 20;
        bool ok = read_fd(fd, kLimit + 1, out, error, nullptr);
        ::close(fd);
        if (ok && out.size() > kLimit) {
            error = "larger than 16 MiB";
            ok = false;
        }
        return ok;
    };
    env.check_readable = [](const std::string& path, bool dir, std::string& error) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
        if (fd < 0) {
            error = std::strerror(errno);
            return false;
        }
        ::close(fd);
        return true;
    };
    env.stat = [](const std::string& path, unsigned& mode, std::string& error) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            error = std::strerror(errno);
            return false;
        }
        mode = static_cast<unsigned>(st.st_mode) & 07777U;
        return true;
    };
    return env;
}

}  // namespace letta_stream::cli
