#include <catch2/catch.hpp>

#include "cycle/cycle_recorder.h"
#include "evidence/verifier.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"
#include "fakes/fake_state_dir.h"

using nlohmann::json;

namespace {

checks::Finding finding(std::string id, std::string target, checks::Status status, std::string actual = "x") {
  checks::Finding f;
  f.check_id = std::move(id);
  f.target = std::move(target);
  f.status = status;
  f.expected = "y";
  f.actual = std::move(actual);
  f.hipaa = {"164.312(a)(1)"};
  return f;
}

struct Fixture {
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{3}};
  std::unique_ptr<evidence::Writer> writer;
  Fixture() {
    auto w = evidence::Writer::open(storage, signer, clock, {"s", "a", "dry_run", "0.1.0", "r", "c"});
    REQUIRE(w.ok());
    writer = std::move(w.value());
  }
  fakes::FakeStateDir state_dir;
  core::StateDir& state() { return state_dir; }
  cycle::CycleRecorded cycle(const std::vector<checks::Finding>& findings,
                                const std::vector<healing::ActionRecord>& actions = {}) {
    cycle::CycleFacts facts;
    facts.tier = "standard";
    facts.started = clock.wallNow();
    facts.rules_version = "v1";
    facts.rules_source = "shipped";
    auto r = cycle::recordCycle(*writer, state(), facts, findings, actions, clock.wallNow());
    REQUIRE(r.ok());
    return *r;
  }
  // The records seq first..last, as stored.
  std::vector<json> records(std::uint64_t first, std::uint64_t last) {
    std::vector<json> out;
    auto files = storage.list();
    REQUIRE(files.ok());
    for (const auto& file : *files) {
      if (file.name.size() < 6 || file.name.substr(file.name.size() - 6) != ".jsonl") continue;
      const std::string text = *storage.read(file.name);
      std::size_t pos = text.find('\n') + 1;
      while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        auto r = evidence::parseRecordLine(std::string_view(text).substr(pos, end - pos));
        REQUIRE(r.ok());
        if (r->seq >= first && r->seq <= last) out.push_back(r->doc);
        pos = end + 1;
      }
    }
    return out;
  }
  // The kinds of the records seq first..last.
  std::vector<std::string> kinds(std::uint64_t first, std::uint64_t last) {
    std::vector<std::string> out;
    const std::string text = *storage.read("00000000000000000001.jsonl");
    std::size_t pos = text.find('\n') + 1;
    while (pos < text.size()) {
      const auto end = text.find('\n', pos);
      auto r = evidence::parseRecordLine(std::string_view(text).substr(pos, end - pos));
      REQUIRE(r.ok());
      if (r->seq >= first && r->seq <= last) out.push_back(r->doc["kind"]);
      pos = end + 1;
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the first cycle records rules and a snapshot, later ones only what changed") {
  Fixture fx;
  std::vector<checks::Finding> findings{finding("A-1", "/etc/a", checks::Status::Compliant),
                                        finding("B-1", "/etc/b", checks::Status::Drifted)};
  healing::ActionRecord plan;
  plan.rule_id = "L1-B-1";
  plan.check_id = "B-1";
  plan.target = "/etc/b";
  plan.outcome = healing::Outcome::Planned;
  auto first = fx.cycle(findings, {plan});
  CHECK(first.snapshot);
  CHECK(first.changed == 0);
  CHECK(fx.kinds(first.first_seq, first.last_seq) == std::vector<std::string>{"rules", "heal", "snapshot", "cycle"});
  CHECK(first.findings_digest == cycle::findingsDigest(findings));

  auto same = fx.cycle(findings, {plan});
  CHECK_FALSE(same.snapshot);
  CHECK(fx.kinds(same.first_seq, same.last_seq) == std::vector<std::string>{"heal", "cycle"});

  findings[1].status = checks::Status::Compliant;
  auto fixed = fx.cycle(findings);
  CHECK(fixed.changed == 1);
  CHECK(fx.kinds(fixed.first_seq, fixed.last_seq) == std::vector<std::string>{"finding", "cycle"});

  fx.clock.advance(std::chrono::hours(25));
  auto daily = fx.cycle(findings);
  CHECK(daily.snapshot);
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("a target that is not valid UTF-8 is recorded, and not as a change every cycle") {
  Fixture fx;
  std::vector<checks::Finding> findings{finding("A-1", std::string("/srv/bin\xff"), checks::Status::Drifted)};
  fx.cycle(findings);
  auto again = fx.cycle(findings);
  CHECK(again.changed == 0);
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("a snapshot too big for one record is split into parts that all verify") {
  Fixture fx;
  std::vector<checks::Finding> findings;
  for (int i = 0; i < 3000; ++i) {
    findings.push_back(finding("SCAN-1", "/srv/files/" + std::to_string(i), checks::Status::Drifted,
                               std::string(400, 'a' + static_cast<char>(i % 26))));
  }
  auto r = fx.cycle(findings);
  CHECK(r.snapshot);
  const auto kinds = fx.kinds(r.first_seq, r.last_seq);
  CHECK(std::count(kinds.begin(), kinds.end(), "snapshot") >= 2);
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("a heal record cuts a huge diff and keeps the digest of the whole") {
  healing::ActionRecord a;
  a.rule_id = "L1-X";
  a.check_id = "X";
  a.target = "/etc/x";
  a.outcome = healing::Outcome::Planned;
  healing::StepRecord step;
  step.type = "set_config_value";
  step.diff = std::string(200 << 10, 'd');
  a.steps.push_back(step);
  const json body = cycle::healBody(a, nullptr);
  CHECK(body["steps"][0]["diff"].get<std::string>().size() <= cycle::kMaxDiffBytes);
  CHECK(body["steps"][0]["diff_truncated"] == true);
  CHECK(body["steps"][0]["diff_sha256"] == evidence::toHex(evidence::sha256(step.diff)));
  CHECK(body["after"].is_null());
  checks::Finding after;
  after.status = checks::Status::Compliant;
  after.actual = "no";
  a.after = after;
  const json acted = cycle::healBody(a, nullptr);
  CHECK(acted["after"]["status"] == "compliant");
  CHECK(acted["after"]["actual"] == "no");
}

namespace {

healing::ActionRecord action(std::string rule, std::string check, std::string target, healing::Outcome outcome) {
  healing::ActionRecord a;
  a.rule_id = std::move(rule);
  a.check_id = std::move(check);
  a.target = std::move(target);
  a.outcome = outcome;
  return a;
}

// The finding records among `records`, as "target status<-previous".
std::vector<std::string> changes(const std::vector<json>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    if (r["kind"] != "finding") continue;
    const auto& b = r["body"];
    out.push_back(b["target"].get<std::string>() + " " + b["status"].get<std::string>() + "<-" +
                  b["previous_status"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("each scan hit opens and closes its own episode, and a check that errs or does not run closes nothing") {
  Fixture fx;
  using S = checks::Status;
  fx.cycle({finding("SCAN-1", "/bin/a", S::Drifted), finding("SCAN-1", "/bin/b", S::Drifted),
            finding("OTHER-1", "/etc/o", S::Drifted)});

  // /bin/b is fixed: its own episode closes, naming the hit, not the scanned directory.
  auto fixed = fx.cycle({finding("SCAN-1", "/bin/a", S::Drifted), finding("OTHER-1", "/etc/o", S::Drifted)});
  const auto closed = fx.records(fixed.first_seq, fixed.last_seq);
  CHECK(changes(closed) == std::vector<std::string>{"/bin/b compliant<-drifted"});
  for (const auto& r : closed) {
    if (r["kind"] == "finding") {
      CHECK(r["body"]["details"]["reason"] == "no_longer_reported");
      CHECK(r["body"]["check_id"] == "SCAN-1");
      CHECK(r["body"]["hipaa"] == json::array({"164.312(a)(1)"}));
    }
  }

  // The scan stops in error: what it found before is unknown, not fixed; nothing closes. The
  // other check is no longer run at all (disabled): its drift is not called fixed either.
  auto erred = fx.cycle({finding("SCAN-1", "/", S::Error)});
  CHECK(changes(fx.records(erred.first_seq, erred.last_seq)) == std::vector<std::string>{"/ error<-"});

  // A clean scan with no hits: /bin/a closes (and the scan's error too); OTHER-1 stays open.
  auto clean = fx.cycle({finding("SCAN-1", "/", S::Compliant)});
  CHECK(changes(fx.records(clean.first_seq, clean.last_seq)) ==
        std::vector<std::string>{"/ compliant<-error", "/bin/a compliant<-drifted"});
  auto back = fx.cycle({finding("SCAN-1", "/", S::Compliant), finding("OTHER-1", "/etc/o", S::Drifted)});
  CHECK(back.changed == 0);  // OTHER-1 was carried as drifted while it did not run

  // A check disabled or gated (applies_if) reports one not_applicable finding under its usual
  // target, as the runner does: its earlier hits are not called fixed. Nor are they by a clean
  // scan that could not read some directories.
  fx.cycle({finding("SCAN-1", "/bin/c", S::Drifted), finding("OTHER-1", "/etc/o", S::Drifted)});
  auto gated = fx.cycle({finding("SCAN-1", "/", S::NotApplicable), finding("OTHER-1", "/etc/o", S::NotApplicable)});
  CHECK(changes(fx.records(gated.first_seq, gated.last_seq)) ==
        std::vector<std::string>{"/etc/o not_applicable<-drifted", "/ not_applicable<-"});
  auto partial = finding("SCAN-1", "/", S::Compliant);
  partial.details["unreadable_dirs"] = "1";
  auto blind = fx.cycle({partial});
  CHECK(changes(fx.records(blind.first_seq, blind.last_seq)) == std::vector<std::string>{"/ compliant<-not_applicable"});
  auto seen = fx.cycle({finding("SCAN-1", "/", S::Compliant)});
  CHECK(changes(fx.records(seen.first_seq, seen.last_seq)) == std::vector<std::string>{"/bin/c compliant<-drifted"});
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("a heal's effect is recorded in the cycle of the heal, after what the checks saw before it") {
  Fixture fx;
  using S = checks::Status;
  fx.cycle({finding("A-1", "/etc/a", S::Compliant)});

  cycle::CycleFacts facts;
  facts.tier = "standard";
  facts.rules_version = "v1";
  facts.heal_records_written = true;  // live: the heal record is written at the time of the action
  cycle::CycleRecorder recorder(*fx.writer, fx.state(), fx.clock.wallNow());
  const std::vector<checks::Finding> before{finding("A-1", "/etc/a", S::Drifted)};
  REQUIRE(recorder.observe(facts, before).ok());
  auto heal = action("L1-A-1", "A-1", "/etc/a", healing::Outcome::Healed);
  REQUIRE(fx.writer->append(evidence::Kind::Heal, "agent", cycle::healBody(heal, &before[0])).ok());
  const std::vector<checks::Finding> after{finding("A-1", "/etc/a", S::Compliant)};
  auto done = recorder.finish(facts, after, &before, {heal});
  REQUIRE(done.ok());
  const auto records = fx.records(done->first_seq, done->last_seq);
  std::vector<std::string> kinds;
  for (const auto& r : records) kinds.push_back(r["kind"]);
  CHECK(kinds == std::vector<std::string>{"finding", "heal", "finding", "cycle"});
  CHECK(changes(records) == std::vector<std::string>{"/etc/a drifted<-compliant", "/etc/a compliant<-drifted"});
  const json& cycle = records.back()["body"];
  CHECK(cycle["counts"]["compliant"] == 1);
  CHECK(cycle["counts"]["drifted"] == 0);
  CHECK(cycle["counts_before_healing"]["drifted"] == 1);
  CHECK(cycle["findings_digest"] == cycle::findingsDigest(after));
  CHECK(cycle["outcomes"]["healed"] == 1);

  // The next cycle starts from the re-checked state: nothing changed, nothing recorded.
  CHECK(fx.cycle(after).changed == 0);
}

TEST_CASE("an unchanged not_in_tier plan is recorded once, then again only when it changes or in a snapshot") {
  Fixture fx;
  using S = checks::Status;
  const std::vector<checks::Finding> findings{finding("B-1", "/etc/b", S::Drifted)};
  const auto heals = [&](const cycle::CycleRecorded& r) {
    const auto k = fx.kinds(r.first_seq, r.last_seq);
    return std::count(k.begin(), k.end(), "heal");
  };
  const auto quiet = action("L1-B-1", "B-1", "/etc/b", healing::Outcome::NotInTier);
  CHECK(heals(fx.cycle(findings, {quiet})) == 1);
  auto again = fx.cycle(findings, {quiet});
  CHECK(heals(again) == 0);
  // Still counted in the cycle record.
  CHECK(fx.records(again.last_seq, again.last_seq)[0]["body"]["outcomes"]["not_in_tier"] == 1);
  // Another rule now answers the drift: a new plan, recorded.
  CHECK(heals(fx.cycle(findings, {action("L1-B-2", "B-1", "/etc/b", healing::Outcome::NotInTier)})) == 1);
  // A planned action is always recorded (it is what the tier does about the drift).
  const auto planned = action("L1-B-2", "B-1", "/etc/b", healing::Outcome::Planned);
  CHECK(heals(fx.cycle(findings, {planned})) == 1);
  CHECK(heals(fx.cycle(findings, {planned})) == 1);
  // Back to not_in_tier: recorded (the last cycle's plan was another), then quiet again...
  CHECK(heals(fx.cycle(findings, {quiet})) == 1);
  CHECK(heals(fx.cycle(findings, {quiet})) == 0);
  // ...until the daily snapshot, which records every plan.
  fx.clock.advance(std::chrono::hours(25));
  auto daily = fx.cycle(findings, {quiet});
  CHECK(daily.snapshot);
  CHECK(heals(daily) == 1);
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());
}

TEST_CASE("the recorder's state: saved after the commit, a failed save named with its reason, a damaged one a snapshot") {
  Fixture fx;
  using S = checks::Status;
  auto first = fx.cycle({finding("A-1", "/etc/a", S::Drifted)});
  CHECK(first.snapshot);
  REQUIRE(fx.state_dir.content(cycle::kRecordedStateFile));
  const json saved = json::parse(*fx.state_dir.content(cycle::kRecordedStateFile));
  CHECK(saved["rules_version"] == "v1");
  CHECK(saved["statuses"].size() == 1);

  // The evidence is committed before the state is saved: a failed save is an error naming the
  // file and why (not a stale errno), and the records stay.
  fx.state_dir.failNextReplaces(1);
  cycle::CycleFacts facts;
  facts.tier = "standard";
  facts.rules_version = "v1";
  auto failed = cycle::recordCycle(*fx.writer, fx.state(), facts, {finding("A-1", "/etc/a", S::Compliant)}, {},
                                      fx.clock.wallNow());
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == cycle::RecordErrc::State);
  CHECK(failed.error().message == "cannot write fake-state/recorded.json: No space left on device (fake)");
  CHECK(json::parse(*fx.state_dir.content(cycle::kRecordedStateFile)) == saved);
  CHECK(evidence::verifyStore(fx.storage, {fx.signer.publicKey(), std::nullopt}).intact());

  // Damaged or unreadable: this cycle records a snapshot (all of it), never an error.
  fx.state_dir.put(cycle::kRecordedStateFile, "{not json");
  CHECK(fx.cycle({finding("A-1", "/etc/a", S::Compliant)}).snapshot);
  CHECK_FALSE(fx.cycle({finding("A-1", "/etc/a", S::Compliant)}).snapshot);
  fx.state_dir.failReads(true);
  CHECK(fx.cycle({finding("A-1", "/etc/a", S::Compliant)}).snapshot);
}
