// util::Clock — the injectable monotonic clock. Pacing, timeouts and metrics take a Clock so that
// unit tests can drive time by hand instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace letta_stream::util {

class Clock {
  public:
    virtual ~Clock() = default;
    // Nanoseconds on a monotonic clock with an arbitrary epoch.
    virtual std::int64_t now_ns() const noexcept = 0;
};

class SteadyClock final : public Clock {
  public:
    std::int64_t now_ns() const noexcept override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
  public:
    std::int64_t now_ns() const noexcept override { return now_; }
    void advance_ms(double ms) noexcept { now_ += static_cast<std::int64_t>(ms * 1e6); }
    void set_ns(std::int64_t ns) noexcept { now_ = ns; }

  private:
    std::int64_t now_ = 1'000'000'000;
};

}  // namespace letta_stream::util
