// session: how TLS failures end a turn — the exit status, the message and the hint that names the
// flag to use — and that certificate failures are not retried.
#include <catch2/catch.hpp>
#include <string>

#include "session/outcome.hpp"
#include "session/retry.hpp"

using namespace letta_stream;
using session::from_transport;
using transport::Failure;

namespace {

session::Outcome outcome(Failure f, const std::string& message) {
    transport::Result r;
    r.failure = f;
    r.message = message;
    return from_transport(r, "sending the message", "https://h.test");
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("an untrusted server certificate: exit 7, the reason, a hint naming --cacert",
          "[tls_outcome]") {
    const auto o = outcome(Failure::tls_untrusted,
                           "SSL certificate problem: unable to get local issuer "
                           "certificate");
    CHECK(o.status == ExitStatus::network);
    CHECK(o.message ==
          "cannot verify the server's TLS certificate: unable to get local issuer certificate");
    CHECK(contains(o.hint, "--cacert FILE"));
    CHECK(contains(o.hint, "SSL_CERT_FILE"));
    CHECK(contains(o.hint, "--insecure"));
    const auto name = outcome(Failure::tls_untrusted,
                              "SSL: no alternative certificate subject name matches target host "
                              "name 'h.test'");
    CHECK(name.status == ExitStatus::network);
    CHECK(name.message ==
          "cannot verify the server's TLS certificate: no alternative certificate "
          "subject name matches target host name 'h.test'");
    CHECK(contains(name.hint, "another host name"));
}

TEST_CASE("our own certificate files: usage errors naming their flags", "[tls_outcome]") {
    const auto ca = outcome(Failure::tls_ca, "error setting certificate file: /x.pem");
    CHECK(ca.status == ExitStatus::usage);
    CHECK(ca.message == "cannot load the CA certificates: error setting certificate file: /x.pem");
    CHECK(contains(ca.hint, "--cacert"));
    const auto cert = outcome(Failure::tls_client_cert, "unable to set private key file");
    CHECK(cert.status == ExitStatus::usage);
    CHECK(contains(cert.message, "cannot use the TLS client certificate: "));
    CHECK(contains(cert.hint, "--cert FILE and --key FILE"));
    const auto missing = outcome(Failure::unsupported, "this libcurl cannot use a CA directory");
    CHECK(missing.status == ExitStatus::usage);
}

TEST_CASE("a client certificate the server refused: exit 7, naming --cert", "[tls_outcome]") {
    const auto o = outcome(Failure::tls_cert_refused,
                           "OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert "
                           "certificate required, errno 0");
    CHECK(o.status == ExitStatus::network);
    CHECK(contains(o.message, "did not accept a TLS client certificate: "));
    CHECK(contains(o.hint, "--cert FILE and --key FILE"));
    // A handshake that failed otherwise is still a network error.
    CHECK(outcome(Failure::tls, "SSL_connect: reset").status == ExitStatus::network);
}

TEST_CASE("certificate failures are not retried, a failed handshake is", "[tls_outcome]") {
    const session::RetryPolicy policy;
    session::RetryState state;
    state.started_ns = 1'000'000'000;
    state.now_ns = 2'000'000'000;
    for (Failure f : {Failure::tls_untrusted, Failure::tls_ca, Failure::tls_client_cert,
                      Failure::tls_cert_refused, Failure::tls_plain, Failure::unsupported}) {
        session::Attempt a;
        a.failure = f;
        CHECK(session::decide(a, state, policy, 0.5).kind == session::Decision::Kind::give_up);
    }
    session::Attempt reset;
    reset.failure = Failure::tls;
    CHECK(session::decide(reset, state, policy, 0.5).kind == session::Decision::Kind::retry);
}
