// output::GzipWriter — every assertion decodes with zlib's own inflate (gzip header detection,
// CRC-32 and length checked by inflate itself), the way a streaming reader would: chunk by chunk,
// as the writes arrive.
#include <zlib.h>
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "output/gzip_writer.hpp"
#include "output/writer.hpp"

using namespace letta_stream::output;

namespace {

// Records each write as it came; fails from write number `fail_at` (1-based) on.
struct RecordingWriter final : Writer {
    std::vector<std::string> writes;
    int finishes = 0;
    std::size_t fail_at = 0;
    WriteResult failure{WriteStatus::failed, EIO};

    WriteResult write(std::string_view b) override {
        if (fail_at != 0 && writes.size() + 1 >= fail_at) return failure;
        writes.emplace_back(b);
        return {};
    }
    WriteResult finish() override {
        ++finishes;
        return {};
    }
    std::string all() const {
        std::string s;
        for (const auto& w : writes)
            s += w;
        return s;
    }
};

// A streaming gzip reader (15 + 32: gzip or zlib header, detected). feed() decodes all it can
// from what has arrived so far, as `zcat` reading a pipe would.
class Inflater {
  public:
    Inflater() { REQUIRE(inflateInit2(&zs_, 15 + 32) == Z_OK); }
    ~Inflater() { inflateEnd(&zs_); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    // Returns Z_OK (needs more input), Z_STREAM_END (a member ended; `rest` is what follows it)
    // or a zlib error.
    int feed(std::string_view in, std::string_view* rest = nullptr) {
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        zs_.avail_in = static_cast<uInt>(in.size());
        int rc = Z_OK;
        do {
            unsigned char buf[16384];
            zs_.next_out = buf;
            zs_.avail_out = sizeof buf;
            rc = inflate(&zs_, Z_SYNC_FLUSH);
            out.append(reinterpret_cast<char*>(buf), sizeof buf - zs_.avail_out);
        } while (rc == Z_OK && (zs_.avail_in != 0 || zs_.avail_out == 0));
        if (rest != nullptr) *rest = in.substr(in.size() - zs_.avail_in);
        if (rc == Z_BUF_ERROR && zs_.avail_in == 0) rc = Z_OK;  // no progress: wants more input
        return rc;
    }
    void reset() { REQUIRE(inflateReset(&zs_) == Z_OK); }

    std::string out;

  private:
    z_stream zs_{};
};

// Decodes a whole (possibly multi-member) gzip file; counts the members.
std::string gunzip(std::string_view gz, int* members = nullptr) {
    Inflater inf;
    int n = 0;
    while (!gz.empty()) {
        std::string_view rest;
        REQUIRE(inf.feed(gz, &rest) == Z_STREAM_END);  // a member ends, CRC and length correct
        ++n;
        gz = rest;
        inf.reset();
    }
    if (members != nullptr) *members = n;
    return inf.out;
}

std::uint32_t le32(std::string_view s) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = v << 8 | static_cast<unsigned char>(s[i]);
    return v;
}

// UTF-8 text, every byte value, NULs and JSON-ish lines: what stdout can carry.
std::vector<std::string> mixed_chunks() {
    std::string all_bytes;
    for (int b = 0; b < 256; ++b)
        all_bytes.push_back(static_cast<char>(b));
    return {
        "Hello",
        ", wörld ✓ — “quoted” 😀\n",
        std::string("nul\0inside\0", 11),
        all_bytes,
        "{\"type\":\"content\",\"content\":\"line\\u2028sep\",\"seq\":7}\n",
        std::string(5000, 'a'),
        "\xE2\x80\xA8\xC2\x85\xFF\xFE",
        "x",
    };
}

// `n` bytes, half repetitive text and half noise, so deflate both matches and gives up.
std::string big_input(std::size_t n) {
    std::mt19937 rng(20240611);
    std::string s;
    s.reserve(n);
    const std::string_view text = "The quick brown fox jumps over the lazy dog. ";
    while (s.size() < n) {
        if (rng() % 2 == 0) {
            s.append(text);
        } else {
            for (int i = 0; i < 64; ++i)
                s.push_back(static_cast<char>(rng()));
        }
    }
    s.resize(n);
    return s;
}

}  // namespace

