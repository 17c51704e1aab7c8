#!/bin/sh
# How the Functions host starts the handler (host.json: defaultExecutablePath /bin/sh, arguments launch.sh ...).
# sh reads this file, so it needs no execute bit. Zip deployments from some tools drop the execute bit of `handler`,
# and wwwroot is read-only, so chmod in place is impossible (facts §1.13): then a copy under $TMPDIR is made
# executable once per package build and started instead.
set -eu
app_root=$(cd "$(dirname "$0")" && pwd)
export FUNCTIONS_APP_ROOT_PATH="${FUNCTIONS_APP_ROOT_PATH:-$app_root}"
if [ -x "$app_root/handler" ]; then
  exec "$app_root/handler" "$@"
fi
build_id=$(cat "$app_root/build-id" 2>/dev/null || echo unknown)
copy="${TMPDIR:-/tmp}/points-handler-$build_id"
if [ ! -x "$copy" ]; then
  cp "$app_root/handler" "$copy.$$"
  chmod 700 "$copy.$$"
  mv -f "$copy.$$" "$copy"
fi
exec "$copy" "$@"
