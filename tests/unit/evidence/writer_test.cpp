#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "evidence/retention.h"
#include "evidence/verifier.h"
#include "evidence/writer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"
#include "support/temp_dir.h"

using evidence::Kind;
using nlohmann::json;

namespace {

struct Fixture {
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{1, 2, 3}};
  evidence::Provenance provenance{"site-1", "appliance-1", "dry_run", "0.1.0", "rules-v", "cfg"};

  std::unique_ptr<evidence::Writer> open(evidence::WriterOptions options = {}) {
    auto w = evidence::Writer::open(storage, signer, clock, provenance, options);
    REQUIRE(w.ok());
    return std::move(*w);
  }
  evidence::Verdict verify(std::optional<std::uint64_t> from = std::nullopt) const {
    return evidence::verifyStore(storage, {signer.publicKey(), from});
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> names;
    const auto listed = storage.list();
    for (const auto& f : *listed) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    return names;
  }
};

void appendN(evidence::Writer& w, int n, int from = 0) {
  for (int i = 0; i < n; ++i) REQUIRE(w.append(Kind::Cycle, "agent", json{{"n", from + i}}).ok());
}

// The records of the store, as parsed lines, in order.
std::vector<evidence::ParsedRecord> records(const Fixture& fx) {
  std::vector<evidence::ParsedRecord> out;
  for (const auto& name : fx.segments()) {
    const std::string text = *fx.storage.read(name);
    std::size_t pos = text.find('\n') + 1;
    while (pos < text.size()) {
      const auto end = text.find('\n', pos);
      auto r = evidence::parseRecordLine(std::string_view(text).substr(pos, end - pos));
      REQUIRE(r.ok());
      out.push_back(std::move(*r));
      pos = end + 1;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the writer starts a genesis segment and chains records across reopenings") {
  Fixture fx;
  {
    auto w = fx.open();
    appendN(*w, 3);
    CHECK(w->durableHead().seq == 0);  // queued, not durable
    auto head = w->commit();
    REQUIRE(head.ok());
    CHECK(head->seq == 3);
  }
  CHECK(fx.segments() == std::vector<std::string>{"00000000000000000001.jsonl"});
  {
    auto w = fx.open();
    CHECK(w->recoveryFaults().empty());
    CHECK(w->head().seq == 3);
    appendN(*w, 2);
    REQUIRE(w->commit().ok());
  }
  auto verdict = fx.verify();
  CHECK(verdict.intact());
  CHECK(verdict.records == 5);
  CHECK(verdict.head.seq == 5);
  auto recs = records(fx);
  REQUIRE(recs.size() == 5);
  CHECK(recs[0].prev == evidence::kGenesisPrev);
  CHECK(recs[0].doc["site_id"] == "site-1");
  CHECK(recs[0].doc["rules_version"] == "rules-v");
  CHECK(recs[4].doc["body"]["n"] == 1);
}

TEST_CASE("segments rotate by size and stay one chain") {
  Fixture fx;
  auto w = fx.open({2000});
  appendN(*w, 40);
  REQUIRE(w->commit().ok());
  const auto names = fx.segments();
  CHECK(names.size() > 3);
  for (const auto& n : names) {
    auto text = *fx.storage.read(n);
    CHECK(text.size() <= 2000 + 400);  // a segment takes whole records only
    auto header = evidence::parseHeaderLine(text.substr(0, text.find('\n')));
    REQUIRE(header.ok());
    CHECK(header->fields.reason == (n == names.front() ? "genesis" : "rotation"));
    CHECK(evidence::segmentSeq(n) == header->fields.first_seq);
  }
  CHECK(fx.verify().intact());
  CHECK(fx.verify().records == 40);
}

TEST_CASE("a torn tail is cut at start-up and a recovery record says so") {
  Fixture fx;
  {
    auto w = fx.open();
    appendN(*w, 4);
    REQUIRE(w->commit().ok());
  }
  fx.storage.bytes("00000000000000000001.jsonl") += "{\"v\":1,\"seq\":5,\"pre";
  CHECK(fx.verify().failure->reason == evidence::Reason::TornTail);
  auto w = fx.open();
  REQUIRE(w->recoveryFaults().size() == 1);
  CHECK(w->recoveryFaults()[0].problem == evidence::Reason::TornTail);
  CHECK(w->recoveryFaults()[0].line == 6);
  CHECK(w->recoveryFaults()[0].bytes_cut == 19);
  CHECK(w->durableHead().seq == 5);  // the recovery record, durable before open() returned
  auto recs = records(fx);
  REQUIRE(recs.size() == 5);
  CHECK(recs[4].kind == Kind::Lifecycle);
  CHECK(recs[4].doc["body"]["event"] == "recovery");
  CHECK(recs[4].doc["body"]["faults"][0]["problem"] == "torn_tail");
  CHECK(fx.segments().size() == 1);  // a torn tail is not damage: same segment
  CHECK(fx.verify().intact());
}

TEST_CASE("damage in the middle is kept, reported, and the writer goes on in a new segment") {
  Fixture fx;
  {
    auto w = fx.open();
    appendN(*w, 5);
    REQUIRE(w->commit().ok());
  }
  std::string& text = fx.storage.bytes("00000000000000000001.jsonl");
  const std::string before = text;
  const auto pos = text.find("\"n\":1");  // record 2, line 3
  REQUIRE(pos != std::string::npos);
  text[pos + 4] = '7';
  const std::string damaged = text;
  auto w = fx.open();
  REQUIRE(w->recoveryFaults().size() == 1);
  CHECK(w->recoveryFaults()[0].problem == evidence::Reason::HashMismatch);
  CHECK(w->recoveryFaults()[0].line == 3);
  CHECK(w->head().seq == 6);
  CHECK(*fx.storage.read("00000000000000000001.jsonl") == damaged);  // never repaired
  REQUIRE(fx.segments() == (std::vector<std::string>{"00000000000000000001.jsonl", "00000000000000000006.jsonl"}));
  const std::string recovered = *fx.storage.read("00000000000000000006.jsonl");
  auto header = evidence::parseHeaderLine(recovered.substr(0, recovered.find('\n')));
  REQUIRE(header.ok());
  CHECK(header->fields.reason == "recovery");
  // Verification keeps naming the damage; the part after it verifies on its own.
  auto verdict = fx.verify();
  REQUIRE(verdict.failure);
  CHECK(verdict.failure->file == "00000000000000000001.jsonl");
  CHECK(verdict.failure->line == 3);
  CHECK(verdict.failure->reason == evidence::Reason::HashMismatch);
  CHECK(fx.verify(3).intact());
  // Reopening does not report the old damage again: the newest segment is clean.
  w.reset();
  CHECK(fx.open()->recoveryFaults().empty());
}

TEST_CASE("power cut: every record reported durable survives, and the chain verifies after") {
  for (std::size_t keep : {std::size_t{0}, std::size_t{37}, std::size_t{100000}}) {
    Fixture fx;
    std::uint64_t durable = 0;
    {
      auto w = fx.open({3000});
      appendN(*w, 25);
      durable = w->commit()->seq;
      appendN(*w, 7, 100);  // queued only
      fx.storage.powerCut(keep);
    }
    auto w = fx.open({3000});
    CHECK(w->durableHead().seq >= durable);
    auto recs = records(fx);
    REQUIRE(recs.size() >= durable);
    for (std::uint64_t i = 0; i < durable; ++i) CHECK(recs[i].doc["body"]["n"] == i);
    CHECK(fx.verify().intact());
  }
}

TEST_CASE("a full disk keeps records queued, loses nothing durable, and recovers when space returns") {
  Fixture fx;
  auto w = fx.open();
  appendN(*w, 3);
  REQUIRE(w->commit().ok());
  const std::string before = *fx.storage.read("00000000000000000001.jsonl");
  fx.storage.setCapacity(before.size() + 100);  // room for a fraction of the next batch
  appendN(*w, 5, 3);
  auto failed = w->commit();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == evidence::WriterErrc::NoSpace);
  CHECK(w->lastCommitError().has_value());
  CHECK(evidence::healthFlags(*w, false) == std::vector<std::string>{evidence::kDiskCapFlag});
  CHECK(w->durableHead().seq == 3);
  CHECK(w->pendingCount() == 5);
  CHECK(*fx.storage.read("00000000000000000001.jsonl") == before);  // the short write was cut back
  CHECK(fx.verify().intact());
  appendN(*w, 1, 8);  // the agent keeps running
  fx.storage.setCapacity(std::nullopt);
  auto head = w->commit();
  REQUIRE(head.ok());
  CHECK(head->seq == 9);
  CHECK_FALSE(w->lastCommitError().has_value());
  CHECK(evidence::healthFlags(*w, false).empty());
  CHECK(evidence::healthFlags(*w, true) == std::vector<std::string>{evidence::kDiskCapFlag});
  auto recs = records(fx);
  REQUIRE(recs.size() == 9);
  for (std::size_t i = 0; i < 9; ++i) CHECK(recs[i].doc["body"]["n"] == i);
  CHECK(fx.verify().intact());
}

TEST_CASE("a failed sync is retried with the same records") {
  Fixture fx;
  auto w = fx.open();
  appendN(*w, 2);
  REQUIRE(w->commit().ok());
  appendN(*w, 2, 2);
  fx.storage.failNextSync();
  CHECK_FALSE(w->commit().ok());
  CHECK(w->commit()->seq == 4);
  CHECK(records(fx).size() == 4);
  CHECK(fx.verify().intact());
}

TEST_CASE("concurrent writers share commits and the chain has no gaps or duplicates") {
  Fixture fx;
  auto w = fx.open({64 << 10});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&w, t] {
      for (int i = 0; i < 100; ++i) {
        auto head = w->appendDurable(Kind::Gateway, "agent", json{{"t", t}, {"i", i}});
        if (!head.ok()) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(w->durableHead().seq == 400);
  auto verdict = fx.verify();
  CHECK(verdict.intact());
  CHECK(verdict.records == 400);
}

TEST_CASE("a body the canonical form cannot carry is refused and the chain is untouched") {
  Fixture fx;
  auto w = fx.open();
  auto bad = w->append(Kind::Heal, "agent", json{{"ratio", 0.5}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == evidence::WriterErrc::Encoding);
  CHECK(w->head().seq == 0);
  REQUIRE(w->appendDurable(Kind::Heal, "agent", json{{"ratio_pct", 50}}).ok());
  CHECK(fx.verify().intact());
}

TEST_CASE("an empty segment left by a kill between creating it and writing its header is removed") {
  // Found by the crash harness (tests/crash): the writer must neither refuse to start nor stop
  // committing because of it.
  SECTION("the first segment of a fresh store") {
    Fixture fx;
    REQUIRE(fx.storage.create("00000000000000000001.jsonl").ok());
    REQUIRE(fx.storage.syncDir().ok());
    auto w = fx.open();
    REQUIRE(w->recoveryFaults().size() == 1);
    CHECK(w->recoveryFaults()[0].problem == evidence::Reason::TornTail);
    CHECK(w->recoveryFaults()[0].line == 1);
    CHECK(w->durableHead().seq == 1);  // the recovery record, in a new genesis segment
    CHECK(fx.verify().intact());
  }
  SECTION("a rotation of a running store") {
    Fixture fx;
    {
      auto w = fx.open();
      appendN(*w, 3);
      REQUIRE(w->commit().ok());
    }
    REQUIRE(fx.storage.create("00000000000000000004.jsonl").ok());
    auto w = fx.open();
    REQUIRE(w->recoveryFaults().size() == 1);
    appendN(*w, 2);
    REQUIRE(w->commit().ok());
    CHECK(fx.verify().intact());
    CHECK(fx.verify().records == 6);
  }
}

TEST_CASE("a write that cannot be cut back blocks appends until the cut succeeds") {
  Fixture fx;
  auto w = fx.open();
  appendN(*w, 2);
  REQUIRE(w->commit().ok());
  const std::string before = *fx.storage.read("00000000000000000001.jsonl");
  fx.storage.setCapacity(before.size() + 50);  // a short write of 50 bytes, then ENOSPC
  fx.storage.failNextTruncate();                // ... and the cut-back fails too
  appendN(*w, 2, 2);
  REQUIRE_FALSE(w->commit().ok());
  CHECK(fx.storage.read("00000000000000000001.jsonl")->size() == before.size() + 50);  // garbage still there
  fx.storage.setCapacity(std::nullopt);
  REQUIRE(w->commit().ok());  // cuts the garbage first, then writes
  auto recs = records(fx);
  REQUIRE(recs.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) CHECK(recs[i].doc["body"]["n"] == i);
  CHECK(fx.verify().intact());
}

TEST_CASE("a stray older record at the end does not move the head back") {
  Fixture fx;
  {
    auto w = fx.open();
    appendN(*w, 5);
    REQUIRE(w->commit().ok());
  }
  std::string& text = fx.storage.bytes("00000000000000000001.jsonl");
  const auto second = text.find('\n', text.find('\n') + 1) + 1;  // start of record 2's line
  text += text.substr(second, text.find('\n', second) + 1 - second);
  auto w = fx.open();
  REQUIRE(w->recoveryFaults().size() == 1);
  CHECK(w->recoveryFaults()[0].problem == evidence::Reason::SeqMismatch);
  CHECK(w->head().seq == 6);  // after 5, the highest intact seq: no seq is reused
  CHECK(fx.verify(6).intact());
}

TEST_CASE("a segment is named only once its header is synced") {
  Fixture fx;
  auto w = fx.open({1500});
  appendN(*w, 3);
  REQUIRE(w->commit().ok());
  const std::size_t segments = fx.segments().size();
  // A crash while making the next segment leaves at most its temporary, which the next start
  // removes; a power cut before the directory sync leaves nothing.
  appendN(*w, 30, 3);
  fx.storage.failNextSync();
  (void)w->commit();
  fx.storage.powerCut();
  w.reset();
  auto again = fx.open({1500});
  for (const auto& name : fx.segments()) {
    CHECK_FALSE(evidence::isSegmentTemp(name));
    auto text = *fx.storage.read(name);
    CHECK(evidence::parseHeaderLine(text.substr(0, text.find('\n'))).ok());
  }
  CHECK(fx.segments().size() >= segments);
  CHECK(fx.verify().intact());
}

TEST_CASE("a commit with others' pending syncs makes them durable with the record, also when nothing is queued") {
  testsupport::TempDir tmp;
  const auto other = tmp.write("host-file", "x");
  const int fd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  core::PendingSyncs syncs;
  REQUIRE(syncs.add(fd, core::PendingSyncs::Due::BeforeRecord).ok());
  ::close(fd);

  // The real segment file shares one flush with them (PosixStorage's AppendFile::syncWith).
  auto storage = evidence::PosixStorage::open((tmp.path() / "evidence").string(), true);
  REQUIRE(storage.ok());
  Fixture fx;
  auto w = evidence::Writer::open(**storage, fx.signer, fx.clock, fx.provenance);
  REQUIRE(w.ok());
  auto head = (*w)->appendDurable(Kind::Heal, "agent", json{{"n", 1}}, &syncs);
  REQUIRE(head.ok());
  CHECK(head->seq == 1);
  CHECK(syncs.size() == 0);

  const int file = ::open(other.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(syncs.add(file, core::PendingSyncs::Due::BeforeRecord).ok());
  ::close(file);
  REQUIRE((*w)->commit(&syncs).ok());  // nothing queued: the others are still flushed
  CHECK(syncs.size() == 0);

  // A storage without descriptors (the fake) flushes them apart, with the same result.
  auto fake = fx.open();
  core::PendingSyncs more;
  const int dir = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(more.add(dir, core::PendingSyncs::Due::BeforeRecord).ok());
  ::close(dir);
  REQUIRE(fake->appendDurable(Kind::Heal, "agent", json{{"n", 2}}, &more).ok());
  CHECK(more.size() == 0);
  CHECK_FALSE(fx.verify().failure.has_value());
}

TEST_CASE("commitLater: written at once, durable with the next flush of the syncs, a cut before loses only it") {
  Fixture fx;
  auto w = fx.open();
  core::PendingSyncs syncs;
  // No segment yet: there is nothing to append to, so this one is durable at once.
  REQUIRE(w->appendLater(Kind::Heal, "agent", json{{"n", 1}}, syncs).ok());
  CHECK(w->durableHead().seq == 1);
  CHECK(syncs.size() == 0);
  const int flushes = fx.storage.syncCount();
  auto head = w->appendLater(Kind::Heal, "agent", json{{"n", 2}}, syncs);
  REQUIRE(head.ok());
  CHECK(head->seq == 1);  // the durable head: 2 is written, not durable
  CHECK(w->pendingCount() == 1);
  CHECK(syncs.size() == 1);
  CHECK(fx.storage.syncCount() == flushes);  // no flush of its own
  const std::string segment = fx.segments().front();
  CHECK(std::count(fx.storage.bytes(segment).begin(), fx.storage.bytes(segment).end(), '\n') == 3);
  SECTION("a power cut before the flush") {
    fx.storage.powerCut();
    w.reset();
    auto again = fx.open();
    CHECK(again->head().seq == 1);
    CHECK(fx.verify().intact());
  }
  SECTION("the flush") {
    REQUIRE(syncs.flushBeforeChange().ok());
    CHECK(w->durableHead().seq == 2);
    CHECK(w->pendingCount() == 0);
    CHECK(syncs.size() == 0);
    // More records go after it, and a commit syncs them as usual.
    REQUIRE(w->appendDurable(Kind::Heal, "agent", json{{"n", 3}}).ok());
    fx.storage.powerCut();
    w.reset();
    auto again = fx.open();
    CHECK(again->head().seq == 3);
    CHECK(records(fx).size() == 3);
    CHECK(fx.verify().intact());
  }
  SECTION("a commit first: it makes them durable, and the flush then has nothing left to do") {
    REQUIRE(w->commit().ok());  // nothing queued, only written: a sync of the segment
    CHECK(w->durableHead().seq == 2);
    REQUIRE(syncs.flushBeforeChange().ok());
    fx.storage.powerCut();
    w.reset();
    CHECK(fx.open()->head().seq == 2);
  }
}

TEST_CASE("commitLater: records a failed commit cut back are never confirmed by a later flush") {
  Fixture fx;
  auto w = fx.open();
  core::PendingSyncs syncs;
  REQUIRE(w->appendDurable(Kind::Heal, "agent", json{{"n", 1}}).ok());
  REQUIRE(w->appendLater(Kind::Heal, "agent", json{{"n", 2}}, syncs).ok());
  REQUIRE(w->append(Kind::Heal, "agent", json{{"n", 3}}).ok());
  fx.storage.failNextSync();
  REQUIRE_FALSE(w->commit().ok());  // cut back to record 1; 2 and 3 queued again
  CHECK(w->pendingCount() == 2);
  // The segment's flush succeeds, but record 2 is no longer in it: the flush must fail.
  auto flushed = syncs.flushBeforeChange();
  REQUIRE_FALSE(flushed.ok());
  CHECK(w->durableHead().seq == 1);
  REQUIRE(w->commit().ok());
  fx.storage.powerCut();
  w.reset();
  auto again = fx.open();
  CHECK(again->head().seq == 3);
  const auto got = records(fx);
  REQUIRE(got.size() == 3);
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].seq == i + 1);
  CHECK(fx.verify().intact());
}

TEST_CASE("commitLater on the real directory: the segment is one pending entry, flushed with what the record needs") {
  testsupport::TempDir tmp;
  auto storage = evidence::PosixStorage::open((tmp.path() / "evidence").string(), true);
  REQUIRE(storage.ok());
  Fixture fx;
  auto w = evidence::Writer::open(**storage, fx.signer, fx.clock, fx.provenance);
  REQUIRE(w.ok());
  REQUIRE((*w)->appendDurable(Kind::Heal, "agent", json{{"n", 1}}).ok());
  core::PendingSyncs syncs;
  const int dir = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dir >= 0);
  REQUIRE(syncs.add(dir, core::PendingSyncs::Due::BeforeRecord).ok());  // a host change's directory
  ::close(dir);
  REQUIRE((*w)->appendLater(Kind::Heal, "agent", json{{"n", 2}}, syncs).ok());
  REQUIRE((*w)->appendLater(Kind::Heal, "agent", json{{"n", 3}}, syncs).ok());
  CHECK(syncs.size() == 3);
  CHECK((*w)->durableHead().seq == 1);
  REQUIRE(syncs.flushBeforeChange().ok());  // the next action's flush: all of it
  CHECK(syncs.size() == 0);
  CHECK((*w)->durableHead().seq == 3);
}
