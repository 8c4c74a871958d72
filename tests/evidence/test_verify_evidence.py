#!/usr/bin/python3
"""Self-test of verify_evidence.py (docs/evidence-format.md).

A small writer of its own (PyNaCl SigningKey, json.dumps for the canonical form of its plain
ASCII records) builds stores and exports in temporary directories; each test tampers with them
and runs the verifier's CLI, asserting the exact verdict, file, line and reason.

Run from the repository root:
  /usr/bin/python3 -m unittest tests/evidence/test_verify_evidence.py
  /usr/bin/python3 tests/evidence/test_verify_evidence.py
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

from nacl.signing import SigningKey

HERE = os.path.dirname(os.path.abspath(__file__))
VERIFIER = os.path.join(HERE, "verify_evidence.py")
sys.path.insert(0, HERE)
import verify_evidence as ve  # noqa: E402  (for the canonicalizer unit tests)

ZERO = "0" * 64


def seg_name(seq: int) -> str:
    return "%020d.jsonl" % seq


def dumps(obj) -> bytes:
    """The writer's canonical form: right for ASCII names and strings without control chars."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Writer:
    """Signs records (section 3) and segment headers (section 4) like the agent."""

    def __init__(self, sk: SigningKey | None = None):
        self.sk = sk or SigningKey.generate()
        self.pub = self.sk.verify_key.encode().hex()

    def sign(self, obj: dict) -> dict:
        obj = {k: v for k, v in obj.items() if k not in ("hash", "sig")}
        obj["hash"] = hashlib.sha256(dumps(obj)).hexdigest()
        obj["sig"] = self.sk.sign(bytes.fromhex(obj["hash"])).signature.hex()
        return obj

    def header(self, first_seq: int, prev: str, reason: str = "rotation", **extra) -> dict:
        h = {"format": "compliance-agent-evidence", "format_version": 1, "first_seq": first_seq,
             "prev": prev, "created": "2026-11-28T09:00:00.000Z", "reason": reason,
             "site_id": "site-1", "appliance_id": "app-1", "public_key": self.pub}
        h.update(extra)
        return self.sign(h)

    def record(self, seq: int, prev: str, kind: str = "cycle", body: dict | None = None) -> dict:
        return self.sign({
            "v": 1, "seq": seq, "prev": prev, "ts": "2026-11-28T09:%02d:%02d.%03dZ"
            % (seq // 60 % 60, seq % 60, seq % 1000), "kind": kind, "site_id": "site-1",
            "appliance_id": "app-1", "mode": "dry_run", "agent_version": "0.1.0",
            "rules_version": "ab" * 32, "config_hash": "cd" * 32, "actor": "agent",
            "body": body if body is not None else {"n": seq, "note": "record %d" % seq}})

    def chain(self, first: int, last: int, prev: str = ZERO, bodies: dict | None = None) -> list:
        """Records first..last; bodies: seq -> (kind, body) for special records."""
        out = []
        for seq in range(first, last + 1):
            kind, body = (bodies or {}).get(seq, ("cycle", None))
            out.append(self.record(seq, prev, kind, body))
            prev = out[-1]["hash"]
        return out


def line(obj) -> bytes:
    return dumps(obj) + b"\n"


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, (old, data)
    return data.replace(old, new)


def flip_hex(data: bytes, member: str) -> bytes:
    """Changes the first hex digit of a string member, keeping it 64/128 lowercase hex."""
    value = json.loads(data)[member]
    new = ("1" if value[0] != "1" else "2") + value[1:]
    return replace_once(data, ('"%s":"%s"' % (member, value)).encode(),
                        ('"%s":"%s"' % (member, new)).encode())


class Case(unittest.TestCase):
    """Builds a state_dir with a 3-segment store: records 1-4, 5-8 and 9-10."""

    LAYOUT = [(1, 4), (5, 8), (9, 10)]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.state = self.tmp.name
        self.store = os.path.join(self.state, "evidence")
        os.makedirs(self.store)
        os.makedirs(os.path.join(self.state, "keys"))
        self.w = Writer()
        self.write_key(os.path.join(self.state, "keys", "evidence-ed25519.pub"), self.w.pub)
        self.records = {}
        self.build(self.LAYOUT)

    def tearDown(self):
        self.tmp.cleanup()

    def write_key(self, path: str, hex_key: str) -> str:
        with open(path, "w") as f:
            f.write(hex_key + "\n")
        return path

    def build(self, layout, bodies=None, writer=None, start_prev=ZERO):
        """Writes one segment per (first, last) of layout, chained from start_prev."""
        w = writer or self.w
        recs = w.chain(layout[0][0], layout[-1][1], start_prev, bodies)
        self.records = {r["seq"]: r for r in recs}
        for name in os.listdir(self.store):
            os.remove(os.path.join(self.store, name))
        prev = start_prev
        for i, (first, last) in enumerate(layout):
            lines = [line(w.header(first, prev, "genesis" if first == 1 else "rotation"))]
            lines += [line(self.records[s]) for s in range(first, last + 1)]
            self.put(seg_name(first), b"".join(lines))
            if last >= first:
                prev = self.records[last]["hash"]

    def seg(self, name_or_seq) -> str:
        name = seg_name(name_or_seq) if isinstance(name_or_seq, int) else name_or_seq
        return os.path.join(self.store, name)

    def get(self, seg) -> bytes:
        with open(self.seg(seg), "rb") as f:
            return f.read()

    def put(self, seg, data: bytes) -> None:
        with open(self.seg(seg), "wb") as f:
            f.write(data)

    def lines(self, seg) -> list:
        return self.get(seg).split(b"\n")[:-1]  # without newlines

    def edit_line(self, seg, number: int, fn) -> None:
        """Replaces line `number` (1-based, without its newline) of a segment by fn(line)."""
        lines = self.lines(seg)
        lines[number - 1] = fn(lines[number - 1])
        self.put(seg, b"".join(x + b"\n" for x in lines))

    def run_verifier(self, *args, rc=None):
        p = subprocess.run([sys.executable, VERIFIER, *args], capture_output=True)
        if rc is not None:
            self.assertEqual(p.returncode, rc, p.stderr.decode())
        if p.returncode == 2:
            self.assertEqual(p.stdout, b"")
            return None
        out = p.stdout.decode()
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1, out)
        result = json.loads(out)
        self.assertEqual(set(result), {"verdict", "records", "head_seq", "file", "line", "reason",
                                       "detail", "source"})
        self.assertEqual(p.returncode, 0 if result["verdict"] == "intact" else 1)
        return result

    def assertIntact(self, *args, records, head, path=None):
        r = self.run_verifier(*args, path or self.store)
        self.assertEqual((r["verdict"], r["records"], r["head_seq"], r["file"], r["line"],
                          r["reason"]), ("intact", records, head, None, None, None), r)
        return r

    def assertBroken(self, file, line_no, reason, *args, records=None, head=None, path=None):
        r = self.run_verifier(*args, path or self.store)
        if isinstance(file, int):
            file = seg_name(file)
        self.assertEqual((r["verdict"], r["file"], r["line"], r["reason"]),
                         ("broken", file, line_no, reason), r)
        if records is not None:
            self.assertEqual(r["records"], records, r)
        if head is not None:
            self.assertEqual(r["head_seq"], head, r)
        return r


