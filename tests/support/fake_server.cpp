#include "support/fake_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

namespace ls_test {

namespace {

constexpr int kStartTimeoutMs = 5000;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string make_temp_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ls-fake-server-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    return tmpl;
}

std::string base64_decode(const std::string& in) {
    std::string out;
    unsigned v = 0;
    int bits = 0;
    for (char c : in) {
        const char* tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char* p = c ? std::strchr(tab, c) : nullptr;
        if (!p) continue;  // '=' padding and anything else
        v = (v << 6) | static_cast<unsigned>(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xFF);
        }
    }
    return out;
}

bool reap(pid_t pid, int timeout_ms) {
    for (int waited = 0; waited <= timeout_ms; waited += 5) {
        pid_t r = ::waitpid(pid, nullptr, WNOHANG);
        if (r == pid || r < 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

}  // namespace

std::string LoggedRequest::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
}

rapidjson::Document LoggedRequest::json_body() const {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    return d;
}

FakeServer::FakeServer(const std::string& scenario_json,
                       const std::vector<std::string>& extra_args) {
    dir_ = make_temp_dir();
    const std::string scenario_path = dir_ + "/scenario.json";
    log_path_ = dir_ + "/requests.jsonl";
    stderr_path_ = dir_ + "/server.stderr";
    std::ofstream(scenario_path, std::ios::binary) << scenario_json;

    std::vector<std::string> args = {LS_FAKE_SERVER,
                                     "--scenario",
                                     scenario_path,
                                     "--fixtures",
                                     std::string(LS_FIXTURES_DIR) + "/letta",
                                     "--log",
                                     log_path_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = build_child_env({}, false, false);
    std::vector<char*> envp;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
        for (int s = 1; s < NSIG; ++s)
            ::signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(out[1], 1);
        if (err_fd >= 0) ::dup2(err_fd, 2);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(out[1]);
    if (err_fd >= 0) ::close(err_fd);
    if (pid_ < 0) {
        ::close(out[0]);
        throw std::runtime_error("fork failed");
    }

    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
    while (line.find('\n') == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{out[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[64];
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    port_ = line.find('\n') != std::string::npos ? std::atoi(line.c_str()) : 0;
    if (port_ <= 0) {
        ::kill(pid_, SIGKILL);
        reap(pid_, 2000);
        pid_ = -1;
        std::string msg = "fake-letta-server (" + std::string(LS_FAKE_SERVER) +
                          ") did not start: stdout=\"" + line + "\" stderr=\"" +
                          slurp(stderr_path_) + "\"";
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw std::runtime_error(msg);
    }
}

FakeServer::~FakeServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (!reap(pid_, 3000)) {
            ::kill(pid_, SIGKILL);
            reap(pid_, 3000);
        }
    }
    const char* keep = std::getenv("LS_TEST_KEEP_TMP");
    if (!keep || !*keep) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

std::vector<LoggedRequest> FakeServer::requests() const {
    std::vector<LoggedRequest> out;
    std::ifstream in(log_path_, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
        rapidjson::Document d;
        d.Parse(line.c_str(), line.size());
        if (d.HasParseError() || !d.IsObject()) continue;  // a line still being written
        LoggedRequest r;
        auto str = [&](const char* k) -> std::string {
            auto it = d.FindMember(k);
            return it != d.MemberEnd() && it->value.IsString()
                       ? std::string(it->value.GetString(), it->value.GetStringLength())
                       : "";
        };
        if (d.HasMember("seq") && d["seq"].IsInt()) r.seq = d["seq"].GetInt();
        if (d.HasMember("t_ms") && d["t_ms"].IsNumber()) r.t_ms = d["t_ms"].GetDouble();
        r.method = str("method");
        r.path = str("path");
        r.query = str("query");
        r.body = d.HasMember("body_base64") ? base64_decode(str("body_base64")) : str("body");
        if (d.HasMember("headers") && d["headers"].IsObject())
            for (auto& m : d["headers"].GetObject())
                if (m.value.IsString()) r.headers[m.name.GetString()] = m.value.GetString();
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<LoggedRequest> FakeServer::wait_for_requests(size_t n, int timeout_ms) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto r = requests();
        if (r.size() >= n || std::chrono::steady_clock::now() >= deadline) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string FakeServer::stderr_text() const {
    return slurp(stderr_path_);
}

}  // namespace ls_test
