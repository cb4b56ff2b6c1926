// The synthetic Letta stream. Field order and spacing follow the archived server's pydantic
// model_dump_json() output (compare tests/fixtures/letta/synth_foreground_token_stream.sse).
// Assistant token events are pre-rendered once per distinct piece so that a flood of a million
// events is mostly memcpy.
#include <charconv>
#include <cstdio>

#include "stream_gen.hpp"
#include "util.hpp"

namespace fls {

namespace {

// The otid of a message segment: the message uuid with its last 7 bits set to the segment index.
std::string otid(const std::string& uuid, int index) {
    std::string out = uuid;
    unsigned last = static_cast<unsigned>(std::stoul(uuid.substr(uuid.size() - 2), nullptr, 16));
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", (last & 0x80u) | static_cast<unsigned>(index));
    out.replace(out.size() - 2, 2, hex);
    return out;
}

void append_int(std::string& out, long long v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
}

// `data: {"id":…,"seq_id":` — the part of a message event before its seq_id value.
std::string head(const GenIds& ids, const char* type, const std::string& uuid, int seg,
                 const std::string& step) {
    return "data: {\"id\":\"message-" + uuid + "\",\"date\":\"" + ids.date +
           "\",\"name\":null,\"message_type\":\"" + type + "\",\"otid\":\"" + otid(uuid, seg) +
           "\",\"sender_id\":null,\"step_id\":\"step-" + step + "\",\"is_err\":null,\"seq_id\":";
}

class GenSource final : public Source {
  public:
    GenSource(const GenSpec& g, const GenIds& ids) : g_(g), ids_(ids) {
        run_tail_ = ",\"run_id\":\"" + ids.run_id + "\"";
        bool tool = g.tool_call.has_value();
        int seg = 0;
        if (!g.reasoning_pieces.empty())
            reasoning_head_ = head(ids, "reasoning_message", ids.msg_uuid, seg++, ids.step1);
        if (tool) tool_head_ = head(ids, "tool_call_message", ids.msg_uuid, seg++, ids.step1);
        const std::string& reply_uuid = tool ? ids.reply_msg_uuid : ids.msg_uuid;
        assistant_head_ = head(ids, "assistant_message", reply_uuid, tool ? 0 : seg,
                               tool ? ids.step2 : ids.step1);
        for (const auto& p : g.pieces) {
            tails_.push_back(run_tail_ + ",\"content\":" + json_quote(p) + "}\n\n");
            full_.push_back(assistant_head_ + "null" + tails_.back());
        }
        total_ = g.big_event_bytes >= 0 ? 1
                 : g.repeat_events >= 0 ? g.repeat_events
                                        : static_cast<long long>(g.pieces.size());
        if (g.error_midstream_after >= 0 && g.error_midstream_after < total_)
            total_ = g.error_midstream_after;
    }

    bool next(std::string& out, size_t batch, bool& token) override {
        token = false;
        const size_t start = out.size();
        for (;;) {
            if (phase_ == kAssistant && batch > 0 && g_.big_event_bytes < 0) {
                fill_assistant(out, batch);  // the flood fast path
                if (out.size() >= batch) return true;
            }
            if (!emit_one(out, token)) return out.size() > start;
            if (batch == 0 || out.size() >= batch) return true;
        }
    }

    std::string ping() override {
        return render_ping(ids_.run_id, iso_now(), ids_.background ? seq_ : -1);
    }

  private:
    enum Phase {
        kPing,
        kReasoning,
        kToolCall,
        kToolReturn,
        kAssistant,
        kError,
        kStop,
        kUsage,
        kDone,
        kEnd
    };

    void seq(std::string& out) {
        ++seq_;
        if (ids_.background) {
            append_int(out, seq_);
        } else {
            out += "null";
        }
    }