class StoreTest(Case):
    def test_intact(self):
        self.assertIntact(records=10, head=10)
        self.assertIntact("--pubkey", self.write_key(os.path.join(self.state, "k"), self.w.pub),
                          records=10, head=10)

    def test_other_files_ignored(self):
        for name in ("README", "1.jsonl", seg_name(99) + ".tmp", "0000000000000000001.jsonl"):
            with open(os.path.join(self.store, name), "wb") as f:
                f.write(b"junk")
        self.assertIntact(records=10, head=10)

    def test_pubkey_upper_case_and_whitespace(self):
        path = os.path.join(self.state, "k")
        with open(path, "w") as f:
            f.write("  \n" + self.w.pub.upper() + "\n\n")
        self.assertIntact("--pubkey", path, records=10, head=10)

    def test_empty_last_segment(self):
        self.put(10 + 1, line(self.w.header(11, self.records[10]["hash"])))
        self.assertIntact(records=10, head=10)

    # Changes to a signed member: the hash no longer matches (record 6 is line 3 of segment 5).
    def test_flipped_body(self):
        self.edit_line(5, 3, lambda x: replace_once(x, b"record 6", b"record 7"))
        self.assertBroken(5, 3, "hash_mismatch", records=5, head=5)

    def test_flipped_prev(self):
        self.edit_line(5, 3, lambda x: flip_hex(x, "prev"))
        self.assertBroken(5, 3, "hash_mismatch", records=5, head=5)

    def test_flipped_seq(self):
        self.edit_line(5, 3, lambda x: replace_once(x, b'"seq":6', b'"seq":7'))
        self.assertBroken(5, 3, "hash_mismatch", records=5, head=5)

    def test_flipped_ts(self):
        self.edit_line(5, 3, lambda x: replace_once(x, b'.006Z"', b'.007Z"'))
        self.assertBroken(5, 3, "hash_mismatch", records=5, head=5)

    def test_ts_not_a_date(self):
        self.edit_line(5, 3, lambda x: replace_once(x, b'"2026-11-28T', b'"2026-13-28T'))
        self.assertBroken(5, 3, "malformed", records=5, head=5)

    def test_flipped_sig(self):
        self.edit_line(5, 3, lambda x: flip_hex(x, "sig"))
        self.assertBroken(5, 3, "bad_signature", records=5, head=5)

    def test_flipped_hash(self):
        self.edit_line(5, 3, lambda x: flip_hex(x, "hash"))
        self.assertBroken(5, 3, "hash_mismatch", records=5, head=5)

    def test_record_signed_by_other_key(self):
        other = Writer()
        self.edit_line(5, 3, lambda x: dumps(other.sign(json.loads(x))))
        self.assertBroken(5, 3, "bad_signature", records=5, head=5)

    def test_deleted_record(self):
        lines = self.lines(5)
        del lines[2]  # record 6
        self.put(5, b"".join(x + b"\n" for x in lines))
        self.assertBroken(5, 3, "seq_mismatch", records=5, head=5)

    def test_duplicated_record(self):
        lines = self.lines(5)
        lines.insert(2, lines[2])  # record 6 twice
        self.put(5, b"".join(x + b"\n" for x in lines))
        self.assertBroken(5, 4, "seq_mismatch", records=6, head=6)

    def test_swapped_records(self):
        lines = self.lines(5)
        lines[2], lines[3] = lines[3], lines[2]  # 7 before 6
        self.put(5, b"".join(x + b"\n" for x in lines))
        self.assertBroken(5, 3, "seq_mismatch", records=5, head=5)

    def test_resigned_record_breaks_prev(self):
        # A record rewritten and re-signed with the key: its successor's prev gives it away.
        self.edit_line(5, 3, lambda x: dumps(self.w.sign(
            dict(json.loads(x), body={"n": 6, "note": "forged"}))))
        self.assertBroken(5, 4, "prev_mismatch", records=6, head=6)

    def test_truncated_mid_line_not_last(self):
        data = self.get(5)
        cut = data.index(b"\n", data.index(b'"seq":7')) - 10  # inside record 7 (line 4)
        self.put(5, data[:cut])
        self.assertBroken(5, 4, "torn_tail", records=6, head=6)

    def test_truncated_at_line_boundary_not_last(self):
        self.put(5, b"".join(x + b"\n" for x in self.lines(5)[:3]))  # header, 5, 6
        self.assertBroken(9, 1, "seq_mismatch", records=6, head=6)

    def test_truncated_at_line_boundary_last(self):
        # Section 6.4: a shorter chain is still a valid chain.
        self.put(9, b"".join(x + b"\n" for x in self.lines(9)[:2]))
        self.assertIntact(records=9, head=9)

    def test_torn_tail_last(self):
        self.put(9, self.get(9)[:-20])
        self.assertBroken(9, 3, "torn_tail", records=9, head=9)

    def test_last_line_without_newline(self):
        self.put(9, self.get(9)[:-1])  # a whole record, but no \n
        self.assertBroken(9, 3, "torn_tail", records=9, head=9)

    def test_deleted_middle_segment(self):
        os.remove(self.seg(5))
        self.assertBroken(9, 1, "seq_mismatch", records=4, head=4)

    def test_deleted_first_segment(self):
        os.remove(self.seg(1))
        self.assertBroken(5, 1, "missing_records", records=6, head=10)

    def test_other_key(self):
        path = self.write_key(os.path.join(self.state, "other"), Writer().pub)
        self.assertBroken(1, 1, "key_mismatch", "--pubkey", path, records=0, head=0)

    def test_store_resigned_with_other_key(self):
        self.build(self.LAYOUT, writer=Writer())  # consistent, but not the appliance's key
        self.assertBroken(1, 1, "key_mismatch", records=0, head=0)

    # Headers (segment 5's header is line 1 of 00000000000000000005.jsonl).
    def test_header_flipped_created(self):
        self.edit_line(5, 1, lambda x: replace_once(x, b'"2026-11-28T09:00:00.000Z"',
                                                    b'"2026-11-28T09:00:01.000Z"'))
        self.assertBroken(5, 1, "hash_mismatch", records=4, head=4)

    def test_header_flipped_prev(self):
        self.edit_line(5, 1, lambda x: flip_hex(x, "prev"))
        self.assertBroken(5, 1, "hash_mismatch", records=4, head=4)

    def test_header_flipped_sig(self):
        self.edit_line(5, 1, lambda x: flip_hex(x, "sig"))
        self.assertBroken(5, 1, "bad_signature", records=4, head=4)

    def test_header_resigned_prev(self):
        self.edit_line(5, 1, lambda x: dumps(self.w.header(5, "ee" * 32)))
        self.assertBroken(5, 1, "prev_mismatch", records=4, head=4)

    def test_header_resigned_first_seq(self):
        self.edit_line(5, 1, lambda x: dumps(self.w.header(6, self.records[4]["hash"])))
        self.assertBroken(5, 1, "header_mismatch", records=4, head=4)

    def test_segment_renamed(self):
        os.rename(self.seg(5), self.seg(6))
        self.assertBroken(6, 1, "header_mismatch", records=4, head=4)

    def test_header_other_key(self):
        self.edit_line(5, 1, lambda x: dumps(Writer().header(5, self.records[4]["hash"])))
        self.assertBroken(5, 1, "key_mismatch", records=4, head=4)

    def test_header_extra_member(self):
        self.edit_line(5, 1, lambda x: dumps(self.w.header(5, self.records[4]["hash"], x=1)))
        self.assertBroken(5, 1, "header_invalid", records=4, head=4)

    def test_header_export_without_range(self):
        self.edit_line(5, 1, lambda x: dumps(self.w.header(5, self.records[4]["hash"], "export")))
        self.assertBroken(5, 1, "header_invalid", records=4, head=4)

    def test_header_non_canonical(self):
        self.edit_line(5, 1, lambda x: x + b" ")
        self.assertBroken(5, 1, "not_canonical", records=4, head=4)

    def test_header_without_newline(self):
        self.put(5, self.lines(5)[0])
        self.assertBroken(5, 1, "header_invalid", records=4, head=4)

    def test_empty_segment_file(self):
        self.put(5, b"")
        self.assertBroken(5, 1, "header_invalid", records=4, head=4)

    # Malformed and non-canonical record lines (record 6, line 3 of segment 5).
    def check_line(self, old: bytes, new: bytes, reason: str):
        with self.subTest(new=new):
            self.build(self.LAYOUT)
            self.edit_line(5, 3, lambda x: replace_once(x, old, new))
            self.assertBroken(5, 3, reason, records=5, head=5)

    def test_malformed(self):
        cases = [
            (b'"n":6', b'"n":6.0'), (b'"n":6', b'"n":6e0'),
            (b'"n":6', b'"n":9007199254740992'), (b'"n":6', b'"n":NaN'),
            (b'"n":6', b'"n":06'), (b'"v":1', b'"v":true'), (b'"seq":6', b'"seq":"6"'),
            (b'"seq":6', b'"seq":true'), (b'"seq":6', b'"seq":0'), (b'"v":1', b'"v":2'),
            (b'"kind":"cycle"', b'"kind":"other"'), (b'"mode":"dry_run"', b'"mode":"dry"'),
            (b'"actor":"agent",', b''), (b'"actor":"agent",', b'"actor":"agent","x":1,'),
            (b'"actor":"agent"', b'"actor":7'), (b'"ts":"2026-11-28T09:00:06.006Z"',
                                                b'"ts":"2026-11-28T09:00:06Z"'),
            (b'"ts":"2026-11-28T09:00:06.006Z"', b'"ts":"2026-02-30T09:00:06.006Z"'),
            (b'"ts":"2026-11-28T09:00:06.006Z"', '"ts":"2026-11-28T09:00:0\u0666.006Z"'.encode()),
            (b'{"n":6,"note":"record 6"}', b'[6]'),
            (b"record 6", b"record \xff"), (b"record 6", b"record \xc0\xaf"),
            (b"record 6", b"record \xed\xa0\x80"), (b"record 6", b"record \\ud800"),
            (b'"note"', b'"\\udc00"'), (b"record 6", b"record \t"),
        ]
        record = self.lines(5)[2]
        h = json.loads(record)["hash"]
        cases += [(b'"hash":"%s"' % h.encode(), b'"hash":"%s"' % h.upper().encode()),
                  (b'"hash":"%s"' % h.encode(), b'"hash":"%s"' % h[:63].encode())]
        for old, new in cases:
            self.check_line(old, new, "malformed")
        for bad in (b"", b"[]", b"null", b"{}", b"{", record[:-1]):
            with self.subTest(line=bad):
                self.build(self.LAYOUT)
                self.edit_line(5, 3, lambda x: bad)
                self.assertBroken(5, 3, "malformed", records=5, head=5)

    def test_not_canonical(self):
        cases = [
            (b'"n":6,', b'"n": 6,'), (b'{"actor"', b' {"actor"'),
            (b'{"actor":"agent",', b'{"actor":"agent","actor":"agent",'),  # duplicate
            (b"record 6", b"record\\u00206"), (b"record 6", b"record\\/6"),
            (b"record 6", b"record 6\\u001F"), (b"record 6", b"record 6\\u00e9"),
            (b"record 6", b"record 6\\ud83d\\ude00"), (b'"n":6', b'"n":6 '), (b'"n":6', b'"n":-0'),  # -0 reads as 0
        ]
        for old, new in cases:
            self.check_line(old, new, "not_canonical")

    def test_spacing_and_key_order(self):
        for text in (lambda o: json.dumps(o, sort_keys=True).encode(),  # ", " and ": "
                     lambda o: json.dumps(dict(reversed(list(o.items()))),
                                          separators=(",", ":")).encode()):
            with self.subTest(text=text):
                self.build(self.LAYOUT)
                self.edit_line(5, 3, lambda x: text(json.loads(x)))
                self.assertBroken(5, 3, "not_canonical", records=5, head=5)

    def test_crlf(self):
        self.edit_line(5, 3, lambda x: x + b"\r")
        self.assertBroken(5, 3, "not_canonical", records=5, head=5)

    # A store whose first segment does not start at 1 (retention, section 6.2).
    def test_pruned_without_record(self):
        self.build([(5, 8), (9, 10)], start_prev="aa" * 32)
        self.assertBroken(5, 1, "missing_records", records=6, head=10)

    def test_pruned_with_record(self):
        body = {"event": "pruned", "through_seq": 4, "through_hash": "aa" * 32,
                "segments": [seg_name(1)]}
        self.build([(5, 8), (9, 10)], bodies={9: ("lifecycle", body)}, start_prev="aa" * 32)
        self.assertIntact(records=6, head=10)

    def test_pruned_record_not_matching(self):
        bad = [{"event": "pruned", "through_seq": 4, "through_hash": "bb" * 32},
               {"event": "pruned", "through_seq": 3, "through_hash": "aa" * 32},
               {"event": "pruned", "through_seq": "4", "through_hash": "aa" * 32},
               {"event": "stop", "through_seq": 4, "through_hash": "aa" * 32}]
        for body in bad:
            with self.subTest(body=body):
                self.build([(5, 8), (9, 10)], bodies={9: ("lifecycle", body)},
                           start_prev="aa" * 32)
                self.assertBroken(5, 1, "missing_records", records=6, head=10)
        body = {"event": "pruned", "through_seq": 4, "through_hash": "aa" * 32}
        self.build([(5, 8), (9, 10)], bodies={9: ("cycle", body)}, start_prev="aa" * 32)
        self.assertBroken(5, 1, "missing_records", records=6, head=10)

    def test_pruned_through_seq_true_is_not_1(self):
        body = {"event": "pruned", "through_seq": True, "through_hash": "aa" * 32}
        self.build([(2, 4)], bodies={3: ("lifecycle", body)}, start_prev="aa" * 32)
        self.assertBroken(2, 1, "missing_records", records=3, head=4)

    # --from SEQ
    def test_from(self):
        self.edit_line(1, 3, lambda x: replace_once(x, b"record 2", b"record X"))
        self.assertBroken(1, 3, "hash_mismatch", records=1, head=1)
        self.assertIntact("--from", "3", records=8, head=10)
        self.assertIntact("--from", "5", records=6, head=10)
        self.assertIntact("--from", "7", records=4, head=10)
        self.assertIntact("--from", "10", records=1, head=10)
        # Nothing at SEQ: "verified from SEQ" would be an empty claim, so it is no pass.
        self.assertBroken(9, None, "missing_records", "--from", "11", records=0, head=0)
        self.assertBroken(1, 3, "hash_mismatch", "--from", "2", records=0, head=0)

    def test_from_still_checks_later_damage(self):
        self.edit_line(9, 2, lambda x: flip_hex(x, "sig"))
        self.assertBroken(9, 2, "bad_signature", "--from", "6", records=3, head=8)

    def test_from_skips_torn_earlier_segment(self):
        self.put(1, self.get(1)[:-10])
        self.assertBroken(1, 5, "torn_tail", records=3, head=3)
        self.assertIntact("--from", "5", records=6, head=10)

    def test_from_after_recovery(self):
        # Section 7: a damaged segment is left as is; the writer goes on in a new segment.
        self.edit_line(5, 4, lambda x: replace_once(x, b"record 7", b"record X"))
        self.assertBroken(5, 4, "hash_mismatch", records=6, head=6)
        self.assertIntact("--from", "9", records=2, head=10)

    def test_from_skips_missing_records_rule(self):
        self.build([(5, 8), (9, 10)], start_prev="aa" * 32)
        self.assertIntact("--from", "5", records=6, head=10)
        self.assertIntact("--from", "6", records=5, head=10)
        # The chain starts at SEQ itself: a store without it has nothing to start from.
        self.assertBroken(5, 2, "missing_records", "--from", "1", records=0, head=0)

    def test_from_after_a_removed_record(self):
        # Record 6 (line 3 of segment 5) removed: the break is named, and --from verifies the
        # rest as a fresh chain from the record after it, trusting its prev.
        self.put(5, b"".join(x + b"\n" for i, x in enumerate(self.lines(5)) if i != 2))
        self.assertBroken(5, 3, "seq_mismatch", records=5, head=5)
        self.assertIntact("--from", "7", records=4, head=10)
        self.assertIntact("--from", "8", records=3, head=10)
        # The removed record itself is not there to start from.
        self.assertBroken(5, 3, "missing_records", "--from", "6", records=0, head=0)

    def test_from_after_an_inserted_or_unreadable_line(self):
        self.edit_line(5, 3, lambda x: b"not json\n" + x)  # before record 6
        self.assertBroken(5, 3, "malformed", records=5, head=5)
        self.assertIntact("--from", "6", records=5, head=10)
        # A record below SEQ after the start is out of place.
        self.build(self.LAYOUT)
        self.edit_line(5, 4, lambda x: x + b"\n" + self.lines(5)[1])  # record 5 again after 7
        self.assertBroken(5, 5, "seq_mismatch", "--from", "6", records=2, head=7)

    def test_from_start_record_damaged(self):
        self.edit_line(5, 3, lambda x: replace_once(x, b'"n":6,', b'"n": 6,'))
        self.assertBroken(5, 3, "not_canonical", "--from", "6", records=0, head=0)
        self.build(self.LAYOUT)
        self.edit_line(5, 3, lambda x: flip_hex(x, "prev"))
        self.assertBroken(5, 3, "hash_mismatch", "--from", "6", records=0, head=0)

    def test_from_checks_headers_after_the_start(self):
        self.edit_line(9, 1, lambda x: dumps(self.w.header(9, "ee" * 32)))
        self.assertBroken(9, 1, "prev_mismatch", "--from", "6", records=3, head=8)
        self.assertIntact("--from", "9", records=2, head=10)  # before the start: no expectation

    # Usage errors: exit 2, nothing on stdout.
    def test_usage_errors(self):
        bad_key = os.path.join(self.state, "bad")
        with open(bad_key, "w") as f:
            f.write("xyz")
        for args in (["--pubkey", bad_key, self.store],
                     ["--pubkey", os.path.join(self.state, "none"), self.store],
                     [os.path.join(self.state, "nowhere")], ["--from", "0", self.store],
                     ["--from", "x", self.store], []):
            with self.subTest(args=args):
                self.run_verifier(*args, rc=2)
        os.remove(os.path.join(self.state, "keys", "evidence-ed25519.pub"))
        self.run_verifier(self.store, rc=2)


