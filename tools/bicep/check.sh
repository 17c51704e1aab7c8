#!/usr/bin/env bash
# Compiles and lints every Bicep file under infra-bicep/ with the Bicep CLI from NuGet
# (Azure.Bicep.CommandLine.linux-x64, version pinned in tools/bicep/Bicep.proj). Needs only the .NET SDK:
# no az CLI, no network after the first restore. Fails on ANY error or warning (compiler or linter).
#
#   bash tools/bicep/check.sh
#
# Output (artifacts/ is gitignored, recreated on every run):
#   artifacts/bicep/main.json              compiled ARM template of infra-bicep/main.bicep
#   artifacts/bicep/modules/*.json         each module compiled on its own
#   artifacts/bicep/params/*.json          compiled .bicepparam files
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
proj="$root/tools/bicep/Bicep.proj"
src="$root/infra-bicep"
out="$root/artifacts/bicep"

fail() { echo "bicep check: $*" >&2; exit 1; }

# 1. Locate the CLI inside the restored package; restore first if it is not there yet (clean machine,
#    or a new version in Bicep.proj).
bicep_exe() { dotnet msbuild "$proj" -nologo -getProperty:BicepExe; }
bicep="$(bicep_exe)"
if [[ ! -f "$bicep" ]]; then
  dotnet restore "$proj" --nologo --verbosity quiet >/dev/null || fail "dotnet restore $proj failed"
  bicep="$(bicep_exe)"
fi
[[ -f "$bicep" ]] || fail "Bicep CLI not found at '$bicep' after restore"
[[ -x "$bicep" ]] || chmod +x "$bicep"
echo "bicep: ${bicep}"

mapfile -t bicep_files < <(cd "$root" && find infra-bicep -name '*.bicep' | LC_ALL=C sort)
mapfile -t param_files < <(cd "$root" && find infra-bicep -name '*.bicepparam' | LC_ALL=C sort)
[[ ${#bicep_files[@]} -gt 0 ]] || fail "no .bicep files under $src"

rm -rf "$out"
mkdir -p "$out/params"
logdir="$(mktemp -d)"
trap 'rm -rf "$logdir"' EXIT

# 2. One CLI process per step over all files (each start-up costs ~2 s), the steps in parallel.
#    Diagnostics go to a log per step; a non-zero exit code means errors.
# The parameter files read BLOBS_EXTENSION_KEY (a secret) at build time; never compile it into artifacts.
unset BLOBS_EXTENSION_KEY
steps=(build lint build-params format)
run() {
  local step="$1"; shift
  (cd "$root" && "$bicep" "$@") >"$logdir/$step.log" 2>&1 || echo "$step" >>"$logdir/failed"
}
run build        build --pattern 'infra-bicep/**/*.bicep' --outdir "$out" &
run lint         lint --pattern 'infra-bicep/**/*.bicep' &
# Formatting: format a copy in place and compare it with the sources afterwards.
cp -r "$src" "$logdir/formatted"
(cd "$logdir/formatted" && "$bicep" format --pattern '**/*.bicep*') >"$logdir/format.log" 2>&1 \
  || echo format >>"$logdir/failed" &
if [[ ${#param_files[@]} -gt 0 ]]; then
  run build-params build-params --pattern 'infra-bicep/**/*.bicepparam' --outdir "$out/params" &
else
  : >"$logdir/build-params.log"
fi
wait
status=0
if [[ -s "$logdir/failed" ]]; then
  echo "bicep check: step(s) exited with an error: $(tr '\n' ' ' <"$logdir/failed")" >&2
  status=1
fi
log="$logdir/all.log"
# The same diagnostic is often reported by several steps (a module is compiled on its own and inside
# main.bicep): keep each line once.
for step in "${steps[@]}"; do cat "$logdir/$step.log"; done | sort -u >"$log"

# 3. Per-file summary. A diagnostic line looks like "<path>(line,col) : Warning <code>: <message>".
count() { grep -cE "^$(printf '%s' "$1" | sed 's/[][\.*^$]/\\&/g')\\([0-9]+,[0-9]+\\) : $2 " "$log" || true; }
for file in "${bicep_files[@]}" "${param_files[@]}"; do
  errors="$(count "$root/$file" Error)"
  warnings="$(count "$root/$file" Warning)"
  if [[ "$file" == *.bicepparam ]]; then what="build-params"; else what="build+lint"; fi
  if [[ "$errors" == 0 && "$warnings" == 0 ]]; then
    printf 'ok    %-40s %s\n' "$file" "$what"
  else
    printf 'FAIL  %-40s %s: %s error(s), %s warning(s)\n' "$file" "$what" "$errors" "$warnings"
  fi
done

# Any diagnostic at all (also ones the per-file count cannot attribute) fails the check.
if grep -qE ' : (Error|Warning) ' "$log"; then
  echo "--- diagnostics ---" >&2
  cat "$log" >&2
  status=1
elif [[ $status -ne 0 ]]; then
  echo "--- bicep output ---" >&2
  cat "$log" >&2
fi

if ! diff -r "$src" "$logdir/formatted" >"$logdir/format.diff"; then
  echo "--- not formatted as 'bicep format' would (fix: $bicep format --pattern 'infra-bicep/**/*.bicep*') ---" >&2
  cat "$logdir/format.diff" >&2
  status=1
fi

[[ -f "$out/main.json" ]] || { echo "bicep check: $out/main.json was not produced" >&2; status=1; }

if [[ $status -eq 0 ]]; then
  echo "bicep check passed: ${#bicep_files[@]} .bicep and ${#param_files[@]} .bicepparam file(s), 0 warnings; ARM template at ${out#"$root"/}/main.json"
else
  echo "bicep check FAILED" >&2
fi
exit "$status"
