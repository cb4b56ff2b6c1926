// cli::Options — everything the user asked for, validated and typed. Plain data: the modules
// below app/ never see this struct (app/ copies what each needs into their own config).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace letta_stream::cli {

enum class Route : unsigned char { conversations, agents };
enum class MetricsFormat : unsigned char { none, text, json };
enum class Gzip : unsigned char { none, stream, members };
enum class Background : unsigned char { automatic, on, off };
enum class Api : unsigned char { letta, openai, simple, sse };

struct Options {
    // What to talk to.
    Api api = Api::letta;  // the wire dialect
    std::string url;       // --url: the full endpoint (simple, sse; openai: instead of the path)
    std::string data;      // --data: the request body (sse: then a POST); from @FILE already read
    bool has_data = false;
    std::string model;  // --model: the OpenAI "model" (default: the agent, as given)
    std::string agent;  // "agent-<uuid4>" (lower-cased) or a name to look up; may be empty with
                        // --conversation
    std::string conversation;  // empty: the agent's default conversation
    Route route = Route::conversations;
    std::string base_url = "https://api.letta.com";  // lower-case scheme, no trailing / or /v1
    std::string api_key;                             // may be empty (self-hosted without auth)
    std::string project_id;
    std::vector<std::string> headers;  // validated "Name: value" lines: the configuration
                                       // file's, then env, then -H, each replacing the ones of
                                       // the same name before it; "Name:" (no value) removes
                                       // that header

    // What to say.
    std::string prompt;  // final: argument, stdin, or "argument\n\nstdin"; valid UTF-8

    // How to behave.
    long connect_timeout_ms = 30'000;
    long first_token_timeout_ms = 0;  // request start → first content byte; 0 = none
    long idle_timeout_ms = 60'000;    // no byte at all (pings count); 0 = none
    long max_time_ms = 0;             // the whole invocation; 0 = none
    int retries = 2;                  // retries and resumes of the turn together
    long retry_max_time_ms = 0;       // one bound on all attempts and waits; 0 = none
    Background background = Background::automatic;
    bool cancel = true;  // cancel the run on the server on a signal or a closed stdout
    std::size_t max_event_size = 16u << 20;
    std::size_t max_prompt_size = 4u << 20;
    bool final_newline = true;
    bool verbose = false;
    bool quiet = false;

    // What to show.
    bool json = false;  // -j: JSON lines on stdout instead of the reply text
    MetricsFormat metrics = MetricsFormat::none;  // -m: the report on stderr
    std::string metrics_file;                     // --metrics-file: the JSON report to a file
    bool show_reasoning = false;                  // reasoning on stderr (text mode)
    bool show_tools = false;                      // tool calls and results on stderr (text mode)

    // How stdout is paced and framed.
    std::size_t coalesce_bytes = 0;  // --coalesce: emit text in chunks of at least this; 0 = off
    int coalesce_ms = 0;             // --coalesce-ms: hold text at most this long; 0 = off
    double throttle_per_s = 0;       // --throttle: tokens (or characters) per second; 0 = off
    bool throttle_chars = false;     // the rate counts characters (Nc/s), not server deltas
    int burst = 1;                   // --burst: the token bucket's size
    Gzip gzip = Gzip::none;
    int gzip_level = 6;

    // TLS and proxies (the environment's CA variables already applied; see resolve.cpp).
    std::string cacert;       // --cacert, CURL_CA_BUNDLE, SSL_CERT_FILE: CA bundle (PEM)
    std::string capath;       // --capath, SSL_CERT_DIR: a directory of hashed CA certificates
    std::string client_cert;  // --cert: client certificate (PEM)
    std::string client_key;   // --key: its private key (PEM)
    bool insecure = false;    // --insecure: do not verify the server's certificate
    std::string proxy;        // --proxy; empty: the environment's proxy variables
    std::string noproxy;      // --noproxy; empty: no_proxy/NO_PROXY

    // Record and replay.
    std::string record_file;  // --record: the raw response body, timed, as SSE
    std::string replay_file;  // --replay: read the response from here instead of a server
    double replay_speed = 0;  // --replay-speed: 0 as fast as possible, 1 real time, 2 twice

    // Non-fatal remarks found while resolving (printed as warnings unless --quiet).
    std::vector<std::string> warnings;
};

inline constexpr const char* default_base_url = "https://api.letta.com";

}  // namespace letta_stream::cli
