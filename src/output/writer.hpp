// output::Writer — moves formatted bytes towards fd 1. Writers are stacked (gzip framer, counter,
// fd writer) and composed once in app/. Knows nothing about events, Letta or flags.
#pragma once

#include <cstdint>
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
    std::uint64_t bytes_written() const noexcept { return bytes_; }
    std::uint64_t write_calls() const noexcept { return calls_; }

  private:
    int fd_;
    std::uint64_t bytes_ = 0;
    std::uint64_t calls_ = 0;
};

}  // namespace letta_stream::output
