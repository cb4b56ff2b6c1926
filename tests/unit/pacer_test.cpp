// output::Pacer — --throttle (a token bucket) and --coalesce (chunks with a time bound), on a
// ManualClock: what is let out, when, and in which order.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "output/pacer.hpp"
#include "util/clock.hpp"

using namespace letta_stream;
using stream::Kind;

namespace {

// Records what the pacer lets out, with the (fake) time of each event.
struct Out final : stream::Sink {
    struct Item {
        Kind kind;
        std::string text;
        std::int64_t at_ms;
        std::string message_id;
        std::int64_t seq_id;
    };
    explicit Out(const util::ManualClock& c) : clock(c) {}
    void on_event(const stream::Event& e) override {
        items.push_back({e.kind, std::string(e.text), clock.now_ns() / 1'000'000,
                         std::string(e.message_id), e.seq_id});
    }
    void on_flush() override { ++flushes; }
    void on_end() override { ++ends; }
    std::string text() const {
        std::string t;
        for (const auto& i : items)
            if (i.kind == Kind::content) t += i.text;
        return t;
    }
    const util::ManualClock& clock;
    std::vector<Item> items;
    int flushes = 0, ends = 0;
};

stream::Event content(std::string_view text, std::string_view id = {}, std::int64_t seq = -1) {
    stream::Event e;
    e.kind = Kind::content;
    e.text = text;
    e.message_id = id;
    e.seq_id = seq;
    return e;
}

stream::Event other(Kind k) {
    stream::Event e;
    e.kind = k;
    e.name = "x";
    return e;
}

// Runs the clock forward to each deadline, as the event loop does after the stream has ended,
// until the throttle holds nothing; returns how long that took (ms).
std::int64_t drain(output::Pacer& p, util::ManualClock& clock) {
    const std::int64_t t0 = clock.now_ns();
    for (int guard = 0; p.throttling() && guard < 1'000'000; ++guard) {
        clock.set_ns(std::max(clock.now_ns(), p.deadline_ns()));
        p.on_flush();
    }
    return (clock.now_ns() - t0) / 1'000'000;
}

}  // namespace

TEST_CASE("throttle: 100 deltas at 50/s take about 2 s and nothing is dropped", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 50});
    std::string all;
    for (int i = 0; i < 100; ++i) {
        const std::string t = "t" + std::to_string(i) + " ";
        all += t;
        p.on_event(content(t));  // all at once: a fast server
    }
    p.on_flush();
    CHECK(out.items.size() == 1);  // burst 1: one now, the rest at the rate
    CHECK(p.backlog_bytes() > 0);
    const auto took = drain(p, clock);
    CHECK(took >= 1950);
    CHECK(took <= 2000);
    CHECK(out.text() == all);
    CHECK(p.backlog_bytes() == 0);
    for (std::size_t i = 1; i < out.items.size(); ++i)  // evenly spaced, 20 ms apart
        CHECK(out.items[i].at_ms - out.items[i - 1].at_ms == Approx(20).margin(1));
    CHECK(p.held_ns() / 1'000'000 == took);
}

TEST_CASE("throttle: --burst lets N out at once, then the rate", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 10, .burst = 5});
    for (int i = 0; i < 20; ++i)
        p.on_event(content("x"));
    CHECK(out.items.size() == 5);
    const auto took = drain(p, clock);
    CHECK(took == Approx(1500).margin(2));  // 15 more at 10/s
    CHECK(out.items.size() == 20);
}

TEST_CASE("throttle: a slow server is not delayed", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 10});
    for (int i = 0; i < 5; ++i) {
        p.on_event(content("x"));
        CHECK(out.items.size() == static_cast<std::size_t>(i + 1));  // at once: tokens refilled
        clock.advance_ms(150);
    }
    CHECK(p.deadline_ns() == -1);
}

TEST_CASE("throttle: other events keep their place behind held text", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 10});
    p.on_event(content("a"));
    p.on_event(content("b"));
    p.on_event(other(Kind::tool_call));
    p.on_event(content("c"));
    p.on_event(other(Kind::stop));
    drain(p, clock);
    REQUIRE(out.items.size() == 5);
    CHECK(out.items[0].text == "a");
    CHECK(out.items[1].text == "b");
    CHECK(out.items[2].kind == Kind::tool_call);
    CHECK(out.items[2].at_ms == out.items[1].at_ms);  // no token needed: right behind "b"
    CHECK(out.items[3].text == "c");
    CHECK(out.items[4].kind == Kind::stop);
}

