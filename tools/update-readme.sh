#!/usr/bin/env bash
# Regenerate the generated parts of README.md from the built meshsim:
# the key reference (`meshsim keys --markdown`) and the results schema.
# usage: tools/update-readme.sh [path/to/meshsim]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/dev/sim/cli/meshsim}
replace() {  # replace(marker, file-with-content)
  python3 - "$1" "$2" <<'PY'
import sys
marker, src = sys.argv[1], sys.argv[2]
text = open("README.md").read()
begin, end = f"<!-- {marker}:begin -->\n", f"<!-- {marker}:end -->"
i, j = text.index(begin) + len(begin), text.index(end)
open("README.md", "w").write(text[:i] + open(src).read() + text[j:])
PY
}
tmp=$(mktemp)
"$bin" keys --markdown > "$tmp"
replace keys "$tmp"
"$bin" schema > "$tmp"
replace schema "$tmp"
rm -f "$tmp"
