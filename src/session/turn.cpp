#include "session/turn.hpp"

#include <cstring>
#include <string>

#include "util/strings.hpp"
#include "util/utf8.hpp"

namespace letta_stream::session {

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
// libcurl drains a readable socket with up to 100 reads before on_idle() runs. When the server
// is faster than us, flush as soon as this much output is pending instead of holding it across
// those reads: it bounds memory (JSON lines are ~20× the text) and the latency of the first byte.
constexpr std::size_t kFlushThreshold = 64 * 1024;
constexpr std::uint64_t kMaxMalformedWarnings = 3;

}  // namespace

Turn::Turn(const TurnConfig& config, output::Pipeline& output, util::Diag& diag)
    : config_(config), output_(output), diag_(diag), parser_(config.max_event_size) {
    bridge_.turn = this;
    router_.turn = this;
}

transport::Control Turn::on_head(const transport::ResponseHead& head) {
    head_ = head;
    state_.http_status = head.status;
    const bool success = head.status >= 200 && head.status < 300;
    mode_ =
        success && head.media_type() == "text/event-stream" ? Mode::streaming : Mode::error_body;
    if (config_.recorder != nullptr) config_.recorder->response_head(head.status);
    if (config_.progress != nullptr) {
        if (mode_ == Mode::streaming)
            config_.progress->set_phase("thinking");
        else
            config_.progress->stop();
    }
    if (mode_ == Mode::streaming) output_.formatter().on_status("thinking", {});
    return transport::Control::proceed;
}

transport::Control Turn::on_data(std::string_view bytes) {
    if (mode_ == Mode::error_body) {
        const std::size_t room = kMaxErrorBody - error_body_.size();
        error_body_.append(bytes.substr(0, room));
        return error_body_.size() >= kMaxErrorBody ? transport::Control::finish
                                                   : transport::Control::proceed;
    }
    switch (parser_.feed(bytes, bridge_)) {
        case sse::Status::ok:
            return output_.formatter().pending().size() >= kFlushThreshold
                       ? flush()
                       : transport::Control::proceed;
        case sse::Status::stopped:
            return transport::Control::finish;  // after [DONE]
        case sse::Status::event_too_large:
            too_large_ = true;
            return transport::Control::abort;
    }
    return transport::Control::proceed;
}

bool Turn::SseBridge::on_event(const sse::Event& event) {
    return turn->handle_sse(event);
}

void Turn::EventRouter::on_event(const stream::Event& event) {
    turn->handle_event(event);
}

bool Turn::handle_sse(const sse::Event& event) {
    if (diag_.verbose()) {
        trace_.assign("event=").append(event.type).append(" data=");
        constexpr std::size_t kMaxTrace = 2048;
        trace_.append(util::utf8_drop_partial_tail(event.data.substr(0, kMaxTrace)));
        if (event.data.size() > kMaxTrace)
            trace_.append("... (" + std::to_string(event.data.size()) + " bytes)");
        diag_.trace("<", trace_);
    }
    if (decoder_.on_sse_event(event, router_) == protocol::DecodeStatus::malformed) {
        if (config_.progress != nullptr) config_.progress->stop();  // before the warning
        ++state_.malformed;
        if (state_.malformed <= kMaxMalformedWarnings)
            diag_.warning("skipped a malformed stream event: " + decoder_.last_error());
    }
    return !state_.saw_done;
}

void Turn::handle_event(const stream::Event& event) {
    ++state_.events;
    if (!event.run_id.empty() && state_.run_id != event.run_id) state_.run_id = event.run_id;
    if (event.seq_id >= 0) state_.last_seq_id = event.seq_id;
    // The grace period after stop_reason restarts with each later event (usage_statistics,
    // [DONE]) but not with pings: a server that pings forever must not keep us forever.
    if (config_.progress != nullptr && event.kind != stream::Kind::ping &&
        event.kind != stream::Kind::status)
        config_.progress->stop();  // the stream has started: nothing may be drawn over it
    if (event.kind == stream::Kind::stop ||
        (!state_.stop_reason.empty() && event.kind != stream::Kind::ping))
        after_stop_ns_ = config_.clock->now_ns();
    switch (event.kind) {
        case stream::Kind::content:
            state_.saw_content = true;
            content_since_flush_ = true;
            break;
        case stream::Kind::stop:
            state_.stop_reason = event.name;
            break;
        case stream::Kind::error:
            if (!state_.saw_error) {  // the first error is the cause; later ones are echoes
                state_.saw_error = true;
                state_.error_type = event.name;
                state_.error_message = event.text;
                state_.error_detail = event.detail;
            }
            break;
        case stream::Kind::done:
            state_.saw_done = true;
            break;
        case stream::Kind::unknown:
            if (diag_.verbose())
                diag_.trace("*", "ignoring unknown event type '" + std::string(event.name) + "'");
            break;
        default:
            break;
    }
    output_.sink().on_event(event);
    if (config_.side != nullptr) config_.side->sink().on_event(event);
    if (config_.recorder != nullptr) config_.recorder->on_event(event);
}

transport::Control Turn::flush() {
    // stderr first: reasoning printed before the reply text it led to. Its failures are not
    // the turn's business (stderr is best effort everywhere).
    if (config_.side != nullptr) config_.side->flush();
    const std::size_t bytes = output_.formatter().pending().size();
    const auto result = output_.flush();
    if (result.ok()) {
        if (config_.recorder != nullptr && bytes > 0)
            config_.recorder->output_flushed(bytes, content_since_flush_);
        content_since_flush_ = false;
        return transport::Control::proceed;
    }
    state_.write_status = result.status;
    state_.write_errno = result.error;
    return transport::Control::abort;
}