TEST_CASE("throttle c/s: one character at a time, never inside a UTF-8 sequence", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 100, .per_char = true});
    const std::string text =
        "aé日🚀\xff"
        "b";                                 // 1-, 2-, 3-, 4-byte characters, an invalid byte
    p.on_event(content(text.substr(0, 4)));  // the server cut inside 日
    p.on_event(content(text.substr(4)));
    const auto took = drain(p, clock);
    CHECK(out.text() == text);
    std::vector<std::string> pieces;
    for (const auto& i : out.items)
        pieces.push_back(i.text);
    // The delta boundary inside 日 does not cut it: one character, one token.
    CHECK(pieces == std::vector<std::string>{"a", "é", "日", "🚀", "\xff", "b"});
    CHECK(took == Approx(50).margin(1));
}

TEST_CASE("release_all: a signal lets everything out at once, in order", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 1, .coalesce_bytes = 1000, .coalesce_ms = 100});
    p.on_event(content("one "));
    p.on_event(content("two "));
    p.on_event(other(Kind::usage));
    p.on_event(content("three"));
    p.release_all();
    CHECK(out.text() == "one two three");
    CHECK(p.deadline_ns() == -1);
    CHECK_FALSE(p.throttling());
    p.on_end();
    CHECK(out.ends == 1);
}

TEST_CASE("coalesce: chunks of at least BYTES, the last one smaller", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.coalesce_bytes = 10, .coalesce_ms = 100});
    for (int i = 0; i < 25; ++i)
        p.on_event(content("abc", "msg-1", i));
    p.on_end();
    CHECK(out.text() == std::string(75, ' ').replace(0, 75, [] {
        std::string s;
        for (int i = 0; i < 25; ++i)
            s += "abc";
        return s;
    }()));
    for (std::size_t i = 0; i + 1 < out.items.size(); ++i)
        CHECK(out.items[i].text.size() >= 10);
    CHECK(out.items.size() == 7);  // 6 × 12 bytes, then the last 3
    CHECK(out.items[0].message_id == "msg-1");
    CHECK(out.items[0].seq_id == 3);  // the last delta in the chunk: where a resume continues
}

TEST_CASE("coalesce: nothing waits longer than --coalesce-ms on a slow stream", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.coalesce_bytes = 4096, .coalesce_ms = 100});
    p.on_event(content("slow "));
    CHECK(out.items.empty());
    CHECK(p.deadline_ns() == clock.now_ns() + 100'000'000);
    clock.advance_ms(60);
    p.on_event(content("text"));
    p.on_flush();
    CHECK(out.items.empty());
    clock.advance_ms(40);
    p.on_flush();  // the first byte has waited 100 ms
    REQUIRE(out.items.size() == 1);
    CHECK(out.items[0].text == "slow text");
    CHECK(p.deadline_ns() == -1);
}

TEST_CASE("coalesce-ms alone: time-only batches", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.coalesce_ms = 50});
    for (int i = 0; i < 10; ++i) {
        p.on_event(content("x"));
        clock.advance_ms(20);
        p.on_flush();
    }
    p.on_end();
    CHECK(out.text() == "xxxxxxxxxx");
    CHECK(out.items.size() == 4);  // 60 ms windows of 3 deltas, then the last
}

TEST_CASE("coalesce: a chunk never ends inside a character, at any split", "[pacer]") {
    const std::string text = "日本語のテキスト🚀 and emoji 🎉🎉 — é";
    for (std::size_t bytes = 1; bytes <= 8; ++bytes) {
        util::ManualClock clock;
        Out out(clock);
        output::Pacer p(out, clock, {.coalesce_bytes = bytes, .coalesce_ms = 100});
        for (char c : text)  // the server splits at every byte
            p.on_event(content(std::string_view(&c, 1)));
        p.on_end();
        CHECK(out.text() == text);
        for (const auto& i : out.items) {
            INFO("bytes " << bytes << " chunk '" << i.text << "'");
            const auto last = static_cast<unsigned char>(i.text.back());
            const auto first = static_cast<unsigned char>(i.text.front());
            CHECK((first & 0xC0) != 0x80);                  // starts on a character
            CHECK((last < 0x80 || (last & 0xC0) == 0x80));  // ends after a whole one
        }
    }
}

