// transport::ReplayTransport — the Transport of --replay: serves a recording (transport/
// recording.hpp) instead of a server. Each start() gets the recording's next response, whatever
// its request: the head, then each recorded read as on_data() + on_idle() at its time (scaled by
// the speed), then the recorded end. The file is read as the replay goes (a RecordingReader), so
// memory does not grow with it. It keeps the contract of the real loop: the handler's deadlines
// get on_idle() while it waits, a paused transfer gets no data (only its deadlines) and reads
// nothing more of the file, the request's cancel token stops it and the wake-up fd (the signal
// self-pipe) ends a wait at once. No sockets, no libcurl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/recording.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::transport {

struct ReplayOptions {
    // 0: as fast as possible; 1: at the recorded times; 2: twice as fast; 0.5: half as fast.
    double speed = 0;
    // Readable when a signal arrived (see CurlTransport's Options::wake_fd); -1: none.
    int wake_fd = -1;
    // The largest piece handed to on_data() at once (a recorded read may be bigger).
    std::size_t max_read = 64 * 1024;
};

class ReplayTransport final : public Transport {
  public:
    // `clock` is the one handlers' deadlines are measured on; it must outlive the transport.
    ReplayTransport(std::unique_ptr<RecordingReader> reader, ReplayOptions options,
                    const util::Clock& clock);

    // Whether the next start() gets another recorded response (a turn with retries or resumes
    // has several), or the read error that ended the file; between transfers.
    bool another_response() { return reader_->another_response(); }
    // Why reading the file failed (strerror), or empty.
    const std::string& read_error() const noexcept { return reader_->error(); }

    TransferId start(const Request& request, Handler& handler) override;
    void pause(TransferId id) override;
    void resume(TransferId id) override;
    void run() override;
    void sleep_until(std::int64_t deadline_ns, const CancelToken* cancel) override;

  private:
    struct Transfer {
        TransferId id = 0;
        Handler* handler = nullptr;
        const CancelToken* cancel = nullptr;
        std::string what;  // the request's URL: the file, for messages
    };
    void serve(const Transfer& t);
    // Waits until `due_ns` has come and the transfer is not paused, calling on_idle() after every
    // wake-up; false when the handler stopped it, it was cancelled, or nothing could wake it.
    bool wait(const Transfer& t, std::int64_t due_ns, Control& control, bool& stuck);
    // Blocks until `deadline_ns` (-1: no limit) or a wake-up.
    void block(std::int64_t deadline_ns);
    std::int64_t due_ns(std::int64_t base_ns, double t_ms) const;

    std::unique_ptr<RecordingReader> reader_;
    ReplayOptions options_;
    const util::Clock& clock_;
    std::vector<Transfer> pending_;
    TransferId next_id_ = 1;
    TransferId current_ = 0;
    bool paused_ = false;
};

}  // namespace letta_stream::transport
