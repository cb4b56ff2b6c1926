#include "stream_serve.hpp"

#include <chrono>

#include "body_writer.hpp"
#include "util.hpp"

namespace fls {

namespace {

constexpr size_t kBatchBytes = 256 * 1024;
constexpr std::string_view kCancelTail =
    "data: {\"message_type\": \"stop_reason\", \"stop_reason\": \"cancelled\"}\n\n"
    "data: [DONE]\n\n";

// Decides where the socket writes are cut (the `split` option).
class Splitter {
  public:
    Splitter(BodyWriter& w, const ResponseEntry& e, bool coalesce)
        : w_(w), e_(e), coalesce_(coalesce) {}

    bool push(std::string_view s) {
        switch (e_.split) {
            case SplitMode::event:
                if (pending_.empty() && (!coalesce_ || s.size() >= kBatchBytes)) return out(s);
                pending_ += s;
                return (coalesce_ && pending_.size() < kBatchBytes) || flush();
            case SplitMode::all:
                pending_ += s;
                return true;
            case SplitMode::bytes: {
                pending_ += s;
                auto n = static_cast<size_t>(e_.split_bytes);
                size_t off = 0;
                for (; pending_.size() - off >= n; off += n)
                    if (!out(std::string_view(pending_).substr(off, n))) return false;
                pending_.erase(0, off);
                return true;
            }
            case SplitMode::offsets: {
                pending_ += s;
                size_t off = 0;
                while (next_cut_ < e_.offsets.size()) {
                    long long cut = e_.offsets[next_cut_];
                    if (cut > pos_ + static_cast<long long>(pending_.size() - off)) break;
                    auto len = static_cast<size_t>(cut - pos_);
                    if (len > 0 && !out(std::string_view(pending_).substr(off, len))) return false;
                    off += len;
                    ++next_cut_;
                }
                pending_.erase(0, off);
                return true;
            }
        }
        return false;
    }

    bool flush() {
        if (pending_.empty()) return true;
        bool ok = out(pending_);
        pending_.clear();
        return ok;
    }

  private:
    bool out(std::string_view s) {
        pos_ += static_cast<long long>(s.size());
        return w_.write(s);
    }

