#include "app/turn.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>

#include "protocol/dialects.hpp"
#include "session/exchange.hpp"
#include "session/fetch.hpp"
#include "session/retry.hpp"
#include "util/url.hpp"

namespace letta_stream::app {

namespace {

class Turn {
  public:
    explicit Turn(const TurnParts& parts) : p_(parts) {}

    // The deadline of --max-time on the clock; -1: none.
    std::int64_t max_time_deadline() const {
        return p_.opts.max_time_ms > 0 ? p_.start_ns + std::int64_t{p_.opts.max_time_ms} * 1'000'000
                                       : -1;
    }

    // The turn's request in the chosen dialect.
    protocol::HttpCall first_call(const protocol::MessageRequest& message) const {
        const cli::Options& o = p_.opts;
        switch (o.api) {
            case cli::Api::openai:
                return protocol::openai_chat(o.model.empty() ? o.agent : o.model, o.prompt, o.url);
            case cli::Api::simple:
                return protocol::simple_message(o.url, message.agent_id, o.prompt);
            case cli::Api::sse:
                return protocol::raw_sse(o.url, o.has_data, o.data);
            case cli::Api::letta:
                break;
        }
        return protocol::send_message(message);
    }

    // One transfer of the turn through the chain: the message, a retry of it, or a resume.
    void transfer(transport::Transport& transport, const transport::Request& request,
                  bool announce) {
        session::ExchangeConfig config;
        config.clock = &p_.clock;
        config.output = &p_.pipeline;
        config.progress = p_.progress;
        config.pacer = p_.pacer;
        config.transport = &transport;
        config.cancel = &p_.cancel;
        config.idle_timeout_ms = p_.opts.idle_timeout_ms;
        config.first_token_deadline_ns =
            p_.opts.first_token_timeout_ms > 0
                ? p_.clock.now_ns() + std::int64_t{p_.opts.first_token_timeout_ms} * 1'000'000
                : -1;
        config.first_token_timeout_ms = p_.opts.first_token_timeout_ms;
        config.max_time_deadline_ns = max_time_deadline();
        config.max_time_ms = p_.opts.max_time_ms;
        config.announce = announce;
        if (p_.recorder != nullptr)
            config.head_seen = [this](const transport::ResponseHead& h) {
                p_.recorder->response_head(h.status, h.status_line);
            };
        session::Exchange exchange = p_.chain.exchange(std::move(config));
        if (p_.recorder != nullptr) p_.recorder->request_sent();
        std::optional<transport::RecordingHandler> recording;
        if (p_.record != nullptr) recording.emplace(exchange, *p_.record, p_.clock);
        transport::Handler& handler = recording ? static_cast<transport::Handler&>(*recording)
                                                : static_cast<transport::Handler&>(exchange);
        exchange.attach(transport.start(request, handler));
        transport.run();
    }

    // The server cannot run background turns (no Redis behind it, or an older server).
    static bool refuses_background(const session::Attempt& a) {
        if (a.body != session::Attempt::Body::error_body) return false;
        const std::string& m = a.api_error.message;
        return (a.http_status == 503 && m.find("Redis") != std::string::npos) ||
               (a.http_status == 400 && m.find("background") != std::string::npos);
    }

    // Says a retry or a resume on stderr, in -j output (a status line) and in the metrics.
    void announce(const session::Decision& d, int used) {
        char delay[32];
        std::snprintf(delay, sizeof delay, " in %.1f s", static_cast<double>(d.delay_ns) / 1e9);
        const bool resume = d.kind == session::Decision::Kind::resume;
        const std::string count =
            " (" + std::to_string(used) + "/" + std::to_string(p_.opts.retries) + ")";
        const std::string wait = d.delay_ns > 0 ? delay : "";
        const std::string what =
            d.reason +
            (resume ? "; resuming the run after event " + std::to_string(d.after_seq)
                    : "; retrying") +
            wait + count;
        p_.err.warning(what + (used < p_.opts.retries ? "" : ", the last try"));
        stream::Event status;
        status.kind = stream::Kind::status;
        status.name = resume ? "resumed" : "retrying";
        // "HTTP 503; retrying in 1.2 s (1/2)": the status detail, and the progress line's phase.
        const std::string detail = resume ? d.reason : d.reason + "; retrying" + delay + count;
        status.text = detail;
        status.seq_id = resume ? d.after_seq : -1;
        p_.chain.input().on_event(status);
        p_.chain.input().on_flush();
        if (p_.recorder != nullptr) resume ? p_.recorder->resumed() : p_.recorder->retried();
    }

