// Text replay (fixtures, inline bodies) and the seq_id filter used for resumed streams.
#include <cctype>

#include "stream_gen.hpp"
#include "util.hpp"

namespace fls {

namespace {

class TextSource final : public Source {
  public:
    explicit TextSource(std::shared_ptr<const std::string> text)
        : text_(std::move(text)), run_id_(find_run_id(*text_)) {}

    bool next(std::string& out, size_t batch, bool& token) override {
        token = false;
        if (pos_ >= text_->size()) return false;
        do {
            size_t end = sse_event_end(*text_, pos_);
            if (end == std::string::npos) end = text_->size();
            out.append(*text_, pos_, end - pos_);
            pos_ = end;
        } while (batch > 0 && out.size() < batch && pos_ < text_->size());
        return true;
    }

    std::string ping() override { return render_ping(run_id_, iso_now(), -1); }

  private:
    std::shared_ptr<const std::string> text_;
    std::string run_id_;
    size_t pos_ = 0;
};

class SeqFilter final : public Source {
  public:
    SeqFilter(std::unique_ptr<Source> inner, long long after)
        : inner_(std::move(inner)), after_(after) {}

    bool next(std::string& out, size_t batch, bool& token) override {
        const size_t start = out.size();
        for (;;) {
            tmp_.clear();
            bool tok = false;
            if (!inner_->next(tmp_, 0, tok)) return out.size() > start;
            if (!keep(tmp_)) continue;
            out += tmp_;
            token = tok;
            if (batch == 0 || out.size() >= batch) return true;
        }
    }

    std::string ping() override { return inner_->ping(); }

  private:
    bool keep(const std::string& ev) {
        if (ev.find("data") == std::string::npos) return last_ > after_;
        if (ev.find("[DONE]") != std::string::npos) return true;
        size_t p = ev.find("\"seq_id\":");
        if (p != std::string::npos) {
            p += 9;
            if (p < ev.size() && std::isdigit(static_cast<unsigned char>(ev[p]))) {
                last_ = std::stoll(ev.substr(p, 20));
                return last_ > after_;
            }
        }
        return ++last_ > after_;
    }

    std::unique_ptr<Source> inner_;
    long long after_;
    long long last_ = 0;
    std::string tmp_;
};

}  // namespace

size_t sse_event_end(std::string_view s, size_t pos) {
    size_t line_start = pos;
    while (line_start < s.size()) {
        size_t t = s.find_first_of("\r\n", line_start);
        if (t == std::string_view::npos) return std::string_view::npos;
        size_t next = t + ((s[t] == '\r' && t + 1 < s.size() && s[t + 1] == '\n') ? 2 : 1);
        if (t == line_start) return next;  // an empty line ends the event
        line_start = next;
    }
    return std::string_view::npos;
}

std::string find_run_id(std::string_view text) {
    static constexpr std::string_view kKey = "\"run_id\":\"";
    size_t p = text.find(kKey);
    if (p == std::string_view::npos) return "";
    p += kKey.size();
    size_t e = text.find('"', p);
    return e == std::string_view::npos ? "" : std::string(text.substr(p, e - p));
}

std::unique_ptr<Source> make_text_source(std::shared_ptr<const std::string> text) {
    return std::make_unique<TextSource>(std::move(text));
}

std::unique_ptr<Source> make_seq_filter(std::unique_ptr<Source> inner, long long starting_after) {
    return std::make_unique<SeqFilter>(std::move(inner), starting_after);
}

}  // namespace fls
