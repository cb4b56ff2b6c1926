// app::signals — process-wide signal handling. SIGPIPE and SIGXFSZ are ignored (write errors are
// handled where output is written); the first SIGINT/SIGTERM/SIGHUP is recorded and wakes the
// event loop through a self-pipe, which the loop drains; a second SIGINT exits at once with 130.
// Nothing here stops a transfer: app/ links the turn's cancel token to received(), and a request
// without that token (a cancel request sent after Ctrl-C) runs on.
#pragma once

#include <csignal>

namespace letta_stream::app::signals {

// SIGPIPE (and SIGXFSZ) ignored: first thing in main, before any output (curl does the same).
void ignore_pipe_signals();

void install();

// Readable once a signal has arrived (poll it next to the sockets). -1 before install().
int wake_fd() noexcept;

// 0, or the number of the first SIGINT/SIGTERM/SIGHUP received.
const volatile std::sig_atomic_t* received() noexcept;

}  // namespace letta_stream::app::signals
