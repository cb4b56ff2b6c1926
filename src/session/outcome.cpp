#include "session/outcome.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "util/strings.hpp"
#include "util/url.hpp"

namespace letta_stream::session {

Outcome from_transport(const transport::Result& result, std::string_view what,
                       std::string_view url) {
    using transport::Failure;
    Outcome o;
    const std::string prefix = std::string(what) + " failed: ";
    const bool via_proxy = !result.proxy.empty();
    if (via_proxy && (result.failure == Failure::resolve || result.failure == Failure::connect ||
                      result.failure == Failure::timeout))
        return {result.failure == Failure::timeout ? ExitStatus::timeout : ExitStatus::network,
                prefix + result.message,
                "is the proxy " + util::redact_url(result.proxy) +
                    " running and reachable? It comes from --proxy, the config file or "
                    "http_proxy/https_proxy/all_proxy; --noproxy or no_proxy bypasses it"};
    switch (result.failure) {
        case Failure::none:
        case Failure::aborted:
        case Failure::cancelled:
            return o;
        case Failure::resolve:
            return {
                ExitStatus::network, prefix + result.message,
                "check the host name in --base-url / LETTA_BASE_URL (" + std::string(url) + ")"};
        case Failure::connect:
            return {ExitStatus::network, prefix + result.message,
                    "is the server running and reachable at " + std::string(url) + "?"};
        case Failure::timeout:
            return {ExitStatus::timeout, prefix + result.message,
                    "raise --connect-timeout, or check the network"};
        case Failure::tls:
            return {ExitStatus::network, prefix + "the TLS handshake failed: " + result.message,
                    "does the server speak HTTPS on that port? Check any proxy too; --verbose "
                    "shows the handshake"};
        case Failure::tls_untrusted: {
            // OpenSSL's reasons come as "SSL certificate problem: unable to get local issuer
            // certificate" or "SSL: no alternative certificate subject name matches ...".
            std::string_view reason = result.message;
            for (std::string_view lead : {"SSL certificate problem: ", "SSL: "})
                if (reason.substr(0, lead.size()) == lead) reason.remove_prefix(lead.size());
            const bool name = reason.find("host name") != std::string_view::npos ||
                              reason.find("ostname") != std::string_view::npos;
            return {ExitStatus::network,
                    "cannot verify the server's TLS certificate: " + std::string(reason),
                    name ? "the certificate is for another host name: check --base-url; "
                           "--insecure skips the check"
                         : "if the server uses a private CA, trust it with --cacert FILE or "
                           "SSL_CERT_FILE; --insecure skips the check"};
        }
        case Failure::tls_ca:
            return {ExitStatus::usage, "cannot load the CA certificates: " + result.message,
                    "check the file of --cacert, CURL_CA_BUNDLE or SSL_CERT_FILE, or the "
                    "directory of --capath or SSL_CERT_DIR (PEM certificates)"};
        case Failure::tls_client_cert:
            return {ExitStatus::usage, "cannot use the TLS client certificate: " + result.message,
                    "check --cert FILE and --key FILE: PEM files, the key not encrypted and "
                    "belonging to the certificate"};
        case Failure::tls_cert_refused:
            return {ExitStatus::network,
                    "the server did not accept a TLS client certificate: " + result.message,
                    "the server asks for one: give it with --cert FILE and --key FILE, issued by "
                    "a CA the server trusts"};
        case Failure::tls_plain:
            return {ExitStatus::network,
                    prefix + "the server does not speak TLS on that port: " + result.message,
                    "if it serves plain HTTP, use an http:// URL (--base-url, --url); check the "
                    "port"};
        case Failure::unsupported:
            return {ExitStatus::usage, prefix + result.message,
                    "leave that option out, or use a libcurl built with it (letta-stream "
                    "--version names the one in use)"};
        case Failure::dropped:
            return {ExitStatus::network, prefix + "the connection was closed: " + result.message,
                    "try again; if it persists, run with --verbose"};
        case Failure::bad_encoding:
            return {ExitStatus::server, prefix + result.message,
                    "the server's compressed response could not be decoded"};
        case Failure::bad_url:
            return {ExitStatus::usage, prefix + result.message,
                    "check --base-url / LETTA_BASE_URL (" + std::string(url) + ")"};
        case Failure::other:
            break;
    }
    return {ExitStatus::network, prefix + result.message, "run with --verbose for details"};
}

Outcome from_http_status(long status, const protocol::ApiError& error, std::string_view what,
                         std::string_view retry_after, std::string_view location) {
    Outcome o;
    o.http_status = status;
    o.message =
        std::string(what) + " failed: HTTP " + std::to_string(status) + ": " + error.message;
    if (!error.run_id.empty()) o.message += " [run " + error.run_id + "]";
    if (status == 401) {
        o.status = ExitStatus::auth;
        o.hint = "check LETTA_API_KEY or --api-key-file";
    } else if (status == 403) {
        o.status = ExitStatus::auth;
        o.hint = "the API key may not have access to this agent or project (--project-id)";
    } else if (status == 404) {
        o.status = ExitStatus::not_found;
        o.hint = error.error_type == "model_not_found"
                     ? "check --agent or --model: the server has no such model (GET /v1/models "
                       "lists them)"
                     : "check --agent, --conversation and --base-url";
    } else if (status == 402 || status == 429 || status == 409) {
        o.status = ExitStatus::rate_limited;
        if (error.quota)
            o.hint = "out of credits or quota: check your Letta plan";
        else if (status == 409)
            o.hint = "the conversation is busy with another run: wait for it, then retry";
        else if (!retry_after.empty())
            o.hint = "rate-limited: retry after " + std::string(retry_after) + " s";
        else
            o.hint = "rate-limited: wait a little, then retry";
    } else if (status == 408 || status == 504) {
        o.status = ExitStatus::timeout;
        o.hint = "the server timed out: try again";
    } else if (status == 400 || status == 413 || status == 422) {
        o.status = ExitStatus::usage;
        o.hint = "the server rejected the request; check the agent/conversation ids and the prompt";
    } else if (status >= 500) {
        o.status = ExitStatus::server;
        o.hint = "server error: try again later; run with --verbose for details";
    } else if (status == 407) {
        o.status = ExitStatus::auth;
        o.message = std::string(what) + " failed: HTTP 407: the proxy requires authentication";
        o.hint = "put the proxy's user and password in the proxy URL (http://user:pass@host:port)";
    } else if (status >= 300 && status < 400) {
        o.status = ExitStatus::server;
        o.hint = location.empty() ? "unexpected redirect: check --base-url"
                                  : "the server redirects to " + util::redact_url(location) +
                                        ": check --base-url";
    } else {
        o.status = ExitStatus::server;
        o.hint = "run with --verbose for details";
    }
    return o;
}

Outcome interrupted_by(int signal) {
    const ExitStatus s = signal == SIGTERM  ? ExitStatus::terminated
                         : signal == SIGHUP ? ExitStatus::hangup
                                            : ExitStatus::interrupted;
    return {s, "interrupted", {}};
}

ExitStatus status_for_stop_reason(std::string_view r) noexcept {
    if (r == "end_turn" || r == "tool_rule") return ExitStatus::ok;
    // OpenAI finish reasons (--api openai): a whole answer, or one that asks for tools.
    if (r == "stop" || r == "tool_calls" || r == "function_call") return ExitStatus::ok;
    if (r == "length") return ExitStatus::stopped;  // cut at the token limit
    if (r == "max_steps" || r == "requires_approval" || r == "cancelled")
        return ExitStatus::stopped;
    if (r == "insufficient_credits") return ExitStatus::rate_limited;
    return ExitStatus::run_error;  // error, llm_api_error, invalid_*, no_tool_call, unknown, ...
}

ExitStatus status_for_error_type(std::string_view t) noexcept {
    if (t == "llm_rate_limit" || t == "llm_insufficient_credits" || t == "insufficient_credits")
        return ExitStatus::rate_limited;
    return ExitStatus::run_error;
}

namespace {

Outcome stream_outcome(const Attempt& a) {
    const std::string run = a.run_id.empty() ? "" : " [run " + a.run_id + "]";
    if (a.saw_error) {
        Outcome o{status_for_error_type(a.error_type), "the agent run failed: ", {}, true};
        o.message += a.error_message.empty() ? "unknown error" : a.error_message;
        if (!a.error_type.empty() || !a.error_detail.empty()) {
            o.message += " (" + a.error_type;
            if (!a.error_detail.empty())
                o.message += (a.error_type.empty() ? "" : ": ") + a.error_detail;
            o.message += ")";
        }
        o.message += run;
        o.hint = o.status == ExitStatus::rate_limited
                     ? "the model provider is rate-limiting or out of credits: retry later"
                     : "the failure happened on the server; retrying may help";
        return o;
    }
    if (!a.stop_reason.empty()) {
        const ExitStatus st = status_for_stop_reason(a.stop_reason);
        if (st == ExitStatus::ok) return {};
        Outcome o{st, "the run stopped: " + a.stop_reason + run, {}, true};
        if (a.stop_reason == "max_steps")
            o.hint = "the agent hit its step limit";
        else if (a.stop_reason == "length")
            o.hint = "the model hit its token limit";
        else if (a.stop_reason == "requires_approval")
            o.hint = "a tool call is waiting for approval";
        else if (a.stop_reason == "cancelled")
            o.hint = "the run was cancelled";
        else if (st == ExitStatus::rate_limited)
            o.hint = "out of credits: check your Letta plan";
        return o;
    }
    if (a.saw_done) return {};
    // A dialect whose stream simply ends (any SSE endpoint): the end of the response is the end.
    if (a.eof_is_end && a.failure == transport::Failure::none) return {};
    if (a.body_bytes == 0 && a.failure == transport::Failure::none)
        return {ExitStatus::network, "the event stream was empty: it ended before any event",
                "the server closed the stream at once: check --base-url, and the server's logs"};
    Outcome o{ExitStatus::network, "the stream ended before the run finished (no stop_reason)", {}};
    if (a.failure != transport::Failure::none && !a.transport_message.empty())
        o.message += ": " + a.transport_message;
    o.message += run;
    o.hint =
        a.run_id.empty()
            ? "the connection dropped; try again"
            : "the run may still be going on the server; inspect it with GET /v1/runs/" + a.run_id;
    return o;
}

std::string seconds(long ms) {
    std::string s = std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03ld", ms % 1000);
        s += frac;
        while (s.back() == '0')
            s.pop_back();
    }
    return s + " s";
}

Outcome timed_out(const Attempt& a) {
    const std::string run = a.run_id.empty() ? "" : " [run " + a.run_id + "]";
    switch (a.timeout) {
        case Attempt::Timeout::first_token:
            return {ExitStatus::timeout,
                    "no reply text within " + seconds(a.timeout_ms) + " of the request" + run,
                    "raise --first-token-timeout, or leave it out"};
        case Attempt::Timeout::max_time:
            return {ExitStatus::timeout,
                    "gave up after " + seconds(a.timeout_ms) + " in all (--max-time)" + run,
                    "raise --max-time"};
        default:
            return {ExitStatus::timeout,
                    std::string(a.got_head ? "the server sent nothing for "
                                           : "no answer from the server for ") +
                        seconds(a.timeout_ms) + run,
                    a.run_id.empty() || !a.output_started
                        ? "raise --idle-timeout (0: no limit), or check the server"
                        : "raise --idle-timeout; with --background on a silent stream is resumed"};
    }
}

}  // namespace

