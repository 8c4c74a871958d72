#!/usr/bin/env bash
# README command (a): install what is missing, build, generate the demo host (every shipped drift
# planted, stub systemctl/timedatectl/df standing in for the live system) at first run, and run
# one dry-run cycle of the shipped rules against it, printing the report; then the cycle's signed
# evidence (demo/host/state-agent/evidence) is verified, its newest records and the agent's `status`
# shown on stderr.
# Nothing on the demo host changes. Extra arguments go to the agent (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh python3 openssl
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCA_BUILD_TESTS=OFF
if [ ! -f demo/host/agent.yaml ]; then
  mkdir -p demo
  /usr/bin/python3 tests/fixtures/make_host.py demo/host --platform nixos --drift all >/dev/null
  echo "demo host generated in demo/host (root: demo/host/root)" >&2
fi
rc=0
# full_coverage: every shipped rule plans its fix (the standard tier would list most as not_in_tier).
build/release/agent/compliance-agent run --once --config demo/host/agent.yaml --tier full_coverage "$@" || rc=$?
# 1 means "drift found", which is what the demo host is for.
[ "$rc" -le 1 ] || exit "$rc"
# The evidence of the cycle (stderr, so that stdout stays the report, e.g. one --json document).
{
  echo
  build/release/agent/compliance-agent evidence verify --config demo/host/agent.yaml
  build/release/agent/compliance-agent evidence tail -n 8 --config demo/host/agent.yaml
  echo
  build/release/agent/compliance-agent status --config demo/host/agent.yaml
} >&2
