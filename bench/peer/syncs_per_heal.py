#!/usr/bin/python3
"""Flushes per heal of a live repair, from two `strace -f -c -e trace=fsync,fdatasync,syncfs,
sync_file_range` summaries: a repair run (its --json report counts the heals) and a converged run
of the same command on the repaired tree (no heal: the fixed cost of a run, evidence start and
stop, the last guard save). Prints one line, and `syncs_per_heal X` for scripts.

  syncs_per_heal.py REPAIR.strace REPAIR.json CONVERGED.strace
"""
import json
import sys

NAMES = ("fsync", "fdatasync", "syncfs", "sync_file_range")


def calls(path):
    """syscall -> calls, from strace -c's table (the calls column is the fourth)."""
    out = dict.fromkeys(NAMES, 0)
    for line in open(path, encoding="utf-8"):
        words = line.split()
        if len(words) >= 5 and words[-1] in NAMES:
            out[words[-1]] = int(words[3])
    return out


repair, converged = calls(sys.argv[1]), calls(sys.argv[3])
heals = sum(a.get("outcome") == "healed" for a in json.load(open(sys.argv[2], encoding="utf-8"))["actions"])
if heals == 0:
    sys.exit("syncs_per_heal: the repair run healed nothing")
per = {n: (repair[n] - converged[n]) / heals for n in NAMES}
total = sum(per.values())
detail = ", ".join(f"{n} {v:.2f}" for n, v in per.items() if repair[n] or converged[n])
print(f"{heals} heals; {sum(repair.values())} flushes in the repair run, {sum(converged.values())} in a converged "
      f"run (a run's fixed cost): {total:.2f} per heal ({detail}; target <= 3)")
print(f"syncs_per_heal {total:.2f}")
