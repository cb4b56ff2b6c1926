// Quotes in this file are from the WHATWG HTML Living Standard, §9.2.6 "Interpreting an event
// stream". The algorithm is the spec's, made incremental: complete lines are parsed straight out
// of the caller's chunk, and only a chunk's unfinished last line is copied into line_.
#include "sse/parser.hpp"

#include <cstring>
#include <limits>
#include <new>

namespace letta_stream::sse {

namespace {

// "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
constexpr std::string_view bom = "\xEF\xBB\xBF";

// First occurrence of c in [p, end), or end. memchr is vectorised by libc, which matters on the
// long "data:" lines of a Letta stream.
const char* find_byte(const char* p, const char* end, char c) noexcept {
    const void* hit = std::memchr(p, c, static_cast<std::size_t>(end - p));
    return hit != nullptr ? static_cast<const char*>(hit) : end;
}

// "If the field value consists of only ASCII digits, then interpret the field value as an
// integer in base ten". An empty value is not a number. Saturates instead of wrapping, because a
// wrapped value would turn an absurdly long delay into a short one.
bool parse_retry(std::string_view value, std::uint64_t& out) noexcept {
    if (value.empty()) return false;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        n = n > (max - digit) / 10 ? max : n * 10 + digit;
    }
    out = n;
    return true;
}

// Resets the event's buffers when dispatch ends, even if the handler throws.
struct ClearOnExit {
    std::string& data;
    std::string& type;
    ~ClearOnExit() {
        data.clear();
        type.clear();
    }
};

}  // namespace

Parser::Parser(std::size_t max_event_size) : max_event_size_(max_event_size) {}

std::size_t Parser::pending_bytes() const noexcept {
    const std::size_t bom_part = bom_checked_ ? 0 : bom_matched_;
    return line_.size() + data_.size() + event_type_.size() + bom_part;
}

// Invariant: pending_bytes() <= max_event_size_, so the subtraction cannot wrap.
bool Parser::fits(std::size_t extra) const noexcept {
    return extra <= max_event_size_ - (line_.size() + data_.size() + event_type_.size());
}

// Memory is released rather than kept: the parser is dead until finish(), and the buffers may
// have grown to the limit.
void Parser::die() noexcept {
    dead_ = true;
    std::string().swap(line_);
    std::string().swap(data_);
    std::string().swap(event_type_);
}

bool Parser::buffer_line_part(std::string_view part) {
    if (!fits(part.size())) {
        die();
        return false;
    }
    line_.append(part);
    return true;
}

// Returns false when the chunk is used up while the bytes seen so far could still be a BOM.
// The BOM may arrive split across chunks, so the matched prefix is remembered; if the stream
// turns out not to start with a BOM, that prefix is ordinary text of the first line.
bool Parser::skip_bom(std::string_view& bytes) {
    while (bom_matched_ < bom.size() && !bytes.empty() && bytes.front() == bom[bom_matched_]) {
        ++bom_matched_;
        bytes.remove_prefix(1);
    }
    if (bom_matched_ < bom.size() && bytes.empty()) return false;
    bom_checked_ = true;
    if (bom_matched_ < bom.size()) buffer_line_part(bom.substr(0, bom_matched_));
    bom_matched_ = 0;
    return true;
}

