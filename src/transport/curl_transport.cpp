#include "transport/curl_transport.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>

#include "transport/proxy_env.hpp"
#include "transport/wait.hpp"
#include "util/strings.hpp"
#include "util/url.hpp"

namespace letta_stream::transport {

using util::trim;

namespace {

bool global_init() {
    static std::once_flag once;
    static CURLcode code = CURLE_OK;
    std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
    return code == CURLE_OK;
}

// A TLS alert from the server about our client certificate (OpenSSL's words; with another TLS
// library the failure stays a plain handshake or receive error). With TLS 1.3 the server sends it
// after the client has finished its handshake, so libcurl reports it on the first read.
bool client_cert_alert(std::string_view reason) noexcept {
    for (const char* alert :
         {"alert certificate required", "alert bad certificate", "alert unknown ca",
          "alert certificate unknown", "alert certificate expired", "alert certificate revoked",
          "alert unsupported certificate"})
        if (reason.find(alert) != std::string_view::npos) return true;
    return false;
}

Failure classify(CURLcode code, std::string_view reason) noexcept {
    switch (code) {
        case CURLE_OK:
            return Failure::none;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return Failure::resolve;
        case CURLE_COULDNT_CONNECT:
            return Failure::connect;
        case CURLE_OPERATION_TIMEDOUT:
            return Failure::timeout;
        case CURLE_PEER_FAILED_VERIFICATION:  // not signed by a trusted CA, or another host's
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
            return Failure::tls_untrusted;
        case CURLE_SSL_CACERT_BADFILE:  // CURLOPT_CAINFO / CAPATH unreadable or not PEM
            return Failure::tls_ca;
        case CURLE_SSL_CERTPROBLEM:  // CURLOPT_SSLCERT / SSLKEY unreadable, wrong, encrypted
            return Failure::tls_client_cert;
        case CURLE_SSL_CONNECT_ERROR:
            if (client_cert_alert(reason)) return Failure::tls_cert_refused;
            // OpenSSL's words for a reply that is not a TLS record (an HTTP server's "HTTP/1.1
            // 400"): https:// to a plain-HTTP port. The same every time: not worth a retry.
            if (reason.find("wrong version number") != std::string_view::npos ||
                reason.find("packet length too long") != std::string_view::npos)
                return Failure::tls_plain;
            return Failure::tls;
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CRL_BADFILE:
            return Failure::tls;
        case CURLE_NOT_BUILT_IN:
        case CURLE_UNKNOWN_OPTION:
            return Failure::unsupported;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
            if (client_cert_alert(reason)) return Failure::tls_cert_refused;
            return Failure::dropped;
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_WEIRD_SERVER_REPLY:
            return Failure::dropped;
        case CURLE_BAD_CONTENT_ENCODING:
            return Failure::bad_encoding;
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return Failure::bad_url;
        default:
            return Failure::other;
    }
}

// libcurl's timers are kept on the real monotonic clock whatever clock the handlers use.
std::int64_t steady_ns() {
    static const util::SteadyClock clock;
    return clock.now_ns();
}


}  // namespace

struct CurlTransport::Impl {
    struct Transfer {
        TransferId id = 0;
        Handler* handler = nullptr;
        Request request;
        Impl* impl = nullptr;
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        std::string proxy;  // CURLOPT_PROXY (kept alive for libcurl), or empty
        ResponseHead head;
        Result result;
        Control stop = Control::proceed;
        bool done = false;
        char errbuf[CURL_ERROR_SIZE] = {0};
    };
    struct Socket {
        curl_socket_t fd;
        int what;  // CURL_POLL_IN / OUT / INOUT
    };

    Impl(Options o, const util::Clock& c) : options(std::move(o)), clock(c) {}

    Options options;
    const util::Clock& clock;
    CURLM* multi = nullptr;
    std::vector<std::unique_ptr<Transfer>> transfers;
    TransferId next_id = 1;
    std::vector<Socket> sockets;  // what libcurl asked us to watch
    std::int64_t timer_ns = -1;   // libcurl's next timeout (steady clock); -1: none
    std::vector<pollfd> fds;      // reused across iterations

