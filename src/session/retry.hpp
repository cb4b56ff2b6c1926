// session::decide — the retry policy as a pure function: the facts of the attempt that just
// ended, what the turn has seen so far, and the policy → give up, retry (re-POST the turn, with
// the same otid) after a delay, or resume a background run from the last seq_id it delivered.
// No clock, no randomness inside: both come in as arguments, so every rule is a table test.
#pragma once

#include <cstdint>
#include <string>

#include "session/attempt.hpp"

namespace letta_stream::session {

struct RetryPolicy {
    int retries = 2;                     // retries and resumes together; 0: never
    std::int64_t max_time_ns = 0;        // from the first request; 0: no bound
    std::int64_t base_ns = 500'000'000;  // backoff: full jitter over base·2^n, capped
    std::int64_t cap_ns = 30'000'000'000;
};

// What the turn has done so far.
struct RetryState {
    int used = 0;                 // retries and resumes so far
    std::int64_t started_ns = 0;  // the first request
    std::int64_t now_ns = 0;
    bool background = false;  // the run was asked for in background mode
};

struct Decision {
    enum class Kind : unsigned char { give_up, retry, resume };
    Kind kind = Kind::give_up;
    std::int64_t delay_ns = 0;
    std::int64_t after_seq = -1;  // resume: starting_after
    std::string reason;           // "HTTP 503", "connection refused", "the stream dropped", ...
};

// `jitter` is uniform in [0, 1): the fraction of the backoff window to wait.
Decision decide(const Attempt& attempt, const RetryState& state, const RetryPolicy& policy,
                double jitter);

// The attempt's failure happened before any event of the stream: a re-POST cannot duplicate
// anything the user has seen.
bool before_stream(const Attempt& attempt) noexcept;

// A re-attach the server refused for good: the run was not in background mode (400), or is
// unknown or expired (404, 410). Never worth another try.
bool reattach_refused(const Attempt& attempt) noexcept;

}  // namespace letta_stream::session
