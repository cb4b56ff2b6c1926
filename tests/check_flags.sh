#!/usr/bin/env bash
# One source of truth for flags: every long flag in `letta-stream --help` must appear in the man
# page and in all three completion scripts, and none of them may list a flag that does not exist.
# Usage: check_flags.sh REPO_ROOT LETTA_STREAM_BINARY
set -u
root=$1
bin=$2
status=0

help_flags=$("$bin" --help | grep -E '^[[:space:]]+-' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
if [[ -z $help_flags ]]; then
  echo "flags: could not read any flag from --help" >&2
  exit 1
fi

man=$root/man/letta-stream.1
bash_c=$root/completions/letta-stream.bash
zsh_c=$root/completions/_letta-stream
fish_c=$root/completions/letta-stream.fish

for f in $help_flags; do
  name=${f#--}
  grep -qF -- "\\-\\-$name" "$man" || grep -qF -- "$f" "$man" ||
    { echo "flags: $f is missing from man/letta-stream.1" >&2; status=1; }
  grep -qE -- "(^|[^a-z-])$f([^a-z0-9-]|$)" "$bash_c" ||
    { echo "flags: $f is missing from completions/letta-stream.bash" >&2; status=1; }
  grep -qE -- "(^|[^a-z-])$f([^a-z0-9-]|$)" "$zsh_c" ||
    { echo "flags: $f is missing from completions/_letta-stream" >&2; status=1; }
  grep -qE -- "-l $name([^a-z0-9-]|$)" "$fish_c" ||
    { echo "flags: --$name is missing from completions/letta-stream.fish (complete -l $name)" >&2; status=1; }
done

# The reverse: nothing documented that the binary does not accept.
documented=$( { grep -oE -- '\\-\\-[a-z][a-z0-9-]*' "$man" | sed 's/\\//g'
                grep -oE -- '(^|[^a-z-])--[a-z][a-z0-9-]*' "$bash_c" "$zsh_c" | grep -oE -- '--[a-z][a-z0-9-]*'
                grep -oE -- '-l [a-z][a-z0-9-]*' "$fish_c" | sed 's/-l /--/'; } | sort -u)
for f in $documented; do
  grep -qxF -- "$f" <<<"$help_flags" ||
    { echo "flags: $f is documented or completed but letta-stream --help does not list it" >&2; status=1; }
done
[[ $status == 0 ]] && echo "flags: ok ($(wc -w <<<"$help_flags") flags)"
exit $status
