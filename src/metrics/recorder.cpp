#include "metrics/recorder.hpp"

#include <algorithm>
#include <cstdint>

namespace letta_stream::metrics {
namespace {

constexpr double to_ms(std::int64_t ns) noexcept {
    return static_cast<double>(ns) / 1e6;
}
constexpr double ms_or_unknown(std::int64_t ns) noexcept {
    return ns < 0 ? -1.0 : to_ms(ns);
}

// ASCII whitespace: what Python's str.split() splits on within ASCII (the classic words/s metric).
constexpr bool is_space(unsigned char c) noexcept {
    return c == ' ' || (c >= '\t' && c <= '\r');  // \t \n \v \f \r
}

// std::llround for x > 0 (halves away from zero) without libm; beyond int64 (or +inf): the
// largest int64, where llround's result is unspecified. Truncate, then compare the exact
// fractional part, so 0.49999999999999994 stays 0 (x + 0.5 would round it up to 1).
constexpr std::int64_t round_positive(double x) noexcept {
    if (!(x < 9223372036854775808.0)) return INT64_MAX;  // 2^63
    const auto i = static_cast<std::int64_t>(x);
    return x - static_cast<double>(i) >= 0.5 ? i + 1 : i;
}

}  // namespace

Recorder::Recorder(const util::Clock& clock, std::int64_t start_ns, double stall_threshold_ms)
    : clock_(clock),
      start_ns_(start_ns),
      stall_threshold_ms_(stall_threshold_ms > 0 ? stall_threshold_ms : 0),
      stall_threshold_ns_(stall_threshold_ms > 0 ? round_positive(stall_threshold_ms * 1e6) : 0) {}

void Recorder::response_head(long http_status, std::string_view status_line) {
    head_ns_ = elapsed_ns();
    http_status_ = http_status;
    // "HTTP/2 200" → "2", "HTTP/1.1 200 OK" → "1.1"; anything else is not known.
    const std::string_view protocol = status_line.substr(0, status_line.find(' '));
    http_version_.clear();
    if (protocol.starts_with("HTTP/") && protocol.size() > 5) http_version_ = protocol.substr(5);
}

void Recorder::on_event(const stream::Event& event) {
    if (event.kind == stream::Kind::error && event.client) return;  // not a stream event
    auto kind = static_cast<std::size_t>(event.kind);
    if (kind >= kind_count) kind = static_cast<std::size_t>(stream::Kind::unknown);
    ++events_by_kind_[kind];
    // Compare before copying: the run id repeats on every event and must not cost an allocation.
    if (!event.run_id.empty() && event.run_id != run_id_) run_id_.assign(event.run_id);
    switch (event.kind) {
        case stream::Kind::content:
            if (!event.text.empty()) on_content(event.text);
            break;
        case stream::Kind::stop:
            stop_reason_.assign(event.name);
            break;
        case stream::Kind::usage:
            usage_ = event.usage;
            has_usage_ = true;
            break;
        default:
            break;
    }
}

void Recorder::on_content(std::string_view text) {
    const std::int64_t now = elapsed_ns();
    if (tokens_ == 0) {
        first_token_ns_ = now;
    } else {
        // The clock is monotonic, but a negative gap must never reach the unsigned histogram.
        const std::int64_t gap = std::max<std::int64_t>(0, now - last_token_ns_);
        itl_us_.record(static_cast<std::uint64_t>((gap + 500) / 1000));
        itl_max_ns_ = std::max(itl_max_ns_, gap);
        if (stall_threshold_ns_ > 0 && gap >= stall_threshold_ns_) {
            ++stalls_;
            stall_ns_ += gap;
        }
    }
    last_token_ns_ = now;
    ++tokens_;
    content_bytes_ += text.size();

    // Words and code points are counted incrementally so that a word or a UTF-8 sequence split
    // across two events is counted once.
    std::uint64_t words = 0, chars = 0;
    bool in_word = in_word_;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        chars += (c & 0xC0) != 0x80;  // not a continuation byte
        const bool space = is_space(c);
        words += !space && !in_word;
        in_word = !space;
    }
    in_word_ = in_word;
    words_ += words;
    chars_ += chars;
}

void Recorder::output_flushed(std::uint64_t bytes, bool had_content) noexcept {
    bytes_out_ += bytes;
    if (had_content && ttft_ns_ < 0) ttft_ns_ = elapsed_ns();
}

void Recorder::finish(int exit_status, std::string_view exit_name,
                      std::string_view stop_reason_override) {
    if (finished_) return;
    finished_ = true;
    finish_ns_ = elapsed_ns();
    exit_status_ = exit_status;
    exit_name_.assign(exit_name);
    if (!stop_reason_override.empty()) stop_reason_.assign(stop_reason_override);
}

Summary Recorder::summary() const {
    Summary s;
    s.request_ms = ms_or_unknown(request_ns_);
    s.headers_ms = ms_or_unknown(head_ns_);
    s.ttft_ms = ms_or_unknown(ttft_ns_);
    s.first_token_ms = ms_or_unknown(first_token_ns_);
    s.last_token_ms = ms_or_unknown(last_token_ns_);
    // A snapshot taken mid-turn (e.g. on SIGINT) reports the time elapsed so far.
    s.total_ms = to_ms(std::max<std::int64_t>(0, finished_ ? finish_ns_ : elapsed_ns()));
    s.lookup_ms = lookup_ms_;
    s.generation_ms = tokens_ ? to_ms(last_token_ns_ - first_token_ns_) : -1.0;

    s.tokens = tokens_;
    s.words = words_;
    s.chars = chars_;
    s.content_bytes = content_bytes_;
    s.bytes_out = bytes_out_;
    s.writes = writes_;
    s.held_ms = held_ns_ < 0 ? -1.0 : static_cast<double>(held_ns_) / 1e6;
    s.events_by_kind = events_by_kind_;
    s.pings = s.events(stream::Kind::ping);

    if (s.total_ms > 0) s.tokens_per_s = static_cast<double>(tokens_) / (s.total_ms / 1000);
    if (tokens_ >= 2 && s.generation_ms > 0) {
        s.generation_tokens_per_s = static_cast<double>(tokens_ - 1) / (s.generation_ms / 1000);
    }

    s.itl_count = itl_us_.count();
    if (s.itl_count > 0) {
        s.itl_max_ms = to_ms(itl_max_ns_);
        // The histogram holds whole microseconds; never let rounding lift a quantile past the
        // exact maximum.
        s.itl_p50_ms = std::min(itl_us_.quantile(0.50) / 1000, s.itl_max_ms);
        s.itl_p90_ms = std::min(itl_us_.quantile(0.90) / 1000, s.itl_max_ms);
        s.itl_p99_ms = std::min(itl_us_.quantile(0.99) / 1000, s.itl_max_ms);
    }
    s.stalls = stalls_;
    s.stall_ms = to_ms(stall_ns_);
    s.stall_threshold_ms = stall_threshold_ms_;

    s.has_usage = has_usage_;
    s.usage = usage_;
    s.stop_reason = stop_reason_;
    s.http_status = http_status_;
    s.http_version = http_version_;
    s.run_id = run_id_;
    s.retries = retries_;
    s.resumes = resumes_;
    s.finished = finished_;
    s.exit_status = exit_status_;
    s.exit_name = exit_name_;
    return s;
}

}  // namespace letta_stream::metrics
