// TurnHarness — a session::Turn wired to in-memory output (a ManualClock, a string writer, the
// text or JSON-lines formatter), driven the way transport::Http drives it: on_head, then per
// network read on_data and, while it says proceed, on_idle; finish() ends turn and output.
// Used by the Turn and replay unit tests and by the fuzz target (header-only, no Catch2).
#pragma once

#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output/formatter.hpp"
#include "output/jsonl.hpp"
#include "output/pipeline.hpp"
#include "session/turn.hpp"
#include "util/clock.hpp"
#include "util/diag.hpp"
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
    letta_stream::util::Diag diag{-1};  // a closed fd: warnings go nowhere
    StringWriter writer;
    letta_stream::output::TextFormatter text{true};
    letta_stream::output::JsonlFormatter jsonl{clock, 0};
    letta_stream::output::Pipeline pipeline;
    volatile std::sig_atomic_t signal = 0;
    letta_stream::session::TurnConfig config;
    std::unique_ptr<letta_stream::session::Turn> turn;

    explicit TurnHarness(std::size_t max_event = 1u << 20, Format format = Format::text)
        : pipeline(format == Format::jsonl ? static_cast<letta_stream::output::Formatter&>(jsonl)
                                           : static_cast<letta_stream::output::Formatter&>(text),
                   writer) {
        config.clock = &clock;
        config.signal = &signal;
        config.max_event_size = max_event;
        turn = std::make_unique<letta_stream::session::Turn>(config, pipeline, diag);
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
        auto c = turn->on_data(bytes);
        if (c == letta_stream::transport::Control::proceed) c = turn->on_idle();
        return c;
    }

    // The transfer is over: how the turn ended, with the output closed accordingly.
    letta_stream::session::Outcome finish(
        letta_stream::transport::Failure failure = letta_stream::transport::Failure::none) {
        letta_stream::transport::Result r;
        r.got_head = true;
        r.failure = failure;
        auto o = turn->finish(r);
        const auto& st = turn->state();
        letta_stream::output::Ending ending;
        ending.exit_status = letta_stream::to_int(o.status);
        ending.exit_name = letta_stream::to_string(o.status);
        ending.stop_reason = st.stop_reason;
        ending.message = o.message;
        ending.run_id = st.run_id;
        pipeline.finish(ending);
        return o;
    }
};

}  // namespace ls_test
