// End to end: --record against the fake server, then --replay of what was recorded (and of files
// written by hand): the same stdout and -j lines, every dialect, the recorded timing at
// --replay-speed, HTTP errors with their live exit statuses, resumes, metrics, gzip and throttle,
// signals, and the files that cannot be read or written.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "e2e.hpp"
#include "support/http_client.hpp"

using namespace e2e;

namespace {

// A directory of its own for one test case, removed afterwards.
class Scratch {
  public:
    Scratch() {
        char tmpl[] = "/tmp/ls-replay-e2e-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir_ = tmpl;
    }
    ~Scratch() { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path(name), std::ios::binary) << text;
        return path(name);
    }

  private:
    std::string dir_;
};

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// -j output without what differs between two runs of the same stream: the times, and the
// start line's otid (the client's id for the turn, new on every invocation).
std::string without_times(const std::string& jsonl) {
    static const std::regex t_ms(R"(,"t_ms":[-0-9.eE+]+)");
    static const std::regex otid(R"("otid":"[0-9a-f-]{36}")");
    std::string s = std::regex_replace(jsonl, t_ms, "");
    const auto nl = s.find('\n');
    return std::regex_replace(s.substr(0, nl), otid, R"("otid":"-")") +
           (nl == std::string::npos ? "" : s.substr(nl));
}

std::string examples_dir() {
    return std::string(LS_FIXTURES_DIR) + "/../../examples";
}

constexpr const char* kReply = "Hello, wörld! 日本語 and 🚀, then plain text to the end.";

}  // namespace

TEST_CASE("flag --record, then --replay: the same stdout, the same -j lines apart from times",
          "[e2e][replay]") {
    Scratch dir;
    // Reads cut every 7 bytes (inside lines, characters and "\r\n"), CR LF line ends.
    for (const std::string shape : {R"("split":{"bytes":7},"line_endings":"crlf")",
                                    R"("split":{"bytes":5},"line_endings":"cr","gzip":true)",
                                    R"("rate":40)"}) {
        INFO(shape);
        ls_test::FakeServer server(scenario(R"({"generate":{"text":)" + json_string(kReply) +
                                            R"(,"reasoning":"Let me think."},)" + shape + "}"));
        const std::string text_file = dir.path("text.sse"), json_file = dir.path("json.sse");
        const auto live = run(&server, {"--record", text_file, "-a", "calc", "hi"});
        INFO(ls_test::describe(live));
        REQUIRE(live.exit_code == 0);
        const auto live_j = run(&server, {"-j", "--record", json_file, "-a", kAgentId, "hi"});
        REQUIRE(live_j.exit_code == 0);

        const std::string recording = read(text_file);
        CHECK(recording.starts_with(": letta-stream recording 1\n: status=200\n"));
        CHECK(contains(recording, "\n: t="));
        CHECK(contains(recording, ": end t="));
        CHECK_FALSE(contains(recording, kKey));  // the request is not recorded, nor its key
        CHECK_FALSE(contains(read(json_file), kKey));

        // No server, no key, no base URL: the replay needs none of them.
        const auto replay = run(nullptr, {"--replay", text_file}, {.with_key = false});
        INFO(ls_test::describe(replay));
        CHECK(replay.exit_code == 0);
        CHECK(replay.out == live.out);
        CHECK(replay.out == std::string(kReply) + "\n");
        // The live command line with --replay added: the agent name is not looked up.
        const auto named =
            run(nullptr, {"--replay", text_file, "-a", "calc", "hi"}, {.with_key = false});
        CHECK(named.exit_code == 0);
        CHECK(named.out == live.out);
        const auto replay_j =
            run(nullptr, {"-j", "--replay", json_file, "-a", kAgentId, "hi"}, {.with_key = false});
        INFO(ls_test::describe(replay_j));
        CHECK(replay_j.exit_code == 0);
        CHECK(without_times(replay_j.out) == without_times(live_j.out));
    }
}

