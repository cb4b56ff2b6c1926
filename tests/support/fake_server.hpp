// FakeServer: runs tests/fake_server (fake-letta-server) as a child process for one test.
// The scenario format is documented in tests/fake_server/README.md.
//
//   ls_test::FakeServer srv(R"({"responses":[{"fixture":"synth_foreground_token_stream.sse"}]})");
//   ... run letta-stream with LETTA_BASE_URL=srv.base_url() ...
//   auto reqs = srv.requests();  // what the client sent, in order
#pragma once

#include <rapidjson/document.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace ls_test {

struct LoggedRequest {
    int seq = 0;
    double t_ms = 0;  // since the server started
    std::string method;
    std::string path;                            // raw path, e.g. "/v1/agents/agent-…/messages"
    std::string query;                           // raw query string without '?'
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;                            // exact bytes

    // The header's value, or "" if absent.
    std::string header(const std::string& lower_name) const;
    bool has_header(const std::string& lower_name) const { return headers.count(lower_name) > 0; }
    // The body parsed as JSON (check HasParseError() before use).
    rapidjson::Document json_body() const;
};

class FakeServer {
  public:
    // Writes the scenario to a fresh temp dir and starts the server with
    // --fixtures LS_FIXTURES_DIR/letta. Throws std::runtime_error (with the server's stderr) if
    // it does not print its port within a few seconds.
    explicit FakeServer(const std::string& scenario_json,
                        const std::vector<std::string>& extra_args = {});
    ~FakeServer();
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // All requests logged so far, in arrival order.
    std::vector<LoggedRequest> requests() const;
    // Waits until at least n requests are logged (or timeout); returns the log.
    std::vector<LoggedRequest> wait_for_requests(size_t n, int timeout_ms = 3000) const;
    // The server's stderr so far.
    std::string stderr_text() const;
    const std::string& dir() const { return dir_; }
    pid_t pid() const { return pid_; }

  private:
    std::string dir_;
    std::string log_path_;
    std::string stderr_path_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace ls_test
