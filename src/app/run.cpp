#include "app/run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>

#include "app/chain.hpp"
#include "app/signals.hpp"
#include "app/turn.hpp"
#include "metrics/recorder.hpp"
#include "metrics/report.hpp"
#include "output/formatter.hpp"
#include "output/gzip_writer.hpp"
#include "output/jsonl.hpp"
#include "output/narrator.hpp"
#include "output/notices.hpp"
#include "output/pacer.hpp"
#include "output/pipeline.hpp"
#include "output/progress.hpp"
#include "output/stderr.hpp"
#include "output/writer.hpp"
#include "protocol/letta_api.hpp"
#include "protocol/letta_decoder.hpp"
#include "protocol/openai_decoder.hpp"
#include "protocol/raw_sse_decoder.hpp"
#include "protocol/simple_decoder.hpp"
#include "session/fetch.hpp"
#include "session/outcome.hpp"
#include "session/retry.hpp"
#include "transport/curl_transport.hpp"
#include "transport/recording.hpp"
#include "transport/replay_transport.hpp"
#include "util/clock.hpp"
#include "util/exit_status.hpp"
#include "util/url.hpp"
#include "util/uuid.hpp"

namespace letta_stream::app {

namespace {

bool interrupted(ExitStatus s) {
    return s == ExitStatus::interrupted || s == ExitStatus::terminated || s == ExitStatus::hangup;
}

// The decoder of the chosen wire dialect: everything after it is the same for all of them.
std::unique_ptr<protocol::Decoder> make_decoder(cli::Api api) {
    switch (api) {
        case cli::Api::openai:
            return std::make_unique<protocol::OpenAiDecoder>();
        case cli::Api::simple:
            return std::make_unique<protocol::SimpleDecoder>();
        case cli::Api::sse:
            return std::make_unique<protocol::RawSseDecoder>();
        case cli::Api::letta:
            break;
    }
    return std::make_unique<protocol::LettaDecoder>();
}

// Both descriptors are the same terminal (a shell with neither redirected).
bool same_terminal(int a, int b) {
    struct stat sa {
    }, sb{};
    return ::isatty(a) == 1 && ::isatty(b) == 1 && ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 &&
           sa.st_rdev == sb.st_rdev;
}

// A failure the client saw, as the event that carries it down the chain (JSON lines "error").
stream::Event client_error(const session::Outcome& o, std::string_view exit_name) {
    stream::Event e;
    e.kind = stream::Kind::error;
    e.client = true;
    e.name = exit_name;
    e.text = o.message;
    e.hint = o.hint;
    e.http_status = o.http_status;
    return e;
}

// One invocation: the steps of the program in the order they happen.
class Invocation {
  public:
    explicit Invocation(const Context& context)
        : context_(context),
          clock_(context.clock != nullptr ? *context.clock : steady_),
          err_(context.err_fd),
          start_ns_(clock_.now_ns()) {}

