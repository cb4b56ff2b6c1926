// A tiny raw-socket HTTP/1.1 client for testing the fake server itself (not libcurl, on purpose:
// it exposes the wire — every chunk, the raw body, 1xx responses, truncation), plus gzip and SSE
// helpers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ls_test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    std::vector<int> interim;  // 1xx statuses received before the final one (e.g. 100)
    HeaderList headers;        // lower-case names, in order
    std::string raw;           // every byte received after the final header block
    std::string body;          // the body with chunked framing removed (still gzip-encoded)
    // Chunked: the data of each HTTP chunk. Otherwise: the bytes of each recv().
    std::vector<std::string> chunks;
    bool complete = false;  // the body ended as its framing says (terminal chunk, length, EOF)
    bool eof = false;       // the server closed the connection
    bool timed_out = false;

    // The header's value ("" if absent); name in lower case.
    std::string header(std::string_view lower_name) const;
};

struct HttpRequestSpec {
    std::string method = "GET";
    std::string target = "/";
    HeaderList headers;  // sent as given; Host and Content-Length are added when missing
    std::string body;
    bool expect_continue = false;  // send "Expect: 100-continue" and wait for 100 before the body
    int timeout_ms = 5000;
    long long max_body_bytes = -1;  // stop (and disconnect) after this many body bytes
};

class HttpClient {
  public:
    explicit HttpClient(int port);  // connects to 127.0.0.1:port; throws on failure
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse request(const HttpRequestSpec& spec);
    bool send_raw(std::string_view bytes);
    // Reads one response (skipping and recording 1xx ones unless stop_at_interim).
    HttpResponse read_response(int timeout_ms, long long max_body_bytes = -1,
                               bool stop_at_interim = false);
    bool connected() const { return fd_ >= 0; }
    void close();

  private:
    int fill(int timeout_ms);  // 1: got data, 0: EOF or error, -1: timeout
    bool read_head(HttpResponse& r, int timeout_ms);

    int fd_ = -1;
    int port_;
    std::string buf_;
};

// One request on a fresh connection.
HttpResponse http_request(int port, const HttpRequestSpec& spec);

// gzip/zlib decoding (auto-detected); sets *ok to false on a corrupt or truncated stream.
std::string gunzip(std::string_view data, bool* ok = nullptr);

// The payloads of all "data:" lines (one leading space stripped), accepting LF, CRLF and CR.
std::vector<std::string> sse_data_payloads(std::string_view body);

}  // namespace ls_test
