// output::Narrator — the stderr narration of --show-reasoning / --show-tools.
#include <catch2/catch.hpp>

#include "output/narrator.hpp"
#include "stream/tool_calls.hpp"

using namespace letta_stream;

namespace {

stream::Event ev(stream::Kind kind, std::string_view text = {}, std::string_view name = {},
                 std::string_view id = {}) {
    stream::Event e;
    e.kind = kind;
    e.text = text;
    e.name = name;
    e.tool_call_id = id;
    return e;
}

}  // namespace

TEST_CASE("reasoning streams inline and ends with the segment", "[narrator]") {
    output::Narrator n(true, true, false);
    n.on_event(ev(stream::Kind::reasoning, "The user"));
    n.on_event(ev(stream::Kind::reasoning, " greeted me."));
    n.on_event(ev(stream::Kind::content, "Hello!"));
    CHECK(n.pending() == "reasoning: The user greeted me.\n");
}

TEST_CASE("tool calls are joined from deltas, results are one line", "[narrator]") {
    // As in the program: stream::ToolCalls assembles the deltas in front of the narrator.
    output::Narrator n(false, true, false);
    stream::ToolCalls calls(n);
    calls.on_event(ev(stream::Kind::reasoning, "hidden"));  // reasoning off
    calls.on_event(ev(stream::Kind::tool_call, "{\"q\":", "search", "c1"));
    calls.on_event(ev(stream::Kind::tool_call, "\"x\"}"));
    stream::Event result = ev(stream::Kind::tool_result, "line1\nline2", {}, "c1");
    result.status = "success";
    calls.on_event(result);
    CHECK(n.pending() == "tool: search({\"q\":\"x\"})\ntool result: line1 line2\n");
}

TEST_CASE("long results are cut on a character boundary", "[narrator]") {
    output::Narrator n(false, true, false);
    std::string big;
    for (int i = 0; i < 200; ++i)
        big += "é";  // 400 bytes
    stream::Event result = ev(stream::Kind::tool_result, big);
    result.status = "error";
    n.on_event(result);
    const std::string& out = n.pending();
    CHECK(out.rfind("tool error: ", 0) == 0);
    CHECK(out.find("... (400 bytes)") != std::string::npos);
    CHECK(out.find("\xC3...") == std::string::npos);  // no half character before the ellipsis
    // The cap (300 bytes) falls between two characters: all 150 whole ones are shown.
    CHECK(out.find(big.substr(0, 300) + "...") != std::string::npos);
}

TEST_CASE("colour wraps every piece so the terminal is never left dim", "[narrator]") {
    output::Narrator n(true, false, true);
    n.on_event(ev(stream::Kind::reasoning, "x"));
    CHECK(n.pending() == "\x1b[2mreasoning: \x1b[0m\x1b[2mx\x1b[0m");
    n.finish({});
    CHECK(n.pending().back() == '\n');
}

TEST_CASE("approval requests and pings", "[narrator]") {
    output::Narrator n(true, true, false);
    n.on_event(ev(stream::Kind::approval_request, "{}", "delete_file", "c9"));
    n.on_event(ev(stream::Kind::ping));  // does not end the call
    n.on_event(ev(stream::Kind::stop, {}, "requires_approval"));
    CHECK(n.pending() == "approval needed: delete_file({})\n");
}

TEST_CASE("server text cannot drive the terminal: escapes and controls become '?'", "[narrator]") {
    output::Narrator n(true, true, false);
    n.on_event(ev(stream::Kind::reasoning,
                  "a\x1b[2Jb\x1b]0;title\x07"
                  "c\r\nd\re"));
    stream::Event result = ev(stream::Kind::tool_result,
                              "\x1b]52;c;ZXZpbA==\x07 \xc2\x9b"
                              "31m");
    result.status = "success";
    n.on_event(result);
    n.on_event(ev(stream::Kind::tool_call, "{}", "na\x1bme", "c1"));
    n.finish({});
    const std::string& out = n.pending();
    CHECK(out.find('\x1b') == std::string::npos);
    CHECK(out.find('\x07') == std::string::npos);
    CHECK(out.find("\xc2\x9b") == std::string::npos);  // C1 CSI
    CHECK(out.find("reasoning: a?[2Jb?]0;title?c\nd?e\n") == 0);
    CHECK(out.find("tool result: ?]52;c;ZXZpbA==? ?31m\n") != std::string::npos);
    CHECK(out.find("tool: na?me({})\n") != std::string::npos);
}

TEST_CASE("UTF-8 text passes the terminal filter unchanged", "[narrator]") {
    output::Narrator n(true, false, false);
    n.on_event(ev(stream::Kind::reasoning, "Привет — 日本語 🚀\ttab"));
    CHECK(n.pending() == "reasoning: Привет — 日本語 🚀\ttab");
}
