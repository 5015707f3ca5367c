#!/usr/bin/env bash
# Formats brook's C++ sources with clang-format (.clang-format), or with
# --check only reports the files that differ and fails (what scripts/test.sh
# runs). apps/example/main.cc is the README's example, kept as written there.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format is missing (scripts/install-deps.sh)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^apps/example/main.cc$')
if [ "${1:-}" = "--check" ]; then
  if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/brook-format.$$; then
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' /tmp/brook-format.$$ | cut -d: -f1 | sort -u |
      sed 's/^/format.sh: not formatted: /' >&2
    rm -f /tmp/brook-format.$$
    echo "format.sh: run scripts/format.sh to format them" >&2
    exit 1
  fi
  rm -f /tmp/brook-format.$$
else
  clang-format -i "${files[@]}"
fi