transport::Control Turn::on_idle() {
    if (auto c = flush(); c != transport::Control::proceed) return c;
    if (config_.progress != nullptr) config_.progress->tick();
    if (config_.signal != nullptr && *config_.signal != 0) {
        state_.signal = *config_.signal;
        return transport::Control::abort;
    }
    if (!state_.stop_reason.empty() && mode_ == Mode::streaming) {
        const auto quiet_ns = config_.clock->now_ns() - after_stop_ns_;
        if (quiet_ns >= std::int64_t{config_.after_stop_grace_ms} * 1'000'000)
            return transport::Control::finish;
    }
    return transport::Control::proceed;
}

int Turn::wait_limit_ms() {
    int limit = config_.progress != nullptr ? config_.progress->next_tick_ms() : -1;
    if (!state_.stop_reason.empty()) {
        const auto quiet_ms = (config_.clock->now_ns() - after_stop_ns_) / 1'000'000;
        const int grace =
            static_cast<int>(std::max<std::int64_t>(0, config_.after_stop_grace_ms - quiet_ms) + 1);
        limit = limit < 0 ? grace : std::min(limit, grace);
    }
    return limit;
}

Outcome Turn::stream_outcome(const transport::Result& result) {
    const std::string run = state_.run_id.empty() ? "" : " [run " + state_.run_id + "]";
    if (state_.saw_error) {
        Outcome o{status_for_error_type(state_.error_type), "the agent run failed: ", {}, true};
        o.message += state_.error_message.empty() ? "unknown error" : state_.error_message;
        if (!state_.error_type.empty() || !state_.error_detail.empty()) {
            o.message += " (" + state_.error_type;
            if (!state_.error_detail.empty())
                o.message += (state_.error_type.empty() ? "" : ": ") + state_.error_detail;
            o.message += ")";
        }
        o.message += run;
        o.hint = o.status == ExitStatus::rate_limited
                     ? "the model provider is rate-limiting or out of credits: retry later"
                     : "the failure happened on the server; retrying may help";
        return o;
    }
    if (!state_.stop_reason.empty()) {
        const ExitStatus st = status_for_stop_reason(state_.stop_reason);
        if (st == ExitStatus::ok) return {};
        Outcome o{st, "the run stopped: " + state_.stop_reason + run, {}, true};
        if (state_.stop_reason == "max_steps")
            o.hint = "the agent hit its step limit";
        else if (state_.stop_reason == "requires_approval")
            o.hint = "a tool call is waiting for approval";
        else if (state_.stop_reason == "cancelled")
            o.hint = "the run was cancelled";
        else if (st == ExitStatus::rate_limited)
            o.hint = "out of credits: check your Letta plan";
        return o;
    }
    if (state_.saw_done) return {};
    Outcome o{ExitStatus::network, "the stream ended before the run finished (no stop_reason)", {}};
    if (!result.ok() && !result.message.empty()) o.message += ": " + result.message;
    o.message += run;
    o.hint = state_.run_id.empty()
                 ? "the connection dropped; try again"
                 : "the run may still be going on the server; inspect it with GET /v1/runs/" +
                       state_.run_id;
    return o;
}

Outcome Turn::finish(const transport::Result& result) {
    if (config_.progress != nullptr) config_.progress->stop();
    if (result.failure != transport::Failure::aborted) flush();  // bytes of the final read
    if (mode_ == Mode::streaming) parser_.finish();

    if (config_.signal != nullptr && *config_.signal != 0) {
        state_.signal = *config_.signal;
        return interrupted_by(state_.signal);
    }
    if (state_.write_status == output::WriteStatus::broken_pipe) return {};  // reader left: quiet
    if (state_.write_status == output::WriteStatus::failed)
        return {ExitStatus::output,
                std::string("writing to stdout failed: ") + std::strerror(state_.write_errno),
                "check free disk space and the output destination"};
    if (too_large_)
        return {
            ExitStatus::server,
            "a stream event exceeded the " + util::human_size(parser_.max_event_size()) + " limit",
            "raise the limit with --max-event-size"};
    if (!state_.saw_error && state_.stop_reason.empty() && !result.got_head)
        return from_transport(result, "sending the message", config_.url);
    if (mode_ == Mode::error_body) {
        const bool success = state_.http_status >= 200 && state_.http_status < 300;
        if (!success) {
            const auto err =
                protocol::parse_error_body(state_.http_status, head_.media_type(), error_body_);
            return from_http_status(state_.http_status, err, "sending the message",
                                    head_.header("retry-after"));
        }
        std::string type = head_.media_type();
        return {ExitStatus::server,
                "expected an event stream but the server answered " +
                    (type.empty() ? std::string("without a content type") : "with " + type),
                "check --base-url: it must point at the Letta API"};
    }
    Outcome o = stream_outcome(result);
    if (o.ok() && state_.malformed > 0)
        return {ExitStatus::server,
                "the stream had " + std::to_string(state_.malformed) +
                    " malformed event(s); the reply may be incomplete",
                "run with --verbose to see the raw events"};
    return o;
}

}  // namespace letta_stream::session
