// TurnHarness — the turn's event chain (app::Chain: SSE parser → Letta decoder → tool-call
// assembly → tracker, notices, stdout pipeline) wired to in-memory output (a ManualClock, a
// string writer, the text or JSON-lines formatter), with its session::Exchange driven the way
// transport::CurlTransport drives it: on_head, then per network read on_data and, while it says
// proceed, on_idle (after which a cancelled token stops the transfer); finish() ends the
// transfer, decides the outcome with session::to_outcome and closes the output as app/ does.
// Used by the Turn and replay unit tests and by the fuzz target (header-only, no Catch2).
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/chain.hpp"
#include "output/formatter.hpp"
#include "output/jsonl.hpp"
#include "output/notices.hpp"
#include "output/pipeline.hpp"
#include "output/stderr.hpp"
#include "protocol/letta_decoder.hpp"
#include "session/exchange.hpp"
#include "session/outcome.hpp"
#include "util/clock.hpp"
#include "util/exit_status.hpp"

namespace ls_test {

struct StringWriter final : letta_stream::output::Writer {
    std::string bytes;
    int calls = 0;
    letta_stream::output::WriteResult fail;  // when not ok, every write fails with it
    letta_stream::output::WriteResult write(std::string_view b) override {
        ++calls;
        if (!fail.ok()) return fail;
        bytes.append(b);
        return {};
    }
};

enum class Format { text, jsonl };

struct TurnHarness {
    letta_stream::util::ManualClock clock;
    letta_stream::output::Stderr err{-1};  // a closed fd: warnings go nowhere
    StringWriter writer;
    letta_stream::output::TextFormatter text{true};
    letta_stream::output::JsonlFormatter jsonl{clock, 0};
    letta_stream::output::Pipeline pipeline;
    letta_stream::output::Notices notices{err};
    letta_stream::protocol::LettaDecoder decoder;
    letta_stream::app::Chain chain;
    volatile std::sig_atomic_t signal = 0;
    letta_stream::transport::CancelToken cancel{&signal};
    std::unique_ptr<letta_stream::session::Exchange> turn;
    std::uint64_t body_bytes = 0;

    explicit TurnHarness(std::size_t max_event = 1u << 20, Format format = Format::text)
        : pipeline(format == Format::jsonl ? static_cast<letta_stream::output::Formatter&>(jsonl)
                                           : static_cast<letta_stream::output::Formatter&>(text),
                   writer),
          chain(decoder, max_event, clock) {
        chain.add(&notices);
        chain.add(&pipeline);
        letta_stream::session::ExchangeConfig config;
        config.clock = &clock;
        config.output = &pipeline;
        config.cancel = &cancel;
        turn = std::make_unique<letta_stream::session::Exchange>(chain.exchange(config));
    }

    letta_stream::transport::Control head(
        long status, const std::string& type,
        const std::vector<letta_stream::transport::Header>& extra = {}) {
        letta_stream::transport::ResponseHead h;
        h.status = status;
        if (!type.empty()) h.headers.push_back({"Content-Type", type});
        for (const auto& e : extra)
            h.headers.push_back(e);
        return turn->on_head(h);
    }

    // One network read.
    letta_stream::transport::Control data(std::string_view bytes) {
        body_bytes += bytes.size();
        auto c = turn->on_data(bytes);
        if (c == letta_stream::transport::Control::proceed) c = turn->on_idle();
        if (c == letta_stream::transport::Control::proceed && cancel.cancelled())
            c = letta_stream::transport::Control::abort;  // the transport stops the transfer
        return c;
    }

    // The transfer is over: how the turn ended, with the output closed accordingly.
    letta_stream::session::Outcome finish(
        letta_stream::transport::Failure failure = letta_stream::transport::Failure::none) {
        letta_stream::transport::Result r;
        r.got_head = true;
        r.body_bytes = body_bytes;
        r.failure = cancel.cancelled() ? letta_stream::transport::Failure::cancelled : failure;
        turn->on_done(r);
        const auto& st = chain.attempt();
        auto o = letta_stream::session::to_outcome(st, "sending the message", "");
        chain.input().on_end();
        if (st.write.ok()) {
            letta_stream::output::Ending ending;
            ending.exit_status = letta_stream::to_int(o.status);
            ending.exit_name = letta_stream::to_string(o.status);
            ending.stop_reason = st.stop_reason;
            ending.message = o.message;
            ending.run_id = st.run_id;
            pipeline.finish(ending);
        }
        return o;
    }
};

}  // namespace ls_test