    void fill_assistant(std::string& out, size_t batch) {
        size_t n = g_.pieces.size();
        while (assisted_ < total_ && out.size() < batch) {
            size_t i = static_cast<size_t>(assisted_ % static_cast<long long>(n));
            if (ids_.background) {
                out += assistant_head_;
                seq(out);
                out += tails_[i];
            } else {
                ++seq_;
                out += full_[i];
            }
            ++assisted_;
        }
        if (assisted_ >= total_) phase_ = kError;
    }

    std::string big_content() const {
        const std::string& src = g_.text.empty() ? default_reply_text() : g_.text;
        auto n = static_cast<size_t>(g_.big_event_bytes);
        std::string s;
        s.reserve(n);
        while (s.size() + src.size() <= n)
            s += src;
        for (char c : src) {  // the rest, without cutting a UTF-8 sequence
            if (s.size() >= n) break;
            size_t len = (static_cast<unsigned char>(c) & 0x80) == 0 ? 1 : 0;
            if (len == 0) break;
            s += c;
        }
        s.resize(n, ' ');
        return s;
    }

    bool emit_one(std::string& out, bool& token);

    const GenSpec& g_;
    GenIds ids_;
    Phase phase_ = kPing;
    std::string run_tail_, reasoning_head_, tool_head_, assistant_head_;
    std::vector<std::string> tails_, full_;
    long long total_ = 0;
    long long assisted_ = 0;
    size_t reasoning_idx_ = 0;
    long long seq_ = 0;  // last sequence number used
};

bool GenSource::emit_one(std::string& out, bool& token) {
    for (;;) {
        switch (phase_) {
            case kPing:
                phase_ = kReasoning;
                if (!g_.initial_ping) continue;
                ++seq_;
                out +=
                    render_ping(ids_.run_id, ids_.date, ids_.background ? seq_ : -1, ids_.ping_id);
                return true;
            case kReasoning:
                if (reasoning_idx_ >= g_.reasoning_pieces.size()) {
                    phase_ = kToolCall;
                    continue;
                }
                out += reasoning_head_;
                seq(out);
                out += run_tail_ + ",\"source\":\"reasoner_model\",\"reasoning\":" +
                       json_quote(g_.reasoning_pieces[reasoning_idx_++]) +
                       ",\"signature\":null}\n\n";
                token = true;
                return true;
            case kToolCall: {
                phase_ = kToolReturn;
                if (!g_.tool_call) continue;
                const ToolCallSpec& t = *g_.tool_call;
                std::string call = "{\"name\":" + json_quote(t.name) +
                                   ",\"arguments\":" + json_quote(t.arguments) +
                                   ",\"tool_call_id\":" + json_quote(ids_.tool_call_id) + "}";
                out += tool_head_;
                seq(out);
                out += run_tail_ + ",\"tool_call\":" + call + ",\"tool_calls\":[" + call + "]}\n\n";
                return true;
            }
            case kToolReturn: {
                phase_ = kAssistant;
                if (!g_.tool_call) continue;
                const ToolCallSpec& t = *g_.tool_call;
                out += head(ids_, "tool_return_message", ids_.tool_msg_uuid, 0, ids_.step1);
                seq(out);
                out += run_tail_ + ",\"tool_return\":" + json_quote(t.tool_return) +
                       ",\"status\":" + json_quote(t.status) +
                       ",\"tool_call_id\":" + json_quote(ids_.tool_call_id) +
                       ",\"stdout\":null,\"stderr\":null,\"tool_returns\":null}\n\n";
                return true;
            }
            case kAssistant:
                if (assisted_ >= total_) {
                    phase_ = kError;
                    continue;
                }
                if (g_.big_event_bytes >= 0) {
                    out += assistant_head_;
                    seq(out);
                    out += run_tail_ + ",\"content\":" + json_quote(big_content()) + "}\n\n";
                    ++assisted_;
                } else {
                    fill_assistant(out, 1);
                }
                token = true;
                return true;
            case kError:
                phase_ = kStop;
                if (g_.error_midstream_after < 0 || assisted_ < g_.error_midstream_after) continue;
                ++seq_;
                out +=
                    "data: "
                    "{\"message_type\":\"stop_reason\",\"stop_reason\":\"llm_api_error\"}\n\n";
                out +=
                    "event: error\ndata: {\"message_type\":\"error_message\",\"run_id\":\"" +
                    ids_.run_id +
                    "\",\"error_type\":\"internal_error\",\"message\":\"An error occurred during "
                    "agent execution.\",\"detail\":\"Connection error during OpenAI "
                    "streaming\",\"seq_id\":";
                seq(out);
                out += "}\n\n";
                phase_ = kEnd;
                return true;
            case kStop:
                phase_ = kUsage;
                if (!g_.stop_reason) continue;
                ++seq_;
                out += "data: {\"message_type\":\"stop_reason\",\"stop_reason\":" +
                       json_quote(*g_.stop_reason) + "}\n\n";
                return true;
            case kUsage: {
                phase_ = kDone;
                if (!g_.usage) continue;
                ++seq_;
                long long completion = assisted_;
                auto reasoning = static_cast<long long>(g_.reasoning_pieces.size());
                out += "data: {\"message_type\":\"usage_statistics\",\"completion_tokens\":";
                append_int(out, completion);
                out += ",\"prompt_tokens\":2310,\"total_tokens\":";
                append_int(out, 2310 + completion);
                out += ",\"step_count\":";
                out += g_.tool_call ? "2" : "1";
                out +=
                    ",\"run_ids\":null,\"cached_input_tokens\":2048,\"cache_write_tokens\":null,"
                    "\"reasoning_tokens\":";
                if (reasoning > 0) {
                    append_int(out, reasoning);
                } else {
                    out += "null";
                }
                out += ",\"context_tokens\":";
                append_int(out, 2310 + completion);
                out += "}\n\n";
                return true;
            }
            case kDone:
                phase_ = kEnd;
                if (!g_.done) continue;
                out += "data: [DONE]\n\n";
                return true;
            case kEnd:
                return false;
        }
    }
}

}  // namespace

GenIds make_gen_ids(const GenSpec& g, bool background) {
    GenIds ids;
    ids.run_id = g.run_id.empty() ? "run-" + uuid4() : g.run_id;
    ids.ping_id = uuid4();
    ids.msg_uuid = uuid4();
    ids.tool_msg_uuid = uuid4();
    ids.reply_msg_uuid = uuid4();
    ids.step1 = uuid4();
    ids.step2 = uuid4();
    if (g.tool_call && !g.tool_call->tool_call_id.empty()) {
        ids.tool_call_id = g.tool_call->tool_call_id;
    } else {
        std::string u = uuid4();
        ids.tool_call_id = "call_" + u.substr(0, 8) + u.substr(9, 4) + u.substr(24, 12);
    }
    ids.date = iso_now();
    ids.background = background;
    return ids;
}

std::unique_ptr<Source> make_gen_source(const GenSpec& g, const GenIds& ids) {
    return std::make_unique<GenSource>(g, ids);
}

std::string render_ping(const std::string& run_id, const std::string& date, long long seq,
                        const std::string& ping_uuid) {
    std::string s = "data: {\"id\":\"ping-" + (ping_uuid.empty() ? uuid4() : ping_uuid) +
                    "\",\"date\":\"" + date +
                    "\",\"name\":null,\"message_type\":\"ping\",\"otid\":null,\"sender_id\":null,"
                    "\"step_id\":null,\"is_err\":null,\"seq_id\":";
    if (seq >= 0) {
        append_int(s, seq);
    } else {
        s += "null";
    }
    s += ",\"run_id\":" + (run_id.empty() ? std::string("null") : json_quote(run_id)) + "}\n\n";
    return s;
}

}  // namespace fls