Outcome to_outcome(const Attempt& a, std::string_view what, std::string_view url) {
    if (a.cancelled_by != 0) return interrupted_by(a.cancelled_by);
    if (a.write.status == output::WriteStatus::broken_pipe) return {};  // reader left: quiet
    if (a.write.status == output::WriteStatus::failed) return output_failed(a.write);
    if (a.timeout != Attempt::Timeout::none) return timed_out(a);
    if (a.too_large)
        return {ExitStatus::server,
                "a stream event exceeded the " + util::human_size(a.max_event_size) + " limit",
                "raise the limit with --max-event-size"};
    if (!a.saw_error && a.stop_reason.empty() && !a.got_head) {
        transport::Result r;
        r.failure = a.failure;
        r.message = a.transport_message;
        r.proxy = a.proxy;
        return from_transport(r, what, url);
    }
    if (a.body == Attempt::Body::error_body) {
        if (a.http_status < 200 || a.http_status >= 300)
            return from_http_status(a.http_status, a.api_error, what, a.retry_after_header,
                                    a.location);
        return {ExitStatus::server,
                "expected an event stream but the server answered " +
                    (a.media_type.empty() ? std::string("without a content type")
                                          : "with " + a.media_type),
                "check --base-url: it must point at the Letta API"};
    }
    Outcome o = stream_outcome(a);
    if (o.ok() && a.malformed > 0)
        return {ExitStatus::server,
                "the stream had " + std::to_string(a.malformed) +
                    " malformed event(s); the reply may be incomplete",
                "run with --verbose to see the raw events"};
    return o;
}

Outcome output_failed(const output::WriteResult& result) {
    const int e = result.error;
    return {ExitStatus::output, std::string("writing to stdout failed: ") + std::strerror(e),
            e == ENOSPC   ? "the disk is full: free some space or write elsewhere"
            : e == EFBIG  ? "the file size limit was reached (ulimit -f)"
            : e == EBADF  ? "standard output is closed: redirect it to a file or /dev/null"
            : e == EDQUOT ? "the disk quota is exhausted"
                          : "check the output destination"};
}

}  // namespace letta_stream::session
