// fake-letta-server: a real HTTP/1.1 server on 127.0.0.1 that imitates Letta's REST API from a
// scenario file. Prints the port on stdout once listening; runs until SIGTERM/SIGINT (exit 0).
// Usage and the scenario format: README.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "routes.hpp"
#include "state.hpp"

namespace {

constexpr int kIdleTimeoutMs = 120000;

[[noreturn]] void usage_error(const char* msg) {
    std::fprintf(stderr,
                 "fake-letta-server: %s\nusage: fake-letta-server --scenario FILE "
                 "[--fixtures DIR] [--log FILE] [--port N]\n",
                 msg);
    std::exit(2);
}

void serve_connection(int fd, fls::ServerState* st) {
    fls::Conn conn(fd);
    fls::Request req;
    while (conn.alive()) {
        fls::ReadResult r = conn.read_request(req, kIdleTimeoutMs);
        if (r == fls::ReadResult::eof) break;
        if (r != fls::ReadResult::ok) {
            st->log.write(req);
            conn.set_close_after_response();
            int status = r == fls::ReadResult::too_large          ? 413
                         : r == fls::ReadResult::header_too_large ? 431
                                                                  : 400;
            conn.respond_json(status, fls::detail_json(fls::reason_phrase(status)));
            break;
        }
        st->log.write(req);
        if (!req.keep_alive) conn.set_close_after_response();
        fls::handle_request(conn, req, *st);
        if (conn.close_after_response()) break;
    }
}

int listen_on(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || ::listen(fd, 128) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void accept_loop(int lfd, fls::ServerState* st) {
    for (;;) {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE) ::usleep(10000);
                continue;
            }
            std::fprintf(stderr, "fake-letta-server: accept: %s\n", std::strerror(errno));
            std::_Exit(1);
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread(serve_connection, fd, st).detach();
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string scenario_path, fixtures, log_path;
    int port = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage_error(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--scenario") {
            scenario_path = value();
        } else if (a == "--fixtures") {
            fixtures = value();
        } else if (a == "--log") {
            log_path = value();
        } else if (a == "--port") {
            port = std::atoi(value().c_str());
        } else if (a == "--help" || a == "-h") {
            std::printf(
                "usage: fake-letta-server --scenario FILE [--fixtures DIR] [--log FILE] "
                "[--port N]\n");
            return 0;
        } else {
            usage_error(("unknown argument " + a).c_str());
        }
    }
    if (scenario_path.empty()) usage_error("--scenario is required");
    if (fixtures.empty()) {
        size_t slash = scenario_path.rfind('/');
        fixtures = slash == std::string::npos ? "." : scenario_path.substr(0, slash);
    }

    ::signal(SIGPIPE, SIG_IGN);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // inherited by every thread; main sigwaits

    fls::ServerState* st = nullptr;
    try {
        st = new fls::ServerState(fls::load_scenario(scenario_path, fixtures), log_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fake-letta-server: %s: %s\n", scenario_path.c_str(), e.what());
        return 2;
    }
    if (!st->log.ok()) {
        std::fprintf(stderr, "fake-letta-server: cannot open log %s: %s\n", log_path.c_str(),
                     std::strerror(errno));
        return 2;
    }
    int lfd = listen_on(port);
    if (lfd < 0) {
        std::fprintf(stderr, "fake-letta-server: cannot listen on 127.0.0.1:%d: %s\n", port,
                     std::strerror(errno));
        return 1;
    }
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);

    std::thread(accept_loop, lfd, st).detach();
    int sig = 0;
    sigwait(&stop, &sig);
    std::fflush(nullptr);
    std::_Exit(0);  // connection threads may be mid-write; do not run destructors under them
}
