// output::Pipeline — formatter → writer. flush() is called once per network read (and at the
// end), so every byte that has arrived is written before the tool waits on the network again,
// with one write(2) per read. A write failure is sticky: later flushes do nothing.
#pragma once

#include "output/formatter.hpp"
#include "output/writer.hpp"

namespace letta_stream::output {

class Pipeline {
  public:
    Pipeline(Formatter& formatter, Writer& writer) : formatter_(formatter), writer_(writer) {}

    stream::Sink& sink() noexcept { return formatter_; }
    Formatter& formatter() noexcept { return formatter_; }

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