    Transfer* find(TransferId id) {
        for (auto& t : transfers)
            if (t->id == id && !t->done) return t.get();
        return nullptr;
    }

    // ---- libcurl callbacks ----------------------------------------------------------------

    static int on_socket(CURL*, curl_socket_t fd, int what, void* self_, void*) {
        auto& socks = static_cast<Impl*>(self_)->sockets;
        auto it =
            std::find_if(socks.begin(), socks.end(), [&](const Socket& s) { return s.fd == fd; });
        if (what == CURL_POLL_REMOVE) {
            if (it != socks.end()) socks.erase(it);
        } else if (it != socks.end()) {
            it->what = what;
        } else {
            socks.push_back({fd, what});
        }
        return 0;
    }

    static int on_timer(CURLM*, long timeout_ms, void* self_) {
        auto* self = static_cast<Impl*>(self_);
        self->timer_ns = timeout_ms < 0 ? -1 : steady_ns() + std::int64_t{timeout_ms} * 1'000'000;
        return 0;
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* t_) {
        auto* t = static_cast<Transfer*>(t_);
        const std::size_t len = size * n;
        std::string_view content = trim(std::string_view(data, len));
        if (content.rfind("HTTP/", 0) == 0) {  // a status line starts a new (maybe interim) head
            t->head = ResponseHead{};
            t->head.status_line = std::string(content);
            return len;
        }
        if (!content.empty()) {
            const auto colon = content.find(':');
            if (colon != std::string_view::npos)
                t->head.headers.push_back({std::string(trim(content.substr(0, colon))),
                                           std::string(trim(content.substr(colon + 1)))});
            return len;
        }
        // Blank line: the head is complete.
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->head.status = status;
        if (status >= 100 && status < 200) return len;  // interim response
        t->result.got_head = true;
        t->stop = t->handler->on_head(t->head);
        return t->stop == Control::proceed ? len : 0;
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* t_) {
        auto* t = static_cast<Transfer*>(t_);
        const std::size_t len = size * n;
        if (t->stop != Control::proceed) return 0;
        t->result.body_bytes += len;
        t->stop = t->handler->on_data(std::string_view(data, len));
        return t->stop == Control::proceed ? len : 0;
    }

    static int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* t_) {
        auto* t = static_cast<Transfer*>(t_);
        std::string_view text(data, size);
        const char* prefix = type == CURLINFO_TEXT         ? "*"
                             : type == CURLINFO_HEADER_OUT ? ">"
                             : type == CURLINFO_HEADER_IN  ? "<"
                                                           : nullptr;
        if (prefix == nullptr) return 0;  // bodies are traced by the layers that understand them
        while (!text.empty()) {
            const auto nl = text.find('\n');
            std::string_view line = trim(text.substr(0, nl));
            text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
            // libcurl's own text can quote a proxy URL with its password in it.
            if (!line.empty())
                t->impl->options.trace(prefix, util::redact_urls_in(redact_header_line(line)));
        }
        return 0;
    }

    // ---- transfers ---------------------------------------------------------------------------

    // Sets an option whose failure matters. On a failure the transfer's result says why (the
    // option in words: the transport knows nothing of flags) and configure() gives up.
    template <typename T>
    static bool require(Transfer& t, CURLoption option, T value, const char* what) {
        const CURLcode code = curl_easy_setopt(t.easy, option, value);
        if (code == CURLE_OK) return true;
        t.result.failure = code == CURLE_OUT_OF_MEMORY ? Failure::other : Failure::unsupported;
        t.result.message =
            std::string("this libcurl cannot ") + what + ": " + curl_easy_strerror(code);
        return false;
    }

    // Sets an option that a libcurl built without proxies (or without HTTPS proxies) does not
    // know; then there is nothing for it to apply to.
    template <typename T>
    static bool proxy_option(Transfer& t, CURLoption option, T value, const char* what) {
        const CURLcode code = curl_easy_setopt(t.easy, option, value);
        if (code == CURLE_UNKNOWN_OPTION || code == CURLE_NOT_BUILT_IN) return true;
        return code == CURLE_OK || require(t, option, value, what);
    }

