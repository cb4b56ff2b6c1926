// app::signals — process-wide signal handling. SIGPIPE is ignored (EPIPE is handled where
// stdout is written); the first SIGINT/SIGTERM is recorded and wakes the network wait through a
// self-pipe; a second SIGINT exits at once with 130.
#pragma once

#include <csignal>

namespace letta_stream::app::signals {

void install();

// Readable once a signal has arrived (poll it next to the sockets). -1 before install().
int wake_fd() noexcept;

// 0, or the number of the first SIGINT/SIGTERM received.
const volatile std::sig_atomic_t* received() noexcept;

}  // namespace letta_stream::app::signals