    int execute(const std::vector<std::string>& args) {
        // Before the prompt is read from stdin: a signal then ends the run like any other.
        if (context_.install_signals) signals::install();
        cli::ParseResult parsed = cli::parse(args, context_.env);
        if (*signal_ != 0) return interrupted_early(std::move(parsed.options));
        if (context_.stdout_closed && parsed.action != cli::ParseResult::Action::error) {
            // Before anything is sent: a prompt whose reply cannot be shown is not worth a turn.
            err_.error("standard output is closed",
                       "give the output somewhere to go: '> FILE', or '> /dev/null' to discard it");
            return to_int(ExitStatus::output);
        }
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
        err_.set_quiet(opts_.quiet);
        err_.set_verbose(opts_.verbose);
        for (const auto& w : opts_.warnings)
            err_.warning(w);
        if (opts_.insecure && opts_.replay_file.empty())
            err_.loud_warning(
                "--insecure: the server's TLS certificate is not verified; anyone on the path can "
                "read the API key and the reply");
        if (!open_metrics_file())
            return usage_error(to_int(ExitStatus::usage),
                               "cannot write --metrics-file " + opts_.metrics_file + ": " +
                                   std::strerror(errno),
                               "give a writable path");
        // The replay is opened (and its first block read) before the recording is created: a
        // typo in one truncates nothing. The rest is read as the replay goes.
        std::unique_ptr<transport::RecordingReader> replay;
        if (!opts_.replay_file.empty()) {
            std::string error;
            replay = transport::RecordingReader::open(opts_.replay_file, error);
            if (!replay)
                return usage_error(to_int(ExitStatus::usage),
                                   "cannot read --replay " + opts_.replay_file + ": " + error,
                                   "give a recorded (--record) or hand-written SSE file");
        }
        if (!opts_.record_file.empty()) {
            record_.emplace(opts_.record_file);
            if (!record_->is_open())
                return usage_error(to_int(ExitStatus::usage),
                                   "cannot write --record " + opts_.record_file + ": " +
                                       std::strerror(record_->error()),
                                   "give a writable path");
        }

        otid_ = util::uuid4();
        cancel_ = transport::CancelToken(signal_);
        compose();

        std::unique_ptr<transport::Transport> own;
        if (!opts_.replay_file.empty()) {
            // No network at all: the recording is the server, whatever transport was given.
            auto replayer = std::make_unique<transport::ReplayTransport>(
                std::move(replay),
                transport::ReplayOptions{opts_.replay_speed, signals::wake_fd()}, clock_);
            replay_ = replayer.get();
            char speed[32];
            std::snprintf(speed, sizeof speed, "%g", opts_.replay_speed);
            err_.trace("*", "replaying " + opts_.replay_file + ", speed " + speed);
            own = std::move(replayer);
        } else if (context_.transport == nullptr) {
            transport::Options topts;
            topts.connect_timeout_ms = opts_.connect_timeout_ms;
            topts.tls = {opts_.cacert, opts_.capath, opts_.client_cert, opts_.client_key,
                         opts_.insecure};
            topts.proxy = opts_.proxy;
            topts.noproxy = opts_.noproxy;
            topts.wake_fd = signals::wake_fd();
            if (opts_.verbose)
                topts.trace = [this](std::string_view p, std::string_view l) { err_.trace(p, l); };
            own = std::make_unique<transport::CurlTransport>(std::move(topts), clock_);
        }
        transport::Transport& transport = own ? *own : *context_.transport;
        endpoint_ = {opts_.base_url, opts_.api_key, opts_.project_id, opts_.headers};

        std::string agent_id = opts_.agent;
        // Only Letta's API has agents to look up: other dialects take the name as it is. A
        // replay asks no one.
        if (opts_.api == cli::Api::letta && !agent_id.empty() &&
            !protocol::is_agent_id(agent_id) && replay_ == nullptr) {
            session::Outcome found = lookup_agent(transport, agent_id);
            if (!found.ok()) return conclude(finish_recording(found));
        }
        return conclude(finish_recording(stream_turn(transport, agent_id)));
    }

  private:
    // A signal while the prompt was still being read: the run ends as any interrupted run does
    // (the done line with -j, the metrics report), having sent nothing.
    int interrupted_early(cli::Options options) {
        opts_ = std::move(options);
        err_.set_quiet(opts_.quiet);
        open_metrics_file();
        compose();
        return conclude(session::interrupted_by(*signal_));
    }

    // --help / --version: stdout is checked like everywhere else (jq's "writing output failed").
    int print(std::string_view text) {
        const auto written = out_writer_.write(text);
        if (written.status != output::WriteStatus::failed) return 0;
        err_.error(std::string("writing to stdout failed: ") + std::strerror(written.error),
                   "check the output destination");
        return to_int(ExitStatus::output);
    }

