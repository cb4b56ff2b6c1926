// End to end: --throttle and --coalesce against the fake server over loopback — timing with wide
// margins, byte-identical output, bounded memory behind a flood, signals while text is held.
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "e2e.hpp"

using namespace e2e;

TEST_CASE("flag --throttle 50: 100 fast deltas take about 2 s, byte for byte the same",
          "[e2e][shaping]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"repeat_events":100}})"));
    auto plain = run(&server, {"-a", kAgentId, "hi"});
    REQUIRE(plain.exit_code == 0);
    auto slow = run(&server, {"--throttle", "50", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(slow));
    CHECK(slow.exit_code == 0);
    CHECK(slow.out == plain.out);
    CHECK(slow.elapsed_ms > 1800);
    CHECK(slow.elapsed_ms < 6000);
    CHECK(slow.out_chunks.size() > 50);  // released over time, not in one block
}

TEST_CASE("flag --throttle Nc/s types the reply out character by character", "[e2e][shaping]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"text":"Привет, мир! 🚀"}})"));
    auto r = run(&server, {"--throttle", "30c/s", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "Привет, мир! 🚀\n");
    CHECK(r.elapsed_ms > 350);  // 14 characters at 30/s
    CHECK(r.out_chunks.size() >= 8);
}

TEST_CASE("a flood behind --throttle: bounded memory, SIGINT writes what was held",
          "[e2e][shaping]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"repeat_events":1000000}})"));
    auto r = run(&server, {"--throttle", "1000", "-a", kAgentId, "hi"},
                 {.signal = SIGINT, .signal_after_ms = 2000});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 130);
    CHECK(r.elapsed_ms < 6000);
    // About 2,000 deltas were released at the rate; the held backlog (up to 1 MiB) follows at once.
    CHECK(r.out.size() > 1000 * 5);
    CHECK(r.max_rss_kb > 0);
    CHECK(r.max_rss_kb < 64 * 1024);  // the 360 MB stream was not buffered
}

TEST_CASE("flag --coalesce on a slow stream: text still appears within the time bound",
          "[e2e][shaping]") {
    // 40 tokens at 20/s: 2 s of streaming; a huge threshold, so only the 150 ms bound lets text
    // out.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":40},"rate":20})"));
    auto r = run(&server, {"--coalesce", "1M", "--coalesce-ms", "150", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    REQUIRE(r.out_chunks.size() >= 6);
    CHECK(r.out_chunks.size() <= 16);  // batches of ~3 tokens, not one write per token
    CHECK(r.out_chunks.back().t_ms - r.out_chunks.front().t_ms > 1200);  // while it streamed
}

namespace {

// Inflates gzip data (one stream or several members) with zlib; `complete` says whether the
// last stream ended with its trailer.
std::string gunzip(const std::string& in, bool* complete = nullptr) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out;
    char buf[65536];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (z.avail_in > 0) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_SYNC_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
        if (rc == Z_STREAM_END && z.avail_in > 0) {
            REQUIRE(inflateReset(&z) == Z_OK);  // the next member
        } else if (rc != Z_OK && rc != Z_STREAM_END) {
            break;
        }
    }
    if (complete != nullptr) *complete = rc == Z_STREAM_END;
    inflateEnd(&z);
    return out;
}

}  // namespace

TEST_CASE("flag --gzip: decodes to the plain output, text and -j, both framings",
          "[e2e][shaping]") {
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":60,"reasoning":"hmm"}})"));
    for (const char* json : {"", "-j"}) {
        std::vector<std::string> base = {"-a", kAgentId, "hi"};
        if (*json) base.insert(base.begin(), json);
        auto plain = run(&server, base);
        REQUIRE(plain.exit_code == 0);
        for (const auto& extra :
             {std::vector<std::string>{"--gzip"}, std::vector<std::string>{"--gzip=members"},
              std::vector<std::string>{"--gzip", "--coalesce", "64"},
              std::vector<std::string>{"--gzip=members", "--coalesce", "64", "--gzip-level", "9"},
              std::vector<std::string>{"--gzip-level", "1"}}) {
            std::vector<std::string> args = extra;
            args.insert(args.end(), base.begin(), base.end());
            auto r = run(&server, args);
            INFO(json << " " << extra[0] << " " << ls_test::describe(r));
            CHECK(r.exit_code == 0);
            bool complete = false;
            const std::string text = gunzip(r.out, &complete);
            CHECK(complete);
            if (*json) {  // t_ms and ids differ between runs: compare the content
                CHECK(text.find(R"("type":"done")") != std::string::npos);
                CHECK(std::count(text.begin(), text.end(), '\n') >= 3);
            } else {
                CHECK(text == plain.out);
            }
        }
    }
}

TEST_CASE("flag --gzip: the first chunk decodes while the server still holds the rest back",
          "[e2e][shaping]") {
    // 20 tokens at 10/s: 2 s; the first chunks are on the pipe long before the end.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":20},"rate":10})"));
    auto r = run(&server, {"--gzip", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    REQUIRE(r.out_chunks.size() >= 5);
    CHECK(r.out_chunks.back().t_ms - r.out_chunks.front().t_ms > 1000);
    // What had arrived by the first read already inflates to text (sync flush, no trailer yet).
    bool complete = true;
    const std::string first = gunzip(r.out_chunks.front().bytes, &complete);
    CHECK_FALSE(complete);
    CHECK_FALSE(first.empty());
    CHECK(r.out.size() > r.out_chunks.front().bytes.size());
    CHECK(gunzip(r.out).rfind(first, 0) == 0);
}

TEST_CASE("flag --gzip: the trailer is there after SIGINT and after a server error, gzip -t agrees",
          "[e2e][shaping]") {
    ls_test::FakeServer slow(scenario(R"({"generate":{"tokens":200},"rate":50})"));
    auto interrupted =
        run(&slow, {"--gzip", "-a", kAgentId, "hi"}, {.signal = SIGINT, .signal_after_ms = 700});
    CHECK(interrupted.exit_code == 130);
    bool complete = false;
    CHECK_FALSE(gunzip(interrupted.out, &complete).empty());
    CHECK(complete);

    ls_test::FakeServer broken(scenario(R"({"status":500,"body":""})"));
    auto failed = run(&broken, {"--gzip", "-j", "-a", kAgentId, "hi"});
    CHECK(failed.exit_code == 8);
    CHECK(contains(gunzip(failed.out, &complete), R"("type":"done")"));
    CHECK(complete);

    const std::string path = "/tmp/letta-stream-e2e.txt.gz";
    auto to_file = run(&slow, {"--gzip", "-a", kAgentId, "hi"},
                       {.stdout_path = path, .signal = SIGTERM, .signal_after_ms = 500});
    CHECK(to_file.exit_code == 143);
    ls_test::ProcessSpec check;
    check.argv = {"gzip", "-t", path};
    CHECK(ls_test::run_process(check).exit_code == 0);
    std::remove(path.c_str());
}