    // Certificates, verification, proxies and the HTTP version, on every handle.
    bool configure_tls_and_proxy(Transfer& t) {
        CURL* easy = t.easy;
        const Tls& tls = options.tls;
        // Verification is libcurl's default; stated here so that nothing else can turn it off.
        const long verify_peer = tls.insecure ? 0L : 1L;
        const long verify_host = tls.insecure ? 0L : 2L;
        if (!require(t, CURLOPT_SSL_VERIFYPEER, verify_peer, "verify TLS certificates") ||
            !require(t, CURLOPT_SSL_VERIFYHOST, verify_host, "verify TLS host names"))
            return false;
        // An https:// proxy: the same. Its CA is libcurl's default bundle (CURLOPT_PROXY_CAINFO
        // is not set: the server's --cacert is not the proxy's).
        if (!proxy_option(t, CURLOPT_PROXY_SSL_VERIFYPEER, verify_peer,
                          "verify a proxy's TLS certificate") ||
            !proxy_option(t, CURLOPT_PROXY_SSL_VERIFYHOST, verify_host,
                          "verify a proxy's TLS host name"))
            return false;
        if (!tls.ca_file.empty() &&
            !require(t, CURLOPT_CAINFO, tls.ca_file.c_str(), "use a CA certificate file"))
            return false;
        if (!tls.ca_dir.empty() &&
            !require(t, CURLOPT_CAPATH, tls.ca_dir.c_str(), "use a CA certificate directory"))
            return false;
        if (!tls.cert.empty() &&
            (!require(t, CURLOPT_SSLCERTTYPE, "PEM", "use a PEM client certificate") ||
             !require(t, CURLOPT_SSLCERT, tls.cert.c_str(), "use a client certificate")))
            return false;
        if (!tls.key.empty() &&
            (!require(t, CURLOPT_SSLKEYTYPE, "PEM", "use a PEM private key") ||
             !require(t, CURLOPT_SSLKEY, tls.key.c_str(), "use a client certificate's key")))
            return false;

        // Proxies. libcurl reads the environment itself (see transport/proxy_env.hpp for exactly
        // what); CURLOPT_PROXY is set only for --proxy, or for the HTTP_PROXY it does not read.
        t.proxy = options.proxy.empty()
                      ? proxy_to_add(t.request.url, options.proxy, process_environment())
                      : options.proxy;
        if (!t.proxy.empty() && !require(t, CURLOPT_PROXY, t.proxy.c_str(), "use a proxy"))
            return false;
        if (!options.noproxy.empty() &&
            !require(t, CURLOPT_NOPROXY, options.noproxy.c_str(), "use a no-proxy list"))
            return false;
        // Our headers (Authorization among them) go to the server only, never in the CONNECT
        // request that opens an https:// tunnel through a proxy. This is libcurl's default since
        // 7.42.1; a plain http:// request through a proxy is the proxy's to read anyway.
        if (!proxy_option(t, CURLOPT_HEADEROPT, static_cast<long>(CURLHEADER_SEPARATE),
                          "keep request headers from a proxy"))
            return false;
        // The proxy's "200 Connection established" is not the server's response head.
        if (!proxy_option(t, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L,
                          "keep a proxy's CONNECT response apart"))
            return false;

        // HTTP/2 when the server offers it in the TLS handshake (ALPN), else HTTP/1.1; cleartext
        // http:// stays HTTP/1.1. A libcurl without nghttp2 refuses this: then HTTP/1.1 it is.
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        return true;
    }

