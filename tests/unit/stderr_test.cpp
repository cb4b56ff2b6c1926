// output::Stderr — the one owner of fd 2: diagnostics never land inside narration or the
// progress line, and on a terminal shared with stdout, stderr starts on a fresh line.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "output/stderr.hpp"
#include "output/writer.hpp"
#include "support/pipe.hpp"

using namespace letta_stream;

namespace {

using ls_test::Pipe;

struct Sink final : output::Writer {
    output::WriteResult write(std::string_view) override { return {}; }
};

}  // namespace

TEST_CASE("a warning ends an open narration line first", "[stderr]") {
    Pipe p;
    output::Stderr err(p.fds[1]);
    err.narrate("reasoning: The user");
    err.warning("skipped a malformed stream event: x");
    err.narrate(" asks");
    CHECK(p.drain() ==
          "reasoning: The user\nletta-stream: warning: skipped a malformed stream event: x\n"
          " asks");
}

TEST_CASE("the progress line is erased before anything else", "[stderr]") {
    Pipe p;
    output::Stderr err(p.fds[1]);
    err.draw_progress("waiting 0.3 s");
    err.error("boom", "try again");
    CHECK(p.drain() ==
          "\r\x1b[2Kwaiting 0.3 s\r\x1b[2Kletta-stream: error: boom\nletta-stream: hint: try "
          "again\n");
    err.draw_progress("waiting 0.4 s");
    err.narrate("tool: x()\n");
    CHECK(p.drain() == "\r\x1b[2Kwaiting 0.4 s\r\x1b[2Ktool: x()\n");
}

TEST_CASE("sharing a terminal with stdout: narration starts on a fresh line", "[stderr]") {
    Pipe p;
    Sink sink;
    output::CountingWriter out(sink);
    output::Stderr err(p.fds[1]);
    err.share_terminal_with(&out);
    err.narrate("reasoning: a\n");  // stdout is at a line start: nothing added
    CHECK(p.drain() == "reasoning: a\n");
    REQUIRE(out.write("Hello").ok());
    err.narrate("reasoning: b");
    err.narrate(" c\n");  // the same narration line: no second break
    CHECK(p.drain() == "\nreasoning: b c\n");
    err.warning("w");  // stdout wrote nothing since: no second break
    CHECK(p.drain() == "letta-stream: warning: w\n");
    REQUIRE(out.write(" world\n").ok());
    err.warning("v");
    CHECK(p.drain() == "letta-stream: warning: v\n");
}

TEST_CASE("diagnostics are one line without control characters", "[stderr]") {
    Pipe p;
    output::Stderr err(p.fds[1]);
    err.error("bad\x1b[2J\nline\r", {});
    CHECK(p.drain() == "letta-stream: error: bad?[2J line \n");
}

TEST_CASE("diagnostics turn C1 controls (an 8-bit CSI) into '?' too", "[stderr]") {
    Pipe p;
    output::Stderr err(p.fds[1]);
    err.error("bad\xC2\x9B" "2J é", "hint\xC2\x9D" "0;t\x07");
    CHECK(p.drain() == "letta-stream: error: bad?2J é\nletta-stream: hint: hint?0;t?\n");
}
