#include "http.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>

#include "util.hpp"

namespace fls {

namespace {

constexpr int kBodyReadTimeoutMs = 30000;

size_t find_header_end(const std::string& buf, size_t from, size_t& sep_len) {
    size_t crlf = buf.find("\r\n\r\n", from);
    size_t lf = buf.find("\n\n", from);
    if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) {
        sep_len = 4;
        return crlf;
    }
    sep_len = 2;
    return lf;
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return &v;
    return nullptr;
}

Conn::~Conn() {
    if (fd_ >= 0) ::close(fd_);
}

bool Conn::fill(int timeout_ms) {
    if (!alive()) return false;
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
        r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    char tmp[65536];
    ssize_t n;
    do {
        n = ::recv(fd_, tmp, sizeof tmp, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
}

bool Conn::read_exact(std::string& out, size_t n) {
    while (buf_.size() - pos_ < n)
        if (!fill(kBodyReadTimeoutMs)) return false;
    out.append(buf_, pos_, n);
    pos_ += n;
    return true;
}

bool Conn::read_line(std::string& out) {
    size_t nl;
    while ((nl = buf_.find('\n', pos_)) == std::string::npos) {
        if (buf_.size() - pos_ > kMaxHeaderBytes || !fill(kBodyReadTimeoutMs)) return false;
    }
    out.assign(buf_, pos_, nl - pos_);
    if (!out.empty() && out.back() == '\r') out.pop_back();
    pos_ = nl + 1;
    return true;
}

ReadResult Conn::read_chunked_body(Request& req) {
    std::string line;
    for (;;) {
        if (!read_line(line)) return ReadResult::bad_request;
        size_t size = 0;
        std::string_view hex = trim(line.substr(0, line.find(';')));
        auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
        if (ec != std::errc() || p != hex.data() + hex.size()) return ReadResult::bad_request;
        if (size == 0) break;
        if (req.body.size() + size > kMaxBodyBytes) return ReadResult::too_large;
        if (!read_exact(req.body, size)) return ReadResult::bad_request;
        if (!read_line(line) || !line.empty()) return ReadResult::bad_request;
    }
    do {  // trailers, up to the empty line
        if (!read_line(line)) return ReadResult::bad_request;
    } while (!line.empty());
    return ReadResult::ok;
}

ReadResult Conn::read_request(Request& req, int idle_ms) {
    req = Request{};
    buf_.erase(0, pos_);
    pos_ = 0;
    if (buf_.empty() && !fill(idle_ms)) return ReadResult::eof;
    size_t sep_len = 0;
    size_t end;
    while ((end = find_header_end(buf_, 0, sep_len)) == std::string::npos) {
        if (buf_.size() > kMaxHeaderBytes) return ReadResult::header_too_large;
        if (!fill(kBodyReadTimeoutMs)) return ReadResult::eof;
    }
    std::string_view head(buf_.data(), end);
    pos_ = end + sep_len;

    size_t line_end = head.find('\n');
    std::string_view first = trim(head.substr(0, line_end));
    size_t s1 = first.find(' ');
    size_t s2 = first.rfind(' ');
    if (s1 == std::string_view::npos || s1 == s2) return ReadResult::bad_request;
    req.method = first.substr(0, s1);
    req.target = first.substr(s1 + 1, s2 - s1 - 1);
    req.version = first.substr(s2 + 1);
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);

    std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 1);
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
        line = trim(line);
        if (line.empty()) continue;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) return ReadResult::bad_request;
        std::string name = to_lower(trim(line.substr(0, colon)));
        std::string value(trim(line.substr(colon + 1)));
        bool merged = false;
        for (auto& [k, v] : req.headers) {
            if (k == name) {
                v += ", " + value;
                merged = true;
            }
        }
        if (!merged) req.headers.emplace_back(std::move(name), std::move(value));
    }

    const std::string* conn = req.header("connection");
    std::string conn_l = conn ? to_lower(*conn) : "";
    req.keep_alive = req.version == "HTTP/1.1" ? conn_l.find("close") == std::string::npos
                                               : conn_l.find("keep-alive") != std::string::npos;

    const std::string* te = req.header("transfer-encoding");
    const std::string* cl = req.header("content-length");
    bool chunked = te && to_lower(*te).find("chunked") != std::string::npos;
    size_t length = 0;
    if (!chunked && cl) {
        auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
        if (ec != std::errc() || p != cl->data() + cl->size()) return ReadResult::bad_request;
        if (length > kMaxBodyBytes) return ReadResult::too_large;
    }
    if (!chunked && length == 0) return ReadResult::ok;
    const std::string* expect = req.header("expect");
    if (expect && to_lower(*expect) == "100-continue") {
        if (!send_all("HTTP/1.1 100 Continue\r\n\r\n")) return ReadResult::eof;
    }
    if (chunked) return read_chunked_body(req);
    if (!read_exact(req.body, length)) return ReadResult::eof;
    return ReadResult::ok;
}

bool Conn::send_iov(iovec* iov, int n) {
    if (!alive()) return false;
    while (n > 0) {
        msghdr m{};
        m.msg_iov = iov;
        m.msg_iovlen = static_cast<size_t>(n);
        ssize_t w = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            dead_ = true;
            return false;
        }
        auto left = static_cast<size_t>(w);
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            ++iov;
            --n;
        }
        if (n > 0) {
            iov->iov_base = static_cast<char*>(iov->iov_base) + left;
            iov->iov_len -= left;
        }
    }
    return true;
}

bool Conn::send_all(std::string_view data) {
    iovec v{const_cast<char*>(data.data()), data.size()};
    return data.empty() || send_iov(&v, 1);
}

bool Conn::respond(int status, std::string_view content_type, std::string_view body,
                   const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string head = status_line_and_common_headers(status);
    head += "content-length: " + std::to_string(body.size()) + "\r\n";
    if (!content_type.empty()) head += "content-type: " + std::string(content_type) + "\r\n";
    for (const auto& [k, v] : extra)
        head += k + ": " + v + "\r\n";
    if (close_after_) head += "connection: close\r\n";
    head += "\r\n";
    iovec v[2] = {{head.data(), head.size()}, {const_cast<char*>(body.data()), body.size()}};
    return send_iov(v, body.empty() ? 1 : 2);
}

WaitResult Conn::wait(int ms, const std::atomic<bool>* cancel) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        if (cancel && cancel->load()) return WaitResult::cancelled;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return WaitResult::elapsed;
        int slice = static_cast<int>(std::min<long long>(left.count(), cancel ? 10 : 1000));
        pollfd p{fd_, POLLRDHUP, 0};
        int r = ::poll(&p, 1, slice);
        if (r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            dead_ = true;
            return WaitResult::disconnected;
        }
    }
}

void Conn::wait_for_disconnect() {
    while (alive()) {
        pollfd p{fd_, POLLRDHUP, 0};
        int r = ::poll(&p, 1, 1000);
        if (r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) dead_ = true;
    }
}

void Conn::close_now(bool rst) {
    if (fd_ < 0) return;
    if (rst) {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(fd_);
    fd_ = -1;
    dead_ = true;
}

const char* reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 307:
            return "Temporary Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 413:
            return "Request Entity Too Large";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 499:
            return "Client Closed Request";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Unknown";
    }
}

std::string status_line_and_common_headers(int status) {
    std::string s = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
    s += "date: " + http_date() + "\r\n";
    s += "server: uvicorn\r\n";
    return s;
}

}  // namespace fls
