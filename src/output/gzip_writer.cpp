#include "output/gzip_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

namespace letta_stream::output {

namespace {

// 15 + 16: a 32 KiB window with a gzip header and trailer instead of zlib's. memLevel 8 is
// zlib's default (deflate state ~256 KiB).
constexpr int kWindowBits = 15 + 16;
constexpr int kMemLevel = 8;

// zlib counts in uInt: a larger write goes in pieces of this size (output, too).
constexpr std::size_t kMaxPiece = std::size_t{1} << 30;

// After a write this large, give the memory back rather than keep it (as the formatter does).
constexpr std::size_t kKeepCapacity = std::size_t{1} << 20;

// Slack over deflateBound for what it does not count: the sync flush's empty stored block.
constexpr std::size_t kSlack = 64;

// No zlib failure is the reader's or the disk's; they come down to memory (or a bug).
constexpr WriteResult kZlibFailed{WriteStatus::failed, ENOMEM};

}  // namespace

struct GzipWriter::Deflater {
    z_stream zs{};
    bool ready = false;

    explicit Deflater(int level) {
        ready = deflateInit2(&zs, level, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) ==
                Z_OK;
    }
    ~Deflater() {
        if (ready) deflateEnd(&zs);
    }
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;
};

GzipWriter::GzipWriter(Writer& next, GzipFraming framing, int level)
    : next_(next), framing_(framing), z_(std::make_unique<Deflater>(std::clamp(level, 1, 9))) {
    if (!z_->ready) status_ = kZlibFailed;
}

GzipWriter::~GzipWriter() = default;

WriteResult GzipWriter::write(std::string_view bytes) {
    if (!status_.ok() || bytes.empty()) return status_;
    if (finished_) return {WriteStatus::failed, EINVAL};  // the stream already has its trailer
    return deflate_to_next(bytes, framing_ == GzipFraming::members);
}

WriteResult GzipWriter::finish() {
    if (finished_ || !status_.ok()) return status_;
    finished_ = true;
    // stream: the last block and the trailer. members: an empty member only when there is no
    // other, because an empty file is not valid gzip.
    if (framing_ == GzipFraming::stream || !wrote_) {
        if (const WriteResult r = deflate_to_next({}, true); !r.ok()) return r;
    }
    z_.reset();  // the deflate state is a quarter of a megabyte
    status_ = next_.finish();
    return status_;
}

// Deflates all of `bytes` (Z_FINISH when `finish_member`, else Z_SYNC_FLUSH: either way every
// input byte can be decoded from the output) and writes the output to next in one call.
WriteResult GzipWriter::deflate_to_next(std::string_view bytes, bool finish_member) {
    z_stream& zs = z_->zs;
    const std::size_t bound = deflateBound(&zs, bytes.size()) + kSlack;
    if (out_.size() < bound) out_.resize(bound);

    const int last_flush = finish_member ? Z_FINISH : Z_SYNC_FLUSH;
    std::size_t produced = 0;
    std::size_t done = 0;
    int rc = Z_OK;
    do {
        const std::size_t piece = std::min(bytes.size() - done, kMaxPiece);
        const bool last = done + piece == bytes.size();
        zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + done));
        zs.avail_in = static_cast<uInt>(piece);
        // zlib's loop: deflate until it leaves room unused, i.e. has nothing more to give.
        do {
            if (produced == out_.size()) out_.resize(out_.size() * 2);
            const std::size_t room = std::min(out_.size() - produced, kMaxPiece);
            zs.next_out = reinterpret_cast<Bytef*>(out_.data() + produced);
            zs.avail_out = static_cast<uInt>(room);
            rc = deflate(&zs, last ? last_flush : Z_NO_FLUSH);
            if (rc == Z_STREAM_ERROR) return status_ = kZlibFailed;
            produced += room - zs.avail_out;
        } while (zs.avail_out == 0);
        done += piece;
    } while (done < bytes.size());

    if (finish_member && (rc != Z_STREAM_END || deflateReset(&zs) != Z_OK))
        return status_ = kZlibFailed;
    if (produced != 0) {
        wrote_ = true;
        status_ = next_.write({out_.data(), produced});
    }
    if (out_.size() > kKeepCapacity) std::string().swap(out_);
    return status_;
}

}  // namespace letta_stream::output
