#include "metrics/report.hpp"

#include <rapidjson/stringbuffer.h>

#include <cmath>  // std::isfinite (a builtin: no libm)
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "util/json_text.hpp"
#include "util/json_writer.hpp"

namespace letta_stream::metrics {
namespace {

constexpr std::string_view dot = " · ";

std::string printf_string(const char* format, double value) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, format, value);
    return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

// 1402 → "1,402".
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// Milliseconds below a second (more decimals for smaller values), seconds above; "-" if unknown.
std::string duration(double ms) {
    if (!(ms >= 0) || !std::isfinite(ms)) return "-";
    if (ms < 1) return printf_string("%.2f ms", ms);
    if (ms < 99.95) return printf_string("%.1f ms", ms);
    if (ms < 999.5) return printf_string("%.0f ms", ms);
    return printf_string("%.2f s", ms / 1000);
}

// A configured threshold reads better without trailing zeros: "1 s", "1.5 s", "250 ms".
std::string threshold(double ms) {
    if (ms >= 1000) return printf_string("%g s", ms / 1000);
    return printf_string("%g ms", ms);
}

std::string rate(double per_s) {
    return std::isfinite(per_s) && per_s >= 0 ? printf_string("%.1f", per_s) : "-";
}

class Lines {
  public:
    explicit Lines(bool color) : color_(color) {}

    void line(std::string_view label, const std::string& body) {
        if (body.empty()) return;
        std::string padded(label);
        padded.resize(10, ' ');
        out_ += "  ";
        if (color_) out_ += "\x1b[2m";
        out_ += padded;
        if (color_) out_ += "\x1b[0m";
        out_ += body;
        out_ += '\n';
    }
    std::string& text() { return out_; }

  private:
    bool color_;
    std::string out_ = "letta-stream metrics\n";
};

// Joins " · "-separated parts, skipping empty ones.
void add(std::string& body, const std::string& part) {
    if (part.empty()) return;
    if (!body.empty()) body += dot;
    body += part;
}

// std::round (halves away from zero) without libm. From 2^52 on every double is an integer;
// below, truncation toward zero leaves an exactly representable fraction to compare. x * 0.0
// keeps the sign of a zero result, as std::round does (-0.3 -> -0.0).
double round_half_away(double x) {
    if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) return x;  // ±2^52, inf, NaN
    const auto i = static_cast<std::int64_t>(x);
    const double frac = x - static_cast<double>(i);
    const std::int64_t r = frac >= 0.5 ? i + 1 : frac <= -0.5 ? i - 1 : i;
    return r == 0 ? x * 0.0 : static_cast<double>(r);
}

double round3(double v) {
    return round_half_away(v * 1000) / 1000;
}

}  // namespace

std::string render_text(const Summary& s, bool color) {
    Lines out(color);

    std::string time;
    if (s.lookup_ms >= 0) add(time, "lookup " + duration(s.lookup_ms));
    add(time, "headers " + duration(s.headers_ms));
    add(time, "first token " + duration(s.ttft_ms));
    add(time, "total " + duration(s.total_ms));
    if (s.tokens > 0) add(time, "generating " + duration(s.generation_ms));
    out.line("time", time);

    std::string tokens = grouped(s.tokens) + " content";
    add(tokens, grouped(s.words) + " words");
    add(tokens, grouped(s.chars) + " chars");
    add(tokens, grouped(s.bytes_out) + " bytes out" +
                    (s.writes > 0 ? " in " + grouped(s.writes) + " writes" : std::string()));
    out.line("tokens", tokens);
    if (s.held_ms >= 0) out.line("output", "held back by --throttle " + duration(s.held_ms));

    if (s.tokens > 0) {
        std::string speed = rate(s.tokens_per_s) + " tok/s overall";
        if (s.generation_tokens_per_s > 0) {
            add(speed, rate(s.generation_tokens_per_s) + " tok/s generating");
        }
        out.line("speed", speed);
    }

    if (s.itl_count > 0) {
        std::string latency = "inter-token p50 " + duration(s.itl_p50_ms);
        add(latency, "p90 " + duration(s.itl_p90_ms));
        add(latency, "p99 " + duration(s.itl_p99_ms));
        add(latency, "max " + duration(s.itl_max_ms));
        if (s.stall_threshold_ms > 0) {
            std::string stalls =
                "stalls " + grouped(s.stalls) + " (≥" + threshold(s.stall_threshold_ms);
            if (s.stalls > 0) stalls += ", " + duration(s.stall_ms) + " total";
            add(latency, stalls + ")");
        }
        out.line("latency", latency);
    }

    std::string events;
    for (std::size_t k = 0; k < kind_count; ++k) {
        if (s.events_by_kind[k] == 0) continue;
        add(events, std::string(stream::to_string(static_cast<stream::Kind>(k))) + " " +
                        grouped(s.events_by_kind[k]));
    }
    out.line("events", events);

    if (s.has_usage) {
        std::string usage;
        auto field = [&](std::string_view name, std::int64_t v) {
            if (v >= 0)
                add(usage, std::string(name) + " " + grouped(static_cast<std::uint64_t>(v)));
        };
        field("prompt", s.usage.prompt_tokens);
        field("completion", s.usage.completion_tokens);
        field("total", s.usage.total_tokens);
        field("reasoning", s.usage.reasoning_tokens);
        field("cached", s.usage.cached_input_tokens);
        field("cache write", s.usage.cache_write_tokens);
        field("context", s.usage.context_tokens);
        field("steps", s.usage.step_count);
        out.line("usage", usage);
    }

    std::string run = s.run_id;
    if (!s.stop_reason.empty()) add(run, "stop " + s.stop_reason);
    if (s.http_status > 0)
        add(run, (s.http_version.empty() ? "HTTP " : "HTTP/" + s.http_version + " ") +
                     std::to_string(s.http_status));
    // Reliability counters are noise on the common, clean run.
    if (s.retries > 0) add(run, "retries " + grouped(s.retries));
    if (s.resumes > 0) add(run, "resumes " + grouped(s.resumes));
    if (s.finished) add(run, "exit " + std::to_string(s.exit_status) + " (" + s.exit_name + ")");
    out.line("run", run);

    return std::move(out.text());
}

