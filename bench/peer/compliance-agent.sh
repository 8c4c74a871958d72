# shellcheck shell=bash disable=SC2034
# peer-bench engine: compliance-agent (this repository). Used by bench/peer_compare.sh; see
# ../shared/peer-bench/README.md "Adding an engine" for the variables and placeholders.
# The binary is $CA_BIN (default: build/release/agent/compliance-agent of this repository).
CA_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CA_BIN=${CA_BIN:-$CA_REPO/build/release/agent/compliance-agent}
ENGINE_DESC="compliance-agent $("$CA_BIN" version 2>/dev/null | awk '{print $2}') (check, run --once --live)"
ENGINE_PKGS="python3"
# untimed, once per workload: rules, config and compiled cache (bench/peer/prepare.sh).
ENGINE_PREPARE="$CA_REPO/bench/peer/prepare.sh $CA_BIN {checks} {work}"
ENGINE_BASELINE="$CA_BIN version"
ENGINE_AUDIT="$CA_BIN check --json --config {work}/agent.yaml --root {root} --rules {work}/rules"
ENGINE_VERDICTS="python3 $CA_REPO/bench/peer/verdicts.py {out}"
# Repair: one live cycle (checks, then every drift healed and re-checked, each heal durable
# evidence). The harness restores the drifted tree before every repair run, which the guards
# would rightly call flapping: the bench config raises flap_threshold and the breaker, and the
# generated rules have no cooldown. Its per-check outcome is the findings' status before healing.
ENGINE_REPAIR="$CA_BIN run --once --live --json --config {work}/agent.yaml --root {root} --rules {work}/rules"
ENGINE_REPAIR_VERDICTS="python3 $CA_REPO/bench/peer/verdicts.py {out}"
