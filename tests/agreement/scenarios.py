"""The SSG test scenarios, re-expressed as fixture states.

Each SCAP Security Guide (ComplianceAsCode/content) rule ships test scenarios: shell scripts named
`NAME.pass.sh` / `NAME.fail.sh`, run as root on a fresh system before the scanner, whose suffix is
the expected verdict. Templated rules share their template's scenarios (shared/templates/T/tests),
rendered with the rule's template variables; a rule's own file of the same name replaces the
template's. Each script below was read and its effect on the file system re-expressed with the
`Host` primitives (no shell, no copied text), for a Debian 12 product:

- sshd: main file /etc/ssh/sshd_config, drop-in directory /etc/ssh/sshd_config.d, and
  sshd_distributed_config false (SSG's default, kept by Debian 12): remediations and scenarios
  write the main file; scenarios whose set-up depends on a distributed configuration are skipped.
- A scenario limited by its `# platform =` line to products other than Debian 12 is skipped with
  the reason, except Ubuntu: Debian and Ubuntu ship the same OpenSSH packaging and sshd_config
  layout, so scenarios written for Ubuntu run here (marked `ubuntu` in the table).
- `# variables = NAME=VALUE` tailors an XCCDF value. When the rule set declares a variable of
  that name (`vars:`), the harness sets it in agent.yaml. When it does not, the scenario still
  runs if VALUE is the value's default, or if the expectation holds under the default too (read
  from the scenario: e.g. a commented-out setting fails whatever the threshold), marked
  `neutral`; otherwise it is skipped ("needs variable").

Scenario names are the SSG file names, so a disagreement can be looked up in the content.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Callable, Optional

SSHD_MAIN = "/etc/ssh/sshd_config"
SSHD_DIR = "/etc/ssh/sshd_config.d"

# Defaults of the XCCDF values the scenarios tailor (linux_os/guide/services/ssh/*.var).
VAR_DEFAULTS = {
    "sshd_max_auth_tries_value": "4",
    "sshd_idle_timeout_value": "300",
    "var_sshd_set_keepalive": "0",
    "var_sshd_set_login_grace_time": "60",
    "var_sshd_max_sessions": "10",
    "sshd_strong_macs": "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,"
                        "hmac-sha2-512,hmac-sha2-256,hmac-ripemd160",
    "sshd_strong_kex": "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"
                       "diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
}


class Host:
    """File-system primitives on a fixture root (paths are host paths: /etc/passwd)."""

    def __init__(self, root: str):
        self.root = root
        self._next_id = 8100

    def p(self, path: str) -> str:
        # The runner restores only /etc between scenarios (agreement.py, Fixture.reset).
        if not (path + "/").startswith("/etc/") or "/../" in path + "/":
            raise ValueError("scenarios write only under /etc: " + path)
        return os.path.join(self.root, path.lstrip("/"))

    def exists(self, path: str) -> bool:
        return os.path.lexists(self.p(path))

    def read(self, path: str) -> str:
        with open(self.p(path), encoding="utf-8") as f:
            return f.read()

    def write(self, path: str, text: str) -> None:
        # Rewrites in place (keeps the inode, hence mode and owner), as sed -i keeps them.
        with open(self.p(path), "w", encoding="utf-8") as f:
            f.write(text)

    def lines(self, path: str) -> list[str]:
        return self.read(path).splitlines()

    def set_lines(self, path: str, lines: list[str]) -> None:
        self.write(path, "".join(line + "\n" for line in lines))

    def append(self, path: str, line: str) -> None:
        if not self.exists(path):
            self.create(path)
        with open(self.p(path), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def create(self, path: str, text: str = "") -> None:
        """A new regular file as root with umask 022 would make it (touch, echo >)."""
        os.makedirs(os.path.dirname(self.p(path)), exist_ok=True)
        with open(self.p(path), "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.p(path), 0o644)
        if os.geteuid() == 0:
            os.lchown(self.p(path), 0, 0)

    def ensure_file(self, path: str) -> None:
        """`[ -f P ] || touch P` (a link to a file counts as present, as test -f follows it)."""
        if not os.path.isfile(self.p(path)):
            self.create(path)

    def remove(self, path: str) -> None:
        full = self.p(path)
        if os.path.isdir(full) and not os.path.islink(full):
            import shutil
            shutil.rmtree(full)
        elif os.path.lexists(full):
            os.unlink(full)

    def chmod(self, path: str, mode: int) -> None:
        os.chmod(self.p(path), mode)

    def chown(self, path: str, uid: int = -1, gid: int = -1) -> None:
        os.chown(self.p(path), uid, gid)

    # Accounts, as useradd / groupadd leave them (passwd, shadow, group, gshadow).
    def add_group(self, name: str, gid: Optional[int] = None) -> int:
        gid = gid if gid is not None else self._fresh_id()
        self.append("/etc/group", f"{name}:x:{gid}:")
        if self.exists("/etc/gshadow"):
            self.append("/etc/gshadow", f"{name}:!::")
        return gid

    def add_user(self, name: str, uid: Optional[int] = None, shadow_hash: str = "!",
                 passwd_field: str = "x") -> int:
        uid = uid if uid is not None else self._fresh_id()
        gid = self.add_group(name)
        self.append("/etc/passwd", f"{name}:{passwd_field}:{uid}:{gid}::/home/{name}:/bin/sh")
        self.append("/etc/shadow", f"{name}:{shadow_hash}:19872:0:99999:7:::")
        return uid

    def _fresh_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # sshd_config helpers: the main file and every file of the drop-in directory (bash's dir/*).
    def sshd_paths(self) -> list[str]:
        out = [SSHD_MAIN] if self.exists(SSHD_MAIN) else []
        d = self.p(SSHD_DIR)
        if os.path.isdir(d):
            out += [SSHD_DIR + "/" + n for n in sorted(os.listdir(d))]
        return out

    def sshd_prepare_dir(self) -> None:
        """mkdir -p the drop-in directory with an empty file `nothing` (not a *.conf)."""
        os.makedirs(self.p(SSHD_DIR), exist_ok=True)
        self.ensure_file(SSHD_DIR + "/nothing")

    def sshd_has(self, pattern: str, flags: int = 0) -> bool:
        rx = re.compile(pattern, flags)
        return any(rx.search(line) for path in self.sshd_paths() for line in self.lines(path))

    def edit(self, paths: list[str], fn: Callable[[str], Optional[str]]) -> None:
        """Applies fn to every line of each file: a string replaces it, None deletes it."""
        for path in paths:
            out = []
            for line in self.lines(path):
                r = fn(line)
                if r is not None:
                    out.append(r)
            self.set_lines(path, out)

    def delete_matching(self, paths: list[str], pattern: str, flags: int = 0) -> None:
        rx = re.compile(pattern, flags)
        self.edit(paths, lambda line: None if rx.search(line) else line)

    def replace_matching(self, paths: list[str], pattern: str, new: str, flags: int = 0) -> None:
        """sed 's/PATTERN.*/NEW/': the whole line from the match on becomes NEW."""
        rx = re.compile(pattern, flags)
        self.edit(paths, lambda line: (line[:m.start()] + new) if (m := rx.search(line)) else line)

    def sshd_set(self, param: str, value: str) -> None:
        """SSG's remediation for a non-distributed sshd: every definition of PARAM in the main
        file removed, then `PARAM VALUE` written before the first Match block (at the end when
        there is none), so the global section holds it."""
        self.delete_matching([SSHD_MAIN], r"^\s*" + re.escape(param) + r"\s", re.I)
        lines = self.lines(SSHD_MAIN)
        at = next((i for i, l in enumerate(lines) if re.match(r"\s*match\s", l, re.I)), len(lines))
        lines.insert(at, f"{param} {value}")
        self.set_lines(SSHD_MAIN, lines)


@dataclasses.dataclass
class Scenario:
    name: str                      # the SSG file name: correct_value.pass.sh
    origin: str                    # "template sshd_lineinfile" or "rule"
    apply: Optional[Callable[[Host], None]] = None
    skip: Optional[str] = None     # why it cannot run here (then apply is None)
    variables: dict = dataclasses.field(default_factory=dict)
    neutral: bool = False          # the expectation holds under the variables' defaults too
    ubuntu: bool = False           # written for Ubuntu, run as Debian's equivalent

    @property
    def expect(self) -> str:
        return "pass" if self.name.endswith(".pass.sh") else "fail"


def _skip(name: str, origin: str, reason: str) -> Scenario:
    return Scenario(name, origin, skip=reason)


NOT_DEBIAN = "platform excludes Debian 12"
NOT_DEBIAN_DIST = "platform excludes Debian 12 (a distributed sshd configuration: SSG reads only the main file there)"


# ------------------------------------------------------------------------------------------------
# Template sshd_lineinfile (shared/templates/sshd_lineinfile/tests), rendered as template.py does:
# string values: correct = the rule's value, wrong = "wrong_value"; int values from an XCCDF
# variable: correct 123 (the variable set to 123), wrong 321.

def sshd_lineinfile(param: str, value: Optional[str] = None, variable: Optional[str] = None) -> list[Scenario]:
    o = "template sshd_lineinfile"
    if variable:
        correct, wrong, var = "123", "321", {variable: "123"}
    else:
        correct, wrong, var = value, "wrong_value", {}
    pat = r"^\s*" + re.escape(param)

    def common(h: Host) -> None:
        # common.sh: active definitions at the start of a line become a commented correct one;
        # without any, a commented correct line is appended to the main file.
        h.sshd_prepare_dir()
        if h.sshd_has(pat):
            h.replace_matching(h.sshd_paths(), "^" + re.escape(param), f"# {param} {correct}")
        else:
            h.append(SSHD_MAIN, f"# {param} {correct}")

    def clear(h: Host) -> None:
        h.sshd_prepare_dir()
        h.delete_matching(h.sshd_paths(), pat, re.I)

    def correct_value(h: Host) -> None:
        common(h)
        h.sshd_set(param, correct)

    def duplicated(h: Host) -> None:
        clear(h)
        h.append(SSHD_MAIN, f"{param} {correct}")
        h.append(SSHD_MAIN, f"{param} {correct}")

    def conflict(h: Host) -> None:
        clear(h)
        h.append(SSHD_MAIN, f"{param} {correct}")
        h.append(SSHD_MAIN, f"{param} {wrong}")

    def wrong_value(h: Host) -> None:
        clear(h)
        h.append(SSHD_MAIN, f"{param} {wrong}")

    # With a variable, the failing scenarios fail under its default too (commented, missing,
    # or 321, which exceeds every option of these thresholds); the passing ones need 123.
    fail_neutral = bool(variable)
    return [
        Scenario("comment.fail.sh", o, common, variables=var, neutral=fail_neutral),
        Scenario("correct_value.pass.sh", o, correct_value, variables=var),
        _skip("correct_value_directory.pass.sh", o, NOT_DEBIAN_DIST),
        _skip("correct_value_including_relative_path.pass.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
        _skip("correct_value_multiple_includes.pass.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
        Scenario("duplicated_param.pass.sh", o, duplicated, variables=var),
        _skip("duplicated_param_directory.pass.sh", o, NOT_DEBIAN_DIST),
        Scenario("line_not_there.fail.sh", o, clear, neutral=fail_neutral),
        _skip("main_config_missing.fail.sh", o, NOT_DEBIAN + " (SUSE 16 only)"),
        Scenario("param_conflict.fail.sh", o, conflict, variables=var, neutral=fail_neutral),
        _skip("param_conflict_directory.fail.sh", o, NOT_DEBIAN_DIST),
        _skip("param_conflict_file_with_directory.fail.sh", o, NOT_DEBIAN_DIST),
        _skip("param_conflict_including_relative_path.fail.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
        _skip("param_conflict_multiple_includes.fail.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
        Scenario("wrong_value.fail.sh", o, wrong_value, variables=var, neutral=fail_neutral),
        _skip("wrong_value_different_includings.fail.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
        _skip("wrong_value_directory.fail.sh", o, NOT_DEBIAN_DIST),
        _skip("wrong_value_including_relative_path.fail.sh", o, NOT_DEBIAN + " (Oracle Linux only)"),
    ]


def _sshd_main_value(param: str, value: str) -> Callable[[Host], None]:
    """A rule's own scenario: a definition at the start of a line of the main file is rewritten
    to `PARAM VALUE`; without one, the line is appended."""
    def f(h: Host) -> None:
        if any(l.startswith(param) for l in h.lines(SSHD_MAIN)):
            h.replace_matching([SSHD_MAIN], "^" + re.escape(param), f"{param} {value}")
        else:
            h.append(SSHD_MAIN, f"{param} {value}")
    return f


def _drop_main(param: str) -> Callable[[Host], None]:
    """include.sh of the int rules: definitions at the start of a line of the main file deleted."""
    return lambda h: h.delete_matching([SSHD_MAIN], "^" + re.escape(param))


def _then(*fns: Callable[[Host], None]) -> Callable[[Host], None]:
    def f(h: Host) -> None:
        for fn in fns:
            fn(h)
    return f


def merge(template: list[Scenario], own: list[Scenario]) -> list[Scenario]:
    """A rule's own scenario replaces the template's of the same name."""
    names = {s.name for s in own}
    return [s for s in template if s.name not in names] + own


SLE16 = NOT_DEBIAN + " (SUSE 16 only)"
OL7 = NOT_DEBIAN + " (Oracle Linux 7 only)"


def max_auth_tries() -> list[Scenario]:
    v = "sshd_max_auth_tries_value"
    own = [
        _skip("correct_value_drop_in_main_missing.fail.sh", "rule", SLE16),
        Scenario("correct_value_equals.pass.sh", "rule", _sshd_main_value("MaxAuthTries", "4"), variables={v: "4"}),
        _skip("correct_value_etc_sshd_config_drop_in.pass.sh", "rule", SLE16),
        Scenario("correct_value_less_than.pass.sh", "rule", _sshd_main_value("MaxAuthTries", "2")),
        _skip("wrong_value_etc_sshd_config_drop_in.fail.sh", "rule", SLE16),
        Scenario("wrong_value_less_than_0.fail.sh", "rule", _sshd_main_value("MaxAuthTries", "0"), variables={v: "4"}),
        Scenario("wrong_value_more_than.fail.sh", "rule", _sshd_main_value("MaxAuthTries", "1000"), variables={v: "4"}),
    ]
    return merge(sshd_lineinfile("MaxAuthTries", variable=v), own)


def idle_timeout() -> list[Scenario]:
    own = [_skip(n, "rule", OL7) for n in ("other_comment.fail.sh", "other_line_not_there.fail.sh",
                                           "other_wrong_value.fail.sh")]
    return merge(sshd_lineinfile("ClientAliveInterval", variable="sshd_idle_timeout_value"), own)


def login_grace_time() -> list[Scenario]:
    p = "LoginGraceTime"
    own = [
        _skip("correct_value_etc_sshd_config_drop_in.pass.sh", "rule", SLE16),
        _skip("correct_value_etc_sshd_config_drop_in_missing_main.fail.sh", "rule", SLE16),
        Scenario("lower_bound.pass.sh", "rule", _sshd_main_value(p, "1")),
        Scenario("no_limit.fail.sh", "rule", _sshd_main_value(p, "0")),
        Scenario("too_high.fail.sh", "rule", _sshd_main_value(p, "61")),
        _skip("too_high_etc_sshd_config_drop_in.fail.sh", "rule", SLE16),
    ]
    return merge(sshd_lineinfile(p, variable="var_sshd_set_login_grace_time"), own)


def max_sessions() -> list[Scenario]:
    p = "MaxSessions"
    own = [
        _skip("correct_value_etc_sshd_config_drop_in.pass.sh", "rule", SLE16),
        Scenario("lower_bound.pass.sh", "rule", _sshd_main_value(p, "0")),
        Scenario("too_high.fail.sh", "rule", _sshd_main_value(p, "61")),
        _skip("wrong_value_etc_sshd_config_drop_in.fail.sh", "rule", SLE16),
    ]
    return merge(sshd_lineinfile(p, variable="var_sshd_max_sessions"), own)


NEEDS_DIST = "its set-up is empty unless sshd_distributed_config is true (Debian 12: false)"
NA_DIST = "Not Applicable where sshd_distributed_config is false (Debian 12)"


def strong_ciphers() -> list[Scenario]:
    def good(h: Host) -> None:
        h.replace_matching([SSHD_MAIN], r"^\s*Ciphers\s", "", re.I)
        h.append(SSHD_MAIN, "Ciphers aes256-ctr")

    def none(h: Host) -> None:
        h.edit([SSHD_MAIN], lambda l: "# " + l if re.match(r"\s*Ciphers\s", l, re.I) else l)

    return [
        _skip("dist_good_cipher.pass.sh", "rule", NEEDS_DIST),
        _skip("dist_no_ciphers.fail.sh", "rule", NEEDS_DIST),
        Scenario("good_cipher.pass.sh", "rule", good, ubuntu=True),
        Scenario("no_ciphers.fail.sh", "rule", none, ubuntu=True),
    ]


STIG_MACS = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512"


def strong_macs() -> list[Scenario]:
    var = {"sshd_strong_macs": STIG_MACS}

    def clear(h: Host) -> None:
        h.delete_matching(h.sshd_paths(), r"^\s*MACs\s", re.I)

    def blank(h: Host) -> None:
        h.replace_matching(h.sshd_paths(), r"^\s*MACs\s", "", re.I)

    def written(*lines: str) -> Callable[[Host], None]:
        return lambda h: [h.append(SSHD_MAIN, l) for l in lines]

    def comment_all(h: Host) -> None:
        h.edit(h.sshd_paths(), lambda l: "# " + l if re.match(r"\s*MACs\s", l, re.I) else l)

    # Every list below is a subset of the default list too, and hmac-sha1 is in neither: the
    # expectations hold under the default (neutral).
    mk = lambda name, fn: Scenario(name, "rule", fn, variables=var, neutral=True, ubuntu=True)
    return [
        mk("commented.fail.sh", _then(clear, written("#MACs " + STIG_MACS))),
        mk("conflicting.fail.sh", _then(clear, written("MACs " + STIG_MACS, "MACs hmac-sha1"))),
        _skip("conflicting_dir.fail.sh", "rule", NA_DIST),
        _skip("correct_dir.pass.sh", "rule", NA_DIST),
        mk("correct_mixed.pass.sh", _then(blank, written(
            "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha2-256-etm@openssh.com"))),
        mk("correct_subset.pass.sh", _then(blank, written("MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256"))),
        mk("good_mac.pass.sh", _then(blank, written("MACs " + STIG_MACS))),
        mk("no_macs.fail.sh", comment_all),
    ]


SCENARIO_KEX = ("curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
                "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
                "diffie-hellman-group18-sha512")


def strong_kex() -> list[Scenario]:
    var = {"sshd_strong_kex": SCENARIO_KEX}
    include = _drop_main("KexAlgorithms")

    def add(line: str) -> Callable[[Host], None]:
        return _then(include, lambda h: h.append(SSHD_MAIN, line))

    def no_kex(h: Host) -> None:
        h.delete_matching(h.sshd_paths(), r"^\s*KexAlgorithms\s", re.I)

    mixed = ("diffie-hellman-group18-sha512,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
             "ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512")
    return [
        # Failing for any list: commented out, missing, or a SHA-1 exchange no list allows.
        Scenario("commented.fail.sh", "rule", add("# KexAlgorithms " + SCENARIO_KEX), variables=var, neutral=True),
        _skip("conflicting.fail.sh", "rule", NA_DIST),
        _skip("conflicting_dir.fail.sh", "rule", NA_DIST),
        _skip("correct_dir.pass.sh", "rule", NA_DIST),
        # curve25519 is not in the default list: these two pass only with the scenario's list.
        Scenario("correct_mixed.pass.sh", "rule", add("KexAlgorithms " + mixed), variables=var),
        Scenario("correct_subset.pass.sh", "rule",
                 add("KexAlgorithms diffie-hellman-group16-sha512,diffie-hellman-group18-sha512"),
                 variables=var, neutral=True),
        Scenario("correct_value.pass.sh", "rule", add("KexAlgorithms " + SCENARIO_KEX), variables=var),
        Scenario("good_kex_sle.pass.sh", "rule", add("KexAlgorithms diffie-hellman-group14-sha256"),
                 variables={"sshd_strong_kex": "diffie-hellman-group14-sha256"}, neutral=True, ubuntu=True),
        Scenario("no_kex.fail.sh", "rule", no_kex, variables=var, neutral=True),
        Scenario("weak_kex.fail.sh", "rule", add("KexAlgorithms diffie-hellman-group-exchange-sha1"),
                 variables=var, neutral=True),
        _skip("weak_kex_dir.fail.sh", "rule", NA_DIST),
    ]


# ------------------------------------------------------------------------------------------------
# Templates file_permissions, file_owner, file_groupowner (one file each here).

def file_permissions(path: str, mode: int) -> list[Scenario]:
    o = "template file_permissions"

    def set_mode(m: int) -> Callable[[Host], None]:
        def f(h: Host) -> None:
            h.ensure_file(path)
            h.chmod(path, m)
        return f

    return [
        Scenario("correct_permissions.pass.sh", o, set_mode(mode)),
        Scenario("lenient_permissions.fail.sh", o, set_mode(0o777)),
        # allow_stricter_permissions defaults to true: mode 000.
        Scenario("stricter_permisions.pass.sh", o, set_mode(0o000)),
    ]


def _no_file(path: str) -> Callable[[Host], None]:
    return lambda h: h.remove(path)


def file_owner(path: str, uid: int) -> list[Scenario]:
    o = "template file_owner"

    def correct(h: Host) -> None:
        h.ensure_file(path)
        h.chown(path, uid=uid)

    def incorrect(h: Host) -> None:
        other = h.add_user("testuser_123")
        h.ensure_file(path)
        if os.path.islink(h.p(path)):
            h.remove(path)
            h.create(path)
        h.chown(path, uid=other)

    return [
        Scenario("correct_owner.pass.sh", o, correct),
        Scenario("incorrect_owner.fail.sh", o, incorrect),
        Scenario("no_file.pass.sh", o, _no_file(path)),
    ]


def file_groupowner(path: str, gid: int) -> list[Scenario]:
    o = "template file_groupowner"

    def correct(h: Host) -> None:
        h.ensure_file(path)
        h.chown(path, gid=gid)

    def incorrect(h: Host) -> None:
        other = h.add_group("group_test")
        h.ensure_file(path)
        h.chown(path, gid=other)

    return [
        Scenario("correct_groupowner.pass.sh", o, correct),
        Scenario("incorrect_groupowner.fail.sh", o, incorrect),
        Scenario("no_file.pass.sh", o, _no_file(path)),
    ]


def _noop(h: Host) -> None:
    pass


# The account files: Debian 12 renders shadow/gshadow (and their backups) 0640, group shadow (42).
ACCOUNT_FILES = {
    "passwd": (0o644, 0), "shadow": (0o640, 42), "group": (0o644, 0), "gshadow": (0o640, 42),
}


def account_file_rules() -> dict[str, list[Scenario]]:
    out: dict[str, list[Scenario]] = {}
    for name, (mode, gid) in ACCOUNT_FILES.items():
        for backup in (False, True):
            path = "/etc/" + name + ("-" if backup else "")
            stem = ("backup_etc_" if backup else "etc_") + name
            perms = file_permissions(path, mode)
            if backup:
                # Each backup rule adds missing_file_test: the backup removed passes.
                perms = merge(perms, [Scenario("missing_file_test.pass.sh", "rule", _no_file(path))])
            owner = file_owner(path, 0)
            group = file_groupowner(path, gid)
            if path == "/etc/passwd":
                # The rule replaces no_file: /etc/passwd cannot be deleted; the scenario is a no-op.
                owner = merge(owner, [Scenario("no_file.pass.sh", "rule", _noop)])
                group = merge(group, [Scenario("no_file.pass.sh", "rule", _noop)])
            out["file_permissions_" + stem] = perms
            out["file_owner_" + stem] = owner
            out["file_groupowner_" + stem] = group
    return out


# ------------------------------------------------------------------------------------------------
# Accounts.

def all_shadowed() -> list[Scenario]:
    hashed = "0fcf3792f5fffc4fcd1801fab37e0470c66d46cb0f01"

    def passwd_field(old: str, new: str) -> Callable[[Host], None]:
        rx = re.compile(r"^([^:]*):" + re.escape(old) + ":")
        return lambda h: h.edit(["/etc/passwd"], lambda l: rx.sub(lambda m: m.group(1) + ":" + new + ":", l, count=1))

    def user(name: str, field: str) -> Callable[[Host], None]:
        return lambda h: h.append("/etc/passwd", f"{name}:{field}:8000:8000:{name}:/home/{name}:/bin/bash")

    return [
        Scenario("asterisks.pass.sh", "rule", passwd_field("x", "*")),
        Scenario("exes.pass.sh", "rule", passwd_field("*", "x")),
        Scenario("hash.fail.sh", "rule", user("testuser", hashed)),
        Scenario("x_in_hash.fail.sh", "rule", user("testuser", "x" + hashed)),
        Scenario("x_in_username.fail.sh", "rule", user("xtestuser", hashed)),
    ]


def no_empty_passwords() -> list[Scenario]:
    def lock_empty(h: Host) -> None:
        h.edit(["/etc/shadow"], lambda l: re.sub(r"^([^:]+)::", r"\1:!:", l))

    return [
        Scenario("an_empty_pass_present.fail.sh", "rule",
                 lambda h: h.add_user("new_user_with_empty_password", shadow_hash="")),
        Scenario("no_empty_password_present.pass.sh", "rule", lock_empty),
    ]


A_HASH = "$6$agreement$k6wYqjZ7q8Xn0t3v5b2sR1mPqL9dF4hG7jK0lZ3xC6vB9nM2aS5dF8gH1jK4lZ7xC0vB3nM6aS9dF2gH5jK8l."


def no_uid_except_zero() -> list[Scenario]:
    def delete_other_uid0(h: Host) -> None:
        h.delete_matching(["/etc/passwd"], r"^(?!root:)[^:]*:[^:]*:0:")

    return [
        # useradd -o -u 0, chpasswd, passwd -l: the hash gets a leading '!'.
        Scenario("locked_user_uid_0.pass.sh", "rule", lambda h: h.add_user("rootlocked", uid=0, shadow_hash="!" + A_HASH)),
        Scenario("only_root.pass.sh", "rule", delete_other_uid0),
        Scenario("other_user_uid_0.fail.sh", "rule", lambda h: h.add_user("root2", uid=0, shadow_hash=A_HASH)),
    ]


# ------------------------------------------------------------------------------------------------
# The table: every rule the issue names, in its order.

def table() -> dict[str, list[Scenario]]:
    t: dict[str, list[Scenario]] = {
        "sshd_disable_root_login": sshd_lineinfile("PermitRootLogin", "no"),
        "sshd_disable_empty_passwords": sshd_lineinfile("PermitEmptyPasswords", "no"),
        "sshd_set_max_auth_tries": max_auth_tries(),
        "sshd_disable_x11_forwarding": sshd_lineinfile("X11Forwarding", "no"),
        "sshd_disable_tcp_forwarding": sshd_lineinfile("AllowTcpForwarding", "no"),
        "sshd_set_idle_timeout": idle_timeout(),
        "sshd_set_keepalive": sshd_lineinfile("ClientAliveCountMax", variable="var_sshd_set_keepalive"),
        "sshd_enable_warning_banner_net": sshd_lineinfile("Banner", "/etc/issue.net"),
        "sshd_set_loglevel_info": sshd_lineinfile("LogLevel", "INFO"),
        "sshd_disable_rhosts": sshd_lineinfile("IgnoreRhosts", "yes"),
        "disable_host_auth": sshd_lineinfile("HostbasedAuthentication", "no"),
        "sshd_disable_user_known_hosts": sshd_lineinfile("IgnoreUserKnownHosts", "yes"),
        "sshd_do_not_permit_user_env": sshd_lineinfile("PermitUserEnvironment", "no"),
        "sshd_disable_gssapi_auth": sshd_lineinfile("GSSAPIAuthentication", "no"),
        "sshd_disable_kerb_auth": sshd_lineinfile("KerberosAuthentication", "no"),
        "sshd_enable_strictmodes": sshd_lineinfile("StrictModes", "yes"),
        "sshd_set_login_grace_time": login_grace_time(),
        "sshd_set_max_sessions": max_sessions(),
        "sshd_print_last_log": sshd_lineinfile("PrintLastLog", "yes"),
        "sshd_use_strong_ciphers": strong_ciphers(),
        "sshd_use_strong_macs": strong_macs(),
        "sshd_use_strong_kex": strong_kex(),
        "file_permissions_sshd_config": file_permissions(SSHD_MAIN, 0o600),
        "file_owner_sshd_config": file_owner(SSHD_MAIN, 0),
        "file_groupowner_sshd_config": file_groupowner(SSHD_MAIN, 0),
    }
    t.update(account_file_rules())
    t["accounts_password_all_shadowed"] = all_shadowed()
    t["no_empty_passwords_etc_shadow"] = no_empty_passwords()
    t["accounts_no_uid_except_zero"] = no_uid_except_zero()
    return t
