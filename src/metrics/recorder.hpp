// metrics::Recorder — timestamps one turn's milestones on the injected monotonic clock and tallies
// its decoded events (TTFT, throughput, inter-token latency, stalls, server usage). Knows nothing
// about SSE, Letta JSON, HTTP, output or flags: the caller reports milestones and forwards events.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/histogram.hpp"
#include "metrics/report.hpp"
#include "stream/event.hpp"
#include "util/clock.hpp"

namespace letta_stream::metrics {

class Recorder final : public stream::Sink {
  public:
    // `start_ns` is the tool's start on `clock`; every reported time is measured from it.
    // A non-positive `stall_threshold_ms` disables stall counting.
    Recorder(const util::Clock& clock, std::int64_t start_ns, double stall_threshold_ms = 1000.0);

    // The message POST leaves (after any agent lookup); called again on a retry.
    void request_sent() noexcept { request_ns_ = elapsed_ns(); }
    // How long an agent-name lookup took.
    void agent_lookup(double ms) noexcept { lookup_ms_ = ms; }
    // Response headers arrived.
    // `status_line`: "HTTP/2 200", "HTTP/1.1 200 OK", or empty when the version is not known.
    void response_head(long http_status, std::string_view status_line = {});
    // Each decoded event, timestamped at the call. Allocation-free in steady state.
    void on_event(const stream::Event& event) override;
    // A write of `bytes` to stdout completed; `had_content` = it carried assistant content.
    void output_flushed(std::uint64_t bytes, bool had_content) noexcept;
    // A write of `bytes` to stdout completed. Sinks before the output in the chain see each
    // event first, so the first write after a token is the one that carried it.
    void output_written(std::uint64_t bytes) noexcept {
        ++writes_;
        output_flushed(bytes, tokens_ > 0);
    }
    // How long --throttle held text back in all (reported at the end).
    void throttle_held(std::int64_t ns) noexcept { held_ns_ = ns; }
    void retried() noexcept { ++retries_; }
    void resumed() noexcept { ++resumes_; }
    // End of turn: records the total time. Only the first call counts.
    void finish(int exit_status, std::string_view exit_name,
                std::string_view stop_reason_override = {});

    Summary summary() const;

  private:
    std::int64_t elapsed_ns() const noexcept { return clock_.now_ns() - start_ns_; }
    void on_content(std::string_view text);

    const util::Clock& clock_;
    std::int64_t start_ns_;
    double stall_threshold_ms_;
    std::int64_t stall_threshold_ns_;  // 0 = stalls disabled

    // Times since start in ns; -1 = not yet.
    std::int64_t request_ns_ = -1;
    std::int64_t head_ns_ = -1;
    std::int64_t ttft_ns_ = -1;
    std::int64_t first_token_ns_ = -1;
    std::int64_t last_token_ns_ = -1;
    std::int64_t finish_ns_ = -1;
    double lookup_ms_ = -1;

    std::uint64_t tokens_ = 0;
    std::uint64_t words_ = 0;
    std::uint64_t chars_ = 0;
    std::uint64_t content_bytes_ = 0;
    std::uint64_t bytes_out_ = 0;
    std::uint64_t writes_ = 0;
    std::int64_t held_ns_ = -1;
    bool in_word_ = false;  // the reply so far ends inside a word (words span events)
    std::array<std::uint64_t, kind_count> events_by_kind_{};

    Histogram itl_us_;  // inter-token gaps, µs
    std::int64_t itl_max_ns_ = 0;
    std::uint64_t stalls_ = 0;
    std::int64_t stall_ns_ = 0;

    bool has_usage_ = false;
    stream::Usage usage_;
    std::string stop_reason_;
    long http_status_ = 0;
    std::string http_version_;
    std::string run_id_;
    std::uint64_t retries_ = 0;
    std::uint64_t resumes_ = 0;
    bool finished_ = false;
    int exit_status_ = -1;
    std::string exit_name_;
};

}  // namespace letta_stream::metrics