class ExportTest(Case):
    """A single file (section 6.3): an export, or one segment taken alone."""

    NAME = "export-2026-11.jsonl"

    def make_export(self, **header_extra) -> str:
        prev = "ab" * 32
        recs = self.w.chain(20, 25, prev)
        extra = {"since": "2026-11-01T00:00:00.000Z", "until": "2026-11-30T00:00:00.000Z",
                 "head_seq": 25, "head_hash": recs[-1]["hash"], "records": 6}
        extra.update(header_extra)
        extra = {k: v for k, v in extra.items() if v is not None}
        data = line(self.w.header(20, prev, "export", **extra)) + b"".join(map(line, recs))
        self.export_records = recs
        path = os.path.join(self.state, self.NAME)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def rewrite(self, path: str, data: bytes) -> str:
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_export_says_it_is_one(self):
        self.assertEqual(self.assertIntact(records=10, head=10)["source"], "store")
        self.assertEqual(self.assertIntact(records=6, head=25, path=self.make_export())["source"],
                         "export")
        os.rename(self.seg(5), os.path.join(self.state, "copy.jsonl"))
        r = self.assertIntact(records=4, head=8, path=os.path.join(self.state, "copy.jsonl"))
        self.assertEqual(r["source"], "segment")
        self.rewrite(os.path.join(self.state, "copy.jsonl"), b"{}\n")
        self.assertIsNone(self.run_verifier(os.path.join(self.state, "copy.jsonl"), rc=1)["source"])

    def test_export_cut_at_every_line(self):
        path = self.make_export()
        with open(path, "rb") as f:
            data = f.read()
        ends = [i + 1 for i, c in enumerate(data) if c == ord("\n")]
        for n, end in enumerate(ends[:-1], start=1):  # n whole lines kept
            with self.subTest(lines=n):
                self.rewrite(path, data[:end])
                r = self.assertBroken(self.NAME, 1, "missing_records", records=n - 1,
                                      head=18 + n if n > 1 else 0, path=path)
                self.assertEqual(r["source"], "export")
                self.assertIn("seq 25", r["detail"])
        for cut in (0, 1, ends[0] - 1, ends[0] + 1, ends[2] + 40, len(data) - 1):
            with self.subTest(cut=cut):
                self.rewrite(path, data[:cut])
                r = self.run_verifier(path, rc=1)
                reason = "header_invalid" if cut < ends[0] else "torn_tail"
                self.assertEqual((r["file"], r["reason"]), (self.NAME, reason), r)

    def test_export_end_must_be_the_named_record(self):
        path = self.make_export()
        with open(path, "rb") as f:
            data = f.read()
        extra = self.w.record(26, self.export_records[-1]["hash"])
        self.rewrite(path, data + line(extra))
        self.assertBroken(self.NAME, 8, "header_mismatch", records=6, head=25, path=path)
        self.make_export(head_hash="cd" * 32)
        self.assertBroken(self.NAME, 7, "header_mismatch", records=5, head=24, path=path)
        # A header naming an earlier end: the records past it are not committed to.
        self.make_export(head_seq=24, records=5, head_hash=self.export_records[-2]["hash"])
        self.assertBroken(self.NAME, 7, "header_mismatch", records=5, head=24, path=path)
        self.make_export(head_seq=24, records=5)  # ... and with another record's hash
        self.assertBroken(self.NAME, 6, "header_mismatch", records=4, head=23, path=path)

    def test_export_header_end_shape(self):
        for extra in ({"head_seq": None}, {"head_hash": None}, {"records": None},
                      {"records": 5}, {"head_seq": 19, "records": 0}, {"head_hash": "AB" * 32},
                      {"head_seq": True}):
            with self.subTest(extra=extra):
                self.assertBroken(self.NAME, 1, "header_invalid", records=0, head=0,
                                  path=self.make_export(**extra))
        # A segment header must not carry them.
        self.edit_line(5, 1, lambda x: dumps(self.w.header(5, self.records[4]["hash"],
                                                           head_seq=8, records=4,
                                                           head_hash="ab" * 32)))
        self.assertBroken(5, 1, "header_invalid", records=4, head=4)

    def test_export_cut_with_from(self):
        path = self.make_export()
        with open(path, "rb") as f:
            data = f.read()
        ends = [i + 1 for i, c in enumerate(data) if c == ord("\n")]
        self.rewrite(path, data[:ends[4]])  # records 20..23
        self.assertBroken(self.NAME, 1, "missing_records", "--from", "22", records=2, head=23,
                          path=path)
        self.assertBroken(self.NAME, None, "missing_records", "--from", "24", records=0,
                          head=0, path=path)

    def test_export_without_pubkey(self):
        path = self.make_export()
        r = self.assertIntact(records=6, head=25, path=path)
        self.assertIn("integrity", r["detail"])  # says it only proves integrity

    def test_export_with_pubkey(self):
        path = self.make_export()
        key = self.write_key(os.path.join(self.state, "k"), self.w.pub)
        r = self.assertIntact("--pubkey", key, records=6, head=25, path=path)
        self.assertIsNone(r["detail"])
        other = self.write_key(os.path.join(self.state, "o"), Writer().pub)
        self.assertBroken("export-2026-11.jsonl", 1, "key_mismatch", "--pubkey", other,
                          records=0, head=0, path=path)

    def test_export_tampered(self):
        path = self.make_export()
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(replace_once(data, b"record 22", b"record 23"))
        self.assertBroken("export-2026-11.jsonl", 4, "hash_mismatch", records=2, head=21,
                          path=path)

    def test_export_header_without_since(self):
        path = self.make_export(since=None)
        self.assertBroken("export-2026-11.jsonl", 1, "header_invalid", path=path)

    def test_export_from(self):
        self.assertIntact("--from", "24", records=2, head=25, path=self.make_export())

    def test_segment_alone(self):
        # Segment 5 alone: its header sets E and P; no missing_records, any file name.
        os.rename(self.seg(5), os.path.join(self.state, "copy.jsonl"))
        self.assertIntact(records=4, head=8, path=os.path.join(self.state, "copy.jsonl"))
        self.put(9, self.get(9)[:-5])
        self.assertBroken(seg_name(9), 3, "torn_tail", records=1, head=9, path=self.seg(9))

    def test_empty_file(self):
        path = os.path.join(self.state, "empty.jsonl")
        open(path, "wb").close()
        self.assertBroken("empty.jsonl", 1, "header_invalid", records=0, head=0, path=path)