    bool configure(Transfer& t) {
        CURL* easy = t.easy;
        const Request& r = t.request;
        // No "Expect: 100-continue" round trip for large prompts.
        t.headers = curl_slist_append(nullptr, "Expect:");
        for (const auto& h : r.headers) {
            curl_slist* grown = curl_slist_append(t.headers, h.c_str());
            if (grown == nullptr) return false;
            t.headers = grown;
        }
        if (!configure_tls_and_proxy(t)) return false;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
        curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.errbuf);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // gzip etc., decoded incrementally
        curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024L);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
        if (r.total_timeout_ms > 0) curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, r.total_timeout_ms);
        if (r.send_user_agent)
            curl_easy_setopt(easy, CURLOPT_USERAGENT, "letta-stream/" LETTA_STREAM_VERSION);
        if (r.method == "POST") {
            curl_easy_setopt(easy, CURLOPT_POST, 1L);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(r.body.size()));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.c_str());
        } else if (r.method != "GET") {
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        }
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
        if (options.trace) {
            curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
            curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, &Impl::on_debug);
            curl_easy_setopt(easy, CURLOPT_DEBUGDATA, &t);
        }
        return curl_multi_add_handle(multi, easy) == CURLM_OK;
    }

    // Ends a transfer: the result from how it stopped, the handles released, on_done() last.
    void finish(Transfer& t, CURLcode code) {
        Result& r = t.result;
        if (r.failure == Failure::none) {
            if (t.stop == Control::abort) {
                r.failure = Failure::aborted;
            } else if (t.stop == Control::finish) {
                // The handler asked to stop: not a failure, whatever libcurl reports for the cut.
            } else if (t.request.cancel != nullptr && t.request.cancel->cancelled()) {
                r.failure = Failure::cancelled;
                r.message = "cancelled";
            } else if (code != CURLE_OK) {
                r.message = t.errbuf[0] ? t.errbuf : curl_easy_strerror(code);
                while (!r.message.empty() && r.message.back() == '\n')
                    r.message.pop_back();
                r.failure = classify(code, r.message);
                if (r.failure == Failure::resolve || r.failure == Failure::connect ||
                    r.failure == Failure::timeout || r.failure == Failure::tls)
                    r.proxy = effective_proxy(t.request.url, t.proxy, options.noproxy,
                                              process_environment());
            }
        }
        if (t.easy != nullptr) {
            long version = 0;
            curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
            r.http_version = version == CURL_HTTP_VERSION_1_0   ? "1.0"
                             : version == CURL_HTTP_VERSION_1_1 ? "1.1"
                             : version == CURL_HTTP_VERSION_2_0 ? "2"
                             : version == CURL_HTTP_VERSION_3   ? "3"
                                                                : "";
            curl_multi_remove_handle(multi, t.easy);
            curl_easy_cleanup(t.easy);
            t.easy = nullptr;
        }
        curl_slist_free_all(t.headers);
        t.headers = nullptr;
        t.done = true;
        t.handler->on_done(r);  // may start() another transfer: no references into `transfers`
    }

    void reap_messages() {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            Transfer* t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
            if (t != nullptr && !t->done) finish(*t, msg->data.result);
        }
    }

    // Nanoseconds the loop may sleep (-1: no limit): libcurl's timer and every handler's deadline.
    std::int64_t wait_ns() const {
        std::int64_t wait = -1;
        if (timer_ns >= 0) wait = ns_until(timer_ns, steady_ns());
        const std::int64_t now = clock.now_ns();
        for (const auto& t : transfers) {
            if (t->done) continue;
            if (t->stop != Control::proceed) return 0;  // to be finished at once
            const std::int64_t d = t->handler->deadline_ns();
            if (d < 0) continue;
            const std::int64_t ns = ns_until(d, now);
            wait = wait < 0 ? ns : std::min(wait, ns);
        }
        return wait;
    }

    // One turn of the loop: wait, hand libcurl what is ready, let every handler look.
    void step() {
        fds.clear();
        for (const Socket& s : sockets) {
            short events = 0;
            if (s.what == CURL_POLL_IN || s.what == CURL_POLL_INOUT) events |= POLLIN;
            if (s.what == CURL_POLL_OUT || s.what == CURL_POLL_INOUT) events |= POLLOUT;
            fds.push_back({s.fd, events, 0});
        }
        const std::size_t nsock = fds.size();
        if (options.wake_fd >= 0) fds.push_back({options.wake_fd, POLLIN, 0});
        const int n = poll_for(fds.data(), fds.size(), wait_ns());
        if (n > 0 && options.wake_fd >= 0 && (fds[nsock].revents & POLLIN) != 0)
            drain_wake_fd(options.wake_fd);
        int running = 0;
        for (std::size_t i = 0; n > 0 && i < nsock; ++i) {
            const short re = fds[i].revents;
            if (re == 0) continue;
            int mask = 0;
            if ((re & (POLLIN | POLLHUP)) != 0) mask |= CURL_CSELECT_IN;
            if ((re & POLLOUT) != 0) mask |= CURL_CSELECT_OUT;
            if ((re & (POLLERR | POLLNVAL)) != 0) mask |= CURL_CSELECT_ERR;
            curl_multi_socket_action(multi, fds[i].fd, mask, &running);
        }
        if (timer_ns >= 0 && steady_ns() >= timer_ns) {
            timer_ns = -1;  // libcurl sets the next one from inside socket_action
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        reap_messages();
        // Everything readable has been handed over: each handler flushes before the next wait.
        for (std::size_t i = 0; i < transfers.size(); ++i) {
            Transfer& t = *transfers[i];
            if (t.done) continue;
            if (t.stop == Control::proceed) t.stop = t.handler->on_idle();
            const bool cancelled = t.request.cancel != nullptr && t.request.cancel->cancelled();
            if (t.stop != Control::proceed || cancelled) finish(t, CURLE_OK);
        }
    }
};

