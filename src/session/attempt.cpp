#include "session/attempt.hpp"

#include <charconv>
#include <cstring>

#include "util/strings.hpp"

namespace letta_stream::session {

void Attempt::begin_next() {
    failure = transport::Failure::none;
    transport_message.clear();
    proxy.clear();
    got_head = false;
    body_bytes = 0;
    body = Body::none;
    http_status = 0;
    media_type.clear();
    error_body.clear();
    retry_after_header.clear();
    location.clear();
    retry_after_ms = -1;
    api_error = {};
    quota = false;
    timeout = Timeout::none;
    timeout_ms = 0;
}

void Tracker::on_event(const stream::Event& e) {
    using stream::Kind;
    if (e.kind == Kind::malformed) {
        ++a_.malformed;
        return;
    }
    if (e.kind == Kind::status || (e.kind == Kind::error && e.client))
        return;  // ours, not the
                 // server's
    ++a_.events;
    if (!e.run_id.empty() && a_.run_id != e.run_id) a_.run_id.assign(e.run_id);
    if (e.seq_id >= 0) a_.last_seq_id = e.seq_id;
    // The grace period after stop_reason restarts with each later event (usage_statistics,
    // [DONE]) but not with pings: a server that pings forever must not keep us forever.
    if (e.kind == Kind::stop || (!a_.stop_reason.empty() && e.kind != Kind::ping))
        a_.after_stop_ns = clock_.now_ns();
    switch (e.kind) {
        case Kind::content:
        case Kind::sse:  // the `sse` dialect: every event's data is output
            a_.output_started = true;
            break;
        case Kind::stop:
            a_.stop_reason.assign(e.name);
            break;
        case Kind::error:
            if (!a_.saw_error) {
                a_.saw_error = true;
                a_.error_type.assign(e.name);
                a_.error_message.assign(e.text);
                a_.error_detail.assign(e.detail);
            }
            break;
        case Kind::done:
            a_.saw_done = true;
            break;
        default:
            break;
    }
}

namespace {

bool parse_int(std::string_view s, std::int64_t& out) {
    s = util::trim(s);
    if (s.empty()) return false;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() && out >= 0;
}

// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (the form servers send).
bool parse_http_date(std::string_view s, std::time_t& out) {
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    s = util::trim(s);
    const auto comma = s.find(", ");
    if (comma == std::string_view::npos) return false;
    s.remove_prefix(comma + 2);
    if (s.size() != 24 || s.substr(20) != " GMT") return false;
    auto num = [&](std::size_t at, std::size_t len, int& v) {
        std::int64_t x = 0;
        if (!parse_int(s.substr(at, len), x)) return false;
        v = static_cast<int>(x);
        return true;
    };
    std::tm tm{};
    int month = -1;
    for (int i = 0; i < 12; ++i)
        if (s.substr(3, 3) == kMonths[i]) month = i;
    if (month < 0 || !num(0, 2, tm.tm_mday) || !num(7, 4, tm.tm_year) || !num(12, 2, tm.tm_hour) ||
        !num(15, 2, tm.tm_min) || !num(18, 2, tm.tm_sec))
        return false;
    tm.tm_mon = month;
    tm.tm_year -= 1900;
    out = timegm(&tm);
    return out != static_cast<std::time_t>(-1);
}

}  // namespace

std::int64_t parse_retry_after_ms(std::string_view retry_after, std::string_view retry_after_ms,
                                  std::time_t now) {
    std::int64_t v = 0;
    if (parse_int(retry_after_ms, v)) return v;
    if (parse_int(retry_after, v)) return v > INT64_MAX / 1000 ? INT64_MAX : v * 1000;
    std::time_t when = 0;
    if (parse_http_date(retry_after, when)) return when <= now ? 0 : (when - now) * 1000;
    return -1;
}

}  // namespace letta_stream::session