    // --replay: the recorded responses in order, each as its own transfer like the retries and
    // resumes that produced them. Nothing is decided, waited for or sent.
    session::Outcome replay(transport::Transport& transport) {
        session::Attempt& attempt = p_.chain.attempt();
        attempt.eof_is_end = p_.eof_is_end;
        transport::Request request;  // the transport serves the recording, whatever is asked
        request.url = p_.opts.replay_file;
        request.cancel = &p_.cancel;
        for (bool first = true;; first = false) {
            if (!first) p_.chain.restart();
            transfer(transport, request, first);
            if (p_.cancel.cancelled() || !attempt.write.ok()) break;
            if (!p_.replay->another_response()) break;
        }
        drain_pacer(transport);
        if (p_.cancel.cancelled() && attempt.cancelled_by == 0)
            attempt.cancelled_by = p_.cancel.reason();
        session::Outcome outcome =
            session::to_outcome(attempt, "the recorded request", p_.opts.replay_file);
        // The stream had its end, but the file broke after it: still an error.
        if (outcome.ok() && attempt.write.ok() && !p_.replay->read_error().empty())
            return {ExitStatus::network,
                    "cannot read " + p_.opts.replay_file + ": " + p_.replay->read_error(),
                    "the replay stopped there; check the file"};
        return outcome;
    }

    session::Outcome run(transport::Transport& transport, const std::string& agent_id) {
        if (p_.replay != nullptr) return replay(transport);
        protocol::MessageRequest message;
        message.route = p_.opts.route == cli::Route::agents ? protocol::Route::agents
                                                            : protocol::Route::conversations;
        message.agent_id = agent_id;
        message.conversation_id = p_.opts.conversation;
        message.prompt = p_.opts.prompt;
        message.otid = p_.otid;  // the same on every re-POST: the server can tell it is one turn
        // Background mode (and so resume) is Letta's; the other dialects cannot re-attach.
        message.background =
            p_.opts.api == cli::Api::letta && p_.opts.background != cli::Background::off;

        session::RetryPolicy policy;
        policy.retries = p_.opts.retries;
        policy.max_time_ns = std::int64_t{p_.opts.retry_max_time_ms} * 1'000'000;
        session::RetryState state;
        state.started_ns = p_.clock.now_ns();
        state.background = message.background;
        session::Attempt& attempt = p_.chain.attempt();
        attempt.eof_is_end = p_.eof_is_end;
        std::minstd_rand jitter(static_cast<unsigned>(p_.clock.now_ns()) ^ ::getpid());
        session::Decision next;  // what the previous attempt asked for: first, a new message
        for (;;) {
            const bool resume = next.kind == session::Decision::Kind::resume;
            auto request = session::make_request(
                p_.endpoint,
                resume ? protocol::resume_run(attempt.run_id, next.after_seq) : first_call(message),
                true);
            request.cancel = &p_.cancel;
            transfer(transport, request, !resume);
            if (p_.cancel.cancelled() && attempt.cancelled_by == 0)
                attempt.cancelled_by = p_.cancel.reason();
            if (refuses_background(attempt) && !resume && session::before_stream(attempt)) {
                if (p_.opts.background == cli::Background::on)
                    return {ExitStatus::server,
                            "the server cannot run the turn in the background: " +
                                attempt.api_error.message,
                            "use --background auto (the default) or off"};
                p_.err.warning("the server cannot run the turn in the background (" +
                               attempt.api_error.message +
                               "); sending it in the foreground, which cannot be resumed");
                message.background = state.background = false;
                p_.chain.restart();
                continue;
            }
            state.now_ns = p_.clock.now_ns();
            next = session::decide(attempt, state, policy,
                                   std::uniform_real_distribution<double>(0, 1)(jitter));
            if (next.kind == session::Decision::Kind::give_up) {
                if (resume && session::reattach_refused(attempt)) return lost_run(attempt);
                break;
            }
            const std::int64_t wake = state.now_ns + next.delay_ns;
            if (max_time_deadline() >= 0 && wake >= max_time_deadline()) break;
            announce(next, ++state.used);
            transport.sleep_until(wake, &p_.cancel);
            if (p_.cancel.cancelled()) break;  // noted below, with a signal during the drain
            p_.chain.restart();
        }
        drain_pacer(transport);
        if (p_.cancel.cancelled() && attempt.cancelled_by == 0)  // e.g. while stdout was blocked
            attempt.cancelled_by = p_.cancel.reason();
        session::Outcome outcome =
            session::to_outcome(attempt, "sending the message", util::redact_url(p_.opts.base_url));
        if (outcome.status == ExitStatus::network && !attempt.run_id.empty() &&
            attempt.output_started && attempt.last_seq_id < 0)
            outcome.hint = "the run may still be going on the server (GET /v1/runs/" +
                           attempt.run_id +
                           "); it ran in the foreground, which cannot be resumed: a background "
                           "run (--background on) can";
        cancel_on_server(transport, agent_id);
        return outcome;
    }

