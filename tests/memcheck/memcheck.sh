#!/usr/bin/env bash
# Run `meshsim ARGS...` under valgrind memcheck in a fresh temporary
# directory (so that relative outputs such as --out run.db land there):
# any memory error or definite/possible leak fails (exit 1). Exits 77
# (ctest SKIP_RETURN_CODE) when valgrind is not installed.
#   tests/memcheck/memcheck.sh MESHSIM ARGS...
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MESHSIM ARGS..." >&2; exit 2; }
bin=$1
shift
if ! command -v valgrind >/dev/null 2>&1; then
  echo "memcheck: valgrind not installed: skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# GSlice (GLib 2.74) keeps freed chunks in magazines: let it use malloc so
# that valgrind sees every block.
G_SLICE=always-malloc G_DEBUG=gc-friendly \
  valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible \
  --track-origins=yes --quiet "$bin" "$@" >stdout.txt
echo "memcheck: clean: meshsim $*"