TEST_CASE("flag --replay-speed: 1 takes about as long as the recording, 0 much less",
          "[e2e][replay]") {
    Scratch dir;
    const std::string file = dir.path("slow.sse");
    // 24 tokens at 24/s: about a second.
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":24},"rate":24})"));
    const auto live = run(&server, {"--record", file, "-a", kAgentId, "hi"});
    REQUIRE(live.exit_code == 0);
    const double recorded = live.elapsed_ms;
    REQUIRE(recorded > 700);

    const auto real_time = run(nullptr, {"--replay", file, "--replay-speed", "1"});
    INFO(ls_test::describe(real_time) << "\nrecorded in " << recorded << " ms");
    CHECK(real_time.exit_code == 0);
    CHECK(real_time.out == live.out);
    CHECK(real_time.elapsed_ms > 0.7 * recorded);
    CHECK(real_time.elapsed_ms < 2 * recorded);
    CHECK(real_time.out_chunks.size() > 10);  // it streamed, as it did live

    const auto fast = run(nullptr, {"--replay", file});
    INFO(ls_test::describe(fast));
    CHECK(fast.exit_code == 0);
    CHECK(fast.out == live.out);
    CHECK(fast.elapsed_ms < recorded / 3);

    const auto twice = run(nullptr, {"--replay", file, "--replay-speed", "2"});
    CHECK(twice.out == live.out);
    CHECK(twice.elapsed_ms > 0.35 * recorded);
    CHECK(twice.elapsed_ms < 0.9 * recorded);
}

TEST_CASE("flag --replay: every dialect", "[e2e][replay]") {
    Scratch dir;
    SECTION("openai, recorded") {
        ls_test::FakeServer server(
            scenario(R"({"openai":{"text":"Hello wörld 🚀, done.","usage":true},"split":{"bytes":9}})"));
        const std::string file = dir.path("openai.sse");
        const auto live = run(&server, {"--record", file, "--api", "openai", "-a", "fakebot", "hi"});
        REQUIRE(live.exit_code == 0);
        const auto replay = run(nullptr, {"--api", "openai", "--replay", file});
        INFO(ls_test::describe(replay));
        CHECK(replay.exit_code == 0);
        CHECK(replay.out == live.out);
        CHECK(replay.out == "Hello wörld 🚀, done.\n");
    }
    SECTION("simple, written by hand") {
        const std::string file = dir.write(
            "simple.sse",
            "data: {\"type\":\"content\",\"content\":\"Hi from \"}\n\n"
            "data: {\"type\":\"content\",\"content\":\"the proxy\"}\n\ndata: {\"type\":\"done\"}\n\n");
        const auto r = run(nullptr, {"--api", "simple", "--replay", file});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "Hi from the proxy\n");
    }
    SECTION("sse, written by hand, with CR line ends") {
        const std::string file =
            dir.write("raw.sse", "event: a\rdata: one\r\r: a comment\rdata: two\r\r");
        const auto r = run(nullptr, {"--api", "sse", "--replay", file, "-j"});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, R"("one")"));
        CHECK(contains(r.out, R"("two")"));
        CHECK(contains(r.out, R"("endpoint":"sse")"));
    }
    SECTION("letta, written by hand") {
        const std::string file = dir.write(
            "letta.sse",
            "data: {\"message_type\":\"assistant_message\",\"content\":\"By hand\"}\n\n"
            "data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n"
            "data: [DONE]\n\n");
        const auto r = run(nullptr, {"--replay", file});
        INFO(ls_test::describe(r));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "By hand\n");
    }
}

TEST_CASE("flag --replay: a recorded 429 or 500 ends as it did live", "[e2e][replay]") {
    Scratch dir;
    struct Case {
        const char* response;
        int status;
    };
    for (const Case& c :
         {Case{R"({"status":429,"body_json":{"error":"Rate limited","reasons":["exceeded-quota"]}})",
               5},
          Case{R"({"status":500,"body_json":{"detail":"boom"}})", 8}}) {
        ls_test::FakeServer server(scenario(c.response));
        const std::string file = dir.path("error.sse");
        const auto live = run(&server, {"--retries", "0", "--record", file, "-a", kAgentId, "hi"});
        INFO(c.response << "\n" << ls_test::describe(live) << "\nrecording:\n" << read(file));
        CHECK(live.exit_code == c.status);
        const auto replay = run(nullptr, {"--replay", file});
        INFO(ls_test::describe(replay));
        CHECK(replay.exit_code == c.status);
        CHECK(contains(replay.err, "HTTP " + std::to_string(c.status == 5 ? 429 : 500)));
        CHECK_FALSE(contains(replay.err, "retrying"));
    }
    // Written by hand: the header lines, then the body.
    const std::string file = dir.write(
        "busy.sse", ": status=503\n: content-type=application/json\n{\"detail\":\"busy\"}\n");
    const auto r = run(nullptr, {"--replay", file, "--retries", "3"});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 8);  // no retries in a replay: the one response is the answer
    CHECK(contains(r.err, "busy"));
}