TEST_CASE("coalesce: any other event first lets the pending text out", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.coalesce_bytes = 1000, .coalesce_ms = 100});
    p.on_event(content("before "));
    p.on_event(other(Kind::tool_call));
    p.on_event(content("after"));
    p.on_event(other(Kind::error));
    REQUIRE(out.items.size() == 4);
    CHECK(out.items[0].text == "before ");
    CHECK(out.items[1].kind == Kind::tool_call);
    CHECK(out.items[2].text == "after");
    CHECK(out.items[3].kind == Kind::error);
}

TEST_CASE("throttle and coalesce together: the throttle counts server deltas", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 10, .coalesce_bytes = 3, .coalesce_ms = 1000});
    for (int i = 0; i < 9; ++i)
        p.on_event(content("ab"));
    const auto took = drain(p, clock);
    p.on_end();
    CHECK(took == Approx(800).margin(2));
    CHECK(out.text() == "ababababababababab");
    for (std::size_t i = 0; i + 1 < out.items.size(); ++i)
        CHECK(out.items[i].text.size() >= 3);
}

TEST_CASE("throttle c/s: a character cut at the end waits for its bytes, without spinning",
          "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 100, .per_char = true});
    p.on_event(content("a\xe6\x97"));  // "a", then the first two bytes of 日
    drain(p, clock);
    CHECK(out.text() == "a");
    CHECK(p.deadline_ns() == -1);  // nothing is due until more bytes arrive
    CHECK_FALSE(p.throttling());
    p.on_event(content("\xa5z"));
    drain(p, clock);
    CHECK(out.text() == "a日z");
    p.on_event(content("\xe6"));  // a stream that ends inside a character: out at the end
    p.on_end();
    CHECK(out.text() == "a日z\xe6");
}

// The event loop never wakes exactly at the deadline. Lateness must not add up: at 5000/s, with
// every wake-up 0.4 ms late (two tokens' time), 5000 deltas still take about a second.
TEST_CASE("throttle: late wake-ups do not slow the rate down", "[pacer]") {
    util::ManualClock clock;
    Out out(clock);
    output::Pacer p(out, clock, {.rate_per_s = 5000});
    for (int i = 0; i < 5000; ++i)
        p.on_event(content("x"));
    p.on_flush();
    const std::int64_t t0 = clock.now_ns();
    for (int guard = 0; p.throttling() && guard < 1'000'000; ++guard) {
        clock.set_ns(std::max(clock.now_ns(), p.deadline_ns()) + 400'000);
        p.on_flush();
    }
    const std::int64_t took_ms = (clock.now_ns() - t0) / 1'000'000;
    CHECK(out.items.size() == 5000);
    CHECK(took_ms >= 995);
    CHECK(took_ms <= 1010);
    // The credit is for lateness only: a stream that pauses gets --burst (1) at once, no more.
    clock.advance_ms(1000);
    for (int i = 0; i < 10; ++i)
        p.on_event(content("y"));
    p.on_flush();
    CHECK(out.items.size() == 5001);
}

// A held event outlives the read its views pointed into: the pacer keeps its own copies, the
// SSE last event ID included (--api sse -j --throttle).
TEST_CASE("throttle: a held event owns every string it carries", "[pacer]") {
    util::ManualClock clock;
    struct Ids final : stream::Sink {
        std::vector<std::string> ids;
        void on_event(const stream::Event& e) override { ids.emplace_back(e.last_event_id); }
        void on_flush() override {}
        void on_end() override {}
    } out;
    output::Pacer p(out, clock, {.rate_per_s = 10});
    for (const char* id : {"7", "8"}) {
        std::string buffer = id;  // the read's buffer, overwritten right after
        stream::Event e = content("x");
        e.last_event_id = buffer;
        p.on_event(e);
        buffer.assign(buffer.size(), '#');
    }
    for (int guard = 0; p.throttling() && guard < 100; ++guard) {
        clock.set_ns(std::max(clock.now_ns(), p.deadline_ns()));
        p.on_flush();
    }
    CHECK(out.ids == std::vector<std::string>{"7", "8"});
}
