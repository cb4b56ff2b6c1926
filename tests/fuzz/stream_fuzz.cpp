// A fuzz target for the whole in-process streaming path: bytes → session::Turn (SSE parser →
// Letta decoder → formatters) → stdout bytes, in text mode and in JSON-lines mode.
//
// Input: the first byte picks a split point (as a fraction of the rest); the rest is the HTTP body
// of a 200 text/event-stream response. Properties checked on every input (abort() on a breach):
//   - nothing crashes, overflows or trips a sanitizer;
//   - fed whole or in two pieces, text mode writes the same bytes and ends with the same status;
//   - JSON-lines output is one valid JSON object per line, "seq" strictly increasing, the first
//     line "start", exactly one "done" line and it is the last;
//   - the JSON "content" strings concatenated equal the text output whenever the text is valid
//     UTF-8 (invalid bytes become U+FFFD in JSON and stay raw in text);
//   - sse::Parser, fed whole and in two pieces, dispatches exactly the events (type, data, id)
//     and retry values of the naive reading of the WHATWG rules in support/sse_reference.hpp,
//     which the parser unit tests use as their oracle too.
//
// Built two ways: with clang and -DLETTA_STREAM_FUZZ=ON as a libFuzzer binary (stream-fuzz), and
// always as stream-fuzz-replay, which runs the target once over every file it is given (the
// fixtures and tests/fuzz/corpus/) so ctest keeps every input that ever found a bug.
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sse/parser.hpp"
#include "support/sse_reference.hpp"
#include "support/turn_harness.hpp"
#include "util/utf8.hpp"

using namespace letta_stream;

namespace {

[[noreturn]] void breach(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "stream-fuzz: property violated: %s\n", what);
    if (!detail.empty()) {  // escaped, so that control bytes and NULs show
        std::string shown;
        for (const unsigned char c : detail.substr(0, 600)) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            shown += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : hex;
        }
        std::fprintf(stderr, "  %s\n", shown.c_str());
    }
    std::abort();
}

struct Run {
    std::string out;
    int status = -1;
};

Run replay(std::string_view body, std::size_t cut, bool json) {
    // A small event limit, so that the fuzzer reaches it.
    ls_test::TurnHarness h(1 << 16, json ? ls_test::Format::jsonl : ls_test::Format::text);
    output::TurnInfo info;
    info.agent = "fuzz";
    info.endpoint = "conversations";
    info.otid = "otid";
    h.pipeline.formatter().begin(info);
    auto control = h.head(200, "text/event-stream");
    for (std::string_view piece : {body.substr(0, cut), body.substr(cut)}) {
        if (control != transport::Control::proceed) break;
        h.clock.advance_ms(1);
        control = h.data(piece);
    }
    const auto outcome = h.finish();
    return {std::move(h.writer.bytes), to_int(outcome.status)};
}

void check_jsonl(const std::string& out, const std::string& text) {
    std::string content;
    std::int64_t last_seq = 0;
    int done = 0;
    std::size_t start = 0, lines = 0;
    while (start < out.size()) {
        const auto nl = out.find('\n', start);
        if (nl == std::string::npos) breach("JSON output does not end with a newline");
        const std::string line = out.substr(start, nl - start);
        start = nl + 1;
        rapidjson::Document d;
        d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
        if (d.HasParseError() || !d.IsObject()) breach("a line is not a JSON object", line);
        if (!d.HasMember("type") || !d["type"].IsString()) breach("a line has no type", line);
        if (!d.HasMember("seq") || !d["seq"].IsInt64() || d["seq"].GetInt64() <= last_seq)
            breach("seq is not strictly increasing", line);
        last_seq = d["seq"].GetInt64();
        const std::string_view type = d["type"].GetString();
        if (lines++ == 0 && type != "start") breach("the first line is not start", line);
        if (done) breach("a line after done", line);
        if (type == "done") ++done;
        if (type == "content")
            content.append(d["content"].GetString(), d["content"].GetStringLength());
    }
    if (done != 1) breach("no done line");
    if (!content.empty() && content.back() != '\n')
        content.push_back('\n');  // text's final newline
    if (util::is_valid_utf8(text) && content != text)
        breach("JSON content differs from the text output", content);
}

// ---- sse::Parser against the reference reading (tests/support/sse_reference.hpp) -----------

struct Recorder final : sse::Handler {
    ls_test::SseTrace trace;
    bool on_event(const sse::Event& e) override {
        trace.events.push_back({std::string(e.type), std::string(e.data), std::string(e.id)});
        return true;
    }
    void on_retry(std::uint64_t ms) override { trace.retries.push_back(ms); }
};

void check_sse(std::string_view body, std::size_t cut) {
    const auto expected = ls_test::reference_sse(body);
    for (const std::size_t at : {body.size(), cut}) {
        sse::Parser parser(1 << 20);
        Recorder rec;
        if (parser.feed(body.substr(0, at), rec) != sse::Status::ok ||
            parser.feed(body.substr(at), rec) != sse::Status::ok)
            breach("sse::Parser did not consume the body");
        parser.finish();
        if (rec.trace.retries != expected.retries)
            breach("sse::Parser's retry values differ from the reference reading of the spec");
        const auto& got = rec.trace.events;
        const auto& want = expected.events;
        if (got != want) {
            std::string diff = "parser " + std::to_string(got.size()) + " events, reference " +
                               std::to_string(want.size());
            for (std::size_t i = 0; i < got.size() && i < want.size(); ++i)
                if (!(got[i] == want[i])) {
                    diff += "; first difference at " + std::to_string(i) + ": parser [" +
                            got[i].type + "|" + got[i].data + "|" + got[i].id + "] reference [" +
                            want[i].type + "|" + want[i].data + "|" + want[i].id + "]";
                    break;
                }
            breach("sse::Parser disagrees with the reference reading of the spec", diff);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t cut = body.size() * data[0] / 255;

    check_sse(body, cut);

    const Run whole = replay(body, body.size(), false);
    const Run split = replay(body, cut, false);
    if (whole.out != split.out) breach("text output depends on where the body was split");
    if (whole.status != split.status) breach("exit status depends on where the body was split");

    const Run json = replay(body, cut, true);
    if (json.status != whole.status) breach("exit status differs between text and JSON modes");
    check_jsonl(json.out, whole.out);
    return 0;
}