TEST_CASE("stream framing: each write is decodable as soon as it arrives", "[gzip]") {
    RecordingWriter next;
    GzipWriter gz(next, GzipFraming::stream, 6);
    Inflater reader;
    std::string sent;
    std::size_t writes = 0;
    for (const std::string& chunk : mixed_chunks()) {
        REQUIRE(gz.write(chunk).ok());
        sent += chunk;
        REQUIRE(next.writes.size() == ++writes);  // one next.write per write
        REQUIRE(reader.feed(next.writes.back()) == Z_OK);
        CHECK(reader.out == sent);  // nothing held back by the compressor
    }
    CHECK(next.writes.front().substr(0, 3) == "\x1f\x8b\x08");
    CHECK(next.finishes == 0);

    const std::size_t before = next.writes.size();
    REQUIRE(gz.finish().ok());
    REQUIRE(next.writes.size() == before + 1);
    CHECK(next.finishes == 1);
    std::string_view rest;
    REQUIRE(reader.feed(next.writes.back(), &rest) == Z_STREAM_END);  // inflate checked CRC, size
    CHECK(rest.empty());
    CHECK(reader.out == sent);

    const std::string file = next.all();
    CHECK(le32(file.substr(file.size() - 8)) ==
          crc32(0, reinterpret_cast<const Bytef*>(sent.data()), static_cast<uInt>(sent.size())));
    CHECK(le32(file.substr(file.size() - 4)) == sent.size());
    CHECK(gunzip(file) == sent);
}

TEST_CASE("stream framing: a damaged trailer fails inflate's check", "[gzip]") {
    RecordingWriter next;
    GzipWriter gz(next, GzipFraming::stream, 6);
    REQUIRE(gz.write("some text").ok());
    REQUIRE(gz.finish().ok());
    std::string file = next.all();
    file[file.size() - 5] ^= 1;  // CRC-32's last byte
    Inflater reader;
    CHECK(reader.feed(file) == Z_DATA_ERROR);
}

TEST_CASE("members framing: one whole member per write, the file is their concatenation",
          "[gzip]") {
    RecordingWriter next;
    GzipWriter gz(next, GzipFraming::members, 6);
    const auto chunks = mixed_chunks();
    std::string sent;
    for (const std::string& chunk : chunks) {
        REQUIRE(gz.write(chunk).ok());
        sent += chunk;
    }
    REQUIRE(next.writes.size() == chunks.size());
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        INFO("member " << i);
        int members = 0;
        CHECK(gunzip(next.writes[i], &members) == chunks[i]);  // decodes alone
        CHECK(members == 1);
    }
    REQUIRE(gz.finish().ok());
    CHECK(next.writes.size() == chunks.size());  // finish adds nothing
    CHECK(next.finishes == 1);
    int members = 0;
    CHECK(gunzip(next.all(), &members) == sent);
    CHECK(members == static_cast<int>(chunks.size()));
}

