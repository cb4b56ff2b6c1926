#!/usr/bin/env bash
# One source of truth for flags: every long flag in `letta-stream --help` must appear in the man
# page and in all three completion scripts, and none of them may list a flag that does not exist.
# The same for the values of an option that takes a fixed set (`--endpoint conversations|agents`,
# `--metrics[=text|json]` in --help): the man page and the completions offer exactly those.
# Usage: check_flags.sh REPO_ROOT LETTA_STREAM_BINARY
set -u
root=$1
bin=$2
status=0

help_lines=$("$bin" --help | grep -E '^[[:space:]]+-')
help_flags=$(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help_lines" | sort -u)
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

# --- Option values --------------------------------------------------------------------------
# An option that takes a fixed set of values shows it after its name, as lower-case words joined
# by '|': `--endpoint conversations|agents`, `--metrics[=text|json]`, in --help and in the man
# page's tag lines. Each source below is read into "--flag value" lines.
synopsis_values() {
  grep -oE -- '--[a-z][a-z0-9-]*(\[=| )[a-z]+(\|[a-z]+)+' | sed -E 's/\[=| /|/' |
    awk -F'|' '{ for (i = 2; i <= NF; i++) print $1, $i }' | sort -u
}
help_values=$(synopsis_values <<<"$help_lines")
if [[ -z $help_values ]]; then
  echo "flags: could not read any option values from --help" >&2
  exit 1
fi
# The man page: the line after each .TP, without font escapes.
man_values=$(sed -n '/^\.TP$/{n;p;}' "$man" | sed -E 's/\\f[BIRP]//g; s/\\%//g; s/\\-/-/g' |
  synopsis_values)
# bash: local endpoint_values='conversations agents'
bash_values=$(grep -oE "[a-z_]+_values='[^']*'" "$bash_c" | sed -E "s/_values='/ /; s/'$//" |
  awk '{ f = "--" $1; gsub("_", "-", f); for (i = 2; i <= NF; i++) print f, $i }' | sort -u)
# zsh: '--endpoint=[message route]:route:(conversations agents)'
zsh_values=$(grep -oE -- "--[a-z][a-z0-9-]*=[^']*:\([a-z ]+\)'" "$zsh_c" |
  sed -E 's/^(--[a-z0-9-]+)=.*:\(([a-z ]+)\).$/\1 \2/' |
  awk '{ for (i = 2; i <= NF; i++) print $1, $i }' | sort -u)
# fish: complete -c letta-stream -l endpoint -x -a 'conversations\t"default route" agents\t"..."'
fish_values=$(sed -nE "s/.*-l ([a-z][a-z0-9-]*) .*-a '([^']*)'.*/\1 \2/p" "$fish_c" |
  sed -E 's/\\t"[^"]*"//g' | awk '{ for (i = 2; i <= NF; i++) print "--" $1, $i }' | sort -u)

# Both ways, as for the flags: what --help lists is in FILE, and FILE lists nothing else.
check_values() {
  local file=$1 values=$2 flag value
  while read -r flag value; do
    echo "flags: $flag value '$value' is missing from $file" >&2
    status=1
  done < <(comm -23 <(echo "$help_values") <(echo "$values"))
  while read -r flag value; do
    echo "flags: $flag value '$value' is in $file but letta-stream --help does not list it" >&2
    status=1
  done < <(comm -13 <(echo "$help_values") <(echo "$values"))
}
check_values man/letta-stream.1 "$man_values"
check_values completions/letta-stream.bash "$bash_values"
check_values completions/_letta-stream "$zsh_values"
check_values completions/letta-stream.fish "$fish_values"

[[ $status == 0 ]] && echo "flags: ok ($(wc -w <<<"$help_flags") flags, $(wc -l <<<"$help_values") values)"
exit $status
