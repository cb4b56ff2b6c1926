// metrics::Histogram — a fixed-size log-linear (HDR-style) histogram of non-negative integer
// values (microseconds, for inter-token latency). Recording never allocates; quantiles are
// accurate to half a bucket (≤ 0.4 % relative). Knows nothing about events, clocks or reports.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace letta_stream::metrics {

class Histogram {
  public:
    // 128 sub-buckets per power of two: bucket width ≤ 1/128 of its values (0.78 %), so a
    // bucket's midpoint is within 0.39 % of anything in it.
    static constexpr unsigned sub_bits = 7;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
    // Values below 2·sub_count are stored exactly (including 0: two tokens in one network read).
    static constexpr std::uint64_t linear_limit = 2 * sub_count;
    // Largest tracked power of two: values up to 2^37 µs (≈ 38 hours) land in their own bucket;
    // anything larger is clamped into the last one (the exact maximum is kept separately).
    static constexpr unsigned max_exponent = 36;
    static constexpr std::size_t bucket_count =
        linear_limit + (max_exponent - (sub_bits + 1) + 1) * sub_count;  // 3,968 → 31 KiB

    void record(std::uint64_t value) noexcept {
        ++counts_[index_of(value)];
        if (total_ == 0 || value < min_) min_ = value;
        if (value > max_) max_ = value;
        ++total_;
    }

    std::uint64_t count() const noexcept { return total_; }
    std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }

    // The nearest-rank q-quantile (q in [0, 1]): the midpoint of the bucket holding the
    // ceil(q·n)-th smallest value, clamped to the exact [min, max]. 0 when empty.
    double quantile(double q) const noexcept {
        if (total_ == 0) return 0.0;
        q = std::clamp(q, 0.0, 1.0);
        const double exact_rank = q * static_cast<double>(total_);  // ceil(), without libm
        auto rank = static_cast<std::uint64_t>(exact_rank);
        if (static_cast<double>(rank) < exact_rank) ++rank;
        rank = std::clamp<std::uint64_t>(rank, 1, total_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank) {
                const std::uint64_t lo = lower_bound(i);
                const double mid = static_cast<double>(lo) + static_cast<double>(width(i) - 1) / 2;
                return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
            }
        }
        return static_cast<double>(max_);
    }

    void reset() noexcept {
        counts_.fill(0);
        total_ = min_ = max_ = 0;
    }

    static constexpr std::size_t index_of(std::uint64_t value) noexcept {
        if (value < linear_limit) return static_cast<std::size_t>(value);
        unsigned exponent = static_cast<unsigned>(std::bit_width(value)) - 1;  // ≥ sub_bits + 1
        if (exponent > max_exponent) return bucket_count - 1;
        const unsigned shift = exponent - sub_bits;
        const std::uint64_t sub = (value >> shift) - sub_count;  // in [0, sub_count)
        return static_cast<std::size_t>(linear_limit + (exponent - (sub_bits + 1)) * sub_count +
                                        sub);
    }
    static constexpr std::uint64_t lower_bound(std::size_t index) noexcept {
        if (index < linear_limit) return index;
        const std::size_t k = index - linear_limit;
        const unsigned shift = static_cast<unsigned>(k / sub_count) + 1;
        return (sub_count + k % sub_count) << shift;
    }
    static constexpr std::uint64_t width(std::size_t index) noexcept {
        if (index < linear_limit) return 1;
        return std::uint64_t{1} << (static_cast<unsigned>((index - linear_limit) / sub_count) + 1);
    }

  private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace letta_stream::metrics
