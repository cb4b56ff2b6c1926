#!/usr/bin/env bash
# One table of exit statuses in four places: the enum (src/util/exit_status.hpp) is the source;
# `letta-stream --help`, the README's table and the man page's EXIT STATUS section must list
# exactly its statuses, each with the same number and name (the exit_name of the JSON done line).
# Usage: check_exit_statuses.sh REPO_ROOT LETTA_STREAM_BINARY
set -u
root=$1
bin=$2
status=0

# "    usage = 2,  // ..." → "2 usage"
enum=$(sed -nE 's/^[[:space:]]+([a-z_]+)[[:space:]]*=[[:space:]]*([0-9]+),.*/\2 \1/p' \
  "$root/src/util/exit_status.hpp" | sort -n)
if [[ -z $enum ]]; then
  echo "exit statuses: could not read the enum in src/util/exit_status.hpp" >&2
  exit 1
fi
# The names that to_string() gives must be the enum's names.
names=$(sed -nE 's/.*return "([a-z_]+)";.*/\1/p' "$root/src/util/exit_status.cpp" | grep -v '^unknown$' | sort)
if [[ $names != "$(cut -d' ' -f2 <<<"$enum" | sort)" ]]; then
  echo "exit statuses: to_string() in src/util/exit_status.cpp does not name every status" >&2
  status=1
fi

# --help: "Exit status: 0 ok, 1 run_error, ..." in the footer.
help=$("$bin" --help | sed -n '/^Exit status:/,/^$/p' | tr '\n' ' ')
help_pairs=$(grep -oE '(^|[ :,])[0-9]+ [a-z_]+' <<<"$help" | sed -E 's/^[ :,]//' | sort -n)
# README: "| 2 | usage | ..." rows of the table under "## Exit status".
readme_pairs=$(sed -n '/^## Exit status/,/^## /p' "$root/README.md" |
  sed -nE 's/^\| ([0-9]+) \| ([a-z_]+) \|.*/\1 \2/p' | sort -n)
# man page: '.BR 2 " usage"' entries under .SH EXIT STATUS.
man_pairs=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$root/man/letta-stream.1" |
  sed -nE 's/^\.BR ([0-9]+) " ([a-z_]+)"$/\1 \2/p' | sort -n)

for place in help readme man; do
  var=${place}_pairs
  if [[ ${!var} != "$enum" ]]; then
    echo "exit statuses: $place differs from the enum (src/util/exit_status.hpp):" >&2
    diff <(echo "$enum") <(echo "${!var}") | sed -n 's/^[<>]/  &/p' >&2
    status=1
  fi
done
[[ $status == 0 ]] && echo "exit statuses: ok ($(wc -l <<<"$enum") statuses in 4 places)"
exit $status
