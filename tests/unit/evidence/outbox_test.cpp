#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "evidence/outbox.h"
#include "evidence/retention.h"
#include "evidence/verifier.h"
#include "evidence/writer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"
#include "fakes/fake_state_dir.h"
#include "support/temp_dir.h"

using nlohmann::json;

namespace {

struct Fixture {
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{5}};
  testsupport::TempDir dir;
  core::PosixStateDir state{outboxDir()};
  std::unique_ptr<evidence::Writer> writer;

  explicit Fixture(std::uint64_t segment_bytes = 1 << 20) {
    std::filesystem::create_directory(outboxDir());
    auto opened = evidence::Writer::open(storage, signer, clock, {"s", "a", "dry_run", "0.1.0", "r", "c"},
                                         {segment_bytes});
    REQUIRE(opened.ok());
    writer = std::move(opened.value());
  }
  std::uint64_t add(int n) {
    for (int i = 0; i < n; ++i) REQUIRE(writer->append(evidence::Kind::Finding, "agent", json{{"i", i}}).ok());
    return writer->commit()->seq;
  }
  std::string outboxDir() const { return (dir.path() / "outbox").string(); }
  std::size_t segmentCount() const { return storage.list()->size(); }
};

}  // namespace

TEST_CASE("the outbox hands out durable records in order and its cursor survives a restart") {
  Fixture fx(1500);
  const auto durable = fx.add(30);
  auto outbox = evidence::Outbox::open(fx.state, fx.storage);
  REQUIRE(outbox.ok());
  CHECK(outbox->ackedSeq() == 0);
  auto batch = outbox->nextBatch(10, 1 << 20, durable);
  REQUIRE(batch.ok());
  CHECK(batch->first_seq == 1);
  CHECK(batch->last_seq == 10);
  REQUIRE(batch->lines.size() == 10);
  CHECK(evidence::parseRecordLine(batch->lines[3].substr(0, batch->lines[3].size() - 1))->seq == 4);

  // Not past the durable head, even if more is on disk.
  CHECK(outbox->nextBatch(100, 1 << 20, 5)->last_seq == 5);
  // A byte budget stops a batch early but never returns an empty one.
  CHECK(outbox->nextBatch(100, 1, durable)->lines.size() == 1);

  REQUIRE(outbox->acknowledge(10, durable).ok());
  REQUIRE(outbox->acknowledge(4, durable).ok());  // late duplicate ack: no step back
  CHECK(outbox->ackedSeq() == 10);
  auto ahead = outbox->acknowledge(durable + 1, durable);
  REQUIRE_FALSE(ahead.ok());
  CHECK(ahead.error().code == evidence::OutboxErrc::Ahead);

  auto reopened = evidence::Outbox::open(fx.state, fx.storage);
  REQUIRE(reopened.ok());
  CHECK(reopened->ackedSeq() == 10);
  auto next = reopened->nextBatch(1000, 1 << 20, durable);
  CHECK(next->first_seq == 11);
  CHECK(next->last_seq == 30);
}

TEST_CASE("a cursor that does not match this chain counts as nothing acknowledged") {
  Fixture fx(1500);
  const auto durable = fx.add(30);
  {
    auto outbox = evidence::Outbox::open(fx.state, fx.storage);
    REQUIRE(outbox->acknowledge(20, durable).ok());
  }
  CHECK(evidence::Outbox::open(fx.state, fx.storage)->ackedSeq() == 20);
  // Another store (or a restored one) under the same cursor: seq 20 has another hash there.
  std::ofstream(fx.outboxDir() + "/cursor.json", std::ios::trunc)
      << "{\"acked_seq\":20,\"acked_hash\":\"" << std::string(64, 'e') << "\"}";
  auto reopened = evidence::Outbox::open(fx.state, fx.storage);
  REQUIRE(reopened.ok());
  CHECK(reopened->ackedSeq() == 0);
  CHECK(reopened->cursorProblem().find("seq 20") != std::string::npos);
  // ... so retention prunes nothing on its word.
  fx.clock.advance(std::chrono::hours(24 * 200));
  auto r = evidence::applyRetention(fx.storage, *fx.writer, reopened->ackedSeq(), fx.clock.wallNow(), {90, 1 << 30});
  REQUIRE(r.ok());
  CHECK(r->pruned.empty());
}

TEST_CASE("a damaged cursor is an error that names the file, not a silent reset") {
  Fixture fx;
  REQUIRE(evidence::Outbox::open(fx.state, fx.storage).ok());
  std::ofstream(fx.outboxDir() + "/cursor.json") << "{\"acked_seq\": -3}";
  auto bad = evidence::Outbox::open(fx.state, fx.storage);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == evidence::OutboxErrc::Invalid);
  CHECK(bad.error().message.find("cursor.json") != std::string::npos);
}