Status Parser::feed(std::string_view bytes, Handler& handler) {
    if (dead_) return Status::event_too_large;
    try {
        if (!bom_checked_ && !skip_bom(bytes)) return Status::ok;
        if (dead_) return Status::event_too_large;

        const char* p = bytes.data();
        const char* const end = p + bytes.size();
        // "a single U+000D CARRIAGE RETURN (CR) character not followed by a U+000A LINE FEED (LF)
        // character" ends a line, and so does CRLF; a CR that ended the previous chunk is the
        // first half of a CRLF if this chunk starts with LF.
        if (pending_cr_ && p != end) {
            if (*p == '\n') ++p;
            pending_cr_ = false;
        }
        // Both line-end bytes are searched once per occurrence, not once per line, so a CR-only
        // stream does not rescan to the end of the chunk for a LF on every line.
        const char* next_lf = find_byte(p, end, '\n');
        const char* next_cr = find_byte(p, end, '\r');
        while (p != end) {
            if (next_lf < p) next_lf = find_byte(p, end, '\n');
            if (next_cr < p) next_cr = find_byte(p, end, '\r');
            const char* const eol = next_lf < next_cr ? next_lf : next_cr;
            if (eol == end) {
                if (!buffer_line_part({p, static_cast<std::size_t>(end - p)})) break;
                return Status::ok;
            }
            std::string_view line(p, static_cast<std::size_t>(eol - p));
            p = eol + 1;
            if (*eol == '\r') {
                if (p == end) {
                    pending_cr_ = true;
                } else if (*p == '\n') {
                    ++p;
                }
            }
            if (!line_.empty()) {
                if (!buffer_line_part(line)) break;
                line = line_;
            } else if (!fits(line.size())) {
                die();
                break;
            }
            const bool go_on = process_line(line, handler);
            line_.clear();
            if (!go_on) return Status::stopped;
        }
        return dead_ ? Status::event_too_large : Status::ok;
    } catch (const std::bad_alloc&) {
        // Only reachable with a limit larger than the memory available: report it as the
        // oversized event it is.
        die();
        return Status::event_too_large;
    }
}

bool Parser::process_line(std::string_view line, Handler& handler) {
    // "If the line is empty (a blank line): Dispatch the event".
    if (line.empty()) return dispatch(handler);
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    if (line.front() == ':') return true;

    // "If the line contains a U+003A COLON character (:): Collect the characters on the line
    // before the first U+003A COLON character (:), and let field be that string. Collect the
    // characters on the line after the first U+003A COLON character (:), and let value be that
    // string. If value starts with a U+0020 SPACE character, remove it from value."
    // "Otherwise, the string is not empty but does not contain a U+003A COLON character (:):
    // Process the field using the whole line as the field name, and the empty string as the
    // field value."
    std::string_view field = line;
    std::string_view value;
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }

    // Field names are compared literally ("case-sensitive").
    if (field == "data") {
        // "Append the field value to the data buffer, then append a single U+000A LINE FEED (LF)
        // character to the data buffer."
        data_.append(value);
        data_.push_back('\n');
    } else if (field == "event") {
        // "Set the event type buffer to the field value."
        event_type_.assign(value);
    } else if (field == "id") {
        // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to
        // the field value. Otherwise, ignore the field."
        if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
    } else if (field == "retry") {
        // "...set the event stream's reconnection time to that integer. Otherwise, ignore the
        // field."
        if (std::uint64_t ms = 0; parse_retry(value, ms)) handler.on_retry(ms);
    }
    // "Otherwise: The field is ignored."
    return true;
}

bool Parser::dispatch(Handler& handler) {
    // "If the data buffer is an empty string, set the data buffer and the event type buffer to
    // the empty string and return."
    if (data_.empty()) {
        event_type_.clear();
        return true;
    }
    // "If the data buffer's last character is a U+000A LINE FEED (LF) character, then remove
    // the last character from the data buffer." (It always is: every data field appends one.)
    data_.pop_back();
    // "Initialize event's type attribute to "message" ... If the event type buffer has a value
    // other than the empty string, change the type of the newly created event to equal the value
    // of the event type buffer." The last event ID buffer is not reset: it persists.
    const ClearOnExit clear{data_, event_type_};
    const Event event{event_type_.empty() ? std::string_view("message") : event_type_, data_,
                      last_id_};
    return handler.on_event(event);
}

bool Parser::finish() {
    // "Once the end of the file is reached, any pending data must be discarded. (If the file ends
    // in the middle of an event, before the final empty line, the incomplete event is not
    // dispatched.)"
    const bool discarded = dead_ || !line_.empty() || !data_.empty() || !event_type_.empty() ||
                           (!bom_checked_ && bom_matched_ > 0);
    line_.clear();
    data_.clear();
    event_type_.clear();
    last_id_.clear();
    pending_cr_ = false;
    bom_checked_ = false;
    bom_matched_ = 0;
    dead_ = false;
    return discarded;
}

}  // namespace letta_stream::sse