class CanonTest(unittest.TestCase):
    """canon() of section 2 on tricky values."""

    def test_strings(self):
        cases = {
            "\x00\x01\x08\t\n\x0b\x0c\r\x1f": b'"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f"',
            '"\\/': b'"\\"\\\\/"',
            "\x7f": b'"\x7f"',
            "\u2028\u2029": b'"\xe2\x80\xa8\xe2\x80\xa9"',
            "\u00e9\u4e2d": "\"\u00e9\u4e2d\"".encode(),
            "\U0001f600": b'"\xf0\x9f\x98\x80"',
            "\ufeff": b'"\xef\xbb\xbf"',
        }
        for value, expected in cases.items():
            with self.subTest(value=value):
                self.assertEqual(ve.canon(value), expected)
                obj, dups = ve.parse_line(b'{"k":' + expected + b"}")
                self.assertEqual((obj, dups), ({"k": value}, []))

    def test_key_order_utf16(self):
        # U+E000 < U+1F600 by code point, but U+1F600 is D83D DE00 in UTF-16: it sorts first.
        self.assertEqual(ve.canon({"\ue000": 1, "\U0001f600": 2}),
                         '{"\U0001f600":2,"\ue000":1}'.encode())
        self.assertEqual(ve.canon({"b": 1, "a": {"d": [], "c": {}}, "": None, "aa": True,
                                   "B": False}),
                         b'{"":null,"B":false,"a":{"c":{},"d":[]},"aa":true,"b":1}')

    def test_numbers(self):
        self.assertEqual(ve.canon([0, -1, 2**53 - 1, -(2**53 - 1), True, False]),
                         b"[0,-1,9007199254740991,-9007199254740991,true,false]")
        for bad in (2**53, -(2**53), 1.5, 1.0, float("nan")):
            with self.subTest(bad=bad):
                self.assertRaises(ve.Malformed, ve.canon, bad)
        for text in (b'{"n":1.0}', b'{"n":1e2}', b'{"n":9007199254740992}',
                     b'{"n":' + b"1" * 5000 + b"}", b'{"n":Infinity}', b'{"n":-Infinity}'):
            with self.subTest(text=text[:30]):
                self.assertRaises(ve.Malformed, ve.parse_line, text)

    def test_surrogates(self):
        self.assertRaises(ve.Malformed, ve.canon, "\ud800")
        self.assertRaises(ve.Malformed, ve.canon, {"\udfff": 1})
        obj, _ = ve.parse_line(b'{"k":"\\ud83d\\ude00"}')  # a valid pair, escaped
        self.assertEqual(ve.canon(obj), '{"k":"\U0001f600"}'.encode())
        lone, _ = ve.parse_line(b'{"k":"\\ud83d"}')  # json accepts it; canon() refuses it
        self.assertRaises(ve.Malformed, ve.canon, lone)
        self.assertRaises(ve.Malformed, ve.parse_line, b'{"k":"\xed\xa0\xbd"}')

    def test_duplicates_and_shape(self):
        obj, dups = ve.parse_line(b'{"a":1,"a":2}')
        self.assertEqual((obj, dups), ({"a": 2}, ["a"]))
        self.assertRaises(ve.Malformed, ve.parse_line, b"[1]")
        self.assertRaises(ve.Malformed, ve.parse_line, b'\xef\xbb\xbf{}')  # BOM
        self.assertRaises(ve.Malformed, ve.parse_line, b"[" * 100000 + b"]" * 100000)

    def test_writer_agrees(self):
        # The test writer's json.dumps form is canon() for the records it writes.
        r = Writer().record(1, ZERO)
        self.assertEqual(dumps(r), ve.canon(r))


if __name__ == "__main__":
    unittest.main()