TEST_CASE("a cursor that cannot be saved or read: an error, and the cursor does not move") {
  Fixture fx;
  const auto durable = fx.add(10);
  fakes::FakeStateDir state;
  auto outbox = evidence::Outbox::open(state, fx.storage);
  REQUIRE(outbox.ok());
  REQUIRE(outbox->acknowledge(4, durable).ok());
  REQUIRE(state.content(evidence::kCursorFile));
  CHECK(json::parse(*state.content(evidence::kCursorFile))["acked_seq"] == 4);

  state.failNextReplaces(1);
  auto failed = outbox->acknowledge(8, durable);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == evidence::OutboxErrc::Io);
  CHECK(failed.error().message.find("fake-state/cursor.json: No space left on device") != std::string::npos);
  CHECK(outbox->ackedSeq() == 4);  // not acknowledged in memory what is not saved
  CHECK(json::parse(*state.content(evidence::kCursorFile))["acked_seq"] == 4);
  REQUIRE(outbox->acknowledge(8, durable).ok());
  CHECK(evidence::Outbox::open(state, fx.storage)->ackedSeq() == 8);

  // A cursor that exists but cannot be read is not "nothing acknowledged" (which would resend
  // everything and let nothing be pruned): it is an error.
  state.failReads(true);
  auto unreadable = evidence::Outbox::open(state, fx.storage);
  REQUIRE_FALSE(unreadable.ok());
  CHECK(unreadable.error().code == evidence::OutboxErrc::Io);
  CHECK(unreadable.error().message.find("cursor.json") != std::string::npos);
}

TEST_CASE("retention prunes only old, acknowledged segments, records it first, and the chain still verifies") {
  Fixture fx(1500);
  fx.add(30);
  const std::size_t before = fx.segmentCount();
  REQUIRE(before >= 4);
  fx.clock.advance(std::chrono::hours(24 * 91));
  evidence::RetentionPolicy policy{90, 1 << 30};

  SECTION("nothing acknowledged: nothing pruned") {
    auto r = evidence::applyRetention(fx.storage, *fx.writer, 0, fx.clock.wallNow(), policy);
    REQUIRE(r.ok());
    CHECK(r->pruned.empty());
    CHECK(fx.segmentCount() == before);
  }
  SECTION("not old enough: nothing pruned") {
    auto r = evidence::applyRetention(fx.storage, *fx.writer, 30, fx.clock.wallNow() - std::chrono::hours(24 * 2),
                                      policy);
    REQUIRE(r.ok());
    CHECK(r->pruned.empty());
  }
  SECTION("acknowledged up to the middle: the prefix goes, the rest stays") {
    auto r = evidence::applyRetention(fx.storage, *fx.writer, 12, fx.clock.wallNow(), policy);
    REQUIRE(r.ok());
    REQUIRE_FALSE(r->pruned.empty());
    for (const auto& name : r->pruned) {
      CHECK_FALSE(fx.storage.has(name));
      CHECK(evidence::segmentSeq(name) <= 12);
    }
    auto v = evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt});
    CHECK(v.intact());
    CHECK(v.first_seq > 1);
  }
  SECTION("an interrupted prune (only the first removal took effect) still verifies") {
    const auto listed = fx.storage.list();
    std::vector<std::string> names;
    for (const auto& f : *listed) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    std::map<std::string, std::string> saved;
    for (const auto& n : names) saved[n] = *fx.storage.read(n);
    auto r = evidence::applyRetention(fx.storage, *fx.writer, 31, fx.clock.wallNow(), policy);
    REQUIRE(r.ok());
    REQUIRE(r->pruned.size() >= 2);
    // Put back every removed segment but the first, as if the crash came after one removal.
    for (std::size_t i = 1; i < r->pruned.size(); ++i) {
      auto file = fx.storage.create(r->pruned[i]);
      REQUIRE(file.ok());
      REQUIRE((*file)->append(saved[r->pruned[i]]).ok());
    }
    auto v = evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt});
    CHECK(v.intact());
    CHECK(v.first_seq == evidence::segmentSeq(names[1]));
  }
  SECTION("everything acknowledged: the newest segment stays") {
    auto r = evidence::applyRetention(fx.storage, *fx.writer, 31, fx.clock.wallNow(), policy);
    REQUIRE(r.ok());
    CHECK(fx.segmentCount() >= 1);
    CHECK(r->pruned.size() == before - 1);
    CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
  }
}

TEST_CASE("above the disk cap nothing unacknowledged is removed and the cap is reported") {
  Fixture fx(1500);
  fx.add(30);
  const std::size_t before = fx.segmentCount();
  auto r = evidence::applyRetention(fx.storage, *fx.writer, 0, fx.clock.wallNow(), {90, 1000});
  REQUIRE(r.ok());
  CHECK(r->over_cap);
  CHECK(r->pruned.empty());
  CHECK(fx.segmentCount() == before);
}

TEST_CASE("a pruned start without its pruned record is reported as missing records") {
  Fixture fx(1500);
  fx.add(30);
  const auto listed = fx.storage.list();
  std::vector<std::string> names;
  for (const auto& f : *listed) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  REQUIRE(fx.storage.remove(names[0]).ok());
  auto v = evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt});
  REQUIRE(v.failure);
  CHECK(v.failure->reason == evidence::Reason::MissingRecords);
  CHECK(v.failure->file == names[1]);
}