std::string render_json(const Summary& s) {
    rapidjson::StringBuffer buf;
    util::JsonWriter w(buf);
    w.SetMaxDecimalPlaces(3);
    auto key = [&](std::string_view k) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    };
    auto string_or_null = [&](std::string_view k, std::string_view v) {
        key(k);
        if (v.empty())
            w.Null();
        else
            w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    };
    // Unknown (negative) or non-finite values are null, never -1 or NaN.
    auto number_or_null = [&](std::string_view k, double v) {
        key(k);
        if (v >= 0 && std::isfinite(v))
            w.Double(round3(v));
        else
            w.Null();
    };
    auto count = [&](std::string_view k, std::uint64_t v) {
        key(k);
        w.Uint64(v);
    };

    w.StartObject();
    string_or_null("schema", "letta-stream.metrics/1");
    key("finished");
    w.Bool(s.finished);
    number_or_null("headers_ms", s.headers_ms);
    number_or_null("ttft_ms", s.ttft_ms);
    number_or_null("total_ms", s.total_ms);
    number_or_null("generation_ms", s.generation_ms);
    number_or_null("lookup_ms", s.lookup_ms);
    number_or_null("request_ms", s.request_ms);
    number_or_null("first_token_ms", s.first_token_ms);
    number_or_null("last_token_ms", s.last_token_ms);
    count("tokens", s.tokens);
    count("words", s.words);
    count("chars", s.chars);
    count("content_bytes", s.content_bytes);
    count("bytes_out", s.bytes_out);
    count("writes", s.writes);
    number_or_null("held_ms", s.held_ms);
    key("events");
    w.StartObject();
    for (std::size_t k = 0; k < kind_count; ++k) {
        if (s.events_by_kind[k] != 0) {
            count(stream::to_string(static_cast<stream::Kind>(k)), s.events_by_kind[k]);
        }
    }
    w.EndObject();
    count("pings", s.pings);
    number_or_null("tokens_per_s", s.tokens_per_s);
    number_or_null("generation_tokens_per_s", s.generation_tokens_per_s);
    key("itl_ms");
    if (s.itl_count > 0) {
        w.StartObject();
        number_or_null("p50", s.itl_p50_ms);
        number_or_null("p90", s.itl_p90_ms);
        number_or_null("p99", s.itl_p99_ms);
        number_or_null("max", s.itl_max_ms);
        count("samples", s.itl_count);
        w.EndObject();
    } else {
        w.Null();
    }
    count("stalls", s.stalls);
    number_or_null("stall_ms", s.stall_ms);
    number_or_null("stall_threshold_ms", s.stall_threshold_ms);
    key("usage");
    if (s.has_usage) {
        w.StartObject();
        const std::initializer_list<std::pair<std::string_view, std::int64_t>> fields = {
            {"prompt_tokens", s.usage.prompt_tokens},
            {"completion_tokens", s.usage.completion_tokens},
            {"total_tokens", s.usage.total_tokens},
            {"reasoning_tokens", s.usage.reasoning_tokens},
            {"cached_input_tokens", s.usage.cached_input_tokens},
            {"cache_write_tokens", s.usage.cache_write_tokens},
            {"context_tokens", s.usage.context_tokens},
            {"step_count", s.usage.step_count},
        };
        for (const auto& [name, v] : fields) {
            key(name);
            if (v >= 0)
                w.Int64(v);
            else
                w.Null();
        }
        w.EndObject();
    } else {
        w.Null();
    }
    string_or_null("stop_reason", s.stop_reason);
    key("http_status");
    if (s.http_status > 0)
        w.Int64(s.http_status);
    else
        w.Null();
    string_or_null("http_version", s.http_version);
    string_or_null("run_id", s.run_id);
    count("retries", s.retries);
    count("resumes", s.resumes);
    key("exit_status");
    if (s.finished)
        w.Int(s.exit_status);
    else
        w.Null();
    string_or_null("exit_name", s.finished ? std::string_view(s.exit_name) : std::string_view());
    w.EndObject();

    std::string out(buf.GetString(), buf.GetSize());
    util::escape_js_line_terminators(out);  // U+2028, U+2029, NEL: one line for every splitter
    out += '\n';
    return out;
}

}  // namespace letta_stream::metrics
