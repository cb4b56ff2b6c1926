#include "support/tls_servers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

extern char** environ;

namespace ls_test {

namespace {

using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string make_temp_dir(const char* stem) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + stem + "-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    return tmpl;
}

std::string helpers_script() {
    return std::string(LS_FIXTURES_DIR) + "/../support/tls_helpers.py";
}

// /usr/bin/python3 rather than whatever python3 comes first in PATH (pyenv shims and the like).
std::string python() {
    if (::access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
    return locate_program("python3");
}

void run_checked(const std::vector<std::string>& argv, const std::string& cwd) {
    ProcessSpec p;
    p.argv = argv;
    p.cwd = cwd;
    p.stdin_mode = StdinMode::dev_null;
    p.timeout_ms = 20000;
    const ProcessResult r = run_process(p);
    if (r.exit_code != 0) {
        std::string cmd;
        for (const auto& a : argv)
            cmd += a + " ";
        throw std::runtime_error("failed: " + cmd + "\n" + describe(r));
    }
}

constexpr const char* kOpensslConfig = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = letta-stream test
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[other_name]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
)";

struct OwnedPki {
    TestPki pki;
    ~OwnedPki() {
        std::error_code ec;
        if (!pki.dir.empty()) std::filesystem::remove_all(pki.dir, ec);
    }
};

TestPki make_pki() {
    TestPki k;
    k.dir = make_temp_dir("ls-tls");
    const std::string openssl = locate_program("openssl");
    if (openssl.empty()) throw std::runtime_error("openssl is not installed");
    const std::string& d = k.dir;
    std::ofstream(d + "/openssl.cnf") << kOpensslConfig;
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1", "-nodes"};
    auto new_ca = [&](const std::string& name, const std::string& cn) {
        std::vector<std::string> a = {openssl,       "req",         "-x509", "-config",
                                      "openssl.cnf", "-extensions", "ca"};
        a.insert(a.end(), ec.begin(), ec.end());
        a.insert(a.end(), {"-keyout", name + ".key", "-out", name + ".pem", "-days", "3", "-subj",
                           "/CN=" + cn});
        run_checked(a, d);
    };
    int serial = 1;
    auto new_leaf = [&](const std::string& name, const std::string& cn, const std::string& ca,
                        const std::string& section) {
        std::vector<std::string> a = {openssl, "req", "-new", "-config", "openssl.cnf"};
        a.insert(a.end(), ec.begin(), ec.end());
        a.insert(a.end(), {"-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn});
        run_checked(a, d);
        run_checked({openssl, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
                     ca + ".key", "-set_serial", std::to_string(serial++), "-days", "3", "-out",
                     name + ".pem", "-extfile", "openssl.cnf", "-extensions", section},
                    d);
    };
    new_ca("ca", "letta-stream test CA");
    new_ca("client-ca", "letta-stream test client CA");
    new_leaf("server", "localhost", "ca", "server");
    new_leaf("other-name", "other.example", "ca", "other_name");
    new_leaf("client", "letta-stream test client", "client-ca", "client");
    new_leaf("stray", "letta-stream stray client", "ca", "client");
    std::filesystem::create_directory(d + "/ca-dir");
    std::filesystem::copy_file(d + "/ca.pem", d + "/ca-dir/ca.pem");
    run_checked({openssl, "rehash", d + "/ca-dir"}, d);

    k.ca = d + "/ca.pem";
    k.ca_dir = d + "/ca-dir";
    k.server_cert = d + "/server.pem";
    k.server_key = d + "/server.key";
    k.other_name_cert = d + "/other-name.pem";
    k.other_name_key = d + "/other-name.key";
    k.client_ca = d + "/client-ca.pem";
    k.client_cert = d + "/client.pem";
    k.client_key = d + "/client.key";
    k.stray_cert = d + "/stray.pem";
    k.stray_key = d + "/stray.key";
    return k;
}

// A new empty file in `dir` whose name starts with `stem` (its path).
std::string unique_path(const std::string& dir, const std::string& stem) {
    std::string tmpl = dir + "/" + stem + "-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throw std::runtime_error("mkstemp failed: " + std::string(std::strerror(errno)));
    ::close(fd);
    return tmpl;
}

// A loopback port that was free a moment ago (for servers that cannot bind port 0).
int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw std::runtime_error("socket failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(s);
        throw std::runtime_error("bind failed");
    }
    ::close(s);
    return ntohs(a.sin_port);
}

bool accepts_connections(int port) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
}

int parse_port(const std::string& line, const std::string& what) {
    try {
        const int port = std::stoi(line);
        if (port > 0 && port < 65536) return port;
    } catch (const std::exception&) {
    }
    throw std::runtime_error(what + " printed no port: '" + line + "'");
}

}  // namespace

