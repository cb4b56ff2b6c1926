// Turns logical body writes into bytes on the socket: delays between writes, the close/stall
// faults, gzip (Z_SYNC_FLUSH after every write), and chunked / length / close framing.
// Constructed without a connection it is a dry run that only counts bytes (for Content-Length).
#pragma once

#include <zlib.h>

#include <atomic>
#include <string>
#include <string_view>

#include "http.hpp"
#include "scenario.hpp"

namespace fls {

class BodyWriter {
  public:
    BodyWriter(Conn* conn, const ResponseEntry& e, const std::atomic<bool>* cancel);
    ~BodyWriter();
    BodyWriter(const BodyWriter&) = delete;
    BodyWriter& operator=(const BodyWriter&) = delete;

    // One write of body bytes (pre-gzip). Returns false when the body must stop: the peer is
    // gone, or a close/stall fault fired (aborted() is then true).
    bool write(std::string_view data);
    // Ends the body normally (gzip trailer, terminal chunk). A close/stall fault whose byte
    // count was reached exactly fires here instead.
    bool finish();

    bool aborted() const { return aborted_; }
    bool real() const { return conn_ != nullptr; }
    long long wire_bytes() const { return wire_; }  // after gzip, without chunk framing

  private:
    bool encode(std::string_view data);
    bool emit(std::string_view wire);
    bool fire_fault();

    Conn* conn_;
    const ResponseEntry& e_;
    const std::atomic<bool>* cancel_;
    long long limit_ = -1;  // close/stall fault byte count (the smaller one)
    bool stall_ = false;
    long long written_ = 0;  // body bytes accepted (pre-gzip)
    long long wire_ = 0;
    long long writes_ = 0;
    bool aborted_ = false;
    bool gzip_ = false;
    z_stream zs_{};
    std::string zout_;
};

}  // namespace fls