TEST_CASE("flag --record: a dropped stream and its resume, the replay takes both in turn",
          "[e2e][replay]") {
    Scratch dir;
    const std::string file = dir.path("resumed.sse");
    ls_test::FakeServer server(scenario(
        R"({"generate":{"text":)" + json_string(kReply) +
        R"(,"tokens":8,"run_id":"run-cut","background":true},"coalesce":false,"close_after_bytes":1400})"));
    const auto live = run(&server, {"--record", file, "-a", kAgentId, "hi"});
    INFO(ls_test::describe(live));
    REQUIRE(live.exit_code == 0);
    REQUIRE(live.out == std::string(kReply) + "\n");
    const std::string recording = read(file);
    INFO(recording);
    CHECK(contains(recording, "failure=dropped"));
    CHECK(contains(recording, "\n: response=2 status=200\n"));

    const auto replay = run(nullptr, {"--replay", file});
    INFO(ls_test::describe(replay));
    CHECK(replay.exit_code == 0);
    CHECK(replay.out == live.out);  // what the resume repeated was dropped again
}

TEST_CASE("flag --replay: examples/hello.sse and examples/openai.sse", "[e2e][replay]") {
    const auto r = run(nullptr, {"--replay", examples_dir() + "/hello.sse"}, {.with_key = false});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Hello"));
    CHECK(r.err.empty());
    const auto o = run(nullptr, {"--api", "openai", "--replay", examples_dir() + "/openai.sse"},
                       {.with_key = false});
    INFO(ls_test::describe(o));
    CHECK(o.exit_code == 0);
    CHECK(contains(o.out, "Hello"));
}

TEST_CASE("flag --replay with -m, --metrics-file, --gzip and --throttle", "[e2e][replay]") {
    Scratch dir;
    const std::string file = dir.path("tokens.sse");
    ls_test::FakeServer server(scenario(R"({"generate":{"tokens":20,"text":)" +
                                        json_string(kReply) + R"(},"rate":100})"));
    const auto live = run(&server, {"--record", file, "-a", kAgentId, "hi"});
    REQUIRE(live.exit_code == 0);

    const auto m = run(nullptr, {"--replay", file, "-m", "--metrics-file", dir.path("m.json")});
    INFO(ls_test::describe(m));
    CHECK(m.exit_code == 0);
    CHECK(m.out == live.out);
    CHECK(contains(m.err, "letta-stream metrics"));
    CHECK(contains(m.err, "20 content"));
    CHECK(contains(read(dir.path("m.json")), R"("exit_status":0)"));

    const auto gz = run(nullptr, {"--replay", file, "--gzip"});
    CHECK(gz.exit_code == 0);
    bool ok = false;
    CHECK(ls_test::gunzip(gz.out, &ok) == live.out);
    CHECK(ok);

    // 20 deltas at 20/s: the throttle paces what the file holds all at once.
    const auto slow = run(nullptr, {"--replay", file, "--throttle", "20"});
    INFO(ls_test::describe(slow));
    CHECK(slow.exit_code == 0);
    CHECK(slow.out == live.out);
    CHECK(slow.elapsed_ms > 600);
    CHECK(slow.out_chunks.size() > 5);
}

TEST_CASE("flag --replay: a file that is not SSE ends as the same bytes from a server would",
          "[e2e][replay]") {
    Scratch dir;
    for (const std::string& body : {std::string(R"({"detail":"not a stream"})"),
                                   std::string("\xff\x01garbage\xfe\r\n\x00\x80", 14),
                                   std::string("data: {\"message_type\":\"assistant_message\"")}) {
        std::string tail;  // the fake server's raw_tail: one byte per code point up to U+00FF
        for (const unsigned char c : body) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", c);
            tail += esc;
        }
        ls_test::FakeServer server(scenario(R"({"body":"","raw_tail":")" + tail + "\"}"));
        const auto live = run(&server, {"--retries", "0", "-a", kAgentId, "hi"});
        const std::string file = dir.write("odd.sse", body);
        const auto replay = run(nullptr, {"--replay", file});
        INFO(ls_test::describe(live) << "\n" << ls_test::describe(replay));
        CHECK_FALSE(replay.timed_out);
        CHECK(replay.exit_code == live.exit_code);
        CHECK(replay.out == live.out);
    }
}

TEST_CASE("flag --replay: SIGINT during a slow replay ends it at once with 130", "[e2e][replay]") {
    Scratch dir;
    const std::string file = dir.write(
        "slow.sse",
        ": t=1\ndata: {\"message_type\":\"assistant_message\",\"content\":\"first \"}\n\n"
        ": t=60000\ndata: {\"message_type\":\"assistant_message\",\"content\":\"a minute later\"}\n\n");
    const auto r = run(nullptr, {"--replay", file, "--replay-speed", "1"},
                       {.signal = SIGINT, .signal_after_ms = 400});
    INFO(ls_test::describe(r));
    CHECK(r.exit_code == 130);
    CHECK(r.out == "first \n");
    CHECK(r.elapsed_ms < 400 + 2000);
}

