#!/usr/bin/env bash
# Packages an already-built tree with cpack into a scratch directory and checks the .deb: its exact
# file list and modes, Depends from dpkg-shlibdeps (libcurl4), the packaged binary's --version,
# --replay of examples/hello.sse, and lintian (errors and warnings
# fail; skipped with a note when lintian is not installed). Exit 77 (skipped) without cpack or
# dpkg-deb. Usage: deb_test.sh BUILD_DIR SOURCE_DIR VERSION [CPACK]
set -u
build=$(realpath "$1")
src=$(realpath "$2")
version=$3
cpack=${4:-cpack}
for tool in "$cpack" dpkg-deb dpkg; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed"; exit 77; }
done
scratch=$(mktemp -d "${TMPDIR:-/tmp}/letta-stream-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

"$cpack" -G DEB -B "$scratch/out" --config "$build/CPackConfig.cmake" >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log" >&2; echo "FAIL: cpack -G DEB" >&2; exit 1; }
deb=$scratch/out/letta-stream_${version}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || { ls "$scratch/out" >&2; echo "FAIL: no $(basename "$deb")" >&2; exit 1; }

# Exactly these files, owned by root, 0755 for the binary and the directories, 0644 for the rest.
expected="-rwxr-xr-x root/root ./usr/bin/letta-stream
-rw-r--r-- root/root ./usr/share/bash-completion/completions/letta-stream
-rw-r--r-- root/root ./usr/share/doc/letta-stream/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/letta-stream/copyright
-rw-r--r-- root/root ./usr/share/fish/vendor_completions.d/letta-stream.fish
-rw-r--r-- root/root ./usr/share/man/man1/letta-stream.1.gz
-rw-r--r-- root/root ./usr/share/zsh/vendor-completions/_letta-stream"
listing=$(dpkg-deb -c "$deb")
actual=$(awk '$1 !~ /^d/ {print $1, $2, $6}' <<<"$listing" | LC_ALL=C sort -k3)
[[ $actual == "$expected" ]] || fail "file list differs (< expected, > in the .deb):
$(diff <(echo "$expected") <(echo "$actual") | grep '^[<>]')"
baddirs=$(awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")' <<<"$listing")
[[ -z $baddirs ]] || fail "directories not 0755 root/root: $baddirs"

field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == letta-stream ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version), expected $version"
[[ $(field Section) == utils && $(field Priority) == optional ]] || fail "Section/Priority: $(field Section)/$(field Priority)"
depends=$(field Depends)
[[ $depends =~ (^|, )libcurl4( |,|$) ]] || fail "Depends does not name libcurl4: $depends"
echo "Depends: $depends"

dpkg-deb -x "$deb" "$scratch/root" || fail "dpkg-deb -x"
bin=$scratch/root/usr/bin/letta-stream
gzip -t "$scratch/root/usr/share/man/man1/letta-stream.1.gz" || fail "the man page is not a valid gzip file"
grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  "$scratch/root/usr/share/doc/letta-stream/copyright" || fail "copyright is not machine-readable"
out=$("$bin" --version </dev/null 2>&1) || fail "letta-stream --version exited $?: $out"
[[ $out == *"$version"* ]] || fail "letta-stream --version does not print $version: $out"

# The README's CI smoke test, with the packaged binary and no network.
out=$(cd "$scratch" && timeout 20 "$bin" --replay "$src/examples/hello.sse" </dev/null 2>"$scratch/replay.err") ||
  fail "letta-stream --replay examples/hello.sse exited $?: $(cat "$scratch/replay.err")"
[[ $out == *Hello* ]] || fail "letta-stream --replay examples/hello.sse printed no Hello: $out"

if command -v lintian >/dev/null; then
  # Overridden tags (the package's own overrides) and info/pedantic tags do not fail.
  lint=$(lintian --fail-on error,warning "$deb" 2>&1) || fail "lintian reports errors or warnings (below)"
  grep -v 'running with root privileges' <<<"$lint" || true
else
  echo "note: lintian is not installed; not run"
fi

[[ $status -eq 0 ]] && echo "deb: ok ($(basename "$deb"))"
exit $status
