// transport::CurlTransport — the real Transport: libcurl's multi interface driven with
// curl_multi_socket_action from our own poll(2) loop. One loop serves every transfer, libcurl's
// timers, the handlers' deadlines and a wake-up fd (the signal self-pipe, drained here). The only
// module that includes libcurl.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace letta_stream::transport {

// How to verify the server and whom to present ourselves as. Empty strings: libcurl's defaults
// (its built-in CA bundle, no client certificate).
struct Tls {
    std::string ca_file;     // --cacert, CURL_CA_BUNDLE, SSL_CERT_FILE (cli resolved the order)
    std::string ca_dir;      // --capath, SSL_CERT_DIR
    std::string cert;        // --cert: a client certificate (PEM)
    std::string key;         // --key: its private key (PEM); empty: in the cert file
    bool insecure = false;   // --insecure: no peer or host name verification
};

struct Options {
    long connect_timeout_ms = 30'000;
    Tls tls;
    // --proxy URL; empty: the environment's (http_proxy, https_proxy, all_proxy, ... as libcurl
    // reads them, plus HTTP_PROXY outside CGI).
    std::string proxy;
    // --noproxy HOSTS; empty: no_proxy/NO_PROXY from the environment.
    std::string noproxy;
    // Readable when something outside the loop wants it to look again (a signal arrived). The
    // loop drains it and calls every handler's on_idle(), then checks the cancel tokens.
    int wake_fd = -1;
    // --verbose: called with ("*"|">"|"<", line) for connection info and headers (redacted).
    std::function<void(std::string_view prefix, std::string_view line)> trace;
};

class CurlTransport final : public Transport {
  public:
    // `clock` is the one handlers' deadlines are measured on; it must outlive the transport.
    CurlTransport(Options options, const util::Clock& clock);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    TransferId start(const Request& request, Handler& handler) override;
    void pause(TransferId id) override;
    void resume(TransferId id) override;
    void run() override;
    void sleep_until(std::int64_t deadline_ns, const CancelToken* cancel) override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// libcurl's own version string ("libcurl/7.88.1 OpenSSL/3.0.15 ..."), for --version.
std::string library_version();

}  // namespace letta_stream::transport
