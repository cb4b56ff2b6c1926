#include "session/exchange.hpp"

#include <algorithm>
#include <ctime>

namespace letta_stream::session {

using transport::Control;

Exchange::Exchange(Attempt& attempt, sse::Parser& parser, sse::Handler& decoding,
                   stream::Sink& events, ExchangeConfig config)
    : a_(attempt),
      parser_(parser),
      decoding_(decoding),
      events_(events),
      config_(std::move(config)),
      last_byte_ns_(config_.clock->now_ns()) {
    a_.max_event_size = parser_.max_event_size();
}

Control Exchange::on_head(const transport::ResponseHead& head) {
    head_ = head;
    a_.got_head = true;
    a_.http_status = head.status;
    a_.media_type = head.media_type();
    a_.retry_after_header.assign(head.header("retry-after"));
    a_.location.assign(head.header("location"));
    a_.retry_after_ms = parse_retry_after_ms(a_.retry_after_header, head.header("retry-after-ms"),
                                             std::time(nullptr));
    const bool success = head.status >= 200 && head.status < 300;
    a_.body = success && a_.media_type == "text/event-stream" ? Attempt::Body::event_stream
                                                              : Attempt::Body::error_body;
    if (config_.head_seen) config_.head_seen(head);
    last_byte_ns_ = config_.clock->now_ns();
    if (a_.body == Attempt::Body::event_stream && config_.announce) {
        stream::Event thinking;  // the server accepted the turn
        thinking.kind = stream::Kind::status;
        thinking.name = "thinking";
        events_.on_event(thinking);
    } else if (config_.progress != nullptr) {
        config_.progress->stop();  // an error follows
    }
    return Control::proceed;
}

Control Exchange::on_data(std::string_view bytes) {
    last_byte_ns_ = config_.clock->now_ns();
    if (a_.body == Attempt::Body::error_body) {
        const std::size_t room = Attempt::kMaxErrorBody - a_.error_body.size();
        a_.error_body.append(bytes.substr(0, room));
        return a_.error_body.size() >= Attempt::kMaxErrorBody ? Control::finish : Control::proceed;
    }
    switch (parser_.feed(bytes, decoding_)) {
        case sse::Status::ok:
            // The throttle is behind: stop reading, so that TCP pushes back on the server
            // instead of the text piling up here.
            if (config_.pacer != nullptr && config_.transport != nullptr && id_ != 0 && !paused_ &&
                config_.pacer->backlog_bytes() > output::Pacer::kMaxBacklog) {
                paused_ = true;
                config_.transport->pause(id_);
            }
            return Control::proceed;
        case sse::Status::stopped:
            return Control::finish;  // after [DONE]
        case sse::Status::event_too_large:
            a_.too_large = true;
            return Control::abort;
    }
    return Control::proceed;
}

Control Exchange::on_idle() {
    events_.on_flush();  // everything this read produced goes out before the next wait
    if (config_.output != nullptr && !config_.output->status().ok()) {
        a_.write = config_.output->status();
        return Control::abort;
    }
    if (config_.progress != nullptr) config_.progress->tick();
    const std::int64_t now = config_.clock->now_ns();
    if (paused_ && config_.pacer->backlog_bytes() <= output::Pacer::kMaxBacklog / 2) {
        paused_ = false;
        last_byte_ns_ = now;  // a paused transfer was not idle: the silence starts now
        config_.transport->resume(id_);
    }
    const std::int64_t grace = grace_deadline_ns();
    if (grace >= 0 && now >= grace) return Control::finish;
    if (const Attempt::Timeout t = expired(now); t != Attempt::Timeout::none) {
        a_.timeout = t;
        a_.timeout_ms = t == Attempt::Timeout::idle          ? config_.idle_timeout_ms
                        : t == Attempt::Timeout::first_token ? config_.first_token_timeout_ms
                                                             : config_.max_time_ms;
        return Control::abort;
    }
    return Control::proceed;
}

std::int64_t Exchange::idle_deadline_ns() const {
    if (config_.idle_timeout_ms <= 0 || paused_) return -1;
    return last_byte_ns_ + std::int64_t{config_.idle_timeout_ms} * 1'000'000;
}

Attempt::Timeout Exchange::expired(std::int64_t now) const {
    if (config_.max_time_deadline_ns >= 0 && now >= config_.max_time_deadline_ns)
        return Attempt::Timeout::max_time;
    if (config_.first_token_deadline_ns >= 0 && !a_.output_started &&
        now >= config_.first_token_deadline_ns)
        return Attempt::Timeout::first_token;
    if (const std::int64_t idle = idle_deadline_ns(); idle >= 0 && now >= idle)
        return Attempt::Timeout::idle;
    return Attempt::Timeout::none;
}

std::int64_t Exchange::grace_deadline_ns() const {
    if (a_.stop_reason.empty() || a_.body != Attempt::Body::event_stream) return -1;
    return a_.after_stop_ns + std::int64_t{config_.after_stop_grace_ms} * 1'000'000;
}

std::int64_t Exchange::deadline_ns() const {
    std::int64_t d = config_.progress != nullptr ? config_.progress->next_tick_ns() : -1;
    for (const std::int64_t other :
         {grace_deadline_ns(), config_.pacer != nullptr ? config_.pacer->deadline_ns() : -1,
          idle_deadline_ns(), config_.max_time_deadline_ns,
          a_.output_started ? std::int64_t{-1} : config_.first_token_deadline_ns})
        if (other >= 0) d = d < 0 ? other : std::min(d, other);
    return d;
}

void Exchange::on_done(const transport::Result& result) {
    a_.failure = result.failure;
    a_.transport_message = result.message;
    a_.proxy = result.proxy;
    a_.body_bytes = result.body_bytes;
    a_.got_head = a_.got_head || result.got_head;
    if (result.failure == transport::Failure::cancelled && config_.cancel != nullptr)
        a_.cancelled_by = config_.cancel->reason();
    if (a_.body == Attempt::Body::event_stream)
        parser_.finish();  // an unterminated event is
                           // dropped, as the spec says
    if (a_.body == Attempt::Body::error_body)
        a_.api_error = protocol::parse_error_body(a_.http_status, a_.media_type, a_.error_body);
    a_.quota = a_.api_error.quota;
    events_.on_flush();  // the bytes of the final read
    if (config_.output != nullptr && a_.write.ok()) a_.write = config_.output->status();
}

}  // namespace letta_stream::session
