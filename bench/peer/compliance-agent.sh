# shellcheck shell=bash disable=SC2034
# peer-bench engine: compliance-agent (this repository). Used by bench/peer_compare.sh; see
# ../shared/peer-bench/README.md "Adding an engine" for the variables and placeholders.
# The binary is $CA_BIN (default: build/release/agent/compliance-agent of this repository).
CA_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CA_BIN=${CA_BIN:-$CA_REPO/build/release/agent/compliance-agent}
ENGINE_DESC="compliance-agent $("$CA_BIN" version 2>/dev/null | awk '{print $2}') (check, run --once --live)"
ENGINE_PKGS="python3"
# untimed, once per workload: the check list as a rule file, a config that reads only files
# (live_state off: the workload has no units) with the whole root writable for repairs, and the
# compiled rule set cached in state_dir, as an installed agent has it after its first run.
ENGINE_PREPARE="python3 $CA_REPO/bench/peer/checks_to_rules.py {checks} {work}/rules &&
  printf 'live_state: \"off\"\nplatform: linux\nstate_dir: {work}/state\nhealing:\n  dry_run: true\n  writable_paths: [/]\n  max_actions_per_hour: 1000000\n  flap_threshold: 1000\n' > {work}/agent.yaml &&
  $CA_BIN rules compile --config {work}/agent.yaml --rules {work}/rules >/dev/null"
ENGINE_BASELINE="$CA_BIN version"
ENGINE_AUDIT="$CA_BIN check --json --config {work}/agent.yaml --root {root} --rules {work}/rules"
ENGINE_VERDICTS="python3 $CA_REPO/bench/peer/verdicts.py {out}"
# Repair: one live cycle (checks, then every drift healed and re-checked, each heal durable
# evidence). The harness restores the drifted tree before every repair run, which the guards
# would rightly call flapping: the bench config raises flap_threshold and the breaker, and the
# generated rules have no cooldown. Its per-check outcome is the findings' status before healing.
ENGINE_REPAIR="$CA_BIN run --once --live --json --config {work}/agent.yaml --root {root} --rules {work}/rules"
ENGINE_REPAIR_VERDICTS="python3 $CA_REPO/bench/peer/verdicts.py {out}"
