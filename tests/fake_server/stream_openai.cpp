// The synthetic OpenAI chat.completion.chunk stream, byte for byte as the Letta App Server writes
// it (compare tests/fixtures/openai/appserver_stream.sse): compact JSON, `data: …\n\n`, the role
// chunk first, one chunk per content piece, the finish chunk, `data: [DONE]`. Reasoning, tool-call
// and usage chunks (which the App Server never sends) follow OpenAI's own shapes. Content chunks
// are pre-rendered once per distinct piece, so a flood of a million chunks is mostly memcpy.
#include <ctime>

#include "stream_gen.hpp"
#include "util.hpp"

namespace fls {

namespace {

// What the App Server sends when the turn fails after the 200 (here: an upstream stream that
// ended early, as in appserver_llm_drop_retried.sse): the message is itself JSON text.
constexpr const char* kErrorMessage =
    "{\n  \"error\": {\n    \"error\": {\n      \"type\": \"llm_error\",\n      \"message\": "
    "\"Stream ended without finish_reason\",\n      \"detail\": \"Stream ended without "
    "finish_reason\"\n    },\n    \"run_id\": \"local-run-1\"\n  }\n}";

class OpenAiSource final : public Source {
  public:
    OpenAiSource(const OpenAiSpec& g, const GenIds& ids) : g_(g), ids_(ids) {
        head_ =
            "data: {\"id\":\"" + ids.chat_id +
            "\",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(ids.created) +
            ",\"model\":" + json_quote(ids.model) + ",\"choices\":[";
        for (const auto& p : g.pieces)
            content_.push_back(delta("{\"content\":" + json_quote(p) + "}"));
        total_ = g.repeat_events >= 0 ? g.repeat_events : static_cast<long long>(g.pieces.size());
        if (g.error_after >= 0 && g.error_after < total_) total_ = g.error_after;
    }

    bool next(std::string& out, size_t batch, bool& token) override {
        token = false;
        const size_t start = out.size();
        for (;;) {
            if (phase_ == kContent && batch > 0) {
                fill_content(out, batch);  // the flood fast path
                if (out.size() >= batch) return true;
            }
            if (!emit_one(out, token)) return out.size() > start;
            if (batch == 0 || out.size() >= batch) return true;
        }
    }

    // OpenAI-compatible servers have no keepalive event; an SSE comment is what proxies send.
    std::string ping() override { return ": ping\n\n"; }

  private:
    enum Phase { kRole, kReasoning, kContent, kToolCall, kError, kFinish, kUsage, kDone, kEnd };

    // One chunk of choice 0 with this delta and no finish reason.
    std::string delta(const std::string& d) const {
        return head_ + "{\"index\":0,\"delta\":" + d + ",\"finish_reason\":null}]}\n\n";
    }

    void fill_content(std::string& out, size_t batch) {
        const size_t n = content_.size();
        while (sent_ < total_ && out.size() < batch)
            out += content_[static_cast<size_t>(sent_++ % static_cast<long long>(n))];
        if (sent_ >= total_) phase_ = kToolCall;
    }

    bool emit_one(std::string& out, bool& token);

    const OpenAiSpec& g_;
    GenIds ids_;
    Phase phase_ = kRole;
    std::string head_;
    std::vector<std::string> content_;
    long long total_ = 0;
    long long sent_ = 0;
    size_t reasoning_idx_ = 0;
    size_t fragment_idx_ = 0;  // 0: the fragment that names the call
};

bool OpenAiSource::emit_one(std::string& out, bool& token) {
    for (;;) {
        switch (phase_) {
            case kRole:
                phase_ = kReasoning;
                out += delta("{\"role\":\"assistant\",\"content\":\"\"}");
                return true;
            case kReasoning:
                if (reasoning_idx_ >= g_.reasoning_pieces.size()) {
                    phase_ = kContent;
                    continue;
                }
                out += delta("{\"reasoning_content\":" +
                             json_quote(g_.reasoning_pieces[reasoning_idx_++]) + "}");
                token = true;
                return true;
            case kContent:
                if (sent_ >= total_) {
                    phase_ = kToolCall;
                    continue;
                }
                fill_content(out, 1);
                token = true;
                return true;
            case kToolCall: {
                if (!g_.tool_call || g_.error_after >= 0 ||
                    fragment_idx_ > g_.tool_call->fragments.size()) {
                    phase_ = kError;
                    continue;
                }
                const OpenAiToolCallSpec& t = *g_.tool_call;
                if (fragment_idx_ == 0) {
                    out += delta(
                        "{\"tool_calls\":[{\"index\":0,\"id\":" + json_quote(ids_.tool_call_id) +
                        ",\"type\":\"function\",\"function\":{\"name\":" + json_quote(t.name) +
                        ",\"arguments\":\"\"}}]}");
                } else {
                    out += delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" +
                                 json_quote(t.fragments[fragment_idx_ - 1]) + "}}]}");
                }
                ++fragment_idx_;
                token = true;
                return true;
            }
            case kError:
                if (g_.error_after < 0) {
                    phase_ = kFinish;
                    continue;
                }
                phase_ = kDone;  // no finish chunk and no usage after an error
                out += "data: {\"error\":{\"message\":" + json_quote(kErrorMessage) +
                       ",\"type\":\"server_error\"}}\n\n";
                return true;
            case kFinish:
                phase_ = kUsage;
                if (!g_.finish_reason) continue;
                out += head_ + "{\"index\":0,\"delta\":{},\"finish_reason\":" +
                       json_quote(*g_.finish_reason) + "}]}\n\n";
                return true;
            case kUsage: {
                phase_ = kDone;
                if (!g_.usage) continue;
                const auto reasoning = static_cast<long long>(g_.reasoning_pieces.size());
                const long long completion = sent_ + reasoning;
                out += head_ + "],\"usage\":{\"prompt_tokens\":2310,\"completion_tokens\":" +
                       std::to_string(completion) +
                       ",\"total_tokens\":" + std::to_string(2310 + completion) +
                       ",\"prompt_tokens_details\":{\"cached_tokens\":2048}" +
                       ",\"completion_tokens_details\":{\"reasoning_tokens\":" +
                       std::to_string(reasoning) + "}}}\n\n";
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

GenIds make_openai_ids(const OpenAiSpec& g, const std::string& request_model) {
    GenIds ids;
    ids.chat_id = "chatcmpl-" + uuid4();
    ids.created = static_cast<long long>(std::time(nullptr));
    ids.model = !g.model.empty() ? g.model : !request_model.empty() ? request_model : "fakebot";
    if (g.tool_call && !g.tool_call->id.empty()) {
        ids.tool_call_id = g.tool_call->id;
    } else {  // OpenAI's shape: "call_" and 24 alphanumerics
        std::string u = uuid4();
        ids.tool_call_id = "call_" + u.substr(0, 8) + u.substr(9, 4) + u.substr(24, 12);
    }
    return ids;
}

std::unique_ptr<Source> make_openai_source(const OpenAiSpec& g, const GenIds& ids) {
    return std::make_unique<OpenAiSource>(g, ids);
}

}  // namespace fls