CurlTransport::CurlTransport(Options options, const util::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {
    if (!global_init()) return;
    impl_->multi = curl_multi_init();
    if (impl_->multi == nullptr) return;
    curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(impl_->multi, CURLMOPT_SOCKETDATA, impl_.get());
    curl_multi_setopt(impl_->multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(impl_->multi, CURLMOPT_TIMERDATA, impl_.get());
}

CurlTransport::~CurlTransport() {
    for (auto& t : impl_->transfers) {
        if (t->easy != nullptr) {
            curl_multi_remove_handle(impl_->multi, t->easy);
            curl_easy_cleanup(t->easy);
        }
        curl_slist_free_all(t->headers);
    }
    if (impl_->multi != nullptr) curl_multi_cleanup(impl_->multi);
}

TransferId CurlTransport::start(const Request& request, Handler& handler) {
    Impl& s = *impl_;
    auto t = std::make_unique<Impl::Transfer>();
    t->id = s.next_id++;
    t->handler = &handler;
    t->request = request;
    t->impl = &s;
    Impl::Transfer& ref = *t;
    s.transfers.push_back(std::move(t));
    ref.easy = s.multi != nullptr ? curl_easy_init() : nullptr;
    if (ref.easy == nullptr || !s.configure(ref)) {
        // Reported by the loop, so that on_done() never runs inside start().
        if (ref.result.failure == Failure::none) {
            ref.result.failure = Failure::other;
            ref.result.message = "could not set up the HTTP client (libcurl): out of memory?";
        }
        ref.stop = Control::finish;
    }
    return ref.id;
}

void CurlTransport::pause(TransferId id) {
    if (auto* t = impl_->find(id); t != nullptr && t->easy != nullptr)
        curl_easy_pause(t->easy, CURLPAUSE_RECV);
}

void CurlTransport::resume(TransferId id) {
    if (auto* t = impl_->find(id); t != nullptr && t->easy != nullptr)
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
}

void CurlTransport::run() {
    Impl& s = *impl_;
    for (;;) {
        std::erase_if(s.transfers, [](const auto& t) { return t->done; });
        if (s.transfers.empty()) return;
        s.step();
    }
}

void CurlTransport::sleep_until(std::int64_t deadline_ns, const CancelToken* cancel) {
    sleep_on(impl_->clock, impl_->options.wake_fd, deadline_ns, cancel);
}

// From curl_version_info(), not curl_version(): the latter also asks libldap for its version,
// which initialises LDAP and SASL (dlopen of plugins) — 1.5 ms of a 7 ms --version.
std::string library_version() {
    const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
    std::string out = std::string("libcurl/") + v->version;
    if (v->ssl_version != nullptr) out.append(" ").append(v->ssl_version);
    if (v->libz_version != nullptr) out.append(" zlib/").append(v->libz_version);
    if (v->nghttp2_version != nullptr) out.append(" nghttp2/").append(v->nghttp2_version);
    return out;
}

}  // namespace letta_stream::transport
