#!/usr/bin/env python3
"""Turns `# ssg: RULE  cis: N` comments on check id lines into `refs:` fields.

    comments_to_refs.py DIR|FILE...            # print what would change (exit 1 when something would)
    comments_to_refs.py --write DIR|FILE...    # rewrite the files in place

Checks written before `refs:` existed carry their references as a comment on the id line:

    - id: LIN-SSH-004  # ssg: sshd_set_max_auth_tries  cis: 5.1.16

(`ssg: a, b` for several rules) which becomes

    - id: LIN-SSH-004
      refs: {ssg: sshd_set_max_auth_tries, cis: "5.1.16"}

A value `-` means none; a comment naming neither key is left alone, and so is a check that
already has `refs:`. Only block-style check entries (`  - id:` lines) are handled.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

ID_LINE = re.compile(r"^(?P<indent>\s*)- id: (?P<id>\S+)\s+#\s*(?P<comment>.*\bssg:.*)$")
PAIR = re.compile(r"\b(ssg|cis|stig):\s*([^\s,]+(?:,\s*[^\s,]+)*)")


def convert(text: str) -> tuple[str, list[str]]:
    lines = text.split("\n")
    out, changes = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = ID_LINE.match(line)
        if not m:
            out.append(line)
            i += 1
            continue
        body_indent = m.group("indent") + "  "
        # The entry's own lines: until the next line indented no deeper than "- ".
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(body_indent)):
            j += 1
        entry = lines[i + 1:j]
        has_refs = any(l.startswith(body_indent + "refs:") for l in entry)
        pairs = [(k, v) for k, v in PAIR.findall(m.group("comment")) if v != "-"]
        out.append(m.group("indent") + "- id: " + m.group("id"))
        if pairs and not has_refs:
            def value(k: str, v: str) -> str:
                items = [x.strip() for x in v.split(",") if x.strip()]
                if k == "cis":
                    return '"%s"' % items[0]
                return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"
            fields = ", ".join("%s: %s" % (k, value(k, v)) for k, v in pairs)
            out.append(body_indent + "refs: {" + fields + "}")
            changes.append("%s: refs: {%s}" % (m.group("id"), fields))
        elif not pairs:
            changes.append("%s: no reference (comment dropped)" % m.group("id"))
        out.extend(entry)
        i = j
    return "\n".join(out), changes


def files(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            for base, _, names in os.walk(p):
                out += [os.path.join(base, n) for n in sorted(names) if n.endswith((".yaml", ".yml"))]
        else:
            out.append(p)
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--write", action="store_true", help="rewrite the files in place")
    a = ap.parse_args()
    pending = False
    for path in files(a.paths):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new, changes = convert(text)
        if new == text:
            continue
        pending = True
        for c in changes:
            print("%s: %s" % (path, c))
        if a.write:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
    return 0 if a.write or not pending else 1


if __name__ == "__main__":
    sys.exit(main())