    // A resume the server refused: the run expired (410), was not a background run (400), or is
    // unknown (404). What was written stays; the run id lets the user look for the rest.
    session::Outcome lost_run(const session::Attempt& a) {
        return {
            ExitStatus::network,
            "the stream dropped and run " + a.run_id + " can no longer be re-attached: HTTP " +
                std::to_string(a.http_status) + ": " + a.api_error.message,
            "the rest of the reply may be on the server: GET /v1/runs/" + a.run_id + "/messages"};
    }

    // After Ctrl-C or a closed stdout the run would go on on the server, and spend: cancel it
    // (bounded to about 2 s, not retried, not stopped by the signal that asked for it). A
    // failure is one warning, never another exit status.
    void cancel_on_server(transport::Transport& transport, const std::string& agent_id) {
        const session::Attempt& a = p_.chain.attempt();
        const bool stopped_here =
            a.cancelled_by != 0 || a.write.status == output::WriteStatus::broken_pipe;
        if (!stopped_here || !p_.opts.cancel || a.run_id.empty() || !a.stop_reason.empty() ||
            a.saw_error)
            return;
        const auto route = p_.opts.route == cli::Route::agents ? protocol::Route::agents
                                                               : protocol::Route::conversations;
        auto request = session::make_request(
            p_.endpoint, protocol::cancel_run(route, agent_id, p_.opts.conversation, a.run_id),
            false);
        request.total_timeout_ms = 2000;
        const session::FetchResult f = session::fetch(transport, request, 64 * 1024);
        const std::string what = "could not cancel run " + a.run_id + " on the server: ";
        if (!f.transport.ok())
            p_.err.warning(what + f.transport.message);
        else if (f.head.status < 200 || f.head.status >= 300)
            p_.err.warning(
                what + "HTTP " + std::to_string(f.head.status) + ": " +
                protocol::parse_error_body(f.head.status, f.head.media_type(), f.body).message);
        else
            p_.err.trace("*", "cancelled run " + a.run_id + " on the server");
    }

    // Text that arrived faster than --throttle keeps the rate after the stream has ended; a
    // signal (or a reader that went away) ends the wait, and conclude() lets the rest out.
    void drain_pacer(transport::Transport& transport) {
        if (p_.pacer == nullptr) return;
        while (p_.pacer->throttling() && !p_.cancel.cancelled() && p_.pipeline.status().ok()) {
            transport.sleep_until(p_.pacer->deadline_ns(), &p_.cancel);
            p_.pacer->on_flush();
        }
        session::Attempt& attempt = p_.chain.attempt();
        if (attempt.write.ok()) attempt.write = p_.pipeline.status();
    }

  private:
    const TurnParts& p_;
};

}  // namespace

session::Outcome run_turn(transport::Transport& transport, const std::string& agent_id,
                          const TurnParts& parts) {
    Turn turn(parts);
    return turn.run(transport, agent_id);
}

}  // namespace letta_stream::app
