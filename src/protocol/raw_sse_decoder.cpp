#include "protocol/raw_sse_decoder.hpp"

#include <cstdint>
#include <limits>

#include "util/utf8.hpp"

namespace letta_stream::protocol {

namespace {

// Length of the invalid bytes at s[i] that the WHATWG "UTF-8 decode" turns into ONE U+FFFD (given
// that no valid sequence starts there): a lead byte with the continuation bytes that were still
// acceptable after it (a sequence cut short), or a single byte. util::append_utf8_lossy writes one
// U+FFFD per byte instead, so "\xE2\x82" would print two where browsers print one.
std::size_t maximal_subpart(std::string_view s, std::size_t i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    }
    std::size_t n = 1;
    while (n <= need && i + n < s.size()) {
        const auto b = static_cast<unsigned char>(s[i + n]);
        if (b < lo || b > hi) break;
        lo = 0x80, hi = 0xBF;
        ++n;
    }
    return n;
}

// `s` as valid UTF-8: itself when it already is (the common case, no copy), else a copy in
// `scratch` with each maximal subpart of an invalid sequence replaced by U+FFFD.
std::string_view repaired(std::string_view s, std::string& scratch) {
    if (util::is_valid_utf8(s)) return s;
    scratch.clear();
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        if (const std::size_t n = util::utf8_sequence_length(s, i); n != 0) {
            i += n;
            continue;
        }
        scratch.append(s.data() + run, i - run).append("\xEF\xBF\xBD");
        i += maximal_subpart(s, i);
        run = i;
    }
    scratch.append(s.data() + run, s.size() - run);
    return scratch;
}

}  // namespace

DecodeStatus RawSseDecoder::on_sse_event(const sse::Event& event, stream::Sink& sink) {
    stream::Event ev;
    ev.kind = stream::Kind::sse;
    ev.name = repaired(event.type, type_);
    ev.text = repaired(event.data, data_);
    ev.last_event_id = repaired(event.id, id_);
    sink.on_event(ev);
    return DecodeStatus::ok;
}

void RawSseDecoder::on_sse_retry(std::uint64_t ms, stream::Sink& sink) {
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    stream::Event ev;
    ev.kind = stream::Kind::sse_retry;
    ev.retry_ms = static_cast<std::int64_t>(ms < max ? ms : max);
    sink.on_event(ev);
}

}  // namespace letta_stream::protocol
