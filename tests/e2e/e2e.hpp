// Shared helpers for the end-to-end tests: run the real letta-stream binary against a
// fake-letta-server over loopback and look at stdout, stderr, the exit status and what the
// server received.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <vector>

#include "support/fake_server.hpp"
#include "support/process.hpp"

namespace e2e {

inline constexpr const char* kAgentId = "agent-1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
inline constexpr const char* kKey = "sk-let-e2e-secret";
inline constexpr const char* kNoConfigDir = "/nonexistent/letta-stream-e2e-no-config";

// A scenario with one known agent ("calc"), the API key check on, and `response` as the answer
// to the message POST (a JSON object text, e.g. R"({"fixture":"x.sse"})").
inline std::string scenario(const std::string& response, const std::string& extra = "") {
    return R"({"api_key":")" + std::string(kKey) + R"(","agents":[{"id":")" + kAgentId +
           R"(","name":"calc","created_at":"2026-01-02T00:00:00Z"}],"response":)" + response +
           (extra.empty() ? "" : "," + extra) + "}";
}

struct Options {
    std::vector<std::string> env;  // extra NAME=value
    ls_test::StdinMode stdin_mode = ls_test::StdinMode::dev_null;
    std::string stdin_data;
    std::string stdout_path;
    long long close_stdout_after = -1;
    long long file_size_limit = -1;  // `ulimit -f` in bytes
    int signal = 0;
    int signal_after_ms = -1;
    long long signal_after_stdout_bytes = -1;
    int timeout_ms = 20000;
    bool with_key = true;
    bool with_base_url = true;
};

// letta-stream ARGS with LETTA_BASE_URL pointing at `server`, LETTA_API_KEY set, and no
// configuration file.
inline ls_test::ProcessResult run(const ls_test::FakeServer* server,
                                  const std::vector<std::string>& args, const Options& o = {}) {
    ls_test::ProcessSpec spec;
    spec.argv.push_back(LS_BINARY);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    if (server != nullptr && o.with_base_url)
        spec.env.push_back("LETTA_BASE_URL=" + server->base_url());
    if (o.with_key) spec.env.push_back(std::string("LETTA_API_KEY=") + kKey);
    spec.env.push_back("NO_COLOR=1");
    // No configuration file (a developer's own must not change the results) unless the test
    // sets XDG_CONFIG_HOME itself: this directory does not exist.
    spec.env.push_back(std::string("XDG_CONFIG_HOME=") + kNoConfigDir);
    spec.env.insert(spec.env.end(), o.env.begin(), o.env.end());
    spec.stdin_mode = o.stdin_mode;
    if (!o.stdin_data.empty() || o.stdin_mode == ls_test::StdinMode::pipe) {
        spec.stdin_mode =
            o.stdin_mode == ls_test::StdinMode::pty ? o.stdin_mode : ls_test::StdinMode::pipe;
        spec.stdin_data = o.stdin_data;
    }
    spec.stdout_path = o.stdout_path;
    spec.close_stdout_after_bytes = o.close_stdout_after;
    spec.file_size_limit = o.file_size_limit;
    if (o.signal != 0) {
        spec.signal = o.signal;
        spec.signal_after_ms = o.signal_after_ms;
        spec.signal_after_stdout_bytes = o.signal_after_stdout_bytes;
    }
    spec.timeout_ms = o.timeout_ms;
    return ls_test::run_process(spec);
}

// The message POSTs the server received (agent lookups and cancels excluded).
inline std::vector<ls_test::LoggedRequest> message_posts(const ls_test::FakeServer& server) {
    std::vector<ls_test::LoggedRequest> out;
    for (auto& r : server.requests())
        if (r.method == "POST" && r.path.find("/messages") != std::string::npos &&
            r.path.find("/cancel") == std::string::npos)
            out.push_back(r);
    return out;
}

// `s` as a JSON string literal (quotes included), for building scenarios.
inline std::string json_string(const std::string& s) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return sb.GetString();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace e2e
