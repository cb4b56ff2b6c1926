// metrics — the Recorder's timings and counts, the latency histogram's accuracy, and the text and
// JSON reports. Time is a ManualClock driven by hand; nothing sleeps.
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "metrics/histogram.hpp"
#include "metrics/recorder.hpp"
#include "metrics/report.hpp"
#include "stream/event.hpp"
#include "util/clock.hpp"

using namespace letta_stream;
using metrics::Histogram;
using metrics::Recorder;
using metrics::Summary;
using stream::Event;
using stream::Kind;

namespace {

// A recorder whose tool start is the clock's current time; at(ms) moves the clock to start + ms.
struct Timeline {
    util::ManualClock clock;
    std::int64_t start = clock.now_ns();
    Recorder rec;

    explicit Timeline(double stall_ms = 1000.0) : rec(clock, start, stall_ms) {}
    void at(double ms) { clock.set_ns(start + std::llround(ms * 1e6)); }
    void content(std::string_view text, std::string_view run_id = "run-1") {
        Event e;
        e.kind = Kind::content;
        e.text = text;
        e.run_id = run_id;
        rec.on_event(e);
    }
    void event(Kind kind, std::string_view name = {}, stream::Usage usage = {}) {
        Event e;
        e.kind = kind;
        e.name = name;
        e.usage = usage;
        rec.on_event(e);
    }
};

bool has(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    return doc;
}

std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The nearest-rank quantile the histogram approximates.
double exact_quantile(std::vector<std::uint64_t> values, double q) {
    std::sort(values.begin(), values.end());
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return static_cast<double>(values[std::clamp<std::size_t>(rank, 1, values.size()) - 1]);
}

void check_quantiles(const std::vector<std::uint64_t>& values) {
    Histogram h;
    for (auto v : values)
        h.record(v);
    REQUIRE(h.count() == values.size());
    for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
        INFO("q = " << q);
        const double exact = exact_quantile(values, q);
        CHECK(h.quantile(q) == Approx(exact).epsilon(0.01));
    }
    CHECK(h.max() == *std::max_element(values.begin(), values.end()));
}

}  // namespace

TEST_CASE("histogram buckets cover every value with ≤ 1/128 relative width", "[metrics]") {
    std::vector<std::uint64_t> probes = {0, 1, 2, 127, 128, 255, 256, 257, 511, 512, 1000, 20000};
    for (unsigned e = 9; e <= Histogram::max_exponent; ++e) {
        const std::uint64_t p = std::uint64_t{1} << e;
        probes.insert(probes.end(), {p - 1, p, p + 1, p + p / 3});
    }
    for (auto v : probes) {
        INFO("value " << v);
        const auto i = Histogram::index_of(v);
        REQUIRE(i < Histogram::bucket_count);
        CHECK(Histogram::lower_bound(i) <= v);
        CHECK(v < Histogram::lower_bound(i) + Histogram::width(i));
        if (v >= Histogram::linear_limit) {
            CHECK(static_cast<double>(Histogram::width(i)) /
                      static_cast<double>(Histogram::lower_bound(i)) <=
                  1.0 / 128);
        }
    }
    // Indices are dense and increasing: the last bucket is the one just below 2^37.
    CHECK(Histogram::index_of((std::uint64_t{1} << 37) - 1) == Histogram::bucket_count - 1);
    CHECK(Histogram::index_of(std::uint64_t{1} << 50) == Histogram::bucket_count - 1);
    CHECK(sizeof(Histogram) < 40 * 1024);
}

