#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

extern char** environ;

namespace ls_test {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

struct ChildFds {
    int in = -1;      // child's stdin (pipe read end, /dev/null, or pty slave)
    int out = -1;     // child's stdout (pipe write end or file)
    int err = -1;     // child's stderr (pipe write end)
    int report = -1;  // CLOEXEC pipe for reporting exec failures
};

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const ProcessSpec& spec, const ChildFds& fds, const char* path,
                             char* const* argv, char* const* envp) {
    if (spec.stdin_mode == StdinMode::pty) {
        ::setsid();
        ::ioctl(fds.in, TIOCSCTTY, 0);
    } else {
        ::setpgid(0, 0);
    }
    for (int s = 1; s < NSIG; ++s)
        ::signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (fds.in >= 0) ::dup2(fds.in, 0);
    ::dup2(fds.out, 1);
    ::dup2(fds.err, 2);
    if (spec.stdin_mode == StdinMode::closed) ::close(0);
    if (spec.file_size_limit >= 0) {
        const struct rlimit lim {
            static_cast<rlim_t>(spec.file_size_limit), static_cast<rlim_t>(spec.file_size_limit)
        };
        ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    int e = 0;
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
        e = errno;
    } else {
        ::execve(path, argv, envp);
        e = errno;
    }
    ssize_t ignored = ::write(fds.report, &e, sizeof e);
    (void)ignored;
    ::_exit(127);
}

int open_pty(int& slave) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return -1;
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) return -1;
    slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return -1;
    termios t{};
    if (::tcgetattr(slave, &t) == 0) {
        t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(slave, TCSANOW, &t);
    }
    return master;
}

}  // namespace

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    for (;;) {
        size_t colon = p.find(':', start);
        std::string dir = p.substr(start, colon - start);
        std::string cand = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(cand.c_str(), X_OK) == 0) return cand;
        if (colon == std::string::npos) return name;
        start = colon + 1;
    }
}

std::vector<std::string> build_child_env(const std::vector<std::string>& set, bool clear_env,
                                         bool keep_letta_env) {
    std::vector<std::string> env;
    if (!clear_env) {
        for (char** e = environ; e && *e; ++e) {
            std::string kv = *e;
            if (!keep_letta_env && kv.rfind("LETTA_", 0) == 0) continue;
            if (kv.rfind("XDG_CONFIG_HOME=", 0) == 0) continue;
            env.push_back(std::move(kv));
        }
        // Never the developer's own configuration file: a directory that does not exist, unless
        // the test sets XDG_CONFIG_HOME itself.
        env.push_back("XDG_CONFIG_HOME=/nonexistent/letta-stream-test-no-config");
    }
    for (const std::string& kv : set) {
        std::string name = kv.substr(0, kv.find('='));
        std::erase_if(env, [&](const std::string& x) { return x.substr(0, x.find('=')) == name; });
        env.push_back(kv);
    }
    return env;
}

