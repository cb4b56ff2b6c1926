// output::Writer — moves formatted bytes towards fd 1. Writers are stacked (gzip framer, counter,
// fd writer) and composed once in app/. Knows nothing about events, Letta or flags.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace letta_stream::output {

enum class WriteStatus : std::uint8_t {
    ok,
    broken_pipe,  // the reader went away (EPIPE): stop quietly, exit 0
    failed,       // any other write error (ENOSPC, EIO, ...): an error with its own exit status
};

struct WriteResult {
    WriteStatus status = WriteStatus::ok;
    int error = 0;  // errno for failed/broken_pipe
    bool ok() const noexcept { return status == WriteStatus::ok; }
};

class Writer {
  public:
    virtual ~Writer() = default;
    // Writes all of `bytes` or reports why it could not.
    virtual WriteResult write(std::string_view bytes) = 0;
    // End of output (trailers, final checks).
    virtual WriteResult finish() { return {}; }
};

// Writes straight to a file descriptor with write(2): no stdio buffering in between.
class FdWriter final : public Writer {
  public:
    explicit FdWriter(int fd) : fd_(fd) {}
    WriteResult write(std::string_view bytes) override;

  private:
    int fd_;
};

// Counts what reaches the next writer: the one byte count of the output (metrics' bytes_out).
// The observer, when set, hears of each completed write.
class CountingWriter final : public Writer {
  public:
    using Observer = std::function<void(std::uint64_t bytes)>;

    explicit CountingWriter(Writer& next, Observer observer = {})
        : next_(next), observer_(std::move(observer)) {}

    WriteResult write(std::string_view bytes) override {
        const WriteResult r = next_.write(bytes);
        if (r.ok()) {
            bytes_ += bytes.size();
            ++writes_;
            if (observer_) observer_(bytes.size());
        }
        return r;
    }
    WriteResult finish() override { return next_.finish(); }

    std::uint64_t bytes() const noexcept { return bytes_; }
    std::uint64_t writes() const noexcept { return writes_; }

  private:
    Writer& next_;
    Observer observer_;
    std::uint64_t bytes_ = 0;
    std::uint64_t writes_ = 0;
};

}  // namespace letta_stream::output