TEST_CASE("levels 1 and 9 round-trip and reach the header, others are clamped", "[gzip]") {
    const std::string text = big_input(200'000);
    // The gzip header's XFL byte: 4 = fastest, 2 = best (RFC 1952 §2.3.1).
    for (const auto& [level, xfl] : {std::pair{1, 4}, {9, 2}, {0, 4}, {42, 2}}) {
        for (const GzipFraming framing : {GzipFraming::stream, GzipFraming::members}) {
            INFO("level " << level << " framing " << static_cast<int>(framing));
            RecordingWriter next;
            GzipWriter gz(next, framing, level);
            REQUIRE(gz.write(std::string_view(text).substr(0, 123'456)).ok());
            REQUIRE(gz.write(std::string_view(text).substr(123'456)).ok());
            REQUIRE(gz.finish().ok());
            const std::string file = next.all();
            CHECK(static_cast<unsigned char>(file[8]) == xfl);
            CHECK(file.size() < text.size());
            CHECK(gunzip(file) == text);
        }
    }
}

TEST_CASE("a 10 MB input round-trips, in one write and in pipeline-sized writes", "[gzip]") {
    const std::string big = big_input(10'000'000);
    SECTION("stream, one write") {
        RecordingWriter next;
        GzipWriter gz(next, GzipFraming::stream, 6);
        REQUIRE(gz.write(big).ok());
        REQUIRE(next.writes.size() == 1);
        REQUIRE(gz.finish().ok());
        CHECK(gunzip(next.all()) == big);
    }
    SECTION("members, 64 KiB writes") {
        RecordingWriter next;
        GzipWriter gz(next, GzipFraming::members, 1);
        const std::size_t piece = 64 * 1024;
        for (std::size_t at = 0; at < big.size(); at += piece)
            REQUIRE(gz.write(std::string_view(big).substr(at, piece)).ok());
        REQUIRE(gz.finish().ok());
        int members = 0;
        CHECK(gunzip(next.all(), &members) == big);
        CHECK(members == static_cast<int>((big.size() + piece - 1) / piece));
    }
}

TEST_CASE("a failing next writer is returned as is, and sticks", "[gzip]") {
    for (const WriteResult failure :
         {WriteResult{WriteStatus::failed, ENOSPC}, WriteResult{WriteStatus::broken_pipe, EPIPE},
          WriteResult{WriteStatus::interrupted, EINTR}}) {
        for (const GzipFraming framing : {GzipFraming::stream, GzipFraming::members}) {
            RecordingWriter next;
            next.fail_at = 2;
            next.failure = failure;
            GzipWriter gz(next, framing, 6);
            REQUIRE(gz.write("first").ok());
            const WriteResult r = gz.write("second");
            CHECK(r.status == failure.status);
            CHECK(r.error == failure.error);
            next.fail_at = 0;  // next would work again: gz must not try
            const WriteResult later = gz.write("third");
            CHECK(later.status == failure.status);
            CHECK(later.error == failure.error);
            CHECK(gz.finish().status == failure.status);
            CHECK(next.writes.size() == 1);
            CHECK(next.finishes == 0);
        }
    }
}

TEST_CASE("empty writes write nothing, finish writes one trailer, once", "[gzip]") {
    SECTION("stream") {
        RecordingWriter next;
        GzipWriter gz(next, GzipFraming::stream, 6);
        CHECK(gz.write("").ok());
        CHECK(next.writes.empty());
        REQUIRE(gz.write("abc").ok());
        CHECK(gz.write("").ok());
        CHECK(next.writes.size() == 1);
        REQUIRE(gz.finish().ok());
        REQUIRE(gz.finish().ok());
        CHECK(next.writes.size() == 2);
        CHECK(next.finishes == 1);
        CHECK(gunzip(next.all()) == "abc");
        const WriteResult after = gz.write("late");  // the trailer is out: a bug, not ignored
        CHECK(after.status == WriteStatus::failed);
        CHECK(after.error == EINVAL);
        CHECK(next.writes.size() == 2);
    }
    SECTION("members") {
        RecordingWriter next;
        GzipWriter gz(next, GzipFraming::members, 6);
        CHECK(gz.write("").ok());
        CHECK(next.writes.empty());
        REQUIRE(gz.write("abc").ok());
        REQUIRE(gz.finish().ok());
        REQUIRE(gz.finish().ok());
        CHECK(next.writes.size() == 1);
        CHECK(next.finishes == 1);
    }
}

TEST_CASE("no output at all is still a valid, empty gzip file", "[gzip]") {
    for (const GzipFraming framing : {GzipFraming::stream, GzipFraming::members}) {
        RecordingWriter next;
        GzipWriter gz(next, framing, 6);
        REQUIRE(gz.finish().ok());
        REQUIRE(next.writes.size() == 1);  // an empty file would not be gzip
        int members = 0;
        CHECK(gunzip(next.all(), &members).empty());
        CHECK(members == 1);
    }
}
