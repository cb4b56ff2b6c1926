#!/usr/bin/env bash
# Catch2 tests run under ctest by name, and some names cannot be: one that starts with '-' is read
# by the test binary as an option (it prints its help and "passes" without running the test); one
# with ';' is cut in two by CMake's list syntax, and a backslash is eaten on the way (either then
# "passes" as "No test cases matched").
# Usage: check_test_names.sh REPO_ROOT
set -u
root=${1:-.}
bad=$(grep -rn 'TEST_CASE("-' "$root/tests" --include='*.cpp' || true)
if [[ -n $bad ]]; then
  echo "test names: these start with '-', which ctest cannot run by name (write \"flag --x ...\"):" >&2
  echo "$bad" >&2
  exit 1
fi
bad=$(grep -rnE 'TEST_CASE\("([^"\\]|\\")*(;|\\\\)' "$root/tests" --include='*.cpp' || true)
if [[ -n $bad ]]; then
  echo "test names: these contain ';' or a backslash, which ctest cannot pass on (write ',' or words):" >&2
  echo "$bad" >&2
  exit 1
fi
echo "test names: ok"
