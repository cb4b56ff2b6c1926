// transport::wait — how both transports sleep: ppoll(2) to the nanosecond on the signal wake-up
// fd (drained when it fires), until a deadline on the handlers' clock. One place, so the two
// transports cannot drift apart (poll's whole milliseconds once held --throttle under ~900/s).
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>

#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::transport {

// Nanoseconds until `deadline_ns`, at most a day; 0 if past.
std::int64_t ns_until(std::int64_t deadline_ns, std::int64_t now_ns);

// ppoll(2) on `fds` for at most `wait_ns` (-1: no limit).
int poll_for(pollfd* fds, std::size_t n, std::int64_t wait_ns);

// Reads everything the (non-blocking) wake-up fd holds.
void drain_wake_fd(int fd);

// One wait: until `deadline_ns` on `clock` (-1: none), or until `wake_fd` (-1: none) is readable,
// which is then drained. Callers loop and look again.
void wait_once(const util::Clock& clock, int wake_fd, std::int64_t deadline_ns);

// Transport::sleep_until for both transports: until `deadline_ns`, or until `cancel` is
// cancelled (a signal makes the wake-up fd readable, so that is at once).
void sleep_on(const util::Clock& clock, int wake_fd, std::int64_t deadline_ns,
              const CancelToken* cancel);

}  // namespace letta_stream::transport
