// output::Writer — moves formatted bytes towards fd 1. Writers are stacked (gzip framer, counter,
// fd writer) and composed once in app/. Knows nothing about events, Letta or flags.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <string_view>

namespace letta_stream::output {

enum class WriteStatus : std::uint8_t {
    ok,
    broken_pipe,  // the reader went away (EPIPE): stop quietly, exit 0
    failed,       // any other write error (ENOSPC, EIO, ...): an error with its own exit status
    interrupted,  // a signal asked us to stop while the reader was not reading: given up
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

// Writes straight to a file descriptor with write(2): no stdio buffering in between. With a
// stop flag (set by a signal handler), a write blocked on a reader that stopped reading gives up
// once the flag is set (signals interrupt write(2): they are installed without SA_RESTART), and
// from then on only what fits without blocking is written: the tool ends promptly.
class FdWriter final : public Writer {
  public:
    explicit FdWriter(int fd, const volatile std::sig_atomic_t* stop = nullptr)
        : fd_(fd), stop_(stop) {}
    WriteResult write(std::string_view bytes) override;

  private:
    bool stopping() const noexcept { return stop_ != nullptr && *stop_ != 0; }
    WriteResult drain(std::string_view bytes);

    int fd_;
    const volatile std::sig_atomic_t* stop_;
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
        if (r.ok() && !bytes.empty()) {
            bytes_ += bytes.size();
            last_ = bytes.back();
            if (observer_) observer_(bytes.size());
        }
        return r;
    }
    WriteResult finish() override { return next_.finish(); }

    std::uint64_t bytes() const noexcept { return bytes_; }
    // Nothing written yet, or the last byte was a newline.
    bool at_line_start() const noexcept { return last_ == '\n'; }  // last_ starts as '\n'

  private:
    Writer& next_;
    Observer observer_;
    std::uint64_t bytes_ = 0;
    char last_ = '\n';
};

}  // namespace letta_stream::output