    // The event chain and its sinks, in the order they see each event: the recorder first (it
    // timestamps arrivals), the progress line, the notices, stdout, then the narration.
    void compose() {
        decoder_ = make_decoder(opts_.api);
        chain_ = std::make_unique<Chain>(
            *decoder_, opts_.max_event_size, clock_,
            opts_.verbose ? protocol::Decoding::Trace(
                                [this](std::string_view line) { err_.trace("<", line); })
                          : protocol::Decoding::Trace());
        if (opts_.metrics != cli::MetricsFormat::none || metrics_fd_ >= 0)
            recorder_.emplace(clock_, start_ns_);
        chain_->add(recorder_ ? &*recorder_ : nullptr);
        // The waiting line is for people watching a terminal that can redraw a line; traces and
        // -q rule it out.
        if (::isatty(context_.err_fd) == 1 && !dumb_terminal() && !opts_.quiet && !opts_.verbose) {
            std::string who = !opts_.replay_file.empty() ? opts_.replay_file
                              : opts_.agent.empty()         ? opts_.conversation
                                                            : opts_.agent;
            if (who.size() > 24) who = who.substr(0, 22) + "..";  // one line on any terminal
            progress_.emplace(
                err_, clock_, (opts_.replay_file.empty() ? "waiting for " : "replaying ") + who,
                stderr_color(),
                output::Progress::Shown{opts_.json, opts_.show_reasoning, opts_.show_tools});
            chain_->add(&*progress_);
        }
        if (same_terminal(context_.out_fd, context_.err_fd)) err_.share_terminal_with(&counted_);
        chain_->add(&notices_);

        if (opts_.json)
            formatter_ = std::make_unique<output::JsonlFormatter>(clock_, start_ns_);
        else
            formatter_ = std::make_unique<output::TextFormatter>(opts_.final_newline);
        // formatter → [pacer] → pipeline → [gzip] → counting writer → fd 1
        output::Writer* to_stdout = &counted_;
        if (opts_.gzip != cli::Gzip::none) {
            gzip_.emplace(counted_,
                          opts_.gzip == cli::Gzip::members ? output::GzipFraming::members
                                                           : output::GzipFraming::stream,
                          opts_.gzip_level);
            to_stdout = &*gzip_;
        }
        pipeline_.emplace(*formatter_, *to_stdout);
        if (opts_.throttle_per_s > 0 || opts_.coalesce_bytes > 0 || opts_.coalesce_ms > 0) {
            pacer_.emplace(
                *pipeline_, clock_,
                output::PacerConfig{opts_.throttle_per_s, opts_.throttle_chars, opts_.burst,
                                    opts_.coalesce_bytes, opts_.coalesce_ms});
            chain_->add(&*pacer_);  // stdout only: everything else sees the stream as it arrived
        } else {
            chain_->add(&*pipeline_);
        }
        if (!opts_.json && (opts_.show_reasoning || opts_.show_tools)) {
            narrator_ = std::make_unique<output::Narrator>(opts_.show_reasoning, opts_.show_tools,
                                                           stderr_color());
            narration_.emplace(*narrator_, err_.narration());
            chain_->add(&*narration_);
        }
        const bool id_given = protocol::is_agent_id(opts_.agent);
        formatter_->begin({opts_.agent,
                           id_given ? std::string_view(opts_.agent) : std::string_view{},
                           opts_.conversation, endpoint_name(), otid_});
    }

    // The start line's "endpoint": the Letta route, or the dialect.
    std::string_view endpoint_name() const {
        switch (opts_.api) {
            case cli::Api::openai:
                return "openai";
            case cli::Api::simple:
                return "simple";
            case cli::Api::sse:
                return "sse";
            case cli::Api::letta:
                break;
        }
        return opts_.route == cli::Route::agents ? "agents" : "conversations";
    }

    bool stderr_color() const {
        // no-color.org: NO_COLOR set to a non-empty value disables colour; so does TERM=dumb.
        const auto no_color = context_.env.getenv("NO_COLOR");
        return ::isatty(context_.err_fd) == 1 && !dumb_terminal() &&
               (!no_color || no_color->empty());
    }

    bool dumb_terminal() const {
        const auto term = context_.env.getenv("TERM");
        return term && *term == "dumb";
    }

    session::Outcome lookup_agent(transport::Transport& transport, std::string& agent_id) {
        const auto t0 = clock_.now_ns();
        const long limit = opts_.max_time_ms > 0 ? remaining_ms() : opts_.idle_timeout_ms;
        auto found =
            session::resolve_agent(transport, endpoint_, opts_.agent, err_, &cancel_, limit,
                                   opts_.max_time_ms > 0 ? "--max-time" : "--idle-timeout");
        if (recorder_) recorder_->agent_lookup(static_cast<double>(clock_.now_ns() - t0) / 1e6);
        if (found.signal != 0) return session::interrupted_by(found.signal);
        if (found.outcome.ok()) {
            agent_id = found.agent_id;
            formatter_->set_agent_id(agent_id);
        }
        return found.outcome;
    }

