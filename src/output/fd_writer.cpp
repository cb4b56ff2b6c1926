#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "output/writer.hpp"

namespace letta_stream::output {

WriteResult FdWriter::write(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n >= 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // stdout inherited in non-blocking mode: wait until the reader catches up.
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, -1);
            continue;
        }
        return {errno == EPIPE ? WriteStatus::broken_pipe : WriteStatus::failed, errno};
    }
    return {};
}

}  // namespace letta_stream::output
