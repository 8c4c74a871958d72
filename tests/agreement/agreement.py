#!/usr/bin/env python3
"""Agreement with the SSG rules' own test scenarios (see README.md in this directory).

    agreement.py --agent BIN [--floor FILE] [--rules DIR [--make-host PY]] [--only RULE[,RULE]] [--json OUT] [--keep DIR] [-v]

For every rule of scenarios.table() and every scenario that can run here: a pristine Debian 12
fixture root (tests/fixtures/make_host.py --platform linux), the scenario's state applied to it,
then `BIN check --json --config agent.yaml`; the verdict of the check(s) whose refs.ssg names the
rule (from `rules list --json`) is compared with the scenario's expectation:

    pass  <->  every finding compliant or not_applicable   (SSG: pass; OpenSCAP's notapplicable
                                                            is not a failure either)
    fail  <->  some finding drifted
    a finding in error, or no finding at all, agrees with neither.

Exit 0: no disagreement outside floor.json's known list, and at least floor.json's number of rules
covered (a rule is covered when a check names it and at least one scenario ran). 1: otherwise.
2: usage or set-up error. 77: not root (the owner scenarios need it), so CTest reports a skip.
"""

from __future__ import annotations

import argparse
from typing import Optional
import concurrent.futures
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import scenarios  # noqa: E402

SKIP_EXIT = 77


def die(msg: str, code: int = 2) -> None:
    print("agreement: " + msg, file=sys.stderr)
    sys.exit(code)


