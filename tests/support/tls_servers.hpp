// Servers for the TLS, proxy and HTTP/2 end-to-end tests, each in front of a FakeServer:
//
//   const auto& pki = ls_test::test_pki();               // a CA and certificates, made once
//   ls_test::TlsForwarder tls(server.port(), pki);       // https://127.0.0.1:PORT → the server
//   ls_test::ConnectProxy proxy;                         // http://127.0.0.1:PORT, logs heads
//   ls_test::Http2Front h2(server.port(), pki);          // nghttpx: h2 over TLS → the server
//
// The certificates are made with the openssl CLI into a temp dir (removed at exit); the TLS
// forwarder and the proxy are tests/support/tls_helpers.py (run by /usr/bin/python3); the HTTP/2
// front end is nghttpx. Each server is a child process in its own process group, killed by the
// destructor. Constructors throw std::runtime_error (with the child's stderr) on failure.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ls_test {

// The full path of a program found in PATH, /usr/sbin or /sbin; empty when there is none.
std::string locate_program(const std::string& name);

// What the TLS tests need installed, or empty: "openssl", "python3", "nghttpx" missing.
std::string missing_tls_tools(bool need_nghttpx = false);

struct TestPki {
    std::string dir;
    std::string ca;           // the CA that signed server_cert (PEM)
    std::string ca_dir;       // a directory holding ca, hashed for OpenSSL's CApath lookup
    std::string server_cert;  // for localhost and 127.0.0.1 (subjectAltName)
    std::string server_key;
    std::string other_name_cert;  // signed by `ca`, but for other.example only
    std::string other_name_key;
    std::string client_ca;  // a second CA: signed client_cert, not the server's
    std::string client_cert;
    std::string client_key;
    std::string stray_cert;  // a client certificate signed by `ca`, which the server does not
    std::string stray_key;   // trust for clients
};

// Made on first use, once per process.
const TestPki& test_pki();

// A child process whose first stdout line is read by the owner; killed (its whole process
// group) on destruction.
class ChildProcess {
  public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Starts argv[0] (a full path) with stdout on a pipe and stderr into `stderr_path`.
    void start(const std::vector<std::string>& argv, const std::string& stderr_path);
    // The first line of its stdout, within timeout_ms; throws if it exits or stays silent.
    std::string read_line(int timeout_ms);
    // Whether it is still running (reaps it if not).
    bool running();
    void stop();
    std::string stderr_text() const;

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string stderr_path_;
};

// TLS on 127.0.0.1 (HTTP/1.1 by ALPN) relayed to 127.0.0.1:backend_port.
class TlsForwarder {
  public:
    // `cert`/`key`: the server's certificate (default: pki.server_cert). `client_ca`: when
    // non-empty, a client certificate signed by it is required.
    TlsForwarder(int backend_port, const TestPki& pki, const std::string& client_ca = "",
                 const std::string& cert = "", const std::string& key = "");
    int port() const { return port_; }
    std::string url(const std::string& host = "127.0.0.1") const {
        return "https://" + host + ":" + std::to_string(port_);
    }
    std::string stderr_text() const { return child_.stderr_text(); }

  private:
    ChildProcess child_;
    int port_ = 0;
};

// An HTTP proxy on 127.0.0.1: CONNECT tunnels and absolute-URI forwarding. log() is every
// request line and header it received.
class ConnectProxy {
  public:
    explicit ConnectProxy(const TestPki& pki);
    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string log() const;

  private:
    ChildProcess child_;
    std::string log_path_;
    int port_ = 0;
};

// A plain-HTTP server on 127.0.0.1 that answers anything, a TLS handshake too, with a 400.
class PlainHttp400 {
  public:
    explicit PlainHttp400(const TestPki& pki);
    int port() const { return port_; }

  private:
    ChildProcess child_;
    int port_ = 0;
};

// nghttpx: HTTP/2 (and HTTP/1.1) over TLS on 127.0.0.1 with pki.server_cert, relayed to
// 127.0.0.1:backend_port over HTTP/1.1.
class Http2Front {
  public:
    Http2Front(int backend_port, const TestPki& pki);
    int port() const { return port_; }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::string stderr_text() const { return child_.stderr_text(); }

  private:
    ChildProcess child_;
    int port_ = 0;
};

}  // namespace ls_test
