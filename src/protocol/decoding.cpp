#include "protocol/decoder.hpp"

#include <string>

#include "util/utf8.hpp"

namespace letta_stream::protocol {

bool Decoding::on_event(const sse::Event& event) {
    if (trace_) {
        constexpr std::size_t kMaxTrace = 2048;
        line_.assign("event=").append(event.type).append(" data=");
        line_.append(util::utf8_drop_partial_tail(event.data.substr(0, kMaxTrace)));
        if (event.data.size() > kMaxTrace)
            line_.append("... (" + std::to_string(event.data.size()) + " bytes)");
        trace_(line_);
    }
    if (decoder_.on_sse_event(event, watch_) == DecodeStatus::malformed) {
        stream::Event skipped;
        skipped.kind = stream::Kind::malformed;
        skipped.text = decoder_.last_error();
        next_.on_event(skipped);
    }
    return !watch_.done;  // nothing after [DONE] is read
}

void Decoding::on_retry(std::uint64_t milliseconds) {
    if (trace_) trace_("retry=" + std::to_string(milliseconds));
    decoder_.on_sse_retry(milliseconds, watch_);
}

}  // namespace letta_stream::protocol
