#!/usr/bin/python3
"""Independent verifier of compliance-agent evidence, format version 1.

Written from docs/evidence-format.md alone (section numbers below refer to it), without looking at
the agent's C++ code, so that CI can require both to agree on every tampering case.

Usage: verify_evidence.py [--pubkey FILE] [--from SEQ] PATH

  PATH      a store directory (state_dir/evidence, section 6.2: every file named by 20 digits and
            `.jsonl`, in name order; other files are ignored) or a single file (an export or one
            segment, section 6.3).
  --pubkey  a file holding the Ed25519 public key as 64 hex digits (surrounding whitespace allowed).
            Default for a store: PATH/../keys/evidence-ed25519.pub; for a single file: the key
            its header asserts (which then proves integrity only, not origin).
  --from    start a fresh chain at record SEQ, trusting its prev; records before it are skipped
            unverified (section 6.2).

Prints one JSON object on one line:
  {"verdict": "intact"|"broken", "records": N, "head_seq": S, "file": F, "line": L,
   "reason": R, "detail": D, "source": K}
where K is what PATH was taken for: "store", "export" or "segment" (a single file, by its
header, section 6.3), or null when a single file's header could not be read.
and exits 0 (intact), 1 (broken) or 2 (usage error: bad arguments, unreadable key or path).

Needs only the standard library and PyNaCl (python3-nacl).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import sys

import nacl.signing

MAX_INT = 2**53 - 1
MAX_DEPTH = 64  # section 2: the record object is level 1
ZERO_HASH = "0" * 64
KEY_FILE = os.path.join("keys", "evidence-ed25519.pub")

# All patterns are used with fullmatch; [0-9] rather than \d, which would accept any Unicode digit.
SEGMENT_NAME = re.compile(r"[0-9]{20}\.jsonl")
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX128 = re.compile(r"[0-9a-f]{128}")
TS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


class Malformed(Exception):
    """The line is not a JSON object of the required shape (`malformed` / `header_invalid`)."""


class Broken(Exception):
    """The first failed check: stops verification."""

    def __init__(self, reason: str, file: str, line: int, detail: str):
        super().__init__(detail)
        self.reason, self.file, self.line, self.detail = reason, file, line, detail


class UsageError(Exception):
    """Exit 2: the verification could not be run at all."""


# --------------------------------------------------------------------------------------------
# Canonical JSON (section 2): RFC 8785 restricted to integers in +-(2^53-1).

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\]')
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str: only an unpaired \uXXXX escape


def _canon_string(s: str) -> str:
    if _SURROGATE.search(s):
        raise Malformed("string holds an unpaired surrogate")
    # Only '"', '\' and code points below U+0020 are escaped; U+007F, '/', non-ASCII stay as is.
    return '"' + _NEEDS_ESCAPE.sub(
        lambda m: _ESCAPES.get(m.group()) or "\\u%04x" % ord(m.group()), s) + '"'


def _canon_into(value, out: list, depth: int = 1) -> None:
    # bool before int: in Python True is an int (True == 1).
    if depth > MAX_DEPTH:
        raise Malformed("nested deeper than %d levels" % MAX_DEPTH)
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif type(value) is int:
        if not -MAX_INT <= value <= MAX_INT:
            raise Malformed("integer out of range: %d" % value)
        out.append(str(value))
    elif isinstance(value, str):
        out.append(_canon_string(value))
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canon_into(item, out, depth + 1)
        out.append("]")
    elif isinstance(value, dict):
        for name in value:  # checked first: a lone surrogate cannot be encoded as UTF-16 either
            _canon_string(name)
        out.append("{")
        # Member names compared as arrays of UTF-16 code units: big-endian UTF-16 bytes sort so.
        for i, name in enumerate(sorted(value, key=lambda n: n.encode("utf-16-be"))):
            if i:
                out.append(",")
            out.append(_canon_string(name))
            out.append(":")
            _canon_into(value[name], out, depth + 1)
        out.append("}")
    else:
        raise Malformed("value of type %s is not allowed" % type(value).__name__)


def canon(value) -> bytes:
    """canon(x) of section 2: the canonical UTF-8 bytes (without the line's newline)."""
    out: list = []
    try:
        _canon_into(value, out)
    except RecursionError:
        raise Malformed("nesting too deep") from None
    return "".join(out).encode("utf-8")


def _parse_int(text: str) -> int:
    # Called by json with the literal digits. "-0" reads as 0, so its line is not canonical.
    if len(text.lstrip("-")) > 16:  # 2^53-1 has 16 digits; also avoids int()'s digit limit
        raise Malformed("integer out of range: %s" % text)
    value = int(text)
    if not -MAX_INT <= value <= MAX_INT:
        raise Malformed("integer out of range: %s" % text)
    return value


def _reject_float(text: str):
    raise Malformed("number with a fraction or exponent: %s" % text)


def _reject_constant(text: str):
    raise Malformed("%s is not JSON" % text)


def parse_line(raw: bytes) -> tuple[dict, list]:
    """Parses one line (without its newline) into an object.

    Returns (object, duplicated member names). Duplicates are not malformed but not canonical;
    the object keeps the last value of a duplicated member. Raises Malformed.
    """
    try:
        text = raw.decode("utf-8")  # strict: rejects overlong forms, encoded surrogates, ...
    except UnicodeDecodeError as e:
        raise Malformed("not valid UTF-8 at byte %d" % e.start) from None
    duplicates: list = []

    def make_object(pairs):
        obj = {}
        for name, value in pairs:
            if name in obj:
                duplicates.append(name)
            obj[name] = value
        return obj

    try:
        obj = json.loads(text, object_pairs_hook=make_object, parse_int=_parse_int,
                         parse_float=_reject_float, parse_constant=_reject_constant)
    except RecursionError:
        raise Malformed("nesting too deep") from None
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        raise Malformed("not JSON: %s" % e) from None
    if not isinstance(obj, dict):
        raise Malformed("not a JSON object")
    return obj, duplicates


# --------------------------------------------------------------------------------------------
# Shapes of records (section 3) and headers (section 4).

def _is_int(x) -> bool:
    return type(x) is int  # excludes bool


def _is_ts(x) -> bool:
    if not (isinstance(x, str) and TS.fullmatch(x)):
        return False
    try:
        datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ")  # a real date and time of day
    except ValueError:
        return False
    return True


def _one_of(*values):
    return (lambda x: isinstance(x, str) and x in values), "one of " + ", ".join(values)


_STRING = (lambda x: isinstance(x, str)), "a string"
_HEX64 = (lambda x: isinstance(x, str) and HEX64.fullmatch(x) is not None), "64 lowercase hex"
_HEX128 = (lambda x: isinstance(x, str) and HEX128.fullmatch(x) is not None), "128 lowercase hex"
_TS = _is_ts, "a timestamp YYYY-MM-DDTHH:MM:SS.mmmZ"
_POSITIVE = (lambda x: _is_int(x) and x >= 1), "a positive integer"
_ONE = (lambda x: _is_int(x) and x == 1), "the integer 1"

RECORD_SHAPE = {
    "v": _ONE, "seq": _POSITIVE, "prev": _HEX64, "ts": _TS,
    "kind": _one_of("cycle", "finding", "snapshot", "heal", "rules", "checkin", "gateway",
                    "lifecycle"),
    "site_id": _STRING, "appliance_id": _STRING, "mode": _one_of("dry_run", "live"),
    "agent_version": _STRING, "rules_version": _STRING, "config_hash": _STRING,
    "actor": _STRING, "body": ((lambda x: isinstance(x, dict)), "an object"),
    "hash": _HEX64, "sig": _HEX128,
}
HEADER_SHAPE = {
    "format": ((lambda x: x == "compliance-agent-evidence"), '"compliance-agent-evidence"'),
    "format_version": _ONE, "first_seq": _POSITIVE, "prev": _HEX64, "created": _TS,
    "reason": _one_of("genesis", "rotation", "recovery", "export"),
    "site_id": _STRING, "appliance_id": _STRING, "public_key": _HEX64,
    "hash": _HEX64, "sig": _HEX128,
}
EXPORT_HEADER_SHAPE = dict(HEADER_SHAPE, since=_TS, until=_TS, head_seq=_POSITIVE, head_hash=_HEX64,
                           records=_POSITIVE)


def check_export_header(h: dict) -> None:
    """Section 4: an export header's end must be consistent with its start; raises Malformed."""
    if h["head_seq"] < h["first_seq"]:
        raise Malformed("head_seq %d is below first_seq %d" % (h["head_seq"], h["first_seq"]))
    if h["records"] != h["head_seq"] - h["first_seq"] + 1:
        raise Malformed("records %d is not head_seq - first_seq + 1" % h["records"])


def check_shape(obj: dict, shape: dict) -> None:
    """Exactly the members of `shape`, each of its type and shape; raises Malformed."""
    missing = [name for name in shape if name not in obj]
    if missing:
        raise Malformed("missing member(s): " + ", ".join(missing))
    extra = sorted(name for name in obj if name not in shape)
    if extra:
        raise Malformed("unexpected member(s): " + ", ".join(extra))
    for name, (valid, what) in shape.items():
        if not valid(obj[name]):
            raise Malformed("%s is not %s" % (name, what))


# --------------------------------------------------------------------------------------------
# The chain (section 6).

class Verifier:
    def __init__(self, key_hex: str | None, from_seq: int | None):
        self.key_hex = key_hex  # the verifying key; None: each header's own (single file)
        self.key = _verify_key(key_hex) if key_hex else None
        self.from_seq = from_seq
        self.expect_seq: int | None = None  # E; None before the first header
        self.expect_prev: str | None = None  # P; None when unknown (after skipped records)
        self.records = 0  # records that passed every check
        self.head_seq = 0  # seq of the last of them
        self.first_header: tuple | None = None  # (file, first_seq, prev) of the first segment
        self.pruned: set = set()  # (through_seq, through_hash) of every `pruned` record
        self.started = False  # E and P hold: from the first header, or (--from) from record SEQ
        self.export_end: tuple | None = None  # (head_seq, head_hash): this segment is an export
        self.segment_last: int | None = None  # seq of the last record verified in this segment
        self.source: str | None = None  # a single file: "export" or "segment", by its header

    # Checks 1 and 2 of 6.1 (and of 6.2 for a header), then 3 and 4.
    def _load(self, raw: bytes, shape_of, bad: str, file: str, line: int) -> dict:
        try:
            obj, duplicates = parse_line(raw)
            encoded = canon(obj)  # also rejects unpaired surrogates and out-of-range integers
            shape = shape_of(obj)
            check_shape(obj, shape)
            if shape is EXPORT_HEADER_SHAPE:
                check_export_header(obj)
        except Malformed as e:
            raise Broken(bad, file, line, str(e)) from None
        if duplicates:
            raise Broken("not_canonical", file, line,
                         "duplicate member name(s): " + ", ".join(sorted(set(duplicates))))
        if encoded != raw:
            raise Broken("not_canonical", file, line, "the line is not canon(object)")
        return obj

    @staticmethod
    def _check_hash_and_sig(obj: dict, key, file: str, line: int) -> None:
        unsigned = {k: v for k, v in obj.items() if k not in ("hash", "sig")}
        digest = hashlib.sha256(canon(unsigned)).hexdigest()
        if digest != obj["hash"]:
            raise Broken("hash_mismatch", file, line, "content hashes to " + digest)
        try:
            key.verify(bytes.fromhex(obj["hash"]), bytes.fromhex(obj["sig"]))
        except Exception:  # BadSignatureError, or a key that is no curve point
            raise Broken("bad_signature", file, line, "signature does not verify") from None

    def header(self, raw: bytes, file: str, name_seq: int | None) -> None:
        """Section 6.2 step 1. name_seq: the file name's number (None for a single file)."""
        shape_of = lambda o: EXPORT_HEADER_SHAPE if o.get("reason") == "export" else HEADER_SHAPE
        h = self._load(raw, shape_of, "header_invalid", file, 1)
        self.export_end = (h["head_seq"], h["head_hash"]) if h["reason"] == "export" else None
        if name_seq is None:
            self.source = "export" if self.export_end else "segment"
        if self.key_hex is not None and h["public_key"] != self.key_hex:
            raise Broken("key_mismatch", file, 1, "header key %s is not the verifying key %s"
                         % (h["public_key"], self.key_hex))
        key = self.key if self.key is not None else _verify_key(h["public_key"])
        self._check_hash_and_sig(h, key, file, 1)
        if self.key is None:
            self.key = key  # a single file: its records are checked with its header's key
        if name_seq is not None and h["first_seq"] != name_seq:
            raise Broken("header_mismatch", file, 1, "first_seq %d but the file name says %d"
                         % (h["first_seq"], name_seq))
        if h["first_seq"] == 1 and h["prev"] != ZERO_HASH:
            raise Broken("prev_mismatch", file, 1, "the chain starts at seq 1 but prev is not "
                         "64 zeros")
        if self.first_header is None:  # the first segment (or the first one --from opens)
            self.first_header = (file, h["first_seq"], h["prev"])
            if self.from_seq is None:
                self.expect_seq, self.expect_prev = h["first_seq"], h["prev"]
                self.started = True
            return
        if not self.started:  # --from: no expectation before the chain's start
            return
        if h["first_seq"] != self.expect_seq:
            raise Broken("seq_mismatch", file, 1, "first_seq %d, expected %d"
                         % (h["first_seq"], self.expect_seq))
        if h["prev"] != self.expect_prev:
            raise Broken("prev_mismatch", file, 1, "prev is not the hash of record %d"
                         % (self.expect_seq - 1))

    def skips(self, raw: bytes, file: str, line: int) -> bool:
        """--from, before the chain has started: is this record line skipped, unverified?

        A line is read as far as check 1 (6.1); one that fails it, or whose seq is below SEQ,
        is skipped. The first other line starts the chain, and must be record SEQ."""
        if self.started:
            return False
        try:
            obj, _ = parse_line(raw)
            canon(obj)
            check_shape(obj, RECORD_SHAPE)
        except Malformed:
            return True  # its seq cannot be read
        if obj["seq"] < self.from_seq:
            return True
        if obj["seq"] != self.from_seq:
            raise Broken("missing_records", file, line, "no record with seq %d to start from; "
                         "this line holds seq %d" % (self.from_seq, obj["seq"]))
        self.started = True
        self.expect_seq, self.expect_prev = self.from_seq, None  # None: SEQ's prev is trusted
        return False

    def record(self, raw: bytes, file: str, line: int) -> None:
        """Section 6.1, checks 1 to 6, and (6.3) an export's end."""
        if self.export_end and self.segment_last == self.export_end[0]:
            raise Broken("header_mismatch", file, line, "the export's header names seq %d as its "
                         "last record; this line follows it" % self.export_end[0])
        r = self._load(raw, lambda o: RECORD_SHAPE, "malformed", file, line)
        self._check_hash_and_sig(r, self.key, file, line)
        if r["seq"] != self.expect_seq:
            raise Broken("seq_mismatch", file, line, "seq %d, expected %d"
                         % (r["seq"], self.expect_seq))
        if self.expect_prev is not None and r["prev"] != self.expect_prev:
            raise Broken("prev_mismatch", file, line, "prev is not the hash of record %d"
                         % (r["seq"] - 1))
        if self.export_end and r["seq"] == self.export_end[0] and r["hash"] != self.export_end[1]:
            raise Broken("header_mismatch", file, line, "seq %d is not the record the export's "
                         "header names (head_hash %s)" % (r["seq"], self.export_end[1]))
        self.segment_last = r["seq"]
        self.expect_seq, self.expect_prev = r["seq"] + 1, r["hash"]
        self.records += 1
        self.head_seq = r["seq"]
        body = r["body"]
        if r["kind"] == "lifecycle" and body.get("event") == "pruned":
            through_seq, through_hash = body.get("through_seq"), body.get("through_hash")
            if _is_int(through_seq) and isinstance(through_hash, str):
                self.pruned.add((through_seq, through_hash))

    def segment(self, path: str, name_seq: int | None) -> None:
        file = os.path.basename(path)
        data = _read(path)
        end = data.find(b"\n")
        if end < 0:
            raise Broken("header_invalid", file, 1,
                         "empty file" if not data else "the header line has no newline")
        self.segment_last = None
        self.header(data[:end], file, name_seq)
        lines = data[end + 1:].split(b"\n")
        torn = lines.pop()  # what follows the last newline: b"" unless the last line is torn
        for number, raw in enumerate(lines, start=2):
            if not self.skips(raw, file, number):
                self.record(raw, file, number)
        if torn:  # reported even below --from's SEQ: the file itself is cut
            raise Broken("torn_tail", file, len(lines) + 2,
                         "the last line (%d bytes) has no newline" % len(torn))
        if self.export_end and self.segment_last != self.export_end[0] and self.started:
            raise Broken("missing_records", file, 1, "the export's header names seq %d as its "
                         "last record; the file ends %s" % (self.export_end[0], "after seq %d"
                         % self.segment_last if self.segment_last else "before any record"))

    def check_pruned(self) -> None:
        """After the last segment (6.2): a chain not starting at 1 must say it was pruned."""
        file, first_seq, prev = self.first_header
        if first_seq != 1 and (first_seq - 1, prev) not in self.pruned:
            raise Broken("missing_records", file, 1,
                         "the chain starts at seq %d and no lifecycle `pruned` record has "
                         "through_seq %d with through_hash = the first segment's prev"
                         % (first_seq, first_seq - 1))


def _verify_key(key_hex: str):
    return nacl.signing.VerifyKey(bytes.fromhex(key_hex))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError("cannot read %s: %s" % (path, e.strerror)) from None


def read_key_file(path: str) -> str:
    try:
        text = _read(path).decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise UsageError("%s does not hold 64 hex digits" % path)
    return text.lower()


def verify(path: str, pubkey_file: str | None, from_seq: int | None) -> dict:
    """Runs the verification; returns the result object. Raises UsageError."""
    if not os.path.exists(path):
        raise UsageError("no such file or directory: %s" % path)
    store = os.path.isdir(path)
    if pubkey_file is not None:
        key_hex = read_key_file(pubkey_file)
    elif store:
        key_file = os.path.join(os.path.dirname(os.path.abspath(path)), KEY_FILE)
        if not os.path.isfile(key_file):
            raise UsageError("no --pubkey and no appliance key at %s" % key_file)
        key_hex = read_key_file(key_file)
    else:
        key_hex = None  # the header's own key (6.3)

    if store:
        try:
            names = sorted(n for n in os.listdir(path)
                           if SEGMENT_NAME.fullmatch(n) and os.path.isfile(os.path.join(path, n)))
        except OSError as e:
            raise UsageError("cannot list %s: %s" % (path, e.strerror)) from None
        segments = [(os.path.join(path, n), int(n[:20])) for n in names]
        if from_seq is not None:
            # Segments whose successor starts at or below SEQ hold only records below SEQ.
            while len(segments) > 1 and segments[1][1] <= from_seq:
                segments.pop(0)
    else:
        segments = [(path, None)]

    v = Verifier(key_hex, from_seq)
    result = {"verdict": "intact", "records": 0, "head_seq": 0, "file": None, "line": None,
              "reason": None, "detail": None, "source": "store" if store else None}
    try:
        for seg_path, name_seq in segments:
            v.segment(seg_path, name_seq)
        if store and from_seq is None and segments:
            v.check_pruned()
    except Broken as b:
        result.update(verdict="broken", file=b.file, line=b.line, reason=b.reason,
                      detail=b.detail)
    else:
        if not segments:
            result["detail"] = "the store holds no segment"
        elif from_seq is not None and v.records == 0:
            # Nothing at SEQ: verifying "from SEQ" did not verify anything, which is no pass.
            result.update(verdict="broken", file=os.path.basename(segments[-1][0]), line=None,
                          reason="missing_records", detail="no record with seq %d" % from_seq)
        elif key_hex is None:
            result["detail"] = ("verified with the header's own public key: this proves "
                                "integrity relative to that key only")
    result["records"], result["head_seq"] = v.records, v.head_seq
    if not store:
        result["source"] = v.source
    return result


def _positive_int(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError("not a positive integer: %r" % text)
    return int(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify compliance-agent evidence (format 1).")
    parser.add_argument("--pubkey", metavar="FILE", help="file with the public key, 64 hex")
    parser.add_argument("--from", dest="from_seq", metavar="SEQ", type=_positive_int,
                        help="skip records below SEQ unverified")
    parser.add_argument("path", metavar="PATH", help="store directory or single file")
    args = parser.parse_args(argv)  # exits 2 on bad arguments
    try:
        result = verify(args.path, args.pubkey, args.from_seq)
    except UsageError as e:
        print("verify_evidence: %s" % e, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0 if result["verdict"] == "intact" else 1


if __name__ == "__main__":
    sys.exit(main())
