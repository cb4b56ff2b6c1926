#include "app/run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "app/signals.hpp"
#include "metrics/recorder.hpp"
#include "metrics/report.hpp"
#include "output/formatter.hpp"
#include "output/jsonl.hpp"
#include "output/narrator.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
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

bool interrupted(ExitStatus s) {
    return s == ExitStatus::interrupted || s == ExitStatus::terminated;
}

// One invocation: the steps of the program in the order they happen.
class Invocation {
  public:
    explicit Invocation(const Context& context)
        : context_(context), diag_(context.err_fd), start_ns_(clock_.now_ns()) {}

    int execute(const std::vector<std::string>& args) {
        cli::ParseResult parsed = cli::parse(args, context_.env);
        switch (parsed.action) {
            case cli::ParseResult::Action::help:
                return print(parsed.text);
            case cli::ParseResult::Action::version:
                return print("letta-stream " LETTA_STREAM_VERSION "\n" +
                             transport::library_version() + "\n");
            case cli::ParseResult::Action::error:
                opts_ = std::move(parsed.options);
                return usage_error(parsed.exit_code, parsed.text, parsed.hint);
            case cli::ParseResult::Action::run:
                break;
        }
        opts_ = std::move(parsed.options);
        diag_.set_quiet(opts_.quiet);
        diag_.set_verbose(opts_.verbose);
        for (const auto& w : opts_.warnings)
            diag_.warning(w);
        if (!opts_.metrics_file.empty()) {
            metrics_fd_ =
                ::open(opts_.metrics_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (metrics_fd_ < 0)
                return usage_error(to_int(ExitStatus::usage),
                                   "cannot write --metrics-file " + opts_.metrics_file + ": " +
                                       std::strerror(errno),
                                   "give a writable path");
        }

        otid_ = util::uuid4();
        setup_output();
        if (context_.install_signals) signals::install();

        transport::Options topts;
        topts.connect_timeout_ms = opts_.connect_timeout_ms;
        topts.interrupt_fd = signals::wake_fd();
        if (opts_.verbose)
            topts.trace = [this](std::string_view p, std::string_view l) { diag_.trace(p, l); };
        transport::Client client(std::move(topts));
        endpoint_ = {opts_.base_url, opts_.api_key, opts_.project_id, opts_.headers};

        std::string agent_id = opts_.agent;
        if (!agent_id.empty() && !protocol::is_agent_id(agent_id)) {
            session::Outcome found = lookup_agent(client, agent_id);
            if (!found.ok()) return conclude(found);
        }
        return conclude(stream_turn(client, agent_id));
    }

  private:
    // --help / --version: stdout is checked like everywhere else (jq's "writing output failed").
    int print(std::string_view text) {
        const auto written = writer_.write(text);
        if (written.status != output::WriteStatus::failed) return 0;
        diag_.error(std::string("writing to stdout failed: ") + std::strerror(written.error),
                    "check the output destination");
        return to_int(ExitStatus::output);
    }

    void setup_output() {
        if (opts_.json)
            formatter_ = std::make_unique<output::JsonlFormatter>(clock_, start_ns_);
        else
            formatter_ = std::make_unique<output::TextFormatter>(opts_.final_newline);
        pipeline_.emplace(*formatter_, writer_);
        if (!opts_.json && (opts_.show_reasoning || opts_.show_tools)) {
            narrator_ = std::make_unique<output::Narrator>(opts_.show_reasoning, opts_.show_tools,
                                                           stderr_color());
            side_.emplace(*narrator_, err_writer_);
        }
        if (opts_.metrics != cli::MetricsFormat::none || metrics_fd_ >= 0)
            recorder_.emplace(clock_, start_ns_);
        const bool id_given = protocol::is_agent_id(opts_.agent);
        formatter_->begin({opts_.agent,
                           id_given ? std::string_view(opts_.agent) : std::string_view{},
                           opts_.conversation,
                           opts_.route == cli::Route::agents ? "agents" : "conversations", otid_});
    }

    bool stderr_color() const {
        // no-color.org: NO_COLOR set to a non-empty value disables colour.
        const auto no_color = context_.env.getenv("NO_COLOR");
        return ::isatty(context_.err_fd) == 1 && (!no_color || no_color->empty());
    }

    session::Outcome lookup_agent(transport::Client& client, std::string& agent_id) {
        const auto t0 = clock_.now_ns();
        auto found =
            session::resolve_agent(client, endpoint_, opts_.agent, diag_, signals::received());
        if (recorder_) recorder_->agent_lookup(static_cast<double>(clock_.now_ns() - t0) / 1e6);
        if (found.signal != 0) return session::interrupted_by(found.signal);
        if (found.outcome.ok()) {
            agent_id = found.agent_id;
            formatter_->set_agent_id(agent_id);
        }
        return found.outcome;
    }

    session::Outcome stream_turn(transport::Client& client, const std::string& agent_id) {
        protocol::MessageRequest message;
        message.route = opts_.route == cli::Route::agents ? protocol::Route::agents
                                                          : protocol::Route::conversations;
        message.agent_id = agent_id;
        message.conversation_id = opts_.conversation;
        message.prompt = opts_.prompt;
        message.otid = otid_;
        const auto request =
            session::make_request(endpoint_, protocol::send_message(message), true);

        session::TurnConfig config;
        config.max_event_size = opts_.max_event_size;
        config.signal = signals::received();
        config.clock = &clock_;
        config.url = opts_.base_url;
        config.recorder = recorder_ ? &*recorder_ : nullptr;
        config.side = side_ ? &*side_ : nullptr;
        // The waiting line is for people watching a terminal; traces and -q rule it out.
        std::optional<output::Progress> progress;
        if (::isatty(context_.err_fd) == 1 && !opts_.quiet && !opts_.verbose) {
            std::string who = opts_.agent.empty() ? opts_.conversation : opts_.agent;
            if (who.size() > 24) who = who.substr(0, 22) + "..";  // one line on any terminal
            progress.emplace(context_.err_fd, clock_, "waiting for " + who, stderr_color());
        }
        config.progress = progress ? &*progress : nullptr;
        session::Turn turn(config, *pipeline_, diag_);

        if (recorder_) recorder_->request_sent();
        const transport::Result result = client.perform(request, turn);
        session::Outcome outcome = turn.finish(result);
        const auto& st = turn.state();
        stop_reason_ = st.stop_reason;
        run_id_ = st.run_id;
        write_status_ = st.write_status;
        return outcome;
    }

    // Every path after parsing ends here: the closing output (final newline or "done" line),
    // the metrics report, the error message, the exit status.
    int conclude(session::Outcome outcome) {
        const std::string exit_name(to_string(outcome.status));
        if (!outcome.ok() && !outcome.from_stream && !interrupted(outcome.status) &&
            !outcome.message.empty())
            formatter_->on_client_error(
                {exit_name, outcome.message, outcome.hint, outcome.http_status});
        if (write_status_ == output::WriteStatus::ok) {
            const output::Ending ending{to_int(outcome.status), exit_name, stop_reason_,
                                        outcome.message, run_id_};
            const auto before = writer_.bytes_written();
            const auto written = pipeline_->finish(ending);
            if (recorder_ && writer_.bytes_written() > before)
                recorder_->output_flushed(writer_.bytes_written() - before, false);
            if (written.status == output::WriteStatus::failed && outcome.ok())
                outcome = {ExitStatus::output,
                           std::string("writing to stdout failed: ") + std::strerror(written.error),
                           "check free disk space and the output destination"};
        }
        if (side_) side_->finish({});
        report_metrics(outcome);
        if (!interrupted(outcome.status) && !outcome.message.empty())
            diag_.error(outcome.message, outcome.hint);
        return to_int(outcome.status);
    }

    void report_metrics(const session::Outcome& outcome) {
        if (!recorder_) return;
        recorder_->finish(to_int(outcome.status), to_string(outcome.status), stop_reason_);
        const metrics::Summary summary = recorder_->summary();
        if (opts_.metrics == cli::MetricsFormat::text)
            diag_.raw(metrics::render_text(summary, stderr_color()));
        else if (opts_.metrics == cli::MetricsFormat::json)
            diag_.raw(metrics::render_json(summary));
        if (metrics_fd_ >= 0) {
            const auto written = output::FdWriter(metrics_fd_).write(metrics::render_json(summary));
            const int error = !written.ok() ? written.error : ::close(metrics_fd_) != 0 ? errno : 0;
            if (!written.ok()) ::close(metrics_fd_);
            if (error != 0)
                diag_.warning("could not write --metrics-file " + opts_.metrics_file + ": " +
                              std::strerror(error));
            metrics_fd_ = -1;
        }
    }

    // A usage error still ends JSON-lines output properly when -j was given.
    int usage_error(int code, const std::string& message, const std::string& hint) {
        if (opts_.json) {
            output::JsonlFormatter jsonl(clock_, start_ns_);
            output::Pipeline pipeline(jsonl, writer_);
            const auto name = to_string(static_cast<ExitStatus>(code));
            jsonl.begin({opts_.agent, {}, opts_.conversation, {}, {}});
            jsonl.on_client_error({name, message, hint, 0});
            pipeline.finish({code, name, {}, message, {}});
        }
        diag_.error(message, hint);
        return code;
    }

    const Context& context_;
    util::Diag diag_;
    util::SteadyClock clock_;
    std::int64_t start_ns_;
    cli::Options opts_;
    protocol::Endpoint endpoint_;
    std::string otid_;

    output::FdWriter writer_{context_.out_fd};
    output::FdWriter err_writer_{context_.err_fd};
    std::unique_ptr<output::Formatter> formatter_;
    std::optional<output::Pipeline> pipeline_;
    std::unique_ptr<output::Narrator> narrator_;
    std::optional<output::Pipeline> side_;
    std::optional<metrics::Recorder> recorder_;
    int metrics_fd_ = -1;

    std::string stop_reason_;
    std::string run_id_;
    output::WriteStatus write_status_ = output::WriteStatus::ok;
};

}  // namespace

int run(const std::vector<std::string>& args, const Context& context) {
    Invocation invocation(context);
    return invocation.execute(args);
}

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Context context;
    context.env = cli::system_environment();
    return run(args, context);
}

}  // namespace letta_stream::app