ProcessResult run_process(const ProcessSpec& spec) {
    ProcessResult r;
    ignore_sigpipe_once();
    if (spec.argv.empty()) {
        r.spawn_error = "empty argv";
        return r;
    }
    std::string path = find_program(spec.argv[0]);
    std::vector<std::string> env = build_child_env(spec.env, spec.clear_env, spec.keep_letta_env);
    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, in_p[2] = {-1, -1}, rep_p[2] = {-1, -1};
    int master = -1;
    ChildFds child;
    if (::pipe2(err_p, O_CLOEXEC) != 0 || ::pipe2(rep_p, O_CLOEXEC) != 0) {
        r.spawn_error = std::strerror(errno);
        return r;
    }
    child.err = err_p[1];
    child.report = rep_p[1];
    if (!spec.stdout_path.empty()) {
        child.out =
            ::open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (child.out < 0)
            r.spawn_error = "cannot open " + spec.stdout_path + ": " + std::strerror(errno);
    } else if (::pipe2(out_p, O_CLOEXEC) == 0) {
        child.out = out_p[1];
    }
    switch (spec.stdin_mode) {
        case StdinMode::pipe:
            if (::pipe2(in_p, O_CLOEXEC) == 0) child.in = in_p[0];
            break;
        case StdinMode::dev_null:
            child.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            break;
        case StdinMode::pty:
            master = open_pty(child.in);
            if (master < 0)
                r.spawn_error = std::string("cannot open a pty: ") + std::strerror(errno);
            break;
        case StdinMode::closed:
            break;
    }
    if (r.spawn_error.empty() &&
        (child.out < 0 || (spec.stdin_mode != StdinMode::closed && child.in < 0)))
        r.spawn_error = std::string("pipe/open failed: ") + std::strerror(errno);
    const auto t0 = Clock::now();
    pid_t pid = r.spawn_error.empty() ? ::fork() : -1;
    if (pid == 0) exec_child(spec, child, path.c_str(), argv.data(), envp.data());
    if (pid < 0 && r.spawn_error.empty())
        r.spawn_error = std::string("fork: ") + std::strerror(errno);
    close_fd(child.in);
    close_fd(child.out);
    close_fd(child.err);
    close_fd(child.report);
    int out_fd = out_p[0], err_fd = err_p[0], in_fd = in_p[1];
    if (pid < 0) {
        for (int* fd : {&out_fd, &err_fd, &in_fd, &master, &rep_p[0]})
            close_fd(*fd);
        return r;
    }
    int child_errno = 0;
    if (::read(rep_p[0], &child_errno, sizeof child_errno) == sizeof child_errno)
        r.spawn_error = spec.argv[0] + ": " + std::strerror(child_errno);
    close_fd(rep_p[0]);

    // stdin: a pty gets the data typed in; a pipe is written as the child reads.
    std::string_view pending = spec.stdin_data ? std::string_view(*spec.stdin_data) : "";
    if (master >= 0 && !pending.empty()) {
        ssize_t w = ::write(master, pending.data(), pending.size());
        (void)w;
        pending = {};
    }
    if (in_fd >= 0) {
        if (pending.empty()) {
            close_fd(in_fd);
        } else {
            ::fcntl(in_fd, F_SETFL, O_NONBLOCK);
        }
    }
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));

    long long out_total = 0;
    bool reaped = false, killed = false;
    double reaped_at = 0;
    int status = 0;
    char buf[65536];
    for (;;) {
        double now = ms_since(t0);
        rusage usage{};
        if (!reaped && ::wait4(pid, &status, WNOHANG, &usage) == pid) {
            r.max_rss_kb = usage.ru_maxrss;
            reaped = true;
            reaped_at = now;
            r.elapsed_ms = now;
            close_fd(in_fd);
        }
        if (!killed && now >= spec.timeout_ms) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            killed = true;
            r.timed_out = !reaped;
        }
        auto fire = [&] {
            if (r.signal_sent || reaped) return;
            ::kill(pid, spec.signal);
            r.signal_sent = true;
            r.signal_sent_ms = ms_since(t0);
        };
        if (spec.signal_after_ms >= 0 && now >= spec.signal_after_ms) fire();
        bool pipes_done = out_fd < 0 && err_fd < 0;
        if (reaped && (pipes_done || now - reaped_at > 500)) break;
        if (killed && now > spec.timeout_ms + 5000.0) break;

        pollfd pf[4];
        int n = 0;
        int i_out = -1, i_err = -1, i_in = -1, i_pid = -1;
        if (out_fd >= 0) pf[i_out = n++] = {out_fd, POLLIN, 0};
        if (err_fd >= 0) pf[i_err = n++] = {err_fd, POLLIN, 0};
        if (in_fd >= 0) pf[i_in = n++] = {in_fd, POLLOUT, 0};
        if (pidfd >= 0 && !reaped) pf[i_pid = n++] = {pidfd, POLLIN, 0};
        double wait = spec.timeout_ms - now;
        if (spec.signal_after_ms >= 0 && !r.signal_sent)
            wait = std::min(wait, spec.signal_after_ms - now);
        if (pidfd < 0 || reaped) wait = std::min(wait, 5.0);
        if (killed) wait = std::min(wait, 50.0);
        int rc = ::poll(pf, static_cast<nfds_t>(n), std::max(0, static_cast<int>(wait + 0.999)));
        if (rc < 0 && errno != EINTR) break;
        (void)i_pid;
        if (i_out >= 0 && pf[i_out].revents) {
            size_t want = sizeof buf;
            if (spec.close_stdout_after_bytes >= 0)
                want = static_cast<size_t>(std::min<long long>(
                    static_cast<long long>(want), spec.close_stdout_after_bytes - out_total));
            ssize_t got = want > 0 ? ::read(out_fd, buf, want) : 0;
            if (got > 0) {
                r.out.append(buf, static_cast<size_t>(got));
                r.out_chunks.push_back({ms_since(t0), std::string(buf, static_cast<size_t>(got))});
                out_total += got;
            }
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN) ||
                (spec.close_stdout_after_bytes >= 0 && out_total >= spec.close_stdout_after_bytes))
                close_fd(out_fd);
            if (spec.signal_after_stdout_bytes >= 0 && out_total >= spec.signal_after_stdout_bytes)
                fire();
        }
        if (i_err >= 0 && pf[i_err].revents) {
            ssize_t got = ::read(err_fd, buf, sizeof buf);
            if (got > 0) r.err.append(buf, static_cast<size_t>(got));
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) close_fd(err_fd);
        }
        if (i_in >= 0 && pf[i_in].revents) {
            ssize_t w = ::write(in_fd, pending.data(), pending.size());
            if (w > 0) pending.remove_prefix(static_cast<size_t>(w));
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || pending.empty()) close_fd(in_fd);
        }
    }
    if (!reaped) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        rusage usage{};
        ::wait4(pid, &status, 0, &usage);
        r.max_rss_kb = usage.ru_maxrss;
        r.elapsed_ms = ms_since(t0);
    }
    for (int* fd : {&out_fd, &err_fd, &in_fd, &master, &pidfd})
        close_fd(*fd);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
    return r;
}

std::string describe(const ProcessResult& r) {
    auto excerpt = [](const std::string& s) {
        return s.size() <= 4000 ? s : s.substr(0, 2000) + "\n[...]\n" + s.substr(s.size() - 2000);
    };
    std::string d = "exit_code=" + std::to_string(r.exit_code) +
                    " term_signal=" + std::to_string(r.term_signal) +
                    " timed_out=" + (r.timed_out ? "yes" : "no") +
                    " elapsed_ms=" + std::to_string(static_cast<long long>(r.elapsed_ms));
    if (!r.spawn_error.empty()) d += " spawn_error=" + r.spawn_error;
    d += "\n--- stdout (" + std::to_string(r.out.size()) + " bytes) ---\n" + excerpt(r.out);
    d += "\n--- stderr (" + std::to_string(r.err.size()) + " bytes) ---\n" + excerpt(r.err);
    return d;
}

}  // namespace ls_test
