#!/usr/bin/env bash
# A Catch2 test whose name starts with '-' cannot be run by name: ctest passes the name to the
# test binary, which reads it as an option, prints its help and "passes" without running the
# test. Every TEST_CASE name must start with something else.
# Usage: check_test_names.sh REPO_ROOT
set -u
root=${1:-.}
bad=$(grep -rn 'TEST_CASE("-' "$root/tests" --include='*.cpp' || true)
if [[ -n $bad ]]; then
  echo "test names: these start with '-', which ctest cannot run by name (write \"flag --x ...\"):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "test names: ok"
