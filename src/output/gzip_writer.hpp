// output::GzipWriter — `--gzip`: frames the bytes on their way to stdout as gzip, between the
// formatter and the counting writer. Every write leaves its bytes decodable at once (a sync flush
// or a whole member): compression never holds text back. The only module that knows zlib;
// zlib.h stays in the .cpp. Knows nothing about events, JSON or flags.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "output/writer.hpp"

namespace letta_stream::output {

enum class GzipFraming : std::uint8_t {
    stream,   // one gzip stream; each write ends with a sync flush, finish writes the trailer
    members,  // each write is one complete gzip member (a multi-member gzip file)
};

class GzipWriter final : public Writer {
  public:
    // `level` is zlib's 1 (fastest) to 9 (smallest); values outside are clamped. `next` must
    // outlive the writer.
    GzipWriter(Writer& next, GzipFraming framing, int level);
    ~GzipWriter() override;
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;

    // The compressed form of `bytes` in one next.write, so a reader can decode it as it arrives.
    // An empty write writes nothing. A failure (next's result as is, or failed/ENOMEM from
    // zlib) is sticky: later calls return it and write nothing.
    WriteResult write(std::string_view bytes) override;
    // stream: the gzip trailer (or a whole empty stream if nothing was written). members: nothing,
    // or one empty member if nothing was written, so the output is always a valid gzip file.
    // Then next.finish(). A second call returns the first call's result and writes nothing.
    WriteResult finish() override;

  private:
    struct Deflater;  // the z_stream: zlib stays out of this header

    WriteResult deflate_to_next(std::string_view bytes, bool finish_member);

    Writer& next_;
    GzipFraming framing_;
    std::unique_ptr<Deflater> z_;
    std::string out_;  // compressed bytes of one write; its size is the capacity in use
    WriteResult status_;
    bool wrote_ = false;  // any compressed bytes written to next
    bool finished_ = false;
};

}  // namespace letta_stream::output