    session::Outcome stream_turn(transport::Transport& transport, const std::string& agent_id) {
        TurnParts parts{opts_,
                        clock_,
                        start_ns_,
                        err_,
                        *chain_,
                        *pipeline_,
                        pacer_ ? &*pacer_ : nullptr,
                        progress_ ? &*progress_ : nullptr,
                        recorder_ ? &*recorder_ : nullptr,
                        cancel_,
                        endpoint_,
                        otid_,
                        decoder_->ends_at_eof(),
                        record_ ? &*record_ : nullptr,
                        replay_};
        return run_turn(transport, agent_id, parts);
    }

    // Closes the --record file. One that could not be written is an output failure (exit 10)
    // when the turn itself succeeded, else a warning, as for --metrics-file.
    session::Outcome finish_recording(session::Outcome outcome) {
        if (!record_) return outcome;
        const int error = record_->close();
        if (error == 0) return outcome;
        const std::string what =
            "could not write --record " + opts_.record_file + ": " + std::strerror(error);
        if (outcome.ok()) return {ExitStatus::output, what, "check free disk space and the path"};
        err_.warning(what);
        return outcome;
    }

    // What is left of --max-time for one request (libcurl's whole-transfer limit); 0: no limit.
    long remaining_ms() const {
        if (opts_.max_time_ms <= 0) return 0;
        const std::int64_t d = start_ns_ + std::int64_t{opts_.max_time_ms} * 1'000'000;
        return std::max<long>(1, static_cast<long>((d - clock_.now_ns()) / 1'000'000));
    }

    // Every path after parsing ends here: the closing output (final newline or "done" line),
    // the metrics report, the error message, the exit status.
    int conclude(session::Outcome outcome) {
        if (progress_) progress_->stop();
        const std::string exit_name(to_string(outcome.status));
        if (!outcome.ok() && !outcome.from_stream && !interrupted(outcome.status) &&
            !outcome.message.empty())
            chain_->input().on_event(client_error(outcome, exit_name));
        chain_->input().on_end();  // anything still held (a tool call that never closed)
        const session::Attempt& attempt = chain_->attempt();
        if (attempt.write.ok()) {
            const output::Ending ending{to_int(outcome.status), exit_name, attempt.stop_reason,
                                        outcome.message, attempt.run_id};
            const auto written = pipeline_->finish(ending);
            if (written.status == output::WriteStatus::failed && outcome.ok())
                outcome = session::output_failed(written);
        }
        if (narration_) narration_->finish({});
        report_metrics(outcome);
        if (!interrupted(outcome.status) && !outcome.message.empty())
            err_.error(outcome.message, outcome.hint);
        return to_int(outcome.status);
    }

    // The report on stderr and/or in --metrics-file. A file that cannot be written is an
    // output failure (exit 10) when the turn itself succeeded, else a warning: a CI job that
    // asked for the file notices either way, and the turn's own failure keeps its status.
    void report_metrics(session::Outcome& outcome) {
        if (!recorder_) return;
        if (pacer_ && opts_.throttle_per_s > 0) recorder_->throttle_held(pacer_->held_ns());
        recorder_->finish(to_int(outcome.status), to_string(outcome.status),
                          chain_->attempt().stop_reason);
        const metrics::Summary summary = recorder_->summary();
        if (opts_.metrics == cli::MetricsFormat::text)
            err_.raw(metrics::render_text(summary, stderr_color()));
        else if (opts_.metrics == cli::MetricsFormat::json)
            err_.raw(metrics::render_json(summary));
        if (metrics_fd_ < 0) return;
        const int error = write_metrics_file(metrics::render_json(summary));
        if (error == 0) return;
        const std::string what =
            "could not write --metrics-file " + opts_.metrics_file + ": " + std::strerror(error);
        if (outcome.ok())
            outcome = {ExitStatus::output, what, "check free disk space and the path"};
        else
            err_.warning(what);
    }

