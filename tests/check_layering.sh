#!/usr/bin/env bash
# Checks the one-way module dependencies of DESIGN.md §2 and which modules may include which
# third-party library. Usage: check_layering.sh REPO_ROOT
set -u
root=${1:-.}
cd "$root/src" || exit 2

# module → modules it may include (besides itself)
declare -A allowed=(
  [util]=""
  [stream]="util"
  [sse]="util"
  [protocol]="sse stream util"
  [transport]="util"
  [output]="stream util"
  [metrics]="stream util"
  [session]="transport protocol output sse stream util"
  [cli]="util"
  [app]="cli session transport protocol output metrics sse stream util"
)
# third-party header prefix → modules that may include it
declare -A library=(
  ["curl/"]="transport"
  ["zlib.h"]="output"
  ["CLI/"]="cli"
  ["rapidjson/"]="util protocol output metrics"
)

status=0
for dir in */; do
  module=${dir%/}
  if [[ -z ${allowed[$module]+x} ]]; then
    echo "layering: src/$module is not a known module; add it to tests/check_layering.sh" >&2
    status=1
    continue
  fi
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"${line#*:}")
    target=${inc%%/*}
    if [[ -n ${allowed[$target]+x} && $inc == */* ]]; then
      if [[ $target != "$module" && " ${allowed[$module]} " != *" $target "* ]]; then
        echo "layering: src/$file includes $inc, but $module may not depend on $target" >&2
        status=1
      fi
    fi
    for lib in "${!library[@]}"; do
      if [[ $inc == "$lib"* && " ${library[$lib]} " != *" $module "* ]]; then
        echo "layering: src/$file includes $inc, which only ${library[$lib]} may use" >&2
        status=1
      fi
    done
  done < <(grep -rn '^[[:space:]]*#include' "$module" | sed -E 's/^([^:]+):[0-9]+:/\1:/')
done
[[ $status == 0 ]] && echo "layering: ok"
exit $status
