#include "state.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util.hpp"

namespace fls {

std::shared_ptr<RunRecord> RunRegistry::start(const std::string& run_id,
                                              const std::string& agent_id,
                                              const std::string& conversation_id, bool background,
                                              std::shared_ptr<const StreamRecipe> recipe) {
    auto r = std::make_shared<RunRecord>();
    r->run_id = run_id;
    r->agent_id = agent_id;
    r->conversation_id = conversation_id;
    r->background = background;
    r->recipe = std::move(recipe);
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(runs_, [&](const auto& x) { return x->run_id == run_id; });
    runs_.push_back(r);
    return r;
}

std::shared_ptr<RunRecord> RunRegistry::find(const std::string& run_id) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it)
        if ((*it)->run_id == run_id) return *it;
    return nullptr;
}

std::shared_ptr<RunRecord> RunRegistry::find_or_create(const std::string& run_id) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = runs_.rbegin(); it != runs_.rend(); ++it)
        if ((*it)->run_id == run_id) return *it;
    auto r = std::make_shared<RunRecord>();
    r->run_id = run_id;
    runs_.push_back(r);
    return r;
}

std::vector<std::shared_ptr<RunRecord>> RunRegistry::cancel_targets(
    const std::string& agent_id, const std::string& conversation_id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<RunRecord>> mine;
    for (const auto& r : runs_) {
        bool match = (!agent_id.empty() && r->agent_id == agent_id) ||
                     (!conversation_id.empty() && r->conversation_id == conversation_id);
        if (match) mine.push_back(r);
    }
    std::vector<std::shared_ptr<RunRecord>> active;
    for (const auto& r : mine)
        if (r->active.load() > 0) active.push_back(r);
    if (active.empty() && !mine.empty()) active.push_back(mine.back());
    return active;
}

RequestLog::RequestLog(const std::string& path) : path_(path) {
    if (!path.empty()) f_ = std::fopen(path.c_str(), "ae");
}

RequestLog::~RequestLog() {
    if (f_) std::fclose(f_);
}

int RequestLog::write(const Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    int seq = ++seq_;
    if (!f_) return seq;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("seq");
    w.Int(seq);
    w.Key("t_ms");
    w.Double(static_cast<double>(static_cast<long long>(ms_since_start() * 1000)) / 1000.0);
    w.Key("method");
    w.String(utf8_lossy(req.method));
    w.Key("path");
    w.String(utf8_lossy(req.path));
    w.Key("query");
    w.String(utf8_lossy(req.query));
    w.Key("headers");
    w.StartObject();
    for (const auto& [k, v] : req.headers) {
        std::string key = utf8_lossy(k);
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        w.String(utf8_lossy(v));
    }
    w.EndObject();
    w.Key("body");
    if (valid_utf8(req.body)) {
        w.String(req.body);
    } else {
        w.String(utf8_lossy(req.body));
        w.Key("body_base64");
        w.String(base64(req.body));
    }
    w.EndObject();
    std::fwrite(buf.GetString(), 1, buf.GetSize(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
    return seq;
}

}  // namespace fls
