#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "output/writer.hpp"

namespace letta_stream::output {

namespace {

WriteResult error_result(int error) {
    return {error == EPIPE ? WriteStatus::broken_pipe : WriteStatus::failed, error};
}

}  // namespace

WriteResult FdWriter::write(std::string_view bytes) {
    while (!bytes.empty()) {
        if (stopping()) return drain(bytes);
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n >= 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;  // a signal: stopping() decides what comes next
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // stdout inherited in non-blocking mode: wait until the reader catches up (a signal
            // interrupts the wait too).
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        return error_result(errno);
    }
    return {};
}

// After a signal: write only while the fd is ready, in pieces no larger than PIPE_BUF (which a
// ready pipe takes without blocking), and give up as soon as it is not.
WriteResult FdWriter::drain(std::string_view bytes) {
    constexpr std::size_t kPiece = 4096;
    while (!bytes.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        const int ready = ::poll(&p, 1, 0);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0 || (p.revents & POLLOUT) == 0) {
            if ((p.revents & POLLERR) != 0) return error_result(EPIPE);
            return {WriteStatus::interrupted, EINTR};
        }
        const ssize_t n = ::write(fd_, bytes.data(), std::min(bytes.size(), kPiece));
        if (n >= 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {WriteStatus::interrupted, EINTR};
        return error_result(errno);
    }
    return {};
}

}  // namespace letta_stream::output
