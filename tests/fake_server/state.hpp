// Server-wide state shared by all connection threads: the scenario, the request log, counters,
// and the runs served so far (for cancellation and resume).
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http.hpp"
#include "scenario.hpp"
#include "stream_gen.hpp"

namespace fls {

// How a run's stream was produced, so /v1/runs/{id}/stream can render it again.
struct StreamRecipe {
    ResponseEntry entry;
    GenIds ids;  // meaningful when entry.generate or entry.openai is set
};

struct RunRecord {
    std::string run_id;
    std::string agent_id;
    std::string conversation_id;
    bool background = false;
    std::atomic<bool> cancelled{false};
    std::atomic<int> active{0};  // streams of this run being served right now
    std::shared_ptr<const StreamRecipe> recipe;
};

class RunRegistry {
  public:
    // Registers a new run (replacing an older record with the same id).
    std::shared_ptr<RunRecord> start(const std::string& run_id, const std::string& agent_id,
                                     const std::string& conversation_id, bool background,
                                     std::shared_ptr<const StreamRecipe> recipe);
    std::shared_ptr<RunRecord> find(const std::string& run_id);
    std::shared_ptr<RunRecord> find_or_create(const std::string& run_id);
    // Runs of an agent (or conversation): the active ones, else the most recent one.
    std::vector<std::shared_ptr<RunRecord>> cancel_targets(const std::string& agent_id,
                                                           const std::string& conversation_id);

  private:
    std::mutex mu_;
    std::vector<std::shared_ptr<RunRecord>> runs_;  // in start order
};

class RequestLog {
  public:
    explicit RequestLog(const std::string& path);  // empty path: no log
    ~RequestLog();
    bool ok() const { return path_.empty() || f_ != nullptr; }
    // Appends one JSON line and flushes. Returns the request's sequence number (from 1).
    int write(const Request& req);

  private:
    std::string path_;
    std::FILE* f_ = nullptr;
    std::mutex mu_;
    int seq_ = 0;
};

struct ServerState {
    Scenario scenario;
    RequestLog log;
    RunRegistry runs;
    std::atomic<int> message_posts{0};
    std::atomic<int> resume_posts{0};

    ServerState(Scenario sc, const std::string& log_path)
        : scenario(std::move(sc)), log(log_path) {}
};

}  // namespace fls