    BodyWriter& w_;
    const ResponseEntry& e_;
    bool coalesce_;
    std::string pending_;
    long long pos_ = 0;  // bytes handed to the writer so far
    size_t next_cut_ = 0;
};

// line_endings and data_no_space. Pieces always start at the beginning of an event.
std::string_view transform(std::string_view in, std::string& buf, const ResponseEntry& e) {
    if (e.line_endings == LineEndings::lf && !e.data_no_space) return in;
    const char* eol = e.line_endings == LineEndings::crlf ? "\r\n"
                      : e.line_endings == LineEndings::cr ? "\r"
                                                          : "\n";
    buf.clear();
    bool line_start = true;
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (line_start && e.data_no_space && in.substr(i, 6) == "data: ") {
            buf += "data:";
            i += 5;
            line_start = false;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
            buf += eol;
            line_start = true;
        } else {
            buf += c;
            line_start = false;
        }
    }
    return buf;
}

std::unique_ptr<Source> make_source(const ResponseEntry& e, const ServeOptions& opt) {
    std::unique_ptr<Source> src;
    if (e.generate) {
        src = make_gen_source(*e.generate, *opt.ids);
    } else if (e.openai) {
        src = make_openai_source(*e.openai, *opt.ids);
    } else if (e.fixture_data) {
        src = make_text_source(e.fixture_data);
    } else if (e.body || e.body_json) {
        src =
            make_text_source(std::make_shared<const std::string>(e.body ? *e.body : *e.body_json));
    } else {
        return nullptr;
    }
    if (opt.starting_after >= 0) src = make_seq_filter(std::move(src), opt.starting_after);
    return src;
}

// Produces the whole body into w. conn is null in the dry run: no waits, no cancellation.
void produce_body(Conn* conn, BodyWriter& w, const ResponseEntry& e, const ServeOptions& opt) {
    const std::atomic<bool>* cancel = conn && opt.run ? &opt.run->cancelled : nullptr;
    const bool no_delays = e.delay_ms == 0 && e.rate == 0;
    const bool coalesce = e.coalesce.value_or(e.generated() && no_delays);
    const size_t batch =
        (e.rate > 0 || (e.split == SplitMode::event && !coalesce)) ? 0 : kBatchBytes;
    Splitter sp(w, e, coalesce);
    std::string piece, tbuf;
    bool cancelled = false;
    auto is_cancelled = [&] { return cancel && cancel->load(); };
    auto push_cancel = [&] {
        cancelled = true;
        return sp.flush() && sp.push(transform(kCancelTail, tbuf, e)) && sp.flush();
    };

    if (e.bom && !sp.push("\xEF\xBB\xBF")) return;
    std::unique_ptr<Source> src = make_source(e, opt);
    // The pacing clock starts at the first token event, after any first_delay_ms, so the delay
    // before the first token never turns into a burst of overdue tokens.
    std::chrono::steady_clock::time_point start{};
    long long tokens = 0;
    bool token = false;
    while (src) {
        if (is_cancelled()) {
            if (!push_cancel()) return;
            break;
        }
        piece.clear();
        if (!src->next(piece, batch, token)) break;
        if (conn && token && e.rate > 0) {  // pace token events at `rate` per second
            if (tokens == 0) start = std::chrono::steady_clock::now();
            auto due = start + std::chrono::microseconds(static_cast<long long>(
                                   1e6 * static_cast<double>(tokens++) / e.rate));
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                due - std::chrono::steady_clock::now());
            if (left.count() > 0 &&
                conn->wait(static_cast<int>(left.count()), cancel) == WaitResult::disconnected)
                return;
        }
        if (!sp.push(transform(piece, tbuf, e))) return;
    }
    if (!cancelled && !e.raw_tail.empty() && !sp.push(e.raw_tail)) return;
    if (conn && e.endless && !cancelled) {
        for (;;) {
            if (!sp.flush()) return;
            WaitResult r = conn->wait(e.ping_interval_ms, cancel);
            if (r == WaitResult::disconnected) return;
            if (r == WaitResult::cancelled) {
                if (!push_cancel()) return;
                break;
            }
            std::string ping = src ? src->ping() : render_ping("", iso_now(), -1);
            if (!sp.push(transform(ping, tbuf, e))) return;
        }
    }
    if (!sp.flush()) return;
    w.finish();
}

std::string default_content_type(const ResponseEntry& e) {
    if (e.body_json) return "application/json";
    if (e.openai) return "text/event-stream";  // the App Server sends no charset
    if (e.status >= 200 && e.status < 300) return "text/event-stream; charset=utf-8";
    return "text/plain; charset=utf-8";
}

bool has_header(const ResponseEntry& e, std::string_view name) {
    for (const auto& [k, v] : e.headers)
        if (iequals(k, name)) return true;
    return false;
}

}  // namespace

void serve_entry(Conn& conn, const ResponseEntry& e, const ServeOptions& opt) {
    if (e.headers_delay_ms > 0 &&
        conn.wait(e.headers_delay_ms, nullptr) == WaitResult::disconnected)
        return;
    std::string head = status_line_and_common_headers(e.status);
    if (!has_header(e, "content-type")) head += "content-type: " + default_content_type(e) + "\r\n";
    if (e.gzip && !has_header(e, "content-encoding")) head += "content-encoding: gzip\r\n";
    if (e.openai && !has_header(e, "cache-control")) head += "cache-control: no-cache\r\n";
    if (e.framing == Framing::length) {
        BodyWriter dry(nullptr, e, nullptr);
        produce_body(nullptr, dry, e, opt);
        head += "content-length: " + std::to_string(dry.wire_bytes()) + "\r\n";
    } else if (e.framing == Framing::chunked) {
        head += "transfer-encoding: chunked\r\n";
    }
    if (e.framing == Framing::close) conn.set_close_after_response();
    for (const auto& [k, v] : e.headers)
        head += k + ": " + v + "\r\n";
    if (conn.close_after_response() && !has_header(e, "connection"))
        head += "connection: close\r\n";
    head += "\r\n";
    if (!conn.send_all(head)) return;

    BodyWriter w(&conn, e, opt.run ? &opt.run->cancelled : nullptr);
    produce_body(&conn, w, e, opt);
    if (w.aborted() || e.framing == Framing::close) conn.close_now(false);
}

}  // namespace fls
