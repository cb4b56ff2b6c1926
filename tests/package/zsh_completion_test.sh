#!/usr/bin/env bash
# Checks that `cmake --install` puts the zsh completion where Debian's zsh looks, decided by the
# prefix given at install time: share/zsh/vendor-completions under /usr, share/zsh/site-functions
# elsewhere; DESTDIR honoured, the file in install_manifest.txt (which lists paths without
# DESTDIR). Then, in a real zsh, that the installed file is found through $fpath, registered by
# compinit and completes `letta-stream --ag<TAB>`.
# Exit 77 (skipped) without zsh. Usage: zsh_completion_test.sh BUILD_DIR [CMAKE]
set -u
build=$(realpath "$1")
cmake=${2:-cmake}
command -v zsh >/dev/null || { echo "skipped: zsh is not installed"; exit 77; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/letta-stream-zsh.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

# install PREFIX DESTDIR EXPECTED_DIR: installs, then checks the file and the manifest
install_into() {
  DESTDIR=$2 "$cmake" --install "$build" --prefix "$1" >"$scratch/install.log" 2>&1 ||
    { cat "$scratch/install.log" >&2; fail "cmake --install --prefix $1 failed"; return; }
  [[ -f $2$3/_letta-stream ]] || fail "--prefix $1: no $3/_letta-stream under DESTDIR"
  grep -qxF "$3/_letta-stream" "$build/install_manifest.txt" ||
    fail "--prefix $1: $3/_letta-stream is not in install_manifest.txt"
  [[ -z $(find "$2" -name _letta-stream ! -path "$2$3/*") ]] || fail "--prefix $1: a second _letta-stream"
}
install_into /usr "$scratch/root" /usr/share/zsh/vendor-completions
install_into /usr/local "$scratch/root2" /usr/local/share/zsh/site-functions
dir=$scratch/root/usr/share/zsh/vendor-completions
[[ -f $dir/_letta-stream ]] || { echo "FAIL: nothing to try in zsh" >&2; exit 1; }

# Debian's zsh searches both directories by default (information: the install rule relies on it).
for d in /usr/share/zsh/vendor-completions /usr/local/share/zsh/site-functions; do
  zsh -fc 'print -l $fpath' | grep -qxF "$d" || echo "note: $d is not in this zsh's default \$fpath"
done

# Found through fpath, registered by compinit, loads without error, from the installed file.
out=$(cd "$scratch" && HOME=$scratch zsh -f -c '
  fpath=("$1" $fpath)
  autoload -Uz compinit && compinit -u -D || exit 1
  print -r -- "comps=$_comps[letta-stream]"
  autoload +X -Uz _letta-stream && functions _letta-stream >/dev/null || exit 2
  print -r -- "source=$functions_source[_letta-stream]"' zsh "$dir" 2>&1) || fail "zsh: compinit or loading _letta-stream failed: $out"
grep -qxF "comps=_letta-stream" <<<"$out" || fail "zsh: \$_comps[letta-stream] is not _letta-stream: $out"
grep -qxF "source=$dir/_letta-stream" <<<"$out" || fail "zsh: _letta-stream not loaded from $dir: $out"

# A real completion: type `letta-stream --ag<TAB>` in an interactive zsh on a pseudo-terminal and
# wait (5 s at most) for --agent and its description.
if zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
  out=$(cd "$scratch" && HOME=$scratch TERM=dumb timeout 20 zsh -f -c '
    zmodload zsh/zpty
    zpty z zsh -f -i
    zpty -w z "PS1=\"> \"; fpath=(${(q)1} \$fpath); autoload -Uz compinit && compinit -u -D"
    zpty -w -n z $'"'"'letta-stream --ag\t'"'"'
    out= chunk=
    for i in {1..50}; do
      while zpty -rt z chunk; do out+=$chunk; done
      [[ $out == *--agent*"agent id"* ]] && break
      sleep 0.1
    done
    zpty -d z
    print -r -- "$out"' zsh "$dir" 2>&1)
  [[ $out == *--agent*"agent id"* ]] || fail "zsh: letta-stream --ag<TAB> did not offer --agent: $(tr -d '\r\033' <<<"$out")"
else
  echo "note: no zsh/zpty module, TAB not tried"
fi

[[ $status -eq 0 ]] && echo "zsh completion: ok"
exit $status
