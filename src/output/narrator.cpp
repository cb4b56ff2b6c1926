#include "output/narrator.hpp"

#include "util/terminal_text.hpp"
#include "util/utf8.hpp"

namespace letta_stream::output {

namespace {
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kReset = "\x1b[0m";
}  // namespace

// Server text never reaches the terminal raw: an escape sequence in a tool result (fetched web
// content, say) could clear the screen, retitle the window or write the clipboard (OSC 52).
void Narrator::put(std::string_view text) {
    if (text.empty()) return;
    if (color_) pending_.append(kDim);
    util::append_terminal_safe(pending_, text);
    if (color_) pending_.append(kReset);
}

// Tool results can be long and multi-line: show one line, cut at `max` bytes (on a UTF-8
// boundary) with the full size noted.
void Narrator::put_one_line(std::string_view text, std::size_t max) {
    const bool cut = text.size() > max;
    std::string line;
    for (char c : cut ? util::utf8_drop_partial_tail(text.substr(0, max)) : text)
        line.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
    if (cut) line += "... (" + std::to_string(text.size()) + " bytes)";
    put(line);
}

void Narrator::begin_segment(Segment segment, std::string_view label) {
    end_segment();
    segment_ = segment;
    put(label);
}

void Narrator::end_segment() {
    if (segment_ == Segment::tool_call) put(")");
    if (segment_ != Segment::none) pending_.push_back('\n');
    segment_ = Segment::none;
}

void Narrator::on_event(const stream::Event& e) {
    using stream::Kind;
    switch (e.kind) {
        case Kind::reasoning:
            if (!reasoning_) return;
            if (segment_ != Segment::reasoning)
                begin_segment(Segment::reasoning,
                              e.redacted ? "reasoning (hidden)" : "reasoning: ");
            if (!e.redacted) put(e.text);
            return;
        case Kind::tool_call:
        case Kind::approval_request: {
            // Whole calls: stream::ToolCalls assembled the argument deltas upstream.
            if (!tools_) return;
            const bool continues = segment_ == Segment::tool_call && !e.tool_call_id.empty() &&
                                   e.tool_call_id == call_id_;
            if (!continues) {
                const std::string label =
                    std::string(e.kind == Kind::approval_request ? "approval needed: " : "tool: ") +
                    std::string(e.name.empty() ? "?" : e.name) + "(";
                begin_segment(Segment::tool_call, label);
                call_id_ = e.tool_call_id;
            }
            put(e.text);
            return;
        }
        case Kind::tool_result:
            if (!tools_) return;
            end_segment();
            put(e.status == "error" ? "tool error: " : "tool result: ");
            put_one_line(e.text, kMaxResult);
            pending_.push_back('\n');
            return;
        case Kind::ping:
        case Kind::usage:
        case Kind::unknown:
        case Kind::done:
        case Kind::malformed:
        case Kind::status:
        case Kind::sse:
        case Kind::sse_retry:
            return;  // no effect on what is being narrated
        default:
            end_segment();
            return;
    }
}

}  // namespace letta_stream::output
