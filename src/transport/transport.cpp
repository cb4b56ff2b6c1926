#include "transport/transport.hpp"

#include <cctype>

#include "util/strings.hpp"

namespace letta_stream::transport {

using util::iequals;
using util::trim;

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
        c = util::ascii_lower(c);
    return out;
}

namespace {

// Passes everything through and keeps the result for perform().
class Capture final : public Handler {
  public:
    explicit Capture(Handler& inner) : inner_(inner) {}
    Control on_head(const ResponseHead& head) override { return inner_.on_head(head); }
    Control on_data(std::string_view bytes) override { return inner_.on_data(bytes); }
    Control on_idle() override { return inner_.on_idle(); }
    std::int64_t deadline_ns() const override { return inner_.deadline_ns(); }
    void on_done(const Result& result) override {
        result_ = result;
        inner_.on_done(result);
    }
    Result result_;

  private:
    Handler& inner_;
};

}  // namespace

Result perform(Transport& transport, const Request& request, Handler& handler) {
    Capture capture(handler);
    transport.start(request, capture);
    transport.run();
    return capture.result_;
}

std::string redact_header_line(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return std::string(line);
    std::string name(trim(line.substr(0, colon)));
    for (char& c : name)
        c = util::ascii_lower(c);
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

}  // namespace letta_stream::transport
