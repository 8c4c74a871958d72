#include <catch2/catch.hpp>

#include "evidence/cycle_recorder.h"
#include "evidence/verifier.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"
#include "support/temp_dir.h"

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
  testsupport::TempDir dir;
  std::unique_ptr<evidence::Writer> writer;
  Fixture() {
    auto w = evidence::Writer::open(storage, signer, clock, {"s", "a", "dry_run", "0.1.0", "r", "c"});
    REQUIRE(w.ok());
    writer = std::move(w.value());
  }
  std::string state() const { return (dir.path() / "recorded.json").string(); }
  evidence::CycleRecorded cycle(const std::vector<checks::Finding>& findings,
                                const std::vector<healing::ActionRecord>& actions = {}) {
    evidence::CycleFacts facts;
    facts.tier = "standard";
    facts.started = clock.wallNow();
    facts.rules_version = "v1";
    facts.rules_source = "shipped";
    auto r = evidence::recordCycle(*writer, state(), facts, findings, actions, clock.wallNow());
    REQUIRE(r.ok());
    return *r;
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
  CHECK(fx.kinds(first.first_seq, first.last_seq) == std::vector<std::string>{"rules", "snapshot", "heal", "cycle"});
  CHECK(first.findings_digest == evidence::findingsDigest(findings));

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
  const json body = evidence::healBody(a, nullptr);
  CHECK(body["steps"][0]["diff"].get<std::string>().size() <= evidence::kMaxDiffBytes);
  CHECK(body["steps"][0]["diff_truncated"] == true);
  CHECK(body["steps"][0]["diff_sha256"] == evidence::toHex(evidence::sha256(step.diff)));
  CHECK(body["after"].is_null());
  checks::Finding after;
  after.status = checks::Status::Compliant;
  after.actual = "no";
  a.after = after;
  const json acted = evidence::healBody(a, nullptr);
  CHECK(acted["after"]["status"] == "compliant");
  CHECK(acted["after"]["actual"] == "no");
}
