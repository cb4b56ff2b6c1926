// app::run — the whole program, top-down: parse → validate → resolve the agent → stream the
// turn → report → exit status. It takes its environment, file descriptors, transport and clock
// as parameters so tests can run it in-process against a fake transport and a manual clock.
#pragma once

#include <csignal>
#include <string>
#include <vector>

#include "cli/parse.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::app {

struct Context {
    cli::Environment env;
    int out_fd = 1;
    int err_fd = 2;
    // fd 1 was closed when the process started (`>&-`): an output error before anything is sent.
    bool stdout_closed = false;
    bool install_signals = true;
    // Optional: the transport to use (default: libcurl); must outlive run().
    transport::Transport* transport = nullptr;
    // Optional: the clock (default: the steady clock); must outlive run().
    const util::Clock* clock = nullptr;
    // Optional: the flag a signal sets (default: the process-wide one of app::signals).
    const volatile std::sig_atomic_t* signal = nullptr;
};

int run(const std::vector<std::string>& args, const Context& context);

// argv → run() with the real environment.
int main(int argc, char** argv);

}  // namespace letta_stream::app
