#include "transport/replay_transport.hpp"

#include <algorithm>
#include <string>

#include "transport/wait.hpp"

namespace letta_stream::transport {

ReplayTransport::ReplayTransport(std::unique_ptr<RecordingReader> reader, ReplayOptions options,
                                 const util::Clock& clock)
    : reader_(std::move(reader)), options_(options), clock_(clock) {
    if (!reader_) reader_ = RecordingReader::of({});
    if (options_.max_read == 0) options_.max_read = 64 * 1024;
}

TransferId ReplayTransport::start(const Request& request, Handler& handler) {
    pending_.push_back({next_id_, &handler, request.cancel, request.url});
    return next_id_++;
}

void ReplayTransport::pause(TransferId id) {
    if (id == current_) paused_ = true;
}

void ReplayTransport::resume(TransferId id) {
    if (id == current_) paused_ = false;
}

void ReplayTransport::run() {
    while (!pending_.empty()) {
        const Transfer t = pending_.front();
        pending_.erase(pending_.begin());
        serve(t);  // on_done() may start() another transfer
    }
}

std::int64_t ReplayTransport::due_ns(std::int64_t base_ns, double t_ms) const {
    if (options_.speed <= 0 || t_ms <= 0) return base_ns;
    const double offset = std::min(t_ms * 1e6 / options_.speed, 1e17);  // ~3 years: "never"
    return base_ns + static_cast<std::int64_t>(offset);
}

void ReplayTransport::block(std::int64_t deadline_ns) {
    wait_once(clock_, options_.wake_fd, deadline_ns);
}

bool ReplayTransport::wait(const Transfer& t, std::int64_t due, Control& control, bool& stuck) {
    for (;;) {
        if (control != Control::proceed) return false;
        if (t.cancel != nullptr && t.cancel->cancelled()) return false;
        const std::int64_t now = clock_.now_ns();
        if (!paused_ && now >= due) return true;
        std::int64_t wake = paused_ ? -1 : due;
        if (const std::int64_t d = t.handler->deadline_ns(); d >= 0)
            wake = wake < 0 ? d : std::min(wake, d);
        if (wake < 0 && options_.wake_fd < 0) {  // paused, and nothing would ever resume it
            stuck = true;
            return false;
        }
        if (wake < 0 || wake > now) block(wake);
        control = t.handler->on_idle();  // after every wake-up, as the real loop does
    }
}

void ReplayTransport::serve(const Transfer& t) {
    using Kind = RecordingReader::Item::Kind;
    Handler& h = *t.handler;
    Result result;
    auto cancelled = [&] { return t.cancel != nullptr && t.cancel->cancelled(); };
    auto read_failure = [&] {
        result.failure = Failure::other;
        result.message = "cannot read " + (t.what.empty() ? std::string("the recording") : t.what) +
                         ": " + reader_->error();
    };
    if (cancelled()) {
        result.failure = Failure::cancelled;
        result.message = "cancelled";
        return h.on_done(result);
    }
    reader_->skip_response();  // what a transfer that stopped early left of its response
    const RecordingReader::Item* item = &reader_->next();
    if (item->kind == Kind::error) {
        read_failure();
        return h.on_done(result);
    }
    if (item->kind != Kind::head) {
        result.failure = Failure::other;
        result.message = "the recording has no more responses";
        return h.on_done(result);
    }
    current_ = t.id;
    paused_ = false;
    const std::int64_t base = clock_.now_ns();

    ResponseHead head;
    head.status = item->status;
    head.status_line.clear();  // a recording keeps the status, not the HTTP version
    if (!item->content_type.empty()) head.headers.push_back({"Content-Type", item->content_type});
    result.got_head = true;
    Control c = h.on_head(head);
    bool stuck = false;
    bool complete = false;  // every recorded byte and the recorded end were reached
    bool read_failed = false;
    double end_ms = -1;
    Failure recorded = Failure::none;
    std::string recorded_message;
    for (;;) {
        // Nothing more is read while the transfer is paused: that keeps memory flat under
        // --throttle.
        if (!wait(t, base, c, stuck)) break;
        item = &reader_->next();
        if (item->kind == Kind::error) {
            read_failed = true;
            break;
        }
        if (item->kind != Kind::data) {  // the end
            end_ms = item->end_ms;
            recorded = item->failure;
            recorded_message = item->message;
            complete = true;
            break;
        }
        // The piece's bytes stay valid until the reader is asked again.
        std::string_view rest = item->bytes;
        const std::int64_t due = due_ns(base, item->t_ms);
        while (!rest.empty()) {
            if (!wait(t, due, c, stuck)) break;
            const std::string_view piece = rest.substr(0, options_.max_read);
            rest.remove_prefix(piece.size());
            result.body_bytes += piece.size();
            c = h.on_data(piece);
            if (c == Control::proceed) c = h.on_idle();
        }
        if (!rest.empty() || c != Control::proceed || cancelled()) break;
    }
    // The end: when it was recorded, and as the reader would see it (EOF only once resumed).
    if (complete && !wait(t, due_ns(base, end_ms), c, stuck)) complete = false;
    current_ = 0;
    paused_ = false;
    if (c == Control::abort) {
        result.failure = Failure::aborted;
    } else if (c == Control::finish) {
        // the handler had what it needed
    } else if (cancelled()) {
        result.failure = Failure::cancelled;
        result.message = "cancelled";
    } else if (stuck) {
        result.failure = Failure::other;
        result.message = "the replay was paused with nothing to resume it";
    } else if (read_failed) {
        read_failure();
    } else if (complete && recorded != Failure::none) {
        result.failure = recorded;
        result.message =
            recorded_message.empty() ? "the recorded transfer failed" : recorded_message;
    }
    h.on_done(result);
}

void ReplayTransport::sleep_until(std::int64_t deadline_ns, const CancelToken* cancel) {
    sleep_on(clock_, options_.wake_fd, deadline_ns, cancel);
}

}  // namespace letta_stream::transport
