#include "body_writer.hpp"

#include <cstdio>

namespace fls {

BodyWriter::BodyWriter(Conn* conn, const ResponseEntry& e, const std::atomic<bool>* cancel)
    : conn_(conn), e_(e), cancel_(cancel) {
    if (conn_) {  // faults only on the real connection, never in the dry run
        if (e.close_after_bytes >= 0) limit_ = e.close_after_bytes;
        if (e.stall_after_bytes >= 0 && (limit_ < 0 || e.stall_after_bytes < limit_)) {
            limit_ = e.stall_after_bytes;
            stall_ = true;
        }
    }
    if (e.gzip) {
        gzip_ = deflateInit2(&zs_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) == Z_OK;
        if (!gzip_) std::fprintf(stderr, "fake-letta-server: deflateInit2 failed\n");
    }
}

BodyWriter::~BodyWriter() {
    if (gzip_) deflateEnd(&zs_);
}

bool BodyWriter::write(std::string_view data) {
    if (aborted_) return false;
    if (conn_) {
        int delay = writes_ == 0 ? e_.first_delay_ms : e_.delay_ms;
        if (delay > 0 && conn_->wait(delay, cancel_) == WaitResult::disconnected) {
            aborted_ = true;
            return false;
        }
    }
    ++writes_;
    if (limit_ >= 0 && written_ + static_cast<long long>(data.size()) >= limit_) {
        auto take = static_cast<size_t>(limit_ - written_);
        if (take > 0 && !encode(data.substr(0, take))) return false;
        return fire_fault();
    }
    return encode(data);
}

bool BodyWriter::finish() {
    if (aborted_) return false;
    if (limit_ >= 0 && written_ >= limit_) return fire_fault();
    if (gzip_) {
        zs_.next_in = nullptr;
        zs_.avail_in = 0;
        zout_.clear();
        char buf[16384];
        int rc;
        do {
            zs_.next_out = reinterpret_cast<Bytef*>(buf);
            zs_.avail_out = sizeof buf;
            rc = deflate(&zs_, Z_FINISH);
            zout_.append(buf, sizeof buf - zs_.avail_out);
        } while (rc == Z_OK);
        if (!emit(zout_)) return false;
    }
    if (conn_ && e_.framing == Framing::chunked && !conn_->send_all("0\r\n\r\n")) {
        aborted_ = true;
        return false;
    }
    return true;
}

bool BodyWriter::encode(std::string_view data) {
    written_ += static_cast<long long>(data.size());
    if (!gzip_) return emit(data);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs_.avail_in = static_cast<uInt>(data.size());
    zout_.clear();
    char buf[65536];
    do {
        zs_.next_out = reinterpret_cast<Bytef*>(buf);
        zs_.avail_out = sizeof buf;
        deflate(&zs_, Z_SYNC_FLUSH);
        zout_.append(buf, sizeof buf - zs_.avail_out);
    } while (zs_.avail_out == 0 || zs_.avail_in > 0);
    return emit(zout_);
}

bool BodyWriter::emit(std::string_view wire) {
    if (wire.empty()) return true;  // an empty chunk would end a chunked body
    wire_ += static_cast<long long>(wire.size());
    if (!conn_) return true;
    bool ok;
    if (e_.framing == Framing::chunked) {
        char head[24];
        int n = std::snprintf(head, sizeof head, "%zx\r\n", wire.size());
        iovec v[3] = {{head, static_cast<size_t>(n)},
                      {const_cast<char*>(wire.data()), wire.size()},
                      {const_cast<char*>("\r\n"), 2}};
        ok = conn_->send_iov(v, 3);
    } else {
        ok = conn_->send_all(wire);
    }
    if (!ok) aborted_ = true;
    return ok;
}

bool BodyWriter::fire_fault() {
    aborted_ = true;
    if (stall_) {
        conn_->wait_for_disconnect();
    } else {
        conn_->close_now(e_.close_with_rst);
    }
    return false;
}

}  // namespace fls
