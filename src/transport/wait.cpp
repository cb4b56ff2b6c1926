#include "transport/wait.hpp"

#include <unistd.h>

#include <algorithm>
#include <ctime>

namespace letta_stream::transport {

std::int64_t ns_until(std::int64_t deadline_ns, std::int64_t now_ns) {
    if (deadline_ns <= now_ns) return 0;
    return std::min<std::int64_t>(deadline_ns - now_ns, std::int64_t{24} * 3600 * 1'000'000'000);
}

int poll_for(pollfd* fds, std::size_t n, std::int64_t wait_ns) {
    if (wait_ns < 0) return ::ppoll(fds, n, nullptr, nullptr);
    const timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                      static_cast<long>(wait_ns % 1'000'000'000)};
    return ::ppoll(fds, n, &ts, nullptr);
}

void drain_wake_fd(int fd) {
    char drain[64];
    while (::read(fd, drain, sizeof drain) > 0) {
    }
}

void wait_once(const util::Clock& clock, int wake_fd, std::int64_t deadline_ns) {
    pollfd p{wake_fd, POLLIN, 0};
    const std::int64_t wait = deadline_ns < 0 ? -1 : ns_until(deadline_ns, clock.now_ns());
    const int n = poll_for(&p, wake_fd >= 0 ? 1 : 0, wait);
    if (n > 0 && (p.revents & POLLIN) != 0) drain_wake_fd(wake_fd);
}

void sleep_on(const util::Clock& clock, int wake_fd, std::int64_t deadline_ns,
              const CancelToken* cancel) {
    for (;;) {
        if (cancel != nullptr && cancel->cancelled()) return;
        if (clock.now_ns() >= deadline_ns) return;
        wait_once(clock, wake_fd, deadline_ns);
    }
}

}  // namespace letta_stream::transport