    // Writes and closes the metrics file; 0 or the errno of the failure.
    // --metrics-file, created or truncated at start on every path; tried once (a usage error
    // after a failed open does not try again). False (errno set) when it was named and failed.
    bool open_metrics_file() {
        if (opts_.metrics_file.empty()) return true;
        if (metrics_open_tried_) return metrics_fd_ >= 0;
        metrics_open_tried_ = true;
        metrics_fd_ =
            ::open(opts_.metrics_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        return metrics_fd_ >= 0;
    }

    int write_metrics_file(const std::string& json) {
        const auto written = output::FdWriter(metrics_fd_).write(json);
        const int error = !written.ok() ? written.error : ::close(metrics_fd_) != 0 ? errno : 0;
        if (!written.ok()) ::close(metrics_fd_);
        metrics_fd_ = -1;
        return error;
    }

    // A usage error still ends JSON-lines output properly when -j was given, and still writes
    // the --metrics-file report when the file was named (it is truncated at start on every path).
    int usage_error(int code, const std::string& message, const std::string& hint) {
        if (metrics_fd_ < 0 && !metrics_open_tried_) open_metrics_file();
        if (metrics_fd_ >= 0) {
            metrics::Recorder usage(clock_, start_ns_);
            usage.finish(code, to_string(static_cast<ExitStatus>(code)));
            write_metrics_file(metrics::render_json(usage.summary()));
        }
        if (opts_.json) {
            output::JsonlFormatter jsonl(clock_, start_ns_);
            output::Pipeline pipeline(jsonl, out_writer_);
            const auto name = to_string(static_cast<ExitStatus>(code));
            jsonl.begin({opts_.agent, {}, opts_.conversation, {}, {}});
            session::Outcome o{static_cast<ExitStatus>(code), message, hint};
            pipeline.on_event(client_error(o, name));
            pipeline.finish({code, name, {}, message, {}});
        }
        err_.error(message, hint);
        return code;
    }

    const Context& context_;
    const volatile std::sig_atomic_t* signal_ =
        context_.signal != nullptr ? context_.signal : signals::received();
    util::SteadyClock steady_;
    const util::Clock& clock_;
    output::Stderr err_;
    std::int64_t start_ns_;
    cli::Options opts_;
    protocol::Endpoint endpoint_;
    std::string otid_;
    transport::CancelToken cancel_;
    std::unique_ptr<protocol::Decoder> decoder_;

    output::FdWriter out_writer_{context_.out_fd, signal_};
    output::CountingWriter counted_{out_writer_, [this](std::uint64_t bytes) {
                                        if (recorder_) recorder_->output_written(bytes);
                                    }};
    std::unique_ptr<Chain> chain_;
    std::optional<metrics::Recorder> recorder_;
    std::optional<output::Progress> progress_;
    output::Notices notices_{err_};
    std::unique_ptr<output::Formatter> formatter_;
    std::optional<output::GzipWriter> gzip_;
    std::optional<output::Pipeline> pipeline_;
    std::optional<output::Pacer> pacer_;
    std::unique_ptr<output::Narrator> narrator_;
    std::optional<output::Pipeline> narration_;
    int metrics_fd_ = -1;
    bool metrics_open_tried_ = false;
    std::optional<transport::RecordingFile> record_;
    transport::ReplayTransport* replay_ = nullptr;  // --replay: the transport serving the file
};

}  // namespace

int run(const std::vector<std::string>& args, const Context& context) {
    Invocation invocation(context);
    return invocation.execute(args);
}

int main(int argc, char** argv) {
    signals::ignore_pipe_signals();  // before anything can write: `--help | true` is no error
    std::vector<std::string> args(argv + 1, argv + argc);
    Context context;
    // Notes a closed stdin before the fd is reused; a signal ends a read of the prompt.
    context.env = cli::system_environment(signals::received());
    // A closed stdout or stderr (`>&-`) is opened on /dev/null, as curl does: otherwise the next
    // socket would take fd 1 or 2 and the reply would be written into the HTTP connection.
    // A closed stdout is still an error: the reply would have nowhere to go.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        if (fd == 1) context.stdout_closed = true;
        const int null = ::open("/dev/null", O_RDWR);
        if (null >= 0 && null != fd) {
            ::dup2(null, fd);
            ::close(null);
        }
    }
    return run(args, context);
}

}  // namespace letta_stream::app
