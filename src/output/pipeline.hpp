// output::Pipeline — a sink of the event chain: formatter → writer, and the flush policy. Every
// network read ends with on_flush(), which writes what the read produced in one write(2): every
// byte that has arrived is out before the tool waits on the network again. When the server is
// faster than a read ends (libcurl drains a readable socket with many reads), the pipeline also
// writes as soon as kFlushThreshold bytes are pending: it bounds memory (JSON lines are ~20× the
// text) and the latency of the first byte. A write failure is sticky: later flushes do nothing.
#pragma once

#include "output/formatter.hpp"
#include "output/writer.hpp"

namespace letta_stream::output {

class Pipeline final : public stream::Sink {
  public:
    static constexpr std::size_t kFlushThreshold = 64 * 1024;

    Pipeline(Formatter& formatter, Writer& writer) : formatter_(formatter), writer_(writer) {}

    Formatter& formatter() noexcept { return formatter_; }

    void on_event(const stream::Event& event) override {
        formatter_.on_event(event);
        if (formatter_.pending().size() >= kFlushThreshold) flush();
    }
    void on_flush() override { flush(); }

    WriteResult flush() {
        std::string& buf = formatter_.pending();
        if (buf.empty() || !status_.ok()) {
            buf.clear();
            return status_;
        }
        status_ = writer_.write(buf);
        buf.clear();  // keeps capacity: no allocation per read in steady state
        return status_;
    }

    // Ends the output: the formatter's closing bytes, a flush, then the writer's own finish.
    WriteResult finish(const Ending& ending) {
        formatter_.finish(ending);
        flush();
        if (status_.ok()) status_ = writer_.finish();
        return status_;
    }

    const WriteResult& status() const noexcept { return status_; }

  private:
    Formatter& formatter_;
    Writer& writer_;
    WriteResult status_;
};

}  // namespace letta_stream::output
