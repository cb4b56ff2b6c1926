#include "app/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace letta_stream::app::signals {

namespace {

volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
    const int saved_errno = errno;  // the interrupted code may be about to read errno
    if (g_signal != 0 && sig == SIGINT) _exit(130);  // second Ctrl-C: the user means it
    if (g_signal == 0) g_signal = sig;
    if (g_pipe[1] >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto n = ::write(g_pipe[1], &byte, 1);
    }
    errno = saved_errno;
}

// The self-pipe lives on fds 3 and up: with stdin, stdout or stderr closed (`>&-`), pipe2 would
// hand out 0, 1 or 2, and the reply would be written into our own wake-up pipe.
void make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    for (int i = 0; i < 2; ++i) {
        if (fds[i] > 2) {
            g_pipe[i] = fds[i];
            continue;
        }
        g_pipe[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        ::close(fds[i]);
    }
    if (g_pipe[0] < 0 || g_pipe[1] < 0) {
        if (g_pipe[0] >= 0) ::close(g_pipe[0]);
        if (g_pipe[1] >= 0) ::close(g_pipe[1]);
        g_pipe[0] = g_pipe[1] = -1;
    }
}

}  // namespace

void ignore_pipe_signals() {
    std::signal(SIGPIPE, SIG_IGN);
    // Past `ulimit -f`, write(2) fails with EFBIG and we say so; the default would kill us.
    std::signal(SIGXFSZ, SIG_IGN);
}

void install() {
    ignore_pipe_signals();
    if (g_pipe[0] < 0) make_pipe();
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    // No SA_RESTART: a write(2) blocked on a reader that stopped reading must return EINTR, so
    // that the tool can end (every loop around a system call here handles EINTR).
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
}

int wake_fd() noexcept {
    return g_pipe[0];
}

const volatile std::sig_atomic_t* received() noexcept {
    return &g_signal;
}

}  // namespace letta_stream::app::signals
