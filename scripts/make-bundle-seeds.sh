#!/usr/bin/env bash
# Remakes the seeds of fuzz_bundle_verify (tests/fuzz/seeds/bundle_verify) with the built agent:
# small bundles of shipped rule files signed by the fuzz target's trusted key (seed 0x11 x 32),
# so mutations start from bundles whose signature verifies.
#   scripts/make-bundle-seeds.sh [AGENT_BINARY]   (default build/asan/agent/compliance-agent)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
agent=${1:-$root/build/asan/agent/compliance-agent}
out="$root/tests/fuzz/seeds/bundle_verify"
work=$(mktemp -d "${TMPDIR:-/tmp}/ca-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf '%s\n' "$(printf '11%.0s' $(seq 32))" >"$work/k.key"
chmod 600 "$work/k.key"
mkdir -p "$out" "$work/one" "$work/two/sub"
cp "$root/rules/linux/appliance.yaml" "$work/one/"
cp "$root/rules/linux/appliance.yaml" "$work/two/a.yaml"
printf 'checks: []\n' >"$work/two/sub/b.yml"
rm -f "$out"/*.bundle
"$agent" rules pack "$work/one" --site clinic-a --tier standard --version 1 --expires 3650d --key "$work/k.key" \
  -o "$out/one-file.bundle" >/dev/null
"$agent" rules pack "$work/two" --site '*' --tier standard --version 2 --expires 3650d --key "$work/k.key" \
  -o "$out/two-files.bundle" >/dev/null
"$agent" rules pack "$work/two" --site clinic-a --tier full_coverage --version 3 --expires 3650d --key "$work/k.key" \
  -o "$out/full-coverage.bundle" >/dev/null
ls -l "$out"
