#include "output/pacer.hpp"

#include <algorithm>
#include <cmath>

#include "util/utf8.hpp"

namespace letta_stream::output {

namespace {

bool coalescing(const PacerConfig& c) {
    return c.coalesce_bytes > 0 || c.coalesce_ms > 0;
}

// Length of the character at s[i]: a valid UTF-8 sequence, or one byte of an invalid one.
std::size_t char_length(std::string_view s, std::size_t i) {
    const std::size_t n = util::utf8_sequence_length(s, i);
    return n == 0 ? 1 : n;
}

// The longest prefix of `s` that does not end inside a UTF-8 sequence that more bytes could
// still complete.
std::size_t complete_prefix(std::string_view s) {
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto b = static_cast<unsigned char>(s[n - back]);
        if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        if (b < 0xC0) return n;            // ASCII: complete
        const std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        return back < need && util::utf8_sequence_length(s.substr(n - back), 0) == 0 && b >= 0xC2 &&
                       b <= 0xF4
                   ? n - back
                   : n;
    }
    return n;
}

}  // namespace

Pacer::Held::Held(const stream::Event& e)
    : event(e),
      text(e.text),
      name(e.name),
      detail(e.detail),
      tool_call_id(e.tool_call_id),
      status(e.status),
      message_id(e.message_id),
      otid(e.otid),
      run_id(e.run_id),
      hint(e.hint),
      last_event_id(e.last_event_id) {
    event.text = text;
    event.name = name;
    event.detail = detail;
    event.tool_call_id = tool_call_id;
    event.status = status;
    event.message_id = message_id;
    event.otid = otid;
    event.run_id = run_id;
    event.hint = hint;
    event.last_event_id = last_event_id;
}

std::size_t Pacer::Held::bytes() const noexcept {
    return text.size() + name.size() + detail.size() + tool_call_id.size() + status.size() +
           message_id.size() + otid.size() + run_id.size() + hint.size() + last_event_id.size() +
           sizeof(Held);
}

Pacer::Pacer(stream::Sink& next, const util::Clock& clock, PacerConfig config)
    : next_(next),
      clock_(clock),
      config_(config),
      tokens_(config.burst),
      refilled_ns_(clock.now_ns()) {}

void Pacer::on_event(const stream::Event& e) {
    const bool throttled = config_.rate_per_s > 0 && e.kind == stream::Kind::content;
    if (throttled || !queue_.empty()) {
        if (e.kind == stream::Kind::content && e.text.empty()) return;
        queue_.emplace_back(e);
        backlog_ += queue_.back().bytes();
        pump(clock_.now_ns(), false);
        return;
    }
    released(e);  // the clock is read only when needed: it is the hot path of --coalesce
}

void Pacer::on_flush() {
    const std::int64_t now = clock_.now_ns();
    pump(now, false);
    if (!pending_.empty() && config_.coalesce_ms > 0 &&
        now >= pending_since_ns_ + std::int64_t{config_.coalesce_ms} * 1'000'000)
        emit_pending(false);
    next_.on_flush();
}

void Pacer::on_end() {
    release_all();
    next_.on_end();
}

void Pacer::release_all() {
    pump(clock_.now_ns(), true);
    emit_pending(true);
}

std::int64_t Pacer::deadline_ns() const {
    std::int64_t d = queue_.empty() ? -1 : next_release_ns_;
    if (!pending_.empty() && config_.coalesce_ms > 0) {
        const std::int64_t c = pending_since_ns_ + std::int64_t{config_.coalesce_ms} * 1'000'000;
        d = d < 0 ? c : std::min(d, c);
    }
    return d;
}

std::int64_t Pacer::held_ns() const noexcept {
    return held_total_ns_ +
           (holding_since_ns_ >= 0 ? clock_.now_ns() - holding_since_ns_ : std::int64_t{0});
}

// Tokens accrue at the rate up to --burst. While text is held, the loop wakes when the next token
// is due, but never exactly then (the kernel's timer slack, the work of a wake-up: some 0.3 ms
// here); a bucket capped at 1 would lose that lateness on every token and fall short of the rate
// (--throttle 5000 gave 1,650 tokens/s). So while held text waits, tokens past --burst are kept
// as credit, at most kLatenessNs worth: a late wake-up lets out what is due, no more.
void Pacer::refill(std::int64_t now) {
    if (config_.rate_per_s <= 0) return;
    if (now > refilled_ns_) {
        constexpr double kLatenessNs = 50e6;
        const bool waiting = holding_since_ns_ >= 0 && holding_since_ns_ <= refilled_ns_;
        const double cap =
            config_.burst + (waiting ? std::max(1.0, kLatenessNs * config_.rate_per_s / 1e9) : 0);
        tokens_ = std::min<double>(
            cap, tokens_ + static_cast<double>(now - refilled_ns_) * config_.rate_per_s / 1e9);
        refilled_ns_ = now;
    }
}

