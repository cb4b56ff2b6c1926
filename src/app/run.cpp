#include "app/run.hpp"

#include <unistd.h>

#include <cstring>

#include "app/signals.hpp"
#include "output/formatter.hpp"
#include "output/pipeline.hpp"
#include "output/writer.hpp"
#include "protocol/letta_api.hpp"
#include "session/fetch.hpp"
#include "session/turn.hpp"
#include "transport/http.hpp"
#include "util/clock.hpp"
#include "util/diag.hpp"
#include "util/exit_status.hpp"
#include "util/uuid.hpp"

namespace letta_stream::app {

namespace {

void write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n <= 0) return;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

protocol::Endpoint endpoint_for(const cli::Options& o) {
    return {o.base_url, o.api_key, o.project_id, o.headers};
}

int report(util::Diag& diag, const session::Outcome& outcome) {
    if (!outcome.message.empty()) diag.error(outcome.message, outcome.hint);
    return to_int(outcome.status);
}

int interrupted(int signal) {
    return to_int(signal == SIGTERM ? ExitStatus::terminated : ExitStatus::interrupted);
}

}  // namespace

int run(const std::vector<std::string>& args, const Context& context) {
    util::Diag diag(context.err_fd);
    cli::ParseResult parsed = cli::parse(args, context.env);
    switch (parsed.action) {
        case cli::ParseResult::Action::help: write_all(context.out_fd, parsed.text); return 0;
        case cli::ParseResult::Action::version:
            write_all(context.out_fd, "letta-stream " LETTA_STREAM_VERSION "\n" +
                                          transport::library_version() + "\n");
            return 0;
        case cli::ParseResult::Action::error: diag.error(parsed.text, parsed.hint); return parsed.exit_code;
        case cli::ParseResult::Action::run: break;
    }
    const cli::Options& opts = parsed.options;
    diag.set_quiet(opts.quiet);
    diag.set_verbose(opts.verbose);
    for (const auto& w : opts.warnings) diag.warning(w);

    if (context.install_signals) signals::install();
    const volatile std::sig_atomic_t* signal = signals::received();

    transport::Options topts;
    topts.connect_timeout_ms = opts.connect_timeout_ms;
    topts.interrupt_fd = signals::wake_fd();
    if (opts.verbose)
        topts.trace = [&diag](std::string_view prefix, std::string_view line) { diag.trace(prefix, line); };
    transport::Client client(std::move(topts));
    const protocol::Endpoint endpoint = endpoint_for(opts);

    std::string agent_id = opts.agent;
    if (!agent_id.empty() && !protocol::is_agent_id(agent_id)) {
        auto found = session::resolve_agent(client, endpoint, opts.agent, diag, signal);
        if (found.signal != 0) return interrupted(found.signal);
        if (!found.outcome.ok()) return report(diag, found.outcome);
        agent_id = found.agent_id;
    }

    protocol::MessageRequest message;
    message.route = opts.route == cli::Route::agents ? protocol::Route::agents
                                                     : protocol::Route::conversations;
    message.agent_id = agent_id;
    message.conversation_id = opts.conversation;
    message.prompt = opts.prompt;
    message.otid = util::uuid4();
    const auto request = session::make_request(endpoint, protocol::send_message(message), true);

    output::FdWriter writer(context.out_fd);
    output::TextFormatter formatter(opts.final_newline);
    output::Pipeline pipeline(formatter, writer);

    util::SteadyClock clock;
    session::TurnConfig config;
    config.max_event_size = opts.max_event_size;
    config.signal = signal;
    config.clock = &clock;
    config.url = opts.base_url;
    session::Turn turn(config, pipeline, diag);

    const transport::Result result = client.perform(request, turn);
    session::Outcome outcome = turn.finish(result);

    const auto& st = turn.state();
    output::Ending ending{to_int(outcome.status), to_string(outcome.status), st.stop_reason,
                          outcome.message, st.run_id};
    if (st.write_status == output::WriteStatus::ok) {
        const auto written = pipeline.finish(ending);
        if (written.status == output::WriteStatus::failed && outcome.status == ExitStatus::ok)
            outcome = {ExitStatus::output,
                       std::string("writing to stdout failed: ") + std::strerror(written.error),
                       "check free disk space and the output destination"};
    }
    if (outcome.status == ExitStatus::interrupted || outcome.status == ExitStatus::terminated)
        return to_int(outcome.status);
    return report(diag, outcome);
}

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Context context;
    context.env = cli::system_environment();
    return run(args, context);
}

}  // namespace letta_stream::app
