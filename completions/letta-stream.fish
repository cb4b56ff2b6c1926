# fish completion for letta-stream. Installed as share/fish/vendor_completions.d/letta-stream.fish.
# The flags here must match `letta-stream --help` (tests/check_flags.sh checks it).

# The positional argument is a free-text prompt: no file completion by default.
complete -c letta-stream -f

# Agent
complete -c letta-stream -s a -l agent -x -d 'Agent id (agent-<uuid>) or exact agent name'
complete -c letta-stream -l conversation -x -d 'Conversation id (default: the agent\'s default one)'
complete -c letta-stream -l endpoint -x -a 'conversations\t"default route" agents\t"agents route"' -d 'Message route'
complete -c letta-stream -l api -x -a 'letta\t"Letta REST (default)" openai\t"chat completions" simple\t"the tutorial proxy" sse\t"any event stream"' -d 'Wire dialect'
complete -c letta-stream -l model -x -d 'The model to ask for with --api openai (default: the agent)'
complete -c letta-stream -l url -x -d 'The full endpoint URL (--api simple, sse, openai)'
complete -c letta-stream -l data -x -d 'Request body for --api sse (then a POST); @FILE reads FILE'

# Server
complete -c letta-stream -l base-url -x -d 'API base URL (env LETTA_BASE_URL)'
complete -c letta-stream -l api-key-file -r -F -d 'Read the API key from FILE'
complete -c letta-stream -l project-id -x -d 'Send X-Project-Id (env LETTA_PROJECT_ID)'
complete -c letta-stream -s H -l header -x -d "Extra request header 'NAME: VALUE', repeatable"
complete -c letta-stream -l connect-timeout -x -d 'Give up connecting after SECONDS (default 30)'
complete -c letta-stream -l first-token-timeout -x -d 'Give up when no reply text has come after SECONDS'
complete -c letta-stream -l idle-timeout -x -d 'Give up (or resume) after SECONDS without a byte (default 60)'
complete -c letta-stream -l max-time -x -d 'Give up after SECONDS in all, retries included'
complete -c letta-stream -l retries -x -d 'Retry or resume N times (default 2; 0: never)'
complete -c letta-stream -l retry-max-time -x -d 'Stop retrying SECONDS after the first request'
complete -c letta-stream -l background -x -a 'auto\t"background when the server can" on\t"always" off\t"never"' -d 'Ask for a resumable background run'
complete -c letta-stream -l no-cancel -d 'Leave the run going on the server after Ctrl-C or a closed pipe'

# TLS and proxies
complete -c letta-stream -l cacert -r -F -d 'Trust the CA certificates in FILE (env CURL_CA_BUNDLE, SSL_CERT_FILE)'
complete -c letta-stream -l capath -r -F -d 'Trust the CA certificates in DIR (env SSL_CERT_DIR)'
complete -c letta-stream -s k -l insecure -d 'Do not verify the server\'s TLS certificate (warns)'
complete -c letta-stream -l cert -r -F -d 'Client certificate (PEM)'
complete -c letta-stream -l key -r -F -d 'Private key of --cert (PEM)'
complete -c letta-stream -l proxy -x -d 'Use this proxy (env https_proxy, http_proxy, all_proxy)'
complete -c letta-stream -l noproxy -x -d 'Reach these hosts directly, comma-separated (env no_proxy)'

# Input
complete -c letta-stream -l no-stdin -d 'Never read stdin, even when it is a pipe'
complete -c letta-stream -l max-prompt-size -x -d 'Refuse prompts larger than BYTES (default 4M)'
complete -c letta-stream -l max-event-size -x -d 'Fail on a stream event larger than BYTES (default 16M)'

# Output
complete -c letta-stream -s j -l json -d 'Write JSON lines instead of the reply'
complete -c letta-stream -s n -l no-newline -d 'Do not add a final newline to the reply'
# The value is optional and only attached with '=' (--metrics=json); bare -m/--metrics means text.
complete -c letta-stream -s m -d 'Report timings and token counts on stderr (text)'
complete -c letta-stream -l metrics -a 'text json' -d 'Report timings and token counts on stderr'
complete -c letta-stream -l metrics-file -r -F -d 'Write the metrics report as JSON to FILE'
complete -c letta-stream -l show-reasoning -d 'Print the agent\'s reasoning to stderr'
complete -c letta-stream -l show-tools -d 'Print tool calls and their results to stderr'

# Shaping
complete -c letta-stream -l coalesce -x -d 'Write the reply in chunks of at least BYTES (K, M suffixes)'
complete -c letta-stream -l coalesce-ms -x -d 'Hold text at most MS milliseconds, then write it'
complete -c letta-stream -l throttle -x -d 'Write at most RATE tokens per second (N, N/s, N/m, Nc/s, Nc/m)'
complete -c letta-stream -l burst -x -d 'Let up to N tokens out at once under --throttle (default 1)'
# Like --metrics, the framing is optional and only attached with '=' (--gzip=members).
complete -c letta-stream -l gzip -a 'stream members' -d 'Gzip stdout, flushed after every chunk'
complete -c letta-stream -l gzip-level -x -d 'Compression level (implies --gzip)'

# Replay
complete -c letta-stream -l record -r -F -d 'Save the response body, with arrival times, as SSE to FILE'
complete -c letta-stream -l replay -r -F -d 'Read the response from FILE instead of a server'
complete -c letta-stream -l replay-speed -x -d 'Replay speed: 0 as fast as possible, 1 real time, 2 twice'

# Options
complete -c letta-stream -l config -r -F -d 'Read defaults from FILE'
complete -c letta-stream -l no-config -d 'Read no configuration file'
complete -c letta-stream -s h -l help -d 'Print help and exit'
complete -c letta-stream -s V -l version -d 'Print the version and exit'
complete -c letta-stream -s v -l verbose -d 'Trace requests and stream events on stderr'
complete -c letta-stream -s q -l quiet -d 'No warnings or progress line on stderr; errors still show'