// Lets out the queue's front for as long as tokens last (all of it when `all`); then works out
// when the next token is due.
void Pacer::pump(std::int64_t now, bool all) {
    refill(now);
    stalled_ = false;
    while (!queue_.empty()) {
        Held& h = queue_.front();
        if (h.event.kind == stream::Kind::content) {
            if (!all && tokens_ < 1) break;
            if (!all) tokens_ -= 1;
            if (config_.per_char && !all) {
                const std::string_view rest = std::string_view(h.text).substr(h.pos);
                if (complete_prefix(rest) == 0 && queue_.size() >= 2 &&
                    queue_[1].event.kind == stream::Kind::content) {
                    // The delta ended inside a character: its last bytes are in the next delta.
                    Held& after = queue_[1];
                    after.text.insert(0, rest);
                    after.event.text = after.text;
                    backlog_ += rest.size();
                    backlog_ -= h.bytes();
                    queue_.pop_front();
                    tokens_ += 1;  // nothing was let out
                    continue;
                }
                if (complete_prefix(rest) == 0 && queue_.size() < 2) {
                    tokens_ += 1;
                    stalled_ = true;  // the rest of the character has not arrived yet
                    break;
                }
                const std::size_t n = char_length(h.text, h.pos);
                stream::Event piece = h.event;
                piece.text = std::string_view(h.text).substr(h.pos, n);
                h.pos += n;
                released(piece);
                if (h.pos < h.text.size()) continue;
            } else {
                stream::Event rest = h.event;
                rest.text = std::string_view(h.text).substr(h.pos);
                released(rest);
            }
        } else {
            released(h.event);
        }
        backlog_ -= h.bytes();
        queue_.pop_front();
    }
    next_release_ns_ =
        queue_.empty() || stalled_
            ? -1
            : now + static_cast<std::int64_t>(std::ceil((1 - tokens_) / config_.rate_per_s * 1e9));
    hold_change(now);
}

void Pacer::hold_change(std::int64_t now) {
    const bool holding = !queue_.empty();
    if (holding && holding_since_ns_ < 0) holding_since_ns_ = now;
    if (!holding && holding_since_ns_ >= 0) {
        held_total_ns_ += now - holding_since_ns_;
        holding_since_ns_ = -1;
    }
}

void Pacer::released(const stream::Event& e) {
    if (!coalescing(config_)) return next_.on_event(e);
    if (e.kind == stream::Kind::content) return gather(e);
    // Anything else first lets out the text before it. A skipped event writes nothing: no cut.
    if (e.kind != stream::Kind::malformed) emit_pending(true);
    next_.on_event(e);
}

void Pacer::gather(const stream::Event& e) {
    if (e.text.empty()) return;
    if (pending_.empty()) {
        pending_since_ns_ = config_.coalesce_ms > 0 ? clock_.now_ns() : 0;
        pending_message_id_.assign(e.message_id);
        pending_otid_.assign(e.otid);
        pending_run_id_.assign(e.run_id);
    }
    pending_.append(e.text);
    pending_seq_id_ = e.seq_id;
    if (config_.coalesce_bytes > 0 && pending_.size() >= config_.coalesce_bytes)
        emit_pending(false);
}

// Writes the pending text as one content event: all of it when `whole`, else up to the last
// character boundary (an incomplete character waits for its last bytes).
void Pacer::emit_pending(bool whole) {
    if (pending_.empty()) return;
    const std::size_t cut = whole ? pending_.size() : complete_prefix(pending_);
    if (cut == 0) return;
    stream::Event chunk;
    chunk.kind = stream::Kind::content;
    chunk.text = std::string_view(pending_).substr(0, cut);
    chunk.message_id = pending_message_id_;
    chunk.otid = pending_otid_;
    chunk.run_id = pending_run_id_;
    chunk.seq_id = pending_seq_id_;
    next_.on_event(chunk);
    pending_.erase(0, cut);
    if (!pending_.empty() && config_.coalesce_ms > 0) pending_since_ns_ = clock_.now_ns();
}

}  // namespace letta_stream::output
