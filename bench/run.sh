#!/usr/bin/env bash
# Benchmarks of compliance-agent, figures printed side by side.
#   bench/run.sh           full figures (release build; cf-agent installed by peer-bench; root)
#   bench/run.sh --smoke   CI: the ASan build, small sizes, one run each; checks that everything
#                          still runs and gives 0 verdict mismatches (timings are meaningless)
# Options: --work DIR (outputs; default ${TMPDIR:-/tmp}/ca-bench).
#
# 1. in-process: bench/check_bench on peer-bench workloads of several sizes: rule loading and
#    evaluation measured apart, microseconds per check (linear if per-check stays flat).
# 2. peer comparison: ../shared/peer-bench with cf-agent and this agent (bench/peer/compliance-agent.sh)
#    on the same 30- and 300-check hosts: wall, CPU, peak RSS, verdict mismatches.
# 3. evidence: bench/evidence_bench, raw libsodium Ed25519 sign/verify against evidence append
#    (group commit, fdatasync, in a temporary directory under $TMPDIR) and verifyStore, with the
#    ratios and what one fdatasync costs on this disk in this run. It needs neither peer-bench nor
#    root, so it runs first, whatever the others skip.
# 4. durable repair: the flushes (fsync, fdatasync, syncfs, sync_file_range) one live heal costs,
#    counted with strace -c on a peer-bench repair (N=300; 30 in smoke), printed with the
#    fdatasync cost and the append ratio of the same run.
# The fdatasync cost is measured again where the peer runs' trees are, after the repair counts and
# after the peer comparison (evidence_bench --fdatasync-only 50): the disk's load changes within
# a run, and a repair's wall time is mostly its flushes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
peer=${PEER_BENCH:-$repo/../shared/peer-bench}
mode=full
work=${TMPDIR:-/tmp}/ca-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) mode=smoke; shift ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: bench/run.sh [--smoke] [--work DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
if [ "$mode" = smoke ]; then
  build=$repo/build/asan
  sizes="30 300"; reps=3
else
  build=$repo/build/release
  "$repo/scripts/deps.sh" python3 time strace
  "$repo/scripts/build.sh" "$build" -DCMAKE_BUILD_TYPE=Release -DCA_BUILD_TESTS=OFF
  sizes="30 300 3000"; reps=20
fi
bin=$build/agent/compliance-agent

echo "== evidence append and verify vs raw Ed25519 ($mode; $build)"
[ -x "$build/bench/evidence_bench" ] || { echo "bench: $build/bench/evidence_bench is not built" >&2; exit 1; }
if [ "$mode" = smoke ]; then
  "$build/bench/evidence_bench" --smoke | tee "$work/evidence_bench.txt"
else
  "$build/bench/evidence_bench" | tee "$work/evidence_bench.txt"
fi
echo

if [ ! -x "$peer/make_host.sh" ]; then
  # The workloads come from ../shared/peer-bench (read-only, next to the repository in CI).
  echo "bench: peer-bench not found at $peer (set PEER_BENCH)" >&2
  [ "$mode" = smoke ] && { echo "bench smoke skipped: no peer-bench"; exit 0; }
  exit 1
fi
[ -x "$build/bench/check_bench" ] || { echo "bench: $build/bench/check_bench is not built" >&2; exit 1; }

echo "== in-process check engine ($mode; $build)"
# Per check: YAML load, cache decode, and evaluation both raw (eval/n) and marginal ((eval - the
# cycle's fixed cost, an empty set's cycle)/n). Linear = the per-check columns flat across sizes.
printf '%7s %10s %9s %10s %10s %9s %10s %10s %10s\n' checks load_ms load_us/c decode_ms decode_us/c \
  eval_us eval_us/c fixed_us marg_us/c
flat=$work/per_check.tsv
: > "$flat"
for n in $sizes; do
  host=$work/host-$n
  rm -rf "$host"
  "$peer/make_host.sh" "$host/root" "$n" "$host/checks.tsv" >/dev/null
  /usr/bin/python3 "$repo/bench/peer/checks_to_rules.py" "$host/checks.tsv" "$host/rules"
  line=$("$build/bench/check_bench" --root "$host/root" --rules "$host/rules" --reps "$reps")
  checks=; load_ms=; cache_decode_ms=; eval_us=; per_check_us=; load_us_per_check=; decode_us_per_check=
  eval_fixed_us=; marginal_per_check_us=
  eval "$(echo "$line" | tr ' ' '\n' | sed -n 's/^\(checks\|load_ms\|cache_decode_ms\|eval_us\|per_check_us\|load_us_per_check\|decode_us_per_check\|eval_fixed_us\|marginal_per_check_us\)=/\1=/p')"
  printf '%7s %10s %9s %10s %10s %9s %10s %10s %10s\n' "$checks" "$load_ms" "$load_us_per_check" "$cache_decode_ms" \
    "$decode_us_per_check" "$eval_us" "$per_check_us" "$eval_fixed_us" "$marginal_per_check_us"
  printf '%s\t%s\t%s\t%s\t%s\n' "$checks" "$load_us_per_check" "$decode_us_per_check" "$per_check_us" \
    "$marginal_per_check_us" >> "$flat"
done
# The spread of each per-check column: largest over smallest (1.25 = the issue's "flat within 25%").
awk -F'\t' '{ for (i = 2; i <= 5; ++i) { if (NR == 1 || $i > hi[i]) hi[i] = $i; if (NR == 1 || $i < lo[i]) lo[i] = $i } }
  function spread(i) { return lo[i] > 0 ? sprintf("%.2f", hi[i] / lo[i]) : "n/a" }
  END { printf "per-check spread (max/min over the sizes): load %s, decode %s, eval %s, eval marginal %s\n",
        spread(2), spread(3), spread(4), spread(5) }' "$flat"

echo
echo "== durable repair: flushes per live heal (strace -f -c; $mode)"
if ! command -v strace >/dev/null; then
  echo "skipped: strace is not installed"
else
  [ "$mode" = smoke ] && n=30 || n=300
  sync_dir=$work/syncs-$n
  rm -rf "$sync_dir"
  "$peer/make_host.sh" "$sync_dir/root" "$n" "$sync_dir/checks.tsv" >/dev/null
  "$repo/bench/peer/prepare.sh" "$bin" "$sync_dir/checks.tsv" "$sync_dir"
  # A warm-up repair on a copy first (a first run also makes the key, the evidence store and the
  # backup directory), then the same command counted twice: the repair, and the converged run on
  # the repaired tree (a run's fixed cost). Exit 0 or 1 (drift left) are both reports.
  cp -a "$sync_dir/root" "$sync_dir/warm-up"
  for run in warm-up repair converged; do
    root=$sync_dir/root
    [ "$run" = warm-up ] && root=$sync_dir/warm-up
    # LeakSanitizer cannot run under ptrace (the smoke run uses the ASan build): off for these.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -c -e trace=fsync,fdatasync,syncfs,sync_file_range -o "$sync_dir/$run.strace" \
      "$bin" run --once --live --json --config "$sync_dir/agent.yaml" --root "$root" \
      --rules "$sync_dir/rules" > "$sync_dir/$run.json" 2> "$sync_dir/$run.log" || [ $? -eq 1 ]
  done
  per_heal=$(/usr/bin/python3 "$repo/bench/peer/syncs_per_heal.py" "$sync_dir/repair.strace" "$sync_dir/repair.json" \
    "$sync_dir/converged.strace")
  echo "N=$n repair: $(echo "$per_heal" | head -1)"
  # One per heal since R4 (the flush before the change carries the attempt's intent, the backup,
  # the new content and the previous heal's record): more is a regression of durability's price,
  # and fails the bench (smoke included).
  if ! echo "$per_heal" | awk '/^syncs_per_heal / { found = 1; ok = $2 <= 1.0 } END { exit !(found && ok) }'; then
    echo "bench: more than 1 flush per heal (docs/ROADMAP.md, issue 9 R4)" >&2
    exit 1
  fi
  echo "-- the same run: $(grep '^fdatasync_ms ' "$work/evidence_bench.txt")"
  echo "-- the same run, now: $("$build/bench/evidence_bench" --dir "$work" --fdatasync-only 50)"
  echo "-- the same run: $(grep '^append_vs_sign_ratio ' "$work/evidence_bench.txt")"
fi

echo
echo "== peer comparison (../shared/peer-bench)"
if [ "$(id -u)" != 0 ]; then
  echo "skipped: peer-bench needs root (it plants files owned by other uids)"
  exit 0
fi
if [ "$mode" = smoke ]; then
  peer_args=(-e "" -n 1 -w 0 -s 30 --timer py)
else
  peer_args=(-e cfengine -n 5 -w 1 -s "30 300" --timer py)
fi
CA_BIN=$bin "$peer/run.sh" "${peer_args[@]}" -E "$repo/bench/peer/compliance-agent.sh" --work "$work/peer" \
  > "$work/peer.log" 2>&1 || { tail -30 "$work/peer.log"; exit 1; }
summary=0
/usr/bin/python3 "$repo/bench/peer/summary.py" "$work/peer/results.tsv" || summary=$?
echo "-- right after the peer runs: $("$build/bench/evidence_bench" --dir "$work" --fdatasync-only 50)"
exit "$summary"
