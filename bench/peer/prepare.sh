#!/usr/bin/env bash
# Prepares this agent for a peer-bench workload (the engine's PREPARE step, and bench/run.sh's
# repair-sync count): the check list as a rule file, a config that reads only files (live_state
# off: the workload has no units) with the whole root writable for repairs, and the compiled rule
# set cached in state_dir, as an installed agent has it after its first run.
#   bench/peer/prepare.sh BINARY CHECKS.tsv WORK_DIR     writes WORK_DIR/{rules/,agent.yaml,state/}
set -euo pipefail
bin=$1 checks=$2 work=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$repo/bench/peer/checks_to_rules.py" "$checks" "$work/rules"
# The harness restores the drifted tree before every repair run, which the guards would rightly
# call flapping: the bench raises flap_threshold and the breaker (the generated rules have no
# cooldown).
printf 'live_state: "off"\nplatform: linux\nstate_dir: %s/state\nhealing:\n  dry_run: true\n  writable_paths: [/]\n  max_actions_per_hour: 1000000\n  flap_threshold: 1000\n' \
  "$work" > "$work/agent.yaml"
"$bin" rules compile --config "$work/agent.yaml" --rules "$work/rules" >/dev/null
