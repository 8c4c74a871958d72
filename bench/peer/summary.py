#!/usr/bin/python3
"""Prints peer-bench results with this agent beside the others, and the ratios the issue sets as
targets (audit CPU <= 1/5 of cf-agent's, peak RSS <= 16 MB). Exits 1 on any verdict mismatch."""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8"), delimiter="\t"))
print(f"{'N':>5} {'engine':<18} {'phase':<10} {'wall_s':>8} {'cpu_s':>8} {'rss_MB':>7}  verdicts")
bad = False
for r in rows:
    rss_mb = int(r["rss_KB"] or 0) / 1024
    print(f"{r['N']:>5} {r['engine']:<18} {r['phase']:<10} {r['wall_s']:>8} {r['cpu_s']:>8} {rss_mb:>7.1f}  {r['verdicts']}")
    v = r["verdicts"]
    if v and v != "-" and not v.startswith("0/"):
        bad = True
by = {(r["N"], r["engine"], r["phase"]): r for r in rows}
for n in sorted({r["N"] for r in rows}, key=int):
    ours, cf = by.get((n, "compliance-agent", "audit")), by.get((n, "cfengine", "audit"))
    if ours and cf and float(cf["cpu_s"]) > 0:
        ratio = float(ours["cpu_s"]) / float(cf["cpu_s"])
        print(f"N={n}: audit CPU compliance-agent/cf-agent = {ratio:.3f} (target <= 0.200); "
              f"peak RSS {int(ours['rss_KB'])/1024:.1f} MB vs {int(cf['rss_KB'])/1024:.1f} MB (target <= 16 MB)")
    for phase in ("repair", "converged"):
        ours, cf = by.get((n, "compliance-agent", phase)), by.get((n, "cfengine", phase))
        if ours and cf and float(cf["cpu_s"]) > 0 and float(cf["wall_s"]) > 0:
            print(f"N={n}: {phase} compliance-agent/cf-agent: CPU {float(ours['cpu_s']) / float(cf['cpu_s']):.3f}, "
                  f"wall {float(ours['wall_s']) / float(cf['wall_s']):.3f}")
if bad:
    print("verdict mismatches: see the peer-bench work directory", file=sys.stderr)
sys.exit(1 if bad else 0)