TEST_CASE("flag --replay: a reader that goes away (| head) ends a big replay quietly",
          "[e2e][replay]") {
    Scratch dir;
    std::string events;
    for (int i = 0; i < 20000; ++i)
        events += "data: {\"message_type\":\"assistant_message\",\"content\":\"word \"}\n\n";
    const std::string file = dir.write("big.sse", events);
    for (const std::vector<std::string>& extra :
         {std::vector<std::string>{}, std::vector<std::string>{"--throttle", "5000"}}) {
        std::vector<std::string> args = {"--replay", file};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run(nullptr, args, {.close_stdout_after = 1000, .timeout_ms = 10000});
        INFO(ls_test::describe(r));
        CHECK_FALSE(r.timed_out);
        CHECK(r.exit_code == 0);  // a closed pipe is not an error
        CHECK(r.err.empty());
    }
}

TEST_CASE("flag --replay and --record: files that cannot be read or written", "[e2e][replay]") {
    Scratch dir;
    const auto missing = run(nullptr, {"--replay", dir.path("nope.sse")});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "cannot read --replay " + dir.path("nope.sse")));
    const auto directory = run(nullptr, {"--replay", dir.path("")});
    CHECK(directory.exit_code == 2);
    CHECK(contains(directory.err, "--replay"));
    // A missing replay creates no recording.
    CHECK(run(nullptr, {"--replay", dir.path("nope.sse"), "--record", dir.path("r.sse")})
              .exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(dir.path("r.sse")));

    ls_test::FakeServer server(scenario(R"({"generate":{"text":"fine"}})"));
    const auto unwritable = run(&server, {"--record", "/nonexistent/dir/r.sse", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(unwritable));
    CHECK(unwritable.exit_code == 2);
    CHECK(contains(unwritable.err, "cannot write --record /nonexistent/dir/r.sse"));
    CHECK(server.requests().empty());  // nothing was sent

    // A write that fails mid-turn: the reply is still shown, the run ends with 10.
    const auto full = run(&server, {"--record", "/dev/full", "-a", kAgentId, "hi"});
    INFO(ls_test::describe(full));
    CHECK(full.exit_code == 10);
    CHECK(full.out == "fine\n");
    CHECK(contains(full.err, "could not write --record /dev/full"));
}

TEST_CASE("flag --replay: a 48 MB recording replays in the memory of a small one",
          "[e2e][replay]") {
    Scratch dir;
    // A recording as the recorder writes it: a `: t=` line every 20 events.
    auto write_recording = [&](const std::string& name, int events) {
        std::ofstream out(dir.path(name), std::ios::binary);
        out << ": letta-stream recording 1\n: status=200\n: content-type=text/event-stream\n";
        const std::string event =
            "data: {\"message_type\":\"assistant_message\",\"content\":\"word \"}\n\n";
        for (int i = 0; i < events; ++i) {
            if (i % 20 == 0) out << ": t=" << i / 20 << ".5\n";
            out << event;
        }
        out << "data: {\"message_type\":\"stop_reason\",\"stop_reason\":\"end_turn\"}\n\n"
               "data: [DONE]\n\n: end t=99999.0\n";
        return dir.path(name);
    };
    const int big_events = 800'000;
    const std::string small = write_recording("small.sse", 1000);
    const std::string big = write_recording("big.sse", big_events);
    REQUIRE(std::filesystem::file_size(big) > 48'000'000);

    const auto s = run(nullptr, {"--replay", small}, {.stdout_path = dir.path("small.out")});
    INFO(ls_test::describe(s));
    REQUIRE(s.exit_code == 0);
    const auto b =
        run(nullptr, {"--replay", big}, {.stdout_path = dir.path("big.out"), .timeout_ms = 60000});
    INFO(ls_test::describe(b));
    REQUIRE(b.exit_code == 0);
    std::string want;
    for (int i = 0; i < big_events; ++i)
        want += "word ";
    const std::string out = read(dir.path("big.out"));
    CHECK(out.size() == want.size() + 1);
    const bool same = out == want + "\n";  // (not shown: 4 MB)
    CHECK(same);
    // The whole file in memory would be 48 MB more; the reader holds a 64 KiB block.
    INFO("peak RSS: small " << s.max_rss_kb << " KiB, big " << b.max_rss_kb << " KiB");
    CHECK(s.max_rss_kb > 0);
    CHECK(b.max_rss_kb < s.max_rss_kb + 8 * 1024);
}
