#include <catch2/catch.hpp>

#include "evidence/verifier.h"
#include "evidence/writer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"

using evidence::Reason;

namespace {

const std::string kSeg1 = "00000000000000000001.jsonl";

struct Store {
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{9}};

  explicit Store(int records, std::uint64_t segment_bytes = 1 << 20) {
    auto w = evidence::Writer::open(storage, signer, clock, {"s", "a", "dry_run", "0.1.0", "r", "c"}, {segment_bytes});
    REQUIRE(w.ok());
    for (int i = 0; i < records; ++i) REQUIRE((*w)->append(evidence::Kind::Finding, "agent", {{"i", i}}).ok());
    REQUIRE((*w)->commit().ok());
  }
  evidence::Verdict verify(const evidence::PublicKey* key = nullptr) const {
    return evidence::verifyStore(storage, {key ? *key : signer.publicKey(), std::nullopt});
  }
  // Line `n` (1-based) of a segment, without its newline.
  std::string line(const std::string& seg, int n) {
    std::string& t = storage.bytes(seg);
    std::size_t pos = 0;
    for (int i = 1; i < n; ++i) pos = t.find('\n', pos) + 1;
    return t.substr(pos, t.find('\n', pos) - pos);
  }
  void setLine(const std::string& seg, int n, const std::string& text) {
    std::string& t = storage.bytes(seg);
    std::size_t pos = 0;
    for (int i = 1; i < n; ++i) pos = t.find('\n', pos) + 1;
    t.replace(pos, t.find('\n', pos) - pos, text);
  }
};

void expectBroken(const evidence::Verdict& v, const std::string& file, std::size_t line, Reason reason) {
  REQUIRE(v.failure);
  CHECK(v.failure->file == file);
  CHECK(v.failure->line == line);
  CHECK(evidence::toString(v.failure->reason) == evidence::toString(reason));
}

std::string replaceField(std::string line, const std::string& from, const std::string& to) {
  const auto pos = line.find(from);
  REQUIRE(pos != std::string::npos);
  return line.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("an intact store verifies, with its head") {
  Store s(6);
  auto v = s.verify();
  CHECK(v.intact());
  CHECK(v.records == 6);
  CHECK(v.first_seq == 1);
  CHECK(v.head.seq == 6);
}

TEST_CASE("tampering with a record names it: body, seq, ts, prev, hash, sig") {
  SECTION("body") {
    Store s(5);
    s.setLine(kSeg1, 4, replaceField(s.line(kSeg1, 4), "{\"i\":2}", "{\"i\":3}"));
    expectBroken(s.verify(), kSeg1, 4, Reason::HashMismatch);
  }
  SECTION("seq") {
    Store s(5);
    s.setLine(kSeg1, 4, replaceField(s.line(kSeg1, 4), "\"seq\":3", "\"seq\":4"));
    expectBroken(s.verify(), kSeg1, 4, Reason::HashMismatch);
  }
  SECTION("ts") {
    Store s(5);
    s.setLine(kSeg1, 3, replaceField(s.line(kSeg1, 3), "2026-01-01T00", "2026-01-01T01"));
    expectBroken(s.verify(), kSeg1, 3, Reason::HashMismatch);
  }
  SECTION("sig") {
    Store s(5);
    std::string l = s.line(kSeg1, 5);
    const auto pos = l.find("\"sig\":\"") + 7;
    l[pos] = l[pos] == 'a' ? 'b' : 'a';
    s.setLine(kSeg1, 5, l);
    expectBroken(s.verify(), kSeg1, 5, Reason::BadSignature);
  }
  SECTION("not canonical") {
    Store s(3);
    s.setLine(kSeg1, 2, replaceField(s.line(kSeg1, 2), "\"v\":1", "\"v\": 1"));
    expectBroken(s.verify(), kSeg1, 2, Reason::NotCanonical);
  }
  SECTION("malformed") {
    Store s(3);
    s.setLine(kSeg1, 3, "{\"v\":1}");
    expectBroken(s.verify(), kSeg1, 3, Reason::Malformed);
  }
}

TEST_CASE("deleting, duplicating or reordering records is named at the first record out of place") {
  SECTION("delete") {
    Store s(5);
    s.setLine(kSeg1, 3, "");
    auto& t = s.storage.bytes(kSeg1);
    t.erase(t.find("\n\n"), 1);
    expectBroken(s.verify(), kSeg1, 3, Reason::SeqMismatch);
  }
  SECTION("duplicate") {
    Store s(5);
    const std::string l = s.line(kSeg1, 3);
    s.setLine(kSeg1, 3, l + "\n" + l);
    expectBroken(s.verify(), kSeg1, 4, Reason::SeqMismatch);
  }
  SECTION("swap") {
    Store s(5);
    const std::string a = s.line(kSeg1, 3), b = s.line(kSeg1, 4);
    s.setLine(kSeg1, 3, b);
    s.setLine(kSeg1, 4, a);
    expectBroken(s.verify(), kSeg1, 3, Reason::SeqMismatch);
  }
}

TEST_CASE("a segment cut short in the middle of the chain, or a missing one, is named") {
  Store s(30, 1500);
  std::vector<std::string> names;
  const auto listed = s.storage.list();
  for (const auto& f : *listed) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 3);
  SECTION("mid-line cut") {
    auto& t = s.storage.bytes(names[1]);
    t.resize(t.size() - 10);
    const auto lines = static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
    expectBroken(s.verify(), names[1], lines + 1, Reason::TornTail);
  }
  SECTION("cut on a line boundary") {
    auto& t = s.storage.bytes(names[1]);
    t.resize(t.rfind('\n', t.size() - 2) + 1);
    expectBroken(s.verify(), names[2], 1, Reason::SeqMismatch);
  }
  SECTION("a whole segment removed") {
    REQUIRE(s.storage.remove(names[1]).ok());
    expectBroken(s.verify(), names[2], 1, Reason::SeqMismatch);
  }
  SECTION("the first segment removed, with no pruned record") {
    REQUIRE(s.storage.remove(names[0]).ok());
    expectBroken(s.verify(), names[1], 1, Reason::MissingRecords);
  }
}

