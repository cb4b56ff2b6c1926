#include "transport/http.hpp"

#include <curl/curl.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "util/strings.hpp"

namespace letta_stream::transport {

using util::iequals;
using util::trim;

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Failure classify(CURLcode code) noexcept {
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
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
            return Failure::tls;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
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

}  // namespace

std::string_view ResponseHead::header(std::string_view name) const noexcept {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

std::string ResponseHead::media_type() const {
    std::string_view ct = header("content-type");
    ct = trim(ct.substr(0, ct.find(';')));
    std::string out(ct);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string redact_header_line(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::string(line);
    std::string name(trim(line.substr(0, colon)));
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool secret =
        name == "authorization" || name == "proxy-authorization" || name == "cookie" ||
        name == "set-cookie" || name.find("key") != std::string::npos ||
        name.find("token") != std::string::npos || name.find("secret") != std::string::npos ||
        name.find("password") != std::string::npos;
    if (!secret) return std::string(line);
    std::string_view value = trim(line.substr(colon + 1));
    std::string out(line.substr(0, colon + 1));
    // Keep the auth scheme ("Bearer") so traces still show what kind of credential was sent.
    const auto space = value.find(' ');
    if (name.find("authorization") != std::string::npos && space != std::string_view::npos)
        out.append(" ").append(value.substr(0, space));
    out.append(" [redacted]");
    return out;
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

struct Client::Impl {
    Options options;
    CURLM* multi = nullptr;

    // Per-transfer state, reset by perform().
    Handler* handler = nullptr;
    ResponseHead head;
    Result result;
    Control stop = Control::proceed;
    CURL* easy = nullptr;

    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self_) {
        auto* self = static_cast<Impl*>(self_);
        const std::size_t len = size * n;
        std::string_view line(data, len);
        std::string_view content = trim(line);
        if (content.rfind("HTTP/", 0) == 0) {  // a status line starts a new (maybe interim) head
            self->head = ResponseHead{};
            self->head.status_line = std::string(content);
            return len;
        }
        if (!content.empty()) {
            const auto colon = content.find(':');
            if (colon != std::string_view::npos)
                self->head.headers.push_back({std::string(trim(content.substr(0, colon))),
                                              std::string(trim(content.substr(colon + 1)))});
            return len;
        }
        // Blank line: the head is complete.
        long status = 0;
        curl_easy_getinfo(self->easy, CURLINFO_RESPONSE_CODE, &status);
        self->head.status = status;
        if (status >= 100 && status < 200) return len;  // interim response
        self->result.got_head = true;
        self->stop = self->handler->on_head(self->head);
        return self->stop == Control::proceed ? len : 0;
    }

    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self_) {
        auto* self = static_cast<Impl*>(self_);
        const std::size_t len = size * n;
        self->result.body_bytes += len;
        self->stop = self->handler->on_data(std::string_view(data, len));
        return self->stop == Control::proceed ? len : 0;
    }

    static int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* self_) {
        auto* self = static_cast<Impl*>(self_);
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
            if (!line.empty()) self->options.trace(prefix, redact_header_line(line));
        }
        return 0;
    }
};

Client::Client(Options options) : impl_(std::make_unique<Impl>()) {
    global_init();
    impl_->options = std::move(options);
    impl_->multi = curl_multi_init();
}

Client::~Client() {
    if (impl_->multi) curl_multi_cleanup(impl_->multi);
}

Result Client::perform(const Request& request, Handler& handler) {
    Impl& s = *impl_;
    s.handler = &handler;
    s.head = ResponseHead{};
    s.result = Result{};
    s.stop = Control::proceed;

    CURL* easy = curl_easy_init();
    s.easy = easy;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    // No "Expect: 100-continue" round trip for large prompts.
    headers = curl_slist_append(headers, "Expect:");
    for (const auto& h : request.headers)
        headers = curl_slist_append(headers, h.c_str());

    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // gzip etc., decoded incrementally
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, s.options.connect_timeout_ms);
    if (request.total_timeout_ms > 0)
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.total_timeout_ms);
    if (request.send_user_agent)
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "letta-stream/" LETTA_STREAM_VERSION);
    if (request.method == "POST") {
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    } else if (request.method != "GET") {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &s);
    if (s.options.trace) {
        curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, &Impl::on_debug);
        curl_easy_setopt(easy, CURLOPT_DEBUGDATA, &s);
    }

    curl_multi_add_handle(s.multi, easy);
    CURLcode code = CURLE_OK;
    bool done = false;
    while (!done) {
        int running = 0;
        const CURLMcode mc = curl_multi_perform(s.multi, &running);
        if (mc != CURLM_OK) {
            s.result.failure = Failure::other;
            s.result.message = curl_multi_strerror(mc);
            break;
        }
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(s.multi, &left)) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
                code = msg->data.result;
                done = true;
            }
        }
        // Everything readable has been handed over: the handler flushes before we wait.
        if (s.stop == Control::proceed) s.stop = handler.on_idle();
        if (s.stop != Control::proceed) break;
        if (done || running == 0) break;

        int wait_ms = handler.wait_limit_ms();
        if (wait_ms < 0 || wait_ms > 1000) wait_ms = 1000;
        curl_waitfd extra{};
        unsigned extra_n = 0;
        if (s.options.interrupt_fd >= 0) {
            extra.fd = s.options.interrupt_fd;
            extra.events = CURL_WAIT_POLLIN;
            extra_n = 1;
        }
        curl_multi_poll(s.multi, extra_n ? &extra : nullptr, extra_n, wait_ms, nullptr);
    }

    if (s.result.failure == Failure::none) {
        if (s.stop == Control::abort) {
            s.result.failure = Failure::aborted;
        } else if (s.stop == Control::finish) {
            // Handler asked to stop: not a failure, whatever libcurl reports for the cut.
        } else if (code != CURLE_OK) {
            s.result.failure = classify(code);
            s.result.message = errbuf[0] ? errbuf : curl_easy_strerror(code);
            while (!s.result.message.empty() && s.result.message.back() == '\n')
                s.result.message.pop_back();
        }
    }
    long version = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    s.result.http_version = version == CURL_HTTP_VERSION_1_0   ? "1.0"
                            : version == CURL_HTTP_VERSION_1_1 ? "1.1"
                            : version == CURL_HTTP_VERSION_2_0 ? "2"
                            : version == CURL_HTTP_VERSION_3   ? "3"
                                                               : "";

    curl_multi_remove_handle(s.multi, easy);
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    s.easy = nullptr;
    s.handler = nullptr;
    return s.result;
}

}  // namespace letta_stream::transport
