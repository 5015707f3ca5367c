#!/usr/bin/env bash
# Installs brook from BUILD_DIR into a temporary prefix, then configures, builds
# and runs tests/package (an application outside the tree) against it with
# find_package(brook): the installed package must be complete on its own.
set -euo pipefail
BUILD_DIR=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
# Only brook/ is installed: the API, brook/testing/, and under brook/detail/
# the node templates the DSL instantiates — never the runtime's headers.
if [ "$(ls "$work/prefix/include")" != "brook" ] ||
   [ -n "$(find "$work/prefix/include/brook/detail" -path '*/runtime/*' -o -path '*/kafka/*' | head -1)" ]; then
  echo "check.sh: more than the API and its templates was installed" >&2
  exit 1
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$work/app" "${generator[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/app" >/dev/null
"$work/app/sales_app"
