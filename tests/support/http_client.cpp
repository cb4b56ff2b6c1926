#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "fake_server/util.hpp"

namespace ls_test {

namespace {

using Clock = std::chrono::steady_clock;
using fls::to_lower;
using fls::trim;

int left_ms(Clock::time_point deadline) {
    auto l = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return l < 0 ? 0 : static_cast<int>(l);
}

}  // namespace

std::string HttpResponse::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return v;
    return "";
}

HttpClient::HttpClient(int port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close();
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpClient::~HttpClient() {
    close();
}

void HttpClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool HttpClient::send_raw(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return bytes.empty();
}

int HttpClient::fill(int timeout_ms) {
    if (fd_ < 0) return 0;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc == 0) return -1;
    if (rc < 0) return 0;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    buf_.append(tmp, static_cast<size_t>(n));
    return 1;
}

bool HttpClient::read_head(HttpResponse& r, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
        int got = fill(left_ms(deadline));
        if (got <= 0) {
            r.timed_out = got < 0;
            r.eof = got == 0;
            return false;
        }
    }
    std::string_view head(buf_.data(), end);
    size_t nl = head.find("\r\n");
    std::string_view status_line = head.substr(0, nl);
    size_t sp = status_line.find(' ');
    r.status = sp == std::string_view::npos
                   ? 0
                   : std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str());
    r.headers.clear();
    std::string_view rest = nl == std::string_view::npos ? "" : head.substr(nl + 2);
    while (!rest.empty()) {
        size_t e = rest.find("\r\n");
        std::string_view line = rest.substr(0, e);
        rest = e == std::string_view::npos ? "" : rest.substr(e + 2);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos)
            r.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
    }
    buf_.erase(0, end + 4);
    return true;
}

HttpResponse HttpClient::read_response(int timeout_ms, long long max_body_bytes,
                                       bool stop_at_interim) {
    HttpResponse r;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (!read_head(r, left_ms(deadline))) return r;
        if (r.status >= 200 || r.status < 100) break;
        r.interim.push_back(r.status);
        if (stop_at_interim) return r;
    }
    auto more = [&] {
        int got = fill(left_ms(deadline));
        r.timed_out = got < 0;
        r.eof = got == 0;
        return got > 0;
    };
    auto limit_hit = [&] {
        return max_body_bytes >= 0 && static_cast<long long>(r.body.size()) >= max_body_bytes;
    };
    const bool chunked =
        to_lower(r.header("transfer-encoding")).find("chunked") != std::string::npos;
    const std::string cl = r.header("content-length");
    if (r.status == 204 || r.status == 304) {
        r.complete = true;
    } else if (chunked) {
        for (;;) {
            size_t e;
            while ((e = buf_.find("\r\n")) == std::string::npos)
                if (!more()) return r;
            size_t size = std::stoul(buf_.substr(0, e), nullptr, 16);
            r.raw.append(buf_, 0, e + 2);
            buf_.erase(0, e + 2);
            if (size == 0) {
                while ((e = buf_.find("\r\n")) != 0) {  // trailers up to the empty line
                    if (e == std::string::npos) {
                        if (!more()) return r;
                        continue;
                    }
                    r.raw.append(buf_, 0, e + 2);
                    buf_.erase(0, e + 2);
                }
                r.raw += "\r\n";
                buf_.erase(0, 2);
                r.complete = true;
                break;
            }
            while (buf_.size() < size + 2) {
                if (!more()) {
                    r.raw += buf_;
                    r.body += buf_.substr(0, size);
                    buf_.clear();
                    return r;
                }
            }
            r.chunks.push_back(buf_.substr(0, size));
            r.body += r.chunks.back();
            r.raw.append(buf_, 0, size + 2);
            buf_.erase(0, size + 2);
            if (limit_hit()) break;
        }
    } else if (!cl.empty()) {
        size_t n = std::stoul(cl);
        while (r.body.size() < n && !limit_hit()) {
            if (buf_.empty() && !more()) return r;
            size_t take = std::min(buf_.size(), n - r.body.size());
            r.chunks.push_back(buf_.substr(0, take));
            r.body += r.chunks.back();
            buf_.erase(0, take);
        }
        r.raw = r.body;
        r.complete = r.body.size() == n;
    } else {
        for (;;) {
            if (!buf_.empty()) {
                r.chunks.push_back(buf_);
                r.body += buf_;
                buf_.clear();
            }
            if (limit_hit() || !more()) break;
        }
        r.raw = r.body;
        r.complete = r.eof;
    }
    if (limit_hit() || !r.complete || to_lower(r.header("connection")) == "close") close();
    return r;
}

HttpResponse HttpClient::request(const HttpRequestSpec& spec) {
    std::string head = spec.method + " " + spec.target + " HTTP/1.1\r\n";
    bool has_host = false, has_len = false, has_te = false;
    for (const auto& [k, v] : spec.headers) {
        std::string l = to_lower(k);
        has_host |= l == "host";
        has_len |= l == "content-length";
        has_te |= l == "transfer-encoding";
        head += k + ": " + v + "\r\n";
    }
    if (!has_host) head += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    if (!has_len && !has_te && (!spec.body.empty() || spec.method == "POST"))
        head += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
    if (spec.expect_continue) head += "Expect: 100-continue\r\n";
    head += "\r\n";
    if (!spec.expect_continue) {
        send_raw(head + spec.body);
        return read_response(spec.timeout_ms, spec.max_body_bytes);
    }
    send_raw(head);
    HttpResponse first = read_response(spec.timeout_ms, spec.max_body_bytes, true);
    if (first.interim.empty() || first.status != 100) return first;  // a final answer instead
    send_raw(spec.body);
    HttpResponse r = read_response(spec.timeout_ms, spec.max_body_bytes);
    r.interim.insert(r.interim.begin(), 100);
    return r;
}

HttpResponse http_request(int port, const HttpRequestSpec& spec) {
    HttpClient c(port);
    return c.request(spec);
}

std::string gunzip(std::string_view data, bool* ok) {
    z_stream zs{};
    std::string out;
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        if (ok) *ok = false;
        return out;
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    char buf[65536];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    inflateEnd(&zs);
    if (ok) *ok = rc == Z_STREAM_END;
    return out;
}

std::vector<std::string> sse_data_payloads(std::string_view body) {
    std::vector<std::string> out;
    while (!body.empty()) {
        size_t e = body.find_first_of("\r\n");
        std::string_view line = body.substr(0, e);
        if (e == std::string_view::npos) {
            body = {};
        } else {
            size_t skip = (body[e] == '\r' && e + 1 < body.size() && body[e + 1] == '\n') ? 2 : 1;
            body.remove_prefix(e + skip);
        }
        if (line.substr(0, 5) == "data:") {
            line.remove_prefix(5);
            if (!line.empty() && line[0] == ' ') line.remove_prefix(1);
            out.emplace_back(line);
        }
    }
    return out;
}

}  // namespace ls_test
