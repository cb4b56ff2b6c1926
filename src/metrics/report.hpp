// metrics::Summary — a plain-data snapshot of one turn's timings and counts, and its two
// renderings: a short aligned text block for stderr and one JSON line. Knows nothing about how the
// numbers were measured, nor about SSE, HTTP, output or flags (the caller decides color and
// destination).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "stream/event.hpp"

namespace letta_stream::metrics {

inline constexpr std::size_t kind_count = static_cast<std::size_t>(stream::Kind::unknown) + 1;

struct Summary {
    // Milestones in ms since tool start (monotonic clock); -1 = did not happen.
    double request_ms = -1;      // the (latest) message POST left
    double headers_ms = -1;      // response headers arrived
    double ttft_ms = -1;         // first content byte written to stdout (time to first token)
    double first_token_ms = -1;  // first content event decoded
    double last_token_ms = -1;   // last content event decoded
    double total_ms = -1;        // end of turn (before finish: elapsed at the snapshot)
    // Durations in ms; -1 = unknown.
    double lookup_ms = -1;      // agent-name lookup
    double generation_ms = -1;  // last_token_ms - first_token_ms (0 with one token)

    std::uint64_t tokens = 0;         // content events with non-empty text
    std::uint64_t words = 0;          // whitespace-separated words across the whole reply
    std::uint64_t chars = 0;          // Unicode code points in the reply
    std::uint64_t content_bytes = 0;  // UTF-8 bytes of the reply
    std::uint64_t bytes_out = 0;      // bytes written to stdout (all formats, all kinds)
    std::uint64_t writes = 0;         // write(2) calls that put them there (after any gzip)
    double held_ms = -1;              // time --throttle held text back; -1: no throttle
    std::array<std::uint64_t, kind_count> events_by_kind{};  // index: static_cast<size_t>(Kind)
    std::uint64_t pings = 0;

    double tokens_per_s = 0;             // tokens / total time
    double generation_tokens_per_s = 0;  // (tokens - 1) / generation time

    // Inter-token latency: gaps between consecutive content events. Valid when itl_count > 0.
    std::uint64_t itl_count = 0;
    double itl_p50_ms = 0, itl_p90_ms = 0, itl_p99_ms = 0, itl_max_ms = 0;
    std::uint64_t stalls = 0;  // gaps ≥ stall_threshold_ms
    double stall_ms = 0;       // sum of those gaps
    double stall_threshold_ms = 1000;

    bool has_usage = false;  // the server sent a usage event (fields may still be -1)
    stream::Usage usage;

    std::string stop_reason;  // empty = none
    long http_status = 0;     // 0 = no response head
    std::string http_version;  // "1.1", "2"; empty when not known
    std::string run_id;       // empty = unknown
    std::uint64_t retries = 0;
    std::uint64_t resumes = 0;

    bool finished = false;  // exit_status/exit_name are set once finished
    int exit_status = -1;
    std::string exit_name;

    std::uint64_t events(stream::Kind kind) const noexcept {
        return events_by_kind[static_cast<std::size_t>(kind)];
    }
};

// At most a dozen lines, ending in '\n'. With `color`, labels are dimmed with ANSI SGR codes;
// without, the text contains no escape codes at all.
std::string render_text(const Summary& summary, bool color);

// One JSON object on one line, ending in '\n' (schema "letta-stream.metrics/1"). Unknown values
// are null; times are milliseconds rounded to 3 decimals.
std::string render_json(const Summary& summary);

}  // namespace letta_stream::metrics
