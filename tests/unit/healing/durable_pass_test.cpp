// A live pass's durability, end to end on the library: the real Guards (write-ahead intents),
// the pass's PendingSyncs, cycle::healRecorder, and the evidence writer on a storage that knows
// what a power cut would keep. Each heal record is written at once and made durable by the flush
// the next action pays before its change anyway (with that action's intent and backup: one
// flush for all): a record is durable before the next action changes anything, and the last one
// before the pass ends (Writer::commitLater).
#include <catch2/catch.hpp>

#include "cycle/healing_session.h"
#include "evidence/verifier.h"
#include "evidence/writer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"
#include "healing/healer.h"
#include "rules/loader.h"
#include "support/temp_dir.h"

namespace {

int utcMinute(core::Clock::WallTime t) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<int>((secs / 60) % (24 * 60));
}

// Heal records a power cut now would keep.
int durableHeals(const fakes::FakeEvidenceStorage& storage) {
  int n = 0;
  const auto listed = storage.list();
  for (const auto& f : *listed) {
    const std::string text = storage.durableBytes(f.name);
    for (std::size_t pos = text.find('\n'); pos != std::string::npos && pos + 1 < text.size();) {
      const auto end = text.find('\n', pos + 1);
      if (end == std::string::npos) break;
      auto r = evidence::parseRecordLine(std::string_view(text).substr(pos + 1, end - pos - 1));
      if (r.ok() && r->kind == evidence::Kind::Heal) ++n;
      pos = end;
    }
  }
  return n;
}

// Acts as LiveExecutor does before a change (the flush of what is due before it), noting then
// how many heal records would survive a power cut. `fail_flush_at`: that action's flush fails.
struct ProbingExecutor final : healing::Executor {
  const fakes::FakeEvidenceStorage& storage;
  fakes::FakeEvidenceStorage* failing = nullptr;
  core::PendingSyncs& syncs;
  std::size_t fail_flush_at = 0;  // 1-based; 0: never
  std::vector<int> durable_at_change;
  ProbingExecutor(fakes::FakeEvidenceStorage& s, core::PendingSyncs& p) : storage(s), failing(&s), syncs(p) {}
  healing::ActionRecord execute(const rules::L1Rule& rule, const checks::Finding& f, const rules::Check&) override {
    if (durable_at_change.size() + 1 == fail_flush_at) failing->failNextSync();
    const bool flushed = syncs.flushBeforeChange().ok();
    durable_at_change.push_back(durableHeals(storage));
    healing::ActionRecord r;
    r.rule_id = rule.id;
    r.check_id = f.check_id;
    r.target = f.target;
    r.outcome = flushed ? healing::Outcome::Healed : healing::Outcome::Failed;
    return r;
  }
};

struct Pass {
  testsupport::TempDir dir;
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{4, 5, 6}};
  evidence::Provenance provenance{"site-1", "appliance-1", "live", "0.1.0", "rules-v", "cfg"};
  rules::RuleSet set;
  std::vector<checks::Finding> findings;
  core::PendingSyncs syncs;

  Pass() {
    auto loaded = rules::loadRuleSources(
        {{"p.yaml",
          "checks:\n"
          "  - {id: C-1, title: t, severity: low, hipaa: [x], probe: {type: file_exists, path: /etc/x}}\n"
          "rules:\n"
          "  - {id: R-1, name: n, tiers: [standard, full_coverage], actions: [{type: alert, message: m}],\n"
          "     match: [{field: check_id, op: eq, value: C-1}]}\n",
          ""}},
        rules::KnownTypes::all());
    if (!loaded.ok()) FAIL(loaded.error().format());
    set = std::move(*loaded);
    for (const char* target : {"/etc/a", "/etc/b", "/etc/c"}) {
      checks::Finding f;
      f.check_id = "C-1";
      f.target = target;
      f.status = checks::Status::Drifted;
      findings.push_back(f);
    }
  }
  std::unique_ptr<evidence::Writer> openWriter() {
    auto w = evidence::Writer::open(storage, signer, clock, provenance);
    REQUIRE(w.ok());
    return std::move(*w);
  }
  healing::Guards guards() {
    auto g = healing::Guards::load((dir.path() / "guards.json").string(), {}, clock, &utcMinute);
    REQUIRE(g.ok());
    g->deferWriteAheadSync(&syncs);
    return std::move(*g);
  }
};

}  // namespace