TEST_CASE("histogram quantiles are within 1% of the exact sorted percentiles", "[metrics]") {
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> values;
    values.reserve(100'000);

    SECTION("uniform 1..100 ms") {
        std::uniform_real_distribution<double> uniform(1'000, 100'000);
        for (int i = 0; i < 100'000; ++i)
            values.push_back(std::llround(uniform(rng)));
        check_quantiles(values);
    }
    SECTION("bimodal: 80% around 10 ms, 20% around 400 ms") {
        std::normal_distribution<double> fast(10'000, 1'500), slow(400'000, 60'000);
        std::bernoulli_distribution pick_slow(0.2);
        for (int i = 0; i < 100'000; ++i) {
            const double v = pick_slow(rng) ? slow(rng) : fast(rng);
            values.push_back(static_cast<std::uint64_t>(std::max(0.0, std::round(v))));
        }
        check_quantiles(values);
    }
    SECTION("heavy tail: exponential with a few multi-second outliers") {
        std::exponential_distribution<double> expo(1.0 / 15'000);
        for (int i = 0; i < 100'000; ++i)
            values.push_back(std::llround(expo(rng)));
        for (int i = 0; i < 50; ++i)
            values.push_back(3'000'000 + 1'000 * i);
        check_quantiles(values);
    }
}

TEST_CASE("histogram zero bucket, empty histogram and reset", "[metrics]") {
    Histogram h;
    CHECK(h.quantile(0.5) == 0.0);
    CHECK(h.count() == 0);
    for (int i = 0; i < 6; ++i)
        h.record(0);
    h.record(10'000);
    h.record(1'500'000);
    CHECK(h.quantile(0.5) == 0.0);
    CHECK(h.quantile(0.75) == 0.0);
    CHECK(h.quantile(0.80) == Approx(10'000).epsilon(0.01));
    CHECK(h.quantile(1.0) == 1'500'000.0);  // clamped to the exact maximum
    CHECK(h.min() == 0);
    h.reset();
    CHECK(h.count() == 0);
    CHECK(h.max() == 0);
    CHECK(h.quantile(0.99) == 0.0);
}

namespace {

// Request at 5 ms, headers at 150 ms, then 50 content events 20 ms apart from 200 ms, each
// flushed 0.5 ms later; usage, stop and [DONE]; finish at 1250 ms.
Summary paced_summary() {
    Timeline t;
    // 50 content pieces, split mid-word and mid-UTF-8-sequence ("h\xC3" + "\xA9llo" is "héllo").
    std::vector<std::string> pieces = {"Hel",      "lo wor", "ld h\xC3", "\xA9llo w\xC3\xB6rld\n",
                                       "naïve 日", "本"};
    while (pieces.size() < 50)
        pieces.push_back(" w");
    std::uint64_t bytes = 0;
    for (const auto& p : pieces)
        bytes += p.size();
    REQUIRE(bytes == 127);

    t.rec.agent_lookup(3.25);
    t.at(5);
    t.rec.request_sent();
    t.at(150);
    t.rec.response_head(200);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const double arrival = 200 + 20.0 * static_cast<double>(i);
        t.at(arrival);
        t.content(pieces[i]);
        t.at(arrival + 0.5);
        t.rec.output_flushed(pieces[i].size(), true);
    }
    t.event(Kind::ping);
    t.event(Kind::usage, {}, {2310, 38, 2348, 1, -1, -1, -1, -1});
    t.event(Kind::stop, "end_turn");
    t.event(Kind::done);
    t.at(1250);
    t.rec.output_flushed(1, false);  // the final newline
    t.rec.finish(0, "ok");
    return t.rec.summary();
}

}  // namespace

TEST_CASE("a paced stream: exact milestones, rates, latency and counts", "[metrics]") {
    const Summary s = paced_summary();

    CHECK(s.lookup_ms == 3.25);
    CHECK(s.request_ms == 5.0);
    CHECK(s.headers_ms == 150.0);
    CHECK(s.ttft_ms == 200.5);
    CHECK(s.first_token_ms == 200.0);
    CHECK(s.last_token_ms == 1180.0);
    CHECK(s.generation_ms == Approx(980.0));
    CHECK(s.total_ms == 1250.0);
    CHECK(s.tokens == 50);
    CHECK(s.words == 50);  // Hello world héllo wörld naïve 日本 + 44 × "w"
    CHECK(s.chars == 120);
    CHECK(s.content_bytes == 127);
    CHECK(s.bytes_out == 128);
    CHECK(s.events(Kind::content) == 50);
    CHECK(s.events(Kind::ping) == 1);
    CHECK(s.pings == 1);
    CHECK(s.events(Kind::stop) == 1);
    CHECK(s.tokens_per_s == Approx(40.0));             // 50 / 1.25 s
    CHECK(s.generation_tokens_per_s == Approx(50.0));  // 49 / 0.98 s
    CHECK(s.itl_count == 49);
    CHECK(s.itl_p50_ms == Approx(20.0).epsilon(0.02));
    CHECK(s.itl_p90_ms == Approx(20.0).epsilon(0.02));
    CHECK(s.itl_p99_ms == Approx(20.0).epsilon(0.02));
    CHECK(s.itl_max_ms == 20.0);
    CHECK(s.stalls == 0);
    CHECK(s.stall_ms == 0.0);
    CHECK(s.has_usage);
    CHECK(s.usage.prompt_tokens == 2310);
    CHECK(s.usage.reasoning_tokens == -1);
    CHECK(s.stop_reason == "end_turn");
    CHECK(s.http_status == 200);
    CHECK(s.run_id == "run-1");
    CHECK(s.finished);
    CHECK(s.exit_status == 0);
    CHECK(s.exit_name == "ok");

    const std::string text = metrics::render_text(s, false);
    INFO(text);
    for (auto part :
         {"first token 200 ms", "total 1.25 s", "generating 980 ms", "40.0 tok/s overall",
          "50.0 tok/s generating", "p50 20.0 ms", "max 20.0 ms", "prompt 2,310", "stop end_turn",
          "120 chars", "128 bytes out", "exit 0 (ok)"}) {
        CHECK(has(text, part));
    }
}

TEST_CASE("words are whitespace-separated across events", "[metrics]") {
    Timeline t;
    for (std::string_view piece : {"  Hel", "lo", " world\t", "\r\nfoo\vbar\f", "baz ", " "}) {
        t.content(piece);
    }
    t.content("");  // an empty delta is an event but not a token
    const Summary s = t.rec.summary();
    CHECK(s.words == 5);  // Hello world foo bar baz
    CHECK(s.tokens == 6);
    CHECK(s.events(Kind::content) == 7);
}

TEST_CASE("tokens in one network read and a long stall", "[metrics]") {
    Timeline t;
    t.at(100);
    for (int i = 0; i < 5; ++i)
        t.content("x ");  // one read: four zero gaps
    t.at(110);
    t.content("y ");
    t.at(1610);
    t.content("z ");  // a 1.5 s gap
    t.at(1700);
    t.rec.finish(0, "ok");
    const Summary s = t.rec.summary();
    CHECK(s.itl_count == 6);
    CHECK(s.itl_p50_ms == 0.0);
    CHECK(s.itl_p90_ms == Approx(1500.0).epsilon(0.01));
    CHECK(s.itl_p99_ms == Approx(1500.0).epsilon(0.01));
    CHECK(s.itl_max_ms == 1500.0);
    CHECK(s.stalls == 1);
    CHECK(s.stall_ms == Approx(1500.0));
    CHECK(s.ttft_ms == -1.0);  // nothing was flushed to stdout
    CHECK(has(metrics::render_text(s, false), "stalls 1 (≥1 s, 1.50 s total)"));

    Timeline strict(250);
    strict.at(0);
    strict.content("a");
    strict.at(250);
    strict.content("b");  // exactly the threshold counts
    strict.at(400);
    strict.content("c");
    CHECK(strict.rec.summary().stalls == 1);
    CHECK(strict.rec.summary().stall_threshold_ms == 250.0);
}

TEST_CASE("no tokens at all: nulls in JSON, no nan/inf/negatives in text", "[metrics]") {
    Timeline t;
    t.at(2);
    t.rec.request_sent();
    t.at(500);
    t.rec.response_head(503);
    t.event(Kind::error, "internal_error");
    t.at(501);
    t.rec.finish(8, "server");
    const Summary s = t.rec.summary();
    CHECK(s.tokens == 0);
    CHECK(s.tokens_per_s == 0.0);
    CHECK(s.generation_tokens_per_s == 0.0);

    const auto doc = parse(metrics::render_json(s));
    CHECK(doc["ttft_ms"].IsNull());
    CHECK(doc["first_token_ms"].IsNull());
    CHECK(doc["generation_ms"].IsNull());
    CHECK(doc["lookup_ms"].IsNull());
    CHECK(doc["itl_ms"].IsNull());
    CHECK(doc["usage"].IsNull());
    CHECK(doc["stop_reason"].IsNull());
    CHECK(doc["run_id"].IsNull());
    CHECK(doc["headers_ms"].GetDouble() == 500.0);
    CHECK(doc["http_status"].GetInt() == 503);
    CHECK(doc["exit_status"].GetInt() == 8);
    CHECK(doc["events"]["error"].GetUint64() == 1);
    CHECK_FALSE(doc["events"].HasMember("content"));

    const std::string text = metrics::render_text(s, false);
    CHECK_FALSE(has(text, "nan"));
    CHECK_FALSE(has(text, "inf"));
    CHECK_FALSE(has(text, "-1"));
    CHECK(has(text, "first token -"));
    CHECK_FALSE(has(text, "latency"));
    CHECK_FALSE(has(text, "usage"));
    CHECK(has(text, "exit 8 (server)"));

    // A recorder that saw nothing at all (total time 0) renders too.
    Timeline empty;
    const std::string bare = metrics::render_text(empty.rec.summary(), true);
    CHECK_FALSE(has(bare, "nan"));
    CHECK_FALSE(has(bare, "inf"));
    parse(metrics::render_json(empty.rec.summary()));
}

TEST_CASE("render_json: one line, documented keys, null rules", "[metrics]") {
    Timeline t;
    t.at(1);
    t.rec.request_sent();
    t.at(10);
    t.rec.response_head(200);
    t.at(20);
    t.content("a", "run-\"quoted\"");
    t.at(30.0004);
    t.content("b", "run-\"quoted\"");
    t.rec.output_flushed(2, true);
    t.rec.retried();
    t.rec.resumed();
    t.rec.resumed();
    const std::string json = metrics::render_json(t.rec.summary());
    REQUIRE(json.back() == '\n');
    CHECK(count_lines(json) == 1);
    const auto doc = parse(json);
    std::istringstream keys(
        "schema finished headers_ms ttft_ms total_ms generation_ms lookup_ms request_ms "
        "first_token_ms last_token_ms tokens words chars content_bytes bytes_out events pings "
        "tokens_per_s generation_tokens_per_s itl_ms stalls stall_ms stall_threshold_ms usage "
        "stop_reason http_status http_version run_id retries resumes exit_status exit_name");
    for (std::string k; keys >> k;) {
        INFO(k);
        CHECK(doc.HasMember(k.c_str()));
    }
    CHECK(std::string(doc["schema"].GetString()) == "letta-stream.metrics/1");
    CHECK(doc["finished"].GetBool() == false);
    CHECK(doc["exit_status"].IsNull());  // a mid-turn snapshot
    CHECK(doc["exit_name"].IsNull());
    CHECK(doc["ttft_ms"].GetDouble() == 30.0);  // rounded to 3 decimals
    CHECK(doc["generation_ms"].GetDouble() == 10.0);
    CHECK(doc["itl_ms"]["max"].GetDouble() == 10.0);
    CHECK(doc["itl_ms"]["p50"].GetDouble() == Approx(10.0).epsilon(0.01));
    CHECK(doc["retries"].GetUint64() == 1);
    CHECK(doc["resumes"].GetUint64() == 2);
    CHECK(std::string(doc["run_id"].GetString()) == "run-\"quoted\"");
    CHECK(doc["stall_threshold_ms"].GetDouble() == 1000.0);

    t.event(Kind::usage, {}, {-1, 7, -1, -1, -1, -1, -1, -1});
    const auto with_usage = parse(metrics::render_json(t.rec.summary()));
    CHECK(with_usage["usage"]["completion_tokens"].GetInt64() == 7);
    CHECK(with_usage["usage"]["prompt_tokens"].IsNull());
    CHECK(with_usage["usage"].HasMember("cached_input_tokens"));
}

TEST_CASE("render_text: at most a dozen lines, color only on request", "[metrics]") {
    Summary s;
    s.lookup_ms = 80;
    s.headers_ms = 210;
    s.ttft_ms = 412;
    s.total_ms = 3210;
    s.generation_ms = 2800;
    s.tokens = 312;
    s.words = 245;
    s.chars = 1402;
    s.bytes_out = 1403;
    for (auto& n : s.events_by_kind)
        n = 1;
    s.tokens_per_s = 97.2;
    s.generation_tokens_per_s = 111.1;
    s.itl_count = 311;
    s.itl_p50_ms = 8.9;
    s.itl_p90_ms = 14.0;
    s.itl_p99_ms = 40.1;
    s.itl_max_ms = 112;
    s.stalls = 2;
    s.stall_ms = 2500;
    s.has_usage = true;
    s.usage = {2310, 38, 2348, 1, 14, 2048, 0, 4000};
    s.stop_reason = "end_turn";
    s.http_status = 200;
    s.run_id = "run-6f1c";
    s.retries = 1;
    s.finished = true;
    s.exit_status = 0;
    s.exit_name = "ok";

    const std::string plain = metrics::render_text(s, false);
    INFO(plain);
    CHECK(plain.back() == '\n');
    CHECK(count_lines(plain) <= 12);
    CHECK_FALSE(has(plain, "\x1b"));
    CHECK_FALSE(has(plain, "resumes"));  // zero counters are left out
    for (const char* part :
         {"headers 210 ms", "first token 412 ms", "total 3.21 s", "generating 2.80 s",
          "1,402 chars", "1,403 bytes out", "97.2 tok/s overall", "p50 8.9 ms", "p99 40.1 ms",
          "max 112 ms", "stalls 2 (≥1 s, 2.50 s total)", "cached 2,048", "run-6f1c", "HTTP 200",
          "retries 1", "exit 0 (ok)", "lookup 80.0 ms", "approval_request 1"}) {
        INFO(part);
        CHECK(has(plain, part));
    }

    const std::string colored = metrics::render_text(s, true);
    CHECK(has(colored, "\x1b[2m"));
    CHECK(count_lines(colored) == count_lines(plain));
}

TEST_CASE("finish is idempotent, a stop-reason override wins", "[metrics]") {
    Timeline t;
    t.event(Kind::stop, "end_turn");
    t.at(100);
    t.rec.finish(9, "stopped", "cancelled");
    t.at(900);
    t.rec.finish(0, "ok", "other");
    Summary s = t.rec.summary();
    CHECK(s.total_ms == 100.0);
    CHECK(s.exit_status == 9);
    CHECK(s.exit_name == "stopped");
    CHECK(s.stop_reason == "cancelled");

    Timeline keep;
    keep.event(Kind::stop, "max_steps");
    keep.rec.finish(9, "stopped");
    CHECK(keep.rec.summary().stop_reason == "max_steps");
}

TEST_CASE("retries: the latest request and head count, the first content flush stays TTFT",
          "[metrics]") {
    Timeline t;
    t.at(5);
    t.rec.request_sent();
    t.at(50);
    t.rec.response_head(503);
    t.rec.retried();
    t.at(300);
    t.rec.request_sent();
    t.at(350);
    t.rec.response_head(200);
    t.rec.output_flushed(10, false);  // e.g. a reasoning line: not content
    t.at(360);
    t.content("hi");
    t.rec.output_flushed(2, true);
    t.at(400);
    t.content("!");
    t.rec.output_flushed(1, true);
    const Summary s = t.rec.summary();
    CHECK(s.request_ms == 300.0);
    CHECK(s.headers_ms == 350.0);
    CHECK(s.http_status == 200);
    CHECK(s.retries == 1);
    CHECK(s.ttft_ms == 360.0);
    CHECK(s.bytes_out == 13);
    CHECK(s.total_ms == 400.0);  // not finished: elapsed so far
    CHECK_FALSE(s.finished);
}

TEST_CASE("metrics JSON: U+2028, U+2029 and NEL are escaped, one line for every splitter",
          "[metrics][json_escape]") {
    Summary s;
    s.run_id = "run-\xE2\x80\xA8-\xC2\x85";
    s.stop_reason = "end\xE2\x80\xA9turn";
    const std::string json = metrics::render_json(s);
    CHECK(json.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(json.find("\xE2\x80\xA9") == std::string::npos);
    CHECK(json.find("\xC2\x85") == std::string::npos);
    CHECK(json.find("run-\\u2028-\\u0085") != std::string::npos);
    REQUIRE(json.find('\n') == json.size() - 1);
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    REQUIRE_FALSE(d.HasParseError());
    CHECK(std::string(d["run_id"].GetString(), d["run_id"].GetStringLength()) == s.run_id);
    CHECK(std::string(d["stop_reason"].GetString()) == s.stop_reason);
}

TEST_CASE("the HTTP version of the response: in the run line and as http_version", "[metrics]") {
    Timeline h2;
    h2.rec.request_sent();
    h2.rec.response_head(200, "HTTP/2 200");
    const auto s2 = h2.rec.summary();
    CHECK(s2.http_version == "2");
    CHECK(metrics::render_text(s2, false).find("HTTP/2 200") != std::string::npos);
    CHECK(parse(metrics::render_json(s2))["http_version"] == "2");

    Timeline h1;
    h1.rec.response_head(503, "HTTP/1.1 503 Service Unavailable");
    CHECK(parse(metrics::render_json(h1.rec.summary()))["http_version"] == "1.1");

    Timeline none;  // no head, or a status line without a version
    none.rec.response_head(200, "");
    CHECK(parse(metrics::render_json(none.rec.summary()))["http_version"].IsNull());
    CHECK(metrics::render_text(none.rec.summary(), false).find("HTTP 200") != std::string::npos);
}
