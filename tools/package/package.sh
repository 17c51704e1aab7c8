#!/usr/bin/env bash
# Builds the deployable Function App zip: host.json, {Function}/function.json for every function, the self-contained
# linux-x64 handler and launch.sh (see host.json). Output: artifacts/package/points-functions.zip
set -euo pipefail
cd "$(dirname "$0")/../.."
out=artifacts/package
root="$out/root"
rm -rf "$root" "$out/points-functions.zip"
dotnet publish functions/Points.Functions.csproj -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:PublishReadyToRun=true -p:TieredPGO=true -p:DebugType=none -p:GenerateDocumentationFile=false -o "$root" --nologo -v quiet
cp host.json tools/package/launch.sh "$root/"
for declaration in "$root"/declarations/*/; do
  mv "$declaration" "$root/"
done
rmdir "$root/declarations"
rm -f "$root"/*.staticwebassets.endpoints.json
echo "$(date -u +%Y%m%d%H%M%S)-$(git rev-parse --short HEAD 2>/dev/null || echo local)" > "$root/build-id"
dotnet msbuild tools/package/Zip.proj -t:Zip -p:Source="$PWD/$root" -p:Destination="$PWD/$out/points-functions.zip" -nologo -v:quiet
echo "package: $out/points-functions.zip ($(du -h "$out/points-functions.zip" | cut -f1))"