TEST_CASE("live pass: each heal record is durable before the next action changes anything, the last before the pass ends") {
  Pass p;
  auto writer = p.openWriter();
  // The cycle's start record, durable (the segment exists, as in every real run).
  REQUIRE(writer->appendDurable(evidence::Kind::Lifecycle, "agent", {{"event", "start"}}).ok());
  const int flushes_before = p.storage.syncCount();
  auto guards = p.guards();
  ProbingExecutor executor(p.storage, p.syncs);
  healing::HealOptions options;
  options.guards = &guards;
  options.on_record = cycle::healRecorder(*writer, p.findings, "agent", &p.syncs);
  const auto actions = healing::healFindings(p.findings, p.set, rules::Tier::Standard, executor, options);
  REQUIRE(actions.size() == 3);
  // Action k+1 changed the host with records 1..k durable: its own flush before the change
  // covered them (and its intent).
  CHECK(executor.durable_at_change == std::vector<int>{0, 1, 2});
  // The last one waits for the pass's last guard save, which makes it durable.
  CHECK(durableHeals(p.storage) == 2);
  REQUIRE(guards.save().ok());
  CHECK(durableHeals(p.storage) == 3);
  CHECK(p.syncs.size() == 0);
  // Each segment flush was one an action or the guards paid anyway: no heal record had a flush
  // of its own.
  CHECK(p.storage.syncCount() - flushes_before == 3);
  CHECK(writer->durableHead().seq == 4);
  CHECK(writer->pendingCount() == 0);

  // A power cut now loses nothing; the chain is whole.
  p.storage.powerCut();
  writer.reset();
  auto again = p.openWriter();
  CHECK(again->head().seq == 4);
  CHECK(again->recoveryFaults().empty());
  CHECK(evidence::verifyStore(p.storage, {p.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("live pass: a power cut between a heal and the next action loses only what was not promised") {
  Pass p;
  auto writer = p.openWriter();
  REQUIRE(writer->appendDurable(evidence::Kind::Lifecycle, "agent", {{"event", "start"}}).ok());
  const auto record = cycle::healRecorder(*writer, p.findings, "agent", &p.syncs);
  healing::ActionRecord healed;
  healed.rule_id = "R-1";
  healed.check_id = "C-1";
  healed.target = "/etc/a";
  healed.outcome = healing::Outcome::Healed;
  REQUIRE(record(healed));
  // Written, not yet durable: nothing has changed since, so nothing was promised.
  CHECK(writer->durableHead().seq == 1);
  SECTION("a cut before the next flush: the record is gone, the chain intact, a torn tail cut") {
    p.storage.powerCut(20);
    writer.reset();
    auto again = p.openWriter();
    CHECK(again->head().seq == 2);  // 1 + the recovery record of the torn tail
    REQUIRE(again->recoveryFaults().size() == 1);
    CHECK(again->recoveryFaults()[0].problem == evidence::Reason::TornTail);
    CHECK(durableHeals(p.storage) == 0);
    CHECK(evidence::verifyStore(p.storage, {p.signer.publicKey(), std::nullopt}).intact());
  }
  SECTION("a cut after the next action's flush before its change: the record is kept") {
    auto guards = p.guards();
    guards.beginAction("R-1", "/etc/b");
    REQUIRE(guards.saveWriteAhead().ok());
    CHECK(writer->durableHead().seq == 1);  // the intent is only logged: nothing changed yet
    REQUIRE(p.syncs.flushBeforeChange().ok());
    CHECK(writer->durableHead().seq == 2);
    p.storage.powerCut();
    writer.reset();
    auto again = p.openWriter();
    CHECK(again->head().seq == 2);
    CHECK(durableHeals(p.storage) == 1);
  }
  SECTION("a failed flush: the next change is not made, the record is written again by the next commit") {
    auto guards = p.guards();
    p.storage.failNextSync();
    guards.beginAction("R-1", "/etc/b");
    REQUIRE(guards.saveWriteAhead().ok());
    CHECK_FALSE(p.syncs.flushBeforeChange().ok());
    CHECK(guards.writeAheadFailed());
    CHECK(writer->durableHead().seq == 1);
    CHECK(writer->pendingCount() == 1);
    REQUIRE(writer->commit().ok());
    p.storage.powerCut();
    writer.reset();
    auto again = p.openWriter();
    CHECK(again->head().seq == 2);
    CHECK(durableHeals(p.storage) == 1);  // once: cut back, then written again
    CHECK(evidence::verifyStore(p.storage, {p.signer.publicKey(), std::nullopt}).intact());
  }
}

TEST_CASE("live pass: a failed flush before a change stops the pass and nothing more acts") {
  Pass p;
  auto writer = p.openWriter();
  REQUIRE(writer->appendDurable(evidence::Kind::Lifecycle, "agent", {{"event", "start"}}).ok());
  auto guards = p.guards();
  ProbingExecutor executor(p.storage, p.syncs);
  executor.fail_flush_at = 2;
  healing::HealOptions options;
  options.guards = &guards;
  options.on_record = cycle::healRecorder(*writer, p.findings, "agent", &p.syncs);
  const auto actions = healing::healFindings(p.findings, p.set, rules::Tier::Standard, executor, options);
  REQUIRE(actions.size() == 3);
  CHECK(executor.durable_at_change.size() == 2);  // the third never ran
  CHECK(actions[0].outcome == healing::Outcome::Healed);
  CHECK(actions[1].outcome == healing::Outcome::Failed);
  CHECK(actions[2].outcome == healing::Outcome::Suppressed);
  CHECK(actions[2].reason == "healing stopped: the guard state cannot be made durable");
  // The records cut back by the failed flush are written again by the pass's end.
  REQUIRE(guards.save().ok());
  REQUIRE(writer->commit().ok());
  CHECK(durableHeals(p.storage) == 3);
  CHECK(evidence::verifyStore(p.storage, {p.signer.publicKey(), std::nullopt}).intact());
}
