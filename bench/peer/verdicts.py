#!/usr/bin/python3
"""Prints `id<TAB>pass|fail` for every finding of a compliance-agent --json document.

  verdicts.py OUT      (OUT: the captured stdout+stderr of one run; logs, if any, precede the JSON)

compliant -> pass; drifted, error -> fail (an error is never a pass); not_applicable, waived are
not expected in the peer-bench workload and are printed as fail so they show as mismatches.

A live run reports the findings after healing (re-checked); what it found drifted is in its
actions (one per drifted finding): a check with an action is reported as fail too, so the
repair phase's verdicts say what the agent flagged, as the harness expects.
"""
import json
import sys


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
    start = text.find("{\n")
    if start < 0:
        print("verdicts.py: no JSON document in the output", file=sys.stderr)
        return 1
    doc, _ = json.JSONDecoder().raw_decode(text[start:])
    worst = {}
    for f in doc["findings"]:
        ok = f["status"] == "compliant"
        worst[f["check_id"]] = worst.get(f["check_id"], True) and ok
    for a in doc.get("actions", []):
        worst[a["check_id"]] = False
    for cid in sorted(worst):
        print(f"{cid}\t{'pass' if worst[cid] else 'fail'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
