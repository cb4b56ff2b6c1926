// app::run — the whole program, top-down: parse → validate → resolve the agent → stream the
// turn → report → exit status. It takes its environment and file descriptors as parameters so
// tests can run it in-process.
#pragma once

#include <string>
#include <vector>

#include "cli/parse.hpp"

namespace letta_stream::app {

struct Context {
    cli::Environment env;
    int out_fd = 1;
    int err_fd = 2;
    bool install_signals = true;
};

int run(const std::vector<std::string>& args, const Context& context);

// argv → run() with the real environment.
int main(int argc, char** argv);

}  // namespace letta_stream::app