std::string locate_program(const std::string& name) {
    const std::string found = find_program(name);
    if (found.find('/') != std::string::npos && ::access(found.c_str(), X_OK) == 0) return found;
    for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin"}) {
        const std::string p = std::string(dir) + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return {};
}

std::string missing_tls_tools(bool need_nghttpx) {
    std::string missing;
    if (locate_program("openssl").empty()) missing += " openssl";
    if (python().empty()) missing += " python3";
    if (need_nghttpx && locate_program("nghttpx").empty()) missing += " nghttpx";
    return missing.empty() ? missing : missing.substr(1);
}

const TestPki& test_pki() {
    static const OwnedPki owned{make_pki()};
    return owned.pki;
}

// ---- ChildProcess ----------------------------------------------------------------------------

ChildProcess::~ChildProcess() {
    stop();
}

void ChildProcess::start(const std::vector<std::string>& argv, const std::string& stderr_path) {
    stderr_path_ = stderr_path;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0].c_str(), &fa, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        pid_ = -1;
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    out_ = out[0];
}

std::string ChildProcess::read_line(int timeout_ms) {
    std::string line;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (line.find('\n') == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) throw std::runtime_error("no output in time; stderr: " + stderr_text());
        pollfd p{out_, POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        char buf[256];
        const ssize_t got = ::read(out_, buf, sizeof buf);
        if (got <= 0) throw std::runtime_error("exited before its port; stderr: " + stderr_text());
        line.append(buf, static_cast<std::size_t>(got));
    }
    return line.substr(0, line.find('\n'));
}

bool ChildProcess::running() {
    if (pid_ <= 0) return false;
    if (::waitpid(pid_, nullptr, WNOHANG) == 0) return true;
    pid_ = -1;
    return false;
}

void ChildProcess::stop() {
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    for (int waited = 0; waited < 2000; waited += 5) {
        if (::waitpid(pid_, nullptr, WNOHANG) != 0) {  // none of them starts children
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

std::string ChildProcess::stderr_text() const {
    return stderr_path_.empty() ? std::string() : slurp(stderr_path_);
}

// ---- the servers -----------------------------------------------------------------------------

TlsForwarder::TlsForwarder(int backend_port, const TestPki& pki, const std::string& client_ca,
                           const std::string& cert, const std::string& key) {
    std::vector<std::string> argv = {python(),         "-I",
                                     helpers_script(), "forward",
                                     "--cert",         cert.empty() ? pki.server_cert : cert,
                                     "--key",          key.empty() ? pki.server_key : key,
                                     "--backend",      std::to_string(backend_port)};
    if (!client_ca.empty()) argv.insert(argv.end(), {"--require-client-cert", client_ca});
    child_.start(argv, unique_path(pki.dir, "forward") + ".stderr");
    port_ = parse_port(child_.read_line(10000), "the TLS forwarder");
}

ConnectProxy::ConnectProxy(const TestPki& pki) {
    log_path_ = unique_path(pki.dir, "proxy");
    child_.start({python(), "-I", helpers_script(), "proxy", "--log", log_path_},
                 log_path_ + ".stderr");
    port_ = parse_port(child_.read_line(10000), "the proxy");
}

std::string ConnectProxy::log() const {
    return slurp(log_path_);
}

PlainHttp400::PlainHttp400(const TestPki& pki) {
    const std::string stderr_path = unique_path(pki.dir, "plain") + ".stderr";
    child_.start({python(), "-I", helpers_script(), "plain"}, stderr_path);
    port_ = parse_port(child_.read_line(10000), "the plain-HTTP server");
}

Http2Front::Http2Front(int backend_port, const TestPki& pki) {
    const std::string nghttpx = locate_program("nghttpx");
    if (nghttpx.empty()) throw std::runtime_error("nghttpx is not installed");
    const std::string stderr_path = unique_path(pki.dir, "nghttpx") + ".stderr";
    // nghttpx cannot listen on port 0: take a port that was free, and try again if another
    // process took it meanwhile.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const int port = free_port();
        child_.start({nghttpx, "--conf=/dev/null", "--single-process", "--workers=1", "--no-ocsp",
                      "--log-level=WARN", "--errorlog-file=/dev/stderr",
                      "--frontend=127.0.0.1," + std::to_string(port),
                      "--backend=127.0.0.1," + std::to_string(backend_port), pki.server_key,
                      pki.server_cert},
                     stderr_path);
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline && child_.running()) {
            if (accepts_connections(port)) {
                port_ = port;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        const std::string err = child_.stderr_text();
        child_.stop();
        if (attempt == 4) throw std::runtime_error("nghttpx did not start: " + err);
    }
}

}  // namespace ls_test
