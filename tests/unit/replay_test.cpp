// Every recorded stream replayed through the whole in-process pipeline (SSE parser → Letta decoder
// → session::Turn → text formatter → writer), whole, byte by byte, in 7-byte pieces and at every
// two-way split point. All runs must give identical stdout bytes and exit status, and both must
// match the oracle table of tests/fixtures/letta/README.md.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/fixture_oracle.hpp"
#include "support/turn_harness.hpp"

using namespace letta_stream;

namespace {

std::string read_fixture(const std::string& name) {
    std::ifstream in(std::string(LS_FIXTURES_DIR) + "/letta/" + name, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Run {
    std::string out;
    int status = -1;
    std::string message;
    int writes = 0;
};

// Feeds `body` in the given pieces, one simulated network read per piece.
Run replay(const std::string& body, const std::vector<std::size_t>& cuts) {
    ls_test::TurnHarness h;
    h.head(200, "text/event-stream; charset=utf-8");
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : body.size();
        const auto c = h.data(std::string_view(body).substr(start, end - start));
        start = end;
        if (c != transport::Control::proceed) break;
    }
    const auto outcome = h.finish();
    return {h.writer.bytes, to_int(outcome.status), outcome.message, h.writer.calls};
}

std::vector<std::size_t> every(std::size_t step, std::size_t size) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = step; i < size; i += step)
        cuts.push_back(i);
    return cuts;
}

}  // namespace

TEST_CASE("every fixture matches the oracle at every split point", "[replay]") {
    for (const auto& o : ls_test::kFixtureOracle) {
        INFO(o.file);
        const std::string body = read_fixture(o.file);
        const Run whole = replay(body, {});
        const std::string expected = *o.text ? std::string(o.text) + "\n" : "";
        CHECK(whole.out == expected);
        CHECK(whole.status == o.status);

        const Run bytewise = replay(body, every(1, body.size()));
        CHECK(bytewise.out == whole.out);
        CHECK(bytewise.status == whole.status);
        CHECK(bytewise.message == whole.message);
        const Run sevens = replay(body, every(7, body.size()));
        CHECK(sevens.out == whole.out);
        CHECK(sevens.status == whole.status);
        for (std::size_t k = 1; k < body.size(); ++k) {
            const Run split = replay(body, {k});
            if (split.out != whole.out || split.status != whole.status) {
                INFO("split at " << k);
                CHECK(split.out == whole.out);
                CHECK(split.status == whole.status);
                break;
            }
        }
    }
}

TEST_CASE("one write per network read, however many tokens it carries", "[replay]") {
    const std::string body = read_fixture("synth_foreground_token_stream.sse");
    const Run whole = replay(body, {});
    CHECK(whole.writes == 2);  // the reply, then the final newline at the end
    const Run bytewise = replay(body, every(1, body.size()));
    CHECK(bytewise.writes == 9 + 1);  // one per assistant delta + the final newline
}

TEST_CASE("error messages name the cause and the run", "[replay]") {
    const Run midstream = replay(read_fixture("synth_foreground_error_midstream.sse"), {});
    CHECK(
        midstream.message ==
        "the agent run failed: An error occurred during agent execution. (internal_error: "
        "Connection error during OpenAI streaming) [run run-6f1c2a3e-8b4d-4e5f-9a0b-1c2d3e4f5a6b]");
    const Run dropped = replay(read_fixture("docs_background_stream_example.sse"), {});
    CHECK(dropped.message.find("the stream ended before the run finished") == 0);
    CHECK(dropped.message.find("run-123") != std::string::npos);
    const Run sdk = replay(read_fixture("sdk_test_error_event.sse"), {});
    CHECK(sdk.message.find("Overloaded") != std::string::npos);
}