TEST_CASE("another key is a key mismatch at the first header") {
  Store s(3);
  evidence::Ed25519Signer other(evidence::Seed{7});
  expectBroken(s.verify(&other.publicKey()), kSeg1, 1, Reason::KeyMismatch);
}

TEST_CASE("a single file verifies with its own key or a given one") {
  Store s(4);
  const std::string text = *s.storage.read(kSeg1);
  bool own = false;
  auto v = evidence::verifyFile("export.jsonl", text, std::nullopt, std::nullopt, &own);
  CHECK(v.intact());
  CHECK(own);
  CHECK(v.records == 4);
  evidence::Ed25519Signer other(evidence::Seed{7});
  auto wrong = evidence::verifyFile("export.jsonl", text, other.publicKey(), std::nullopt);
  expectBroken(wrong, "export.jsonl", 1, Reason::KeyMismatch);
}

TEST_CASE("timestamps: the exact form and a real date, years 0001-9999, far ones without a time point") {
  CHECK(evidence::isTimestamp("2026-11-28T09:00:00.123Z"));
  CHECK_FALSE(evidence::isTimestamp("2026-02-30T09:00:00.123Z"));
  CHECK_FALSE(evidence::isTimestamp("0000-01-01T00:00:00.000Z"));  // RFC 3339 years start at 0001
  CHECK_FALSE(evidence::isTimestamp("2026-11-28T09:00:00Z"));
  // Found by fuzz_evidence_verify: year 9999 overflowed system_clock's nanoseconds (UB).
  CHECK(evidence::isTimestamp("9999-12-31T23:59:59.999Z"));
  CHECK_FALSE(evidence::parseTimestamp("9999-12-31T23:59:59.999Z").has_value());
  CHECK_FALSE(evidence::parseTimestamp("0001-01-01T00:00:00.000Z").has_value());
  auto t = evidence::parseTimestamp("2026-11-28T09:00:00.123Z");
  REQUIRE(t);
  CHECK(evidence::formatTimestamp(*t) == "2026-11-28T09:00:00.123Z");
}

TEST_CASE("from SEQ starts a fresh chain at SEQ: it verifies what follows a removed record") {
  Store s(8);
  auto from = [&](std::uint64_t seq) { return evidence::verifyStore(s.storage, {s.signer.publicKey(), seq}); };
  auto& t = s.storage.bytes(kSeg1);
  const std::string removed = s.line(kSeg1, 5);  // seq 4
  t.erase(t.find(removed), removed.size() + 1);
  expectBroken(s.verify(), kSeg1, 5, Reason::SeqMismatch);
  auto v = from(5);
  CHECK(v.intact());
  CHECK(v.first_seq == 5);
  CHECK(v.records == 4);
  CHECK(v.head.seq == 8);
  expectBroken(from(4), kSeg1, 5, Reason::MissingRecords);  // the removed record: nothing to start from
  expectBroken(from(9), kSeg1, 0, Reason::MissingRecords);  // past the head
  // An unreadable line before SEQ is skipped; after the start it is reported.
  s.setLine(kSeg1, 3, s.line(kSeg1, 3) + "\nnot json");
  CHECK(from(5).intact());
  expectBroken(from(2), kSeg1, 4, Reason::Malformed);
}