def run(argv: list[str], timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def declared_vars(rules_dir: str) -> set[str]:
    """Names of the variables the rule set declares (top-level `vars:`: a map of names, or a
    list of {name: ...}). Empty when PyYAML is missing or no file declares any."""
    try:
        import yaml
    except ImportError:
        return set()
    names: set[str] = set()
    for base, _, files in os.walk(rules_dir):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            try:
                with open(os.path.join(base, f), encoding="utf-8") as fh:
                    doc = yaml.safe_load(fh)
            except Exception:
                continue
            v = doc.get("vars") if isinstance(doc, dict) else None
            if isinstance(v, dict):
                names.update(str(k) for k in v)
            elif isinstance(v, list):
                names.update(str(e.get("name")) for e in v if isinstance(e, dict) and e.get("name"))
    return names


def var_name(ssg_var: str, declared: set[str]) -> str | None:
    """The rule set's name for an XCCDF value: the same id, or var_<id> without a _value suffix."""
    stem = ssg_var[:-len("_value")] if ssg_var.endswith("_value") else ssg_var
    for cand in (ssg_var, "var_" + stem, stem):
        if cand in declared:
            return cand
    return None


class Fixture:
    """One fixture directory; the root is restored from a saved copy before each scenario."""

    def __init__(self, work: str, rules_dir: str, make_host: str):
        self.dir = os.path.join(work, "fx")
        self.base = os.path.join(work, "base-root")
        self.root = os.path.join(self.dir, "root")
        r = run([sys.executable, make_host, self.dir,
                 "--platform", "linux", "--drift", "none", "--rules", rules_dir], timeout=120)
        if r.returncode != 0:
            die("make_host.py failed (%d): %s" % (r.returncode, r.stderr.strip()))
        self._stock_sshd_config()
        r = run(["cp", "-a", self.root, self.base])
        if r.returncode != 0:
            die("cp -a: " + r.stderr.strip())
        self.config = os.path.join(self.dir, "agent.yaml")
        with open(self.config, encoding="utf-8") as f:
            self.config_text = f.read()

    def _stock_sshd_config(self) -> None:
        """The SSG scenarios append to sshd_config, which on a stock Debian 12 host ends in the
        global section (its Match example is commented out). The pristine fixture ends in an
        active `Match User backup` block, which would capture every appended line: cut it."""
        path = os.path.join(self.root, "etc/ssh/sshd_config")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            if line.lstrip().lower().startswith("match "):
                while i > 0 and lines[i - 1].startswith("#"):
                    i -= 1
                lines = lines[:i]
                break
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines))

    def reset(self) -> None:
        """/etc restored from the saved copy (the scenarios write only there: Host refuses other
        paths), in-process: contents, modes, owners and links, extra files removed."""
        etc, base = os.path.join(self.root, "etc"), os.path.join(self.base, "etc")
        shutil.rmtree(etc)
        copy_tree(base, etc)

    def config_with(self, overrides: dict[str, str]) -> str:
        if not overrides:
            return self.config
        path = os.path.join(self.dir, "agent-vars.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.config_text.rstrip("\n") + "\nvars:\n")
            for k, v in sorted(overrides.items()):
                f.write("  %s: %s\n" % (k, json.dumps(v)))
        return path


def copy_tree(src: str, dst: str) -> None:
    """cp -a for a small tree: links as links, mode and owner kept."""
    def one(s: str, d: str) -> None:
        st = os.lstat(s)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
            os.lchown(d, st.st_uid, st.st_gid)
            return
        if os.path.isdir(s):
            os.mkdir(d)
            for name in sorted(os.listdir(s)):
                one(os.path.join(s, name), os.path.join(d, name))
        else:
            shutil.copyfile(s, d, follow_symlinks=False)
        os.lchown(d, st.st_uid, st.st_gid)  # first: a chown clears set-id bits
        os.chmod(d, st.st_mode & 0o7777)
    one(src, dst)


def checks_by_ssg(agent: str, config: str) -> dict[str, list[str]]:
    r = run([agent, "rules", "list", "--json", "--config", config])
    if r.returncode != 0:
        die("rules list failed (%d): %s" % (r.returncode, r.stderr.strip()))
    out: dict[str, list[str]] = {}
    for c in json.loads(r.stdout)["checks"]:
        ssg = (c.get("refs") or {}).get("ssg") or []
        for rule in [ssg] if isinstance(ssg, str) else ssg:
            if "linux" in c.get("platforms", ["linux"]):
                out.setdefault(rule, []).append(c["id"])
    return out


def var_bounds(agent: str, config: str) -> dict[str, dict]:
    """The rule set's variables as `rules list --json` gives them (type, min, max, allowed)."""
    r = run([agent, "rules", "list", "--json", "--config", config])
    if r.returncode != 0:
        return {}
    return {v["name"]: v for v in json.loads(r.stdout).get("vars", [])}


def outside_bounds(decl: Optional[dict], value: str) -> Optional[str]:
    """Why `value` is not one the agent accepts for the variable (agent.yaml would be refused
    with exit 2), or None. A scenario that tailors a value outside the bounds tests a site
    configuration the agent does not allow: skipped, not counted."""
    if not decl:
        return None
    if decl.get("allowed") and value not in decl["allowed"]:
        return "%s=%s is not one of %s" % (decl["name"], value, "|".join(decl["allowed"]))
    if decl.get("type") == "int":
        try:
            n = int(value)
        except ValueError:
            return "%s=%s is not an integer" % (decl["name"], value)
        lo, hi = decl.get("min"), decl.get("max")
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            return "%s=%s is outside the agent's bounds %s..%s" % (decl["name"], value,
                                                                   "" if lo is None else lo, "" if hi is None else hi)
    return None


def checks_from_comments(rules_dir: str) -> dict[str, list[str]]:
    """ssg rule -> check ids from `# ssg: RULE[, RULE]` comments on id lines (a branch written
    before refs: existed, measured with its own binary)."""
    import comments_to_refs
    out: dict[str, list[str]] = {}
    for path in comments_to_refs.files([rules_dir]):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = comments_to_refs.ID_LINE.match(line.rstrip("\n"))
                if not m:
                    continue
                for k, v in comments_to_refs.PAIR.findall(m.group("comment")):
                    if k == "ssg" and v != "-":
                        for rule in (x.strip() for x in v.split(",")):
                            out.setdefault(rule, []).append(m.group("id"))
    return out


def verdict(agent: str, config: str, check_ids: list[str]) -> tuple[str, str]:
    """('pass' | 'fail' | 'error', a short note naming what the agent said). One `check --check
    ID` per check: the others (a dir_scan of the whole root...) would only cost time."""
    findings = []
    for cid in check_ids:
        r = run([agent, "check", "--json", "--config", config, "--check", cid])
        if r.returncode not in (0, 1):
            return "error", "%s: exit %d: %s" % (cid, r.returncode, " ".join(r.stderr.strip().splitlines()[-1:]))
        findings += [f for f in json.loads(r.stdout)["findings"] if f["check_id"] == cid]
    if not findings:
        return "error", "no finding"
    statuses = {f["status"] for f in findings}
    note = "; ".join("%s %s %s actual=%r%s" % (f["check_id"], f["target"], f["status"], f.get("actual", ""),
                                               (" reason=" + f["details"]["reason"]) if f.get("details", {}).get("reason") else "")
                     for f in findings if f["status"] != "compliant") or "compliant"
    if "error" in statuses:
        return "error", note
    if "drifted" in statuses:
        return "fail", note
    return "pass", note


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", required=True, help="the compliance-agent binary")
    ap.add_argument("--rules", default=os.path.join(REPO, "rules"), help="rule directory (default: the shipped rules)")
    ap.add_argument("--make-host", default=os.path.join(REPO, "tests/fixtures/make_host.py"),
                    help="the fixture generator (another branch's, with --rules of that branch)")
    ap.add_argument("--floor", default=os.path.join(HERE, "floor.json"), help="the thresholds and known disagreements")
    ap.add_argument("--only", default="", help="comma-separated SSG rule ids")
    ap.add_argument("--json", default="", help="also write the results as JSON to this file")
    ap.add_argument("--keep", default="", help="work in this directory and keep it")
    ap.add_argument("--refs-from-comments", action="store_true",
                    help="take the rule -> check map from `# ssg:` comments, not from refs: (another branch)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="scenarios run in parallel (one fixture each; default 2)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every scenario, skipped ones too")
    a = ap.parse_args()

    if os.geteuid() != 0:
        print("agreement: skipped: needs root (the fixtures' owners and the owner scenarios)")
        return SKIP_EXIT
    with open(a.floor, encoding="utf-8") as f:
        floor = json.load(f)
    known = floor.get("known_disagreements", {})

    work = a.keep or tempfile.mkdtemp(prefix="agreement-")
    if a.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    try:
        fixtures = queue.Queue()
        for i in range(max(1, a.jobs)):
            fixtures.put(Fixture(os.path.join(work, "w%d" % i), a.rules, a.make_host))
        first = fixtures.queue[0]
        by_ssg = checks_from_comments(a.rules) if a.refs_from_comments else checks_by_ssg(a.agent, first.config)
        declared = declared_vars(a.rules)
        bounds = {} if a.refs_from_comments else var_bounds(a.agent, first.config)
        table = scenarios.table()
        only = {x for x in a.only.split(",") if x}
        unknown = only - set(table)
        if unknown:
            die("no scenarios for: " + ", ".join(sorted(unknown)))

        results = []  # one dict per scenario, in table order
        jobs = []     # (row, scenario, overrides) to run
        for rule, scens in table.items():
            if only and rule not in only:
                continue
            checks = by_ssg.get(rule, [])
            for s in scens:
                row = {"rule": rule, "scenario": s.name, "origin": s.origin, "expect": s.expect,
                       "checks": checks, "ubuntu": s.ubuntu}
                results.append(row)
                overrides, notes = {}, []
                if s.skip:
                    row.update(state="skipped", reason=s.skip)
                    continue
                if not checks:
                    row.update(state="no_check")
                    continue
                missing = []
                for var, val in s.variables.items():
                    name = var_name(var, declared)
                    if name:
                        overrides[name] = val
                    elif val == scenarios.VAR_DEFAULTS.get(var):
                        notes.append("%s at its default" % var)
                    elif s.neutral:
                        notes.append("%s=%s not settable; holds under the default" % (var, val))
                    else:
                        missing.append("%s=%s" % (var, val))
                if missing:
                    row.update(state="skipped", reason="needs variable " + ", ".join(missing) +
                               " (the rule set declares no such vars:)")
                    continue
                refused = [w for w in (outside_bounds(bounds.get(k), v) for k, v in overrides.items()) if w]
                if refused:
                    row.update(state="skipped", reason="tailors " + ", ".join(refused) +
                               " (agent.yaml would be refused, exit 2)")
                    continue
                row["notes"] = notes
                jobs.append((row, s, overrides))

        def run_one(job) -> None:
            row, s, overrides = job
            fx = fixtures.get()
            try:
                fx.reset()
                s.apply(scenarios.Host(fx.root))
                got, said = verdict(a.agent, fx.config_with(overrides), row["checks"])
            finally:
                fixtures.put(fx)
            agreed = got == row["expect"]
            row.update(state="agreed" if agreed else "disagreed", got=got, agent=said, vars=overrides,
                       known=(not agreed and row["rule"] + "/" + row["scenario"] in known))

        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            for f in [pool.submit(run_one, j) for j in jobs]:
                f.result()
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    return report(results, floor, known, a)


def report(results: list[dict], floor: dict, known: dict, a: argparse.Namespace) -> int:
    rules: dict[str, dict] = {}
    for r in results:
        e = rules.setdefault(r["rule"], {"checks": r["checks"], "run": 0, "agreed": 0, "skipped": 0, "no_check": 0})
        if r["state"] in ("agreed", "disagreed"):
            e["run"] += 1
            e["agreed"] += r["state"] == "agreed"
        elif r["state"] == "skipped":
            e["skipped"] += 1
        else:
            e["no_check"] += 1

    w = max(len(k) for k in rules) if rules else 10
    print("%-*s  %-22s %9s %6s %7s %7s" % (w, "SSG rule", "check", "scenarios", "agreed", "%", "skipped"))
    for rule, e in rules.items():
        checks = ",".join(e["checks"]) or "(no check)"
        if e["run"]:
            pct = "%.1f" % (100.0 * e["agreed"] / e["run"])
            print("%-*s  %-22s %9d %6d %7s %7d" % (w, rule, checks, e["run"], e["agreed"], pct, e["skipped"]))
        else:
            n = e["no_check"] + e["skipped"]
            print("%-*s  %-22s %9s %6s %7s %7d" % (w, rule, checks, "-", "-", "-", n))
    run_n = sum(e["run"] for e in rules.values())
    agreed_n = sum(e["agreed"] for e in rules.values())
    covered = [k for k, e in rules.items() if e["run"]]
    print()
    print("covered rules: %d of %d (a check names the rule and a scenario ran)" % (len(covered), len(rules)))
    print("scenarios: %d run, %d agreed (%.1f%%), %d skipped, %d waiting for a check" % (
        run_n, agreed_n, 100.0 * agreed_n / run_n if run_n else 0.0,
        sum(e["skipped"] for e in rules.values()), sum(e["no_check"] for e in rules.values())))

    dis = [r for r in results if r["state"] == "disagreed"]
    if dis:
        print("\ndisagreements (rule / scenario: expected, agent said):")
        for r in dis:
            print("  %s %s / %s: expected %s, got %s: %s" % ("known" if r["known"] else "NEW  ", r["rule"], r["scenario"],
                                                          r["expect"], r["got"], r["agent"]))
    if a.verbose:
        print("\nall scenarios:")
        for r in results:
            extra = r.get("reason") or r.get("agent") or ""
            if r.get("notes"):
                extra += " [" + "; ".join(r["notes"]) + "]"
            print("  %-9s %s / %s (%s%s) %s" % (r["state"], r["rule"], r["scenario"], r["origin"],
                                               ", ubuntu" if r["ubuntu"] else "", extra))

    failures = []
    new = [r for r in dis if not r["known"]]
    if new:
        failures.append("%d disagreement(s) not in floor.json's known_disagreements" % len(new))
    only = bool(a.only)
    if not only and len(covered) < floor["min_covered_rules"]:
        failures.append("%d rules covered, floor.json asks for %d" % (len(covered), floor["min_covered_rules"]))
    pct = 100.0 * agreed_n / run_n if run_n else 100.0
    if not only and pct < floor["min_agreement_percent"]:
        failures.append("agreement %.1f%% below floor.json's %.1f%%" % (pct, floor["min_agreement_percent"]))
    ran = {r["rule"] + "/" + r["scenario"] for r in results if r["state"] in ("agreed", "disagreed")}
    stale = [k for k in known if k in ran and k not in {r["rule"] + "/" + r["scenario"] for r in dis}]
    if stale and not only:
        print("\nknown disagreements that now agree (remove them from floor.json): " + ", ".join(sorted(stale)))

    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"rules": rules, "scenarios": results, "covered": len(covered),
                       "run": run_n, "agreed": agreed_n}, f, indent=2)
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
