#include "session/retry.hpp"

#include <algorithm>

namespace letta_stream::session {

namespace {

using transport::Failure;

// Why a failure before the stream started is worth another try; empty: it is not.
std::string retry_reason(const Attempt& a) {
    if (!a.got_head) {
        switch (a.failure) {
            case Failure::resolve:
                return "the host name did not resolve";
            case Failure::connect:
                return "the connection was refused";
            case Failure::tls:  // a reset or a hiccup mid-handshake; certificates are below
                return "the TLS handshake failed";
            case Failure::tls_untrusted:  // the same certificate comes back next time
            case Failure::tls_ca:         // our own files: no better on a second read
            case Failure::tls_client_cert:
            case Failure::tls_cert_refused:
            case Failure::tls_plain:  // a plain-HTTP port stays one
            case Failure::unsupported:
                return {};
            case Failure::dropped:
                return "the connection was reset";
            case Failure::timeout:
                return "connecting timed out";
            default:
                return {};
        }
    }
    if (a.body == Attempt::Body::event_stream)  // the stream broke before its first event
        return a.failure == Failure::dropped ? "the connection was reset" : std::string();
    if (a.body != Attempt::Body::error_body) return {};
    const long s = a.http_status;
    if ((s == 429 || s == 402) && a.quota) return {};  // out of quota: waiting will not help
    if (s == 408 || s == 409 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504)
        return "HTTP " + std::to_string(s);
    return {};
}

std::int64_t backoff_ns(const RetryPolicy& p, int n, double jitter) {
    std::int64_t window = p.base_ns;
    for (int i = 0; i < n && window < p.cap_ns; ++i)
        window *= 2;
    window = std::min(window, p.cap_ns);
    return static_cast<std::int64_t>(static_cast<double>(window) * std::clamp(jitter, 0.0, 1.0));
}

}  // namespace

bool before_stream(const Attempt& a) noexcept {
    return a.events == 0 && !a.output_started;
}

bool reattach_refused(const Attempt& a) noexcept {
    return a.body == Attempt::Body::error_body &&
           (a.http_status == 400 || a.http_status == 404 || a.http_status == 410);
}

Decision decide(const Attempt& a, const RetryState& state, const RetryPolicy& policy,
                double jitter) {
    Decision d;
    // Ended as it should, or by the user: nothing to retry.
    if (a.cancelled_by != 0 || !a.write.ok() || a.too_large) return d;
    // Our own limits: --first-token-timeout and --max-time end the turn, not an attempt.
    if (a.timeout == Attempt::Timeout::first_token || a.timeout == Attempt::Timeout::max_time)
        return d;
    if (a.saw_error || !a.stop_reason.empty() || a.saw_done) return d;
    if (state.used >= policy.retries) return d;

    if (before_stream(a)) {
        d.reason = retry_reason(a);
        if (d.reason.empty()) return d;
        d.kind = Decision::Kind::retry;
        // The server's word wins, still bounded by --retry-max-time below.
        d.delay_ns = a.retry_after_ms >= 0 ? a.retry_after_ms * 1'000'000
                                           : backoff_ns(policy, state.used, jitter);
    } else {
        // The stream started and broke: only a background run can be re-attached; re-POSTing
        // would put the message into the agent's memory twice and print text twice.
        // A run the server did not put in the background numbers nothing (seq_id null): there
        // is nothing to re-attach to, whatever was asked for.
        if (!state.background || a.run_id.empty() || a.last_seq_id < 0) return d;
        if (reattach_refused(a)) return d;
        d.kind = Decision::Kind::resume;
        d.after_seq = a.last_seq_id;
        d.reason =
            a.timeout != Attempt::Timeout::none ? "the stream went silent" : "the stream dropped";
        d.delay_ns = state.used == 0 ? 0 : backoff_ns(policy, state.used - 1, jitter);
    }
    if (policy.max_time_ns > 0 && state.now_ns + d.delay_ns > state.started_ns + policy.max_time_ns)
        return {};
    return d;
}

}  // namespace letta_stream::session
