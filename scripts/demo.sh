#!/usr/bin/env bash
# README command (a): install what is missing, build, generate the demo host (planted drift) at
# first run, and run one dry-run cycle of the shipped rules against it, printing the report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DCA_BUILD_TESTS=OFF
exec build/release/agent/compliance-agent version "$@"
