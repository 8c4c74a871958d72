// cycle::Agent on a real fixture root, through the composition root (prepare, start): what the
// daemon will do that `run --once` never did, several cycles in one object, on one Writer, one
// Guards and one lock.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "core/version.h"
#include "cycle/agent.h"
#include "cycle/evidence_session.h"
#include "evidence/keys.h"
#include "evidence/storage.h"
#include "evidence/record.h"
#include "evidence/verifier.h"
#include "fakes/fake_central_link.h"
#include "fakes/fake_state_dir.h"
#include "support/file_text.h"
#include "support/temp_dir.h"

namespace {

constexpr const char* kRules =
    "checks:\n"
    "  - id: T-001\n"
    "    title: /etc/shadow is at most 0640\n"
    "    severity: high\n"
    "    hipaa: [\"164.312(a)(1)\"]\n"
    "    probe: {type: file_mode, path: /etc/shadow, max_mode: \"0640\"}\n"
    "rules:\n"
    "  - id: L1-T-001\n"
    "    name: Tighten /etc/shadow\n"
    "    tiers: [standard, full_coverage]\n"
    "    match: [{field: check_id, op: eq, value: T-001}, {field: status, op: eq, value: drifted}]\n"
    "    actions: [{type: set_file_mode, path: /etc/shadow, max_mode: \"0640\"}]\n";

struct Site {
  testsupport::TempDir dir{"ca-cycle"};
  std::filesystem::path root = dir.path() / "root";
  std::filesystem::path state = dir.path() / "state";

  // `extra`: more agent.yaml, at the top level.
  explicit Site(bool live, const std::string& extra = "") {
    dir.write("root/etc/shadow", "root:*:19000:0:99999:7:::\n");
    plantDrift();
    dir.write("rules/t.yaml", kRules);
    dir.write("agent.yaml", "host_root: " + root.string() + "\nlive_state: \"off\"\nplatform: linux\nstate_dir: " +
                                state.string() + "\nrules:\n  dir: " + (dir.path() / "rules").string() +
                                "\nhealing:\n  dry_run: " + (live ? "false" : "true") +
                                "\n  writable_paths: [/etc/shadow]\n" + extra);
  }
  void plantDrift() const { REQUIRE(::chmod((root / "etc/shadow").c_str(), 0644) == 0); }
  unsigned mode() const {
    struct stat st {};
    REQUIRE(::stat((root / "etc/shadow").c_str(), &st) == 0);
    return st.st_mode & 07777;
  }
  config::AgentConfig config() const {
    config::Overrides o;
    o.config_file = (dir.path() / "agent.yaml").string();
    auto cfg = config::loadConfig(o, config::Environment{});
    INFO((cfg.ok() ? std::string() : cfg.error().message));
    REQUIRE(cfg.ok());
    return std::move(*cfg);
  }
  std::unique_ptr<cycle::Agent> start(const std::string& command = "test", const std::string& actor = "agent") const {
    auto f = cycle::prepare(config());
    INFO((f.ok() ? std::string() : f.error().message));
    REQUIRE(f.ok());
    auto a = cycle::Agent::start(std::move(*f), {command, actor});
    INFO((a.ok() ? std::string() : a.error().message));
    REQUIRE(a.ok());
    return std::move(*a);
  }
  // The kinds (and lifecycle events) of the store's records, in order; the chain verified.
  std::vector<std::string> records(bool with_actor = false) const {
    auto storage = evidence::PosixStorage::open((state / "evidence").string(), false);
    REQUIRE(storage.ok());
    auto key = evidence::readPublicKeyFile(evidence::publicKeyPath(state.string()));
    REQUIRE(key.ok());
    const auto verdict = evidence::verifyStore(**storage, {*key, std::nullopt});
    INFO((verdict.failure ? verdict.failure->detail : std::string()));
    REQUIRE(verdict.intact());
    std::vector<std::string> out;
    auto names = (*storage)->list();
    REQUIRE(names.ok());
    for (const auto& f : *names) {
      auto text = (*storage)->read(f.name);
      REQUIRE(text.ok());
      std::size_t pos = 0;
      for (std::size_t end; (end = text->find('\n', pos)) != std::string::npos; pos = end + 1) {
        auto r = evidence::parseRecordLine(std::string_view(*text).substr(pos, end - pos));
        if (!r.ok()) continue;  // the segment header
        std::string k(evidence::toString(r->kind));
        if (r->kind == evidence::Kind::Lifecycle) k += ":" + r->doc["body"].value("event", std::string());
        if (with_actor) k += " by " + r->doc.value("actor", std::string());
        out.push_back(k);
      }
    }
    return out;
  }
};

long count(const std::vector<std::string>& v, const std::string& what) { return std::count(v.begin(), v.end(), what); }

}  // namespace

TEST_CASE("one live agent runs cycle after cycle on one chain and one Guards: a drift back within the cooldown waits") {
  Site site(true);
  auto agent = site.start();
  auto first = agent->runCycle();
  REQUIRE_FALSE(first.stopped);
  REQUIRE(first.actions.size() == 1);
  CHECK(first.actions[0].outcome == healing::Outcome::Healed);
  CHECK(first.rechecked);
  REQUIRE(first.findings.size() == 1);
  CHECK(first.findings[0].status == checks::Status::Compliant);
  CHECK(site.mode() == 0640);

  // Nothing to do: no action, nothing re-checked.
  auto quiet = agent->runCycle();
  CHECK(quiet.actions.empty());
  CHECK_FALSE(quiet.rechecked);

  // The drift comes back while the agent lives: the same object sees it, and its guards (the
  // same ones, not reloaded: their files are gone from disk) remember the attempt of the first
  // cycle: the cooldown holds it.
  std::filesystem::remove(site.state / "guards.json");
  std::filesystem::remove(site.state / "guards.intents");
  site.plantDrift();
  auto again = agent->runCycle();
  REQUIRE(again.actions.size() == 1);
  CHECK(again.actions[0].outcome == healing::Outcome::Suppressed);
  CHECK(again.actions[0].reason.rfind("cooldown", 0) == 0);
  CHECK(again.findings.at(0).status == checks::Status::Drifted);
  CHECK(site.mode() == 0644);
  REQUIRE(agent->stop().ok());

  // One start and one stop for the agent's life, a cycle record per cycle, one chain.
  const auto recs = site.records();
  CHECK(count(recs, "lifecycle:start") == 1);
  CHECK(count(recs, "lifecycle:stop") == 1);
  CHECK(count(recs, "cycle") == 3);
  CHECK(count(recs, "heal") == 2);
  CHECK(recs.front() == "lifecycle:start");
  CHECK(recs.back() == "lifecycle:stop");
}

TEST_CASE("one dry-run agent plans in every cycle and changes nothing") {
  Site site(false);
  auto agent = site.start();
  for (int i = 0; i < 2; ++i) {
    auto c = agent->runCycle();
    REQUIRE(c.actions.size() == 1);
    CHECK(c.actions[0].outcome == healing::Outcome::Planned);
    CHECK_FALSE(c.rechecked);
    CHECK(c.findings.at(0).status == checks::Status::Drifted);
  }
  CHECK(site.mode() == 0644);
  REQUIRE(agent->stop().ok());
  CHECK(agent->stop().ok());  // a second stop writes nothing more
  CHECK(count(site.records(), "lifecycle:stop") == 1);
}

TEST_CASE("while an agent lives, its state_dir is its own: a second prepare is refused as busy") {
  Site site(false);
  auto agent = site.start();
  auto second = cycle::prepare(site.config());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().kind == cycle::ProblemKind::Busy);
  REQUIRE(agent->stop().ok());
  agent.reset();
  CHECK(cycle::prepare(site.config()).ok());
}

TEST_CASE("an operator's heal through the agent acts on the rule's drift only, then re-checks it") {
  Site site(true);
  auto agent = site.start("heal --rule L1-T-001", "uid:4242");
  const rules::L1Rule* rule = agent->rules().findRule("L1-T-001");
  REQUIRE(rule);
  auto other = agent->heal(*rule, std::string("/etc/other"));
  CHECK(other.findings.empty());
  CHECK(other.actions.empty());
  CHECK(site.mode() == 0644);
  auto healed = agent->heal(*rule, std::nullopt);
  REQUIRE(healed.actions.size() == 1);
  CHECK(healed.actions[0].outcome == healing::Outcome::Healed);
  CHECK(healed.rechecked);
  CHECK(healed.findings.at(0).status == checks::Status::Compliant);
  CHECK(site.mode() == 0640);
  REQUIRE(agent->stop().ok());
  const auto recs = site.records(true);
  CHECK(count(recs, "heal by uid:4242") == 1);
  CHECK(count(recs, "lifecycle:start by uid:4242") == 1);
  CHECK(count(recs, "lifecycle:stop by uid:4242") == 1);
}

TEST_CASE("a guard file that is not guard state stops the start: only the start record, the lock released") {
  Site site(true);
  std::filesystem::create_directories(site.state);
  REQUIRE(::chmod(site.state.c_str(), 0700) == 0);
  std::ofstream(site.state / "guards.json") << "not json";
  auto f = cycle::prepare(site.config());
  REQUIRE(f.ok());
  auto a = cycle::Agent::start(std::move(*f), {"test", "agent"});
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().kind == cycle::ProblemKind::Runtime);
  CHECK(a.error().message.find("guards.json") != std::string::npos);
  CHECK(site.records() == std::vector<std::string>{"lifecycle:start"});
  CHECK(site.mode() == 0644);
  CHECK(cycle::prepare(site.config()).ok());  // the failed start let go of state_dir
}

namespace {

constexpr const char* kConnected = "site_id: clinic-1\ncentral:\n  endpoint: \"unix:/nonexistent/central.sock\"\n";

checkin::v1::CheckInResponse answer(checkin::v1::Tier tier, std::vector<std::string> disabled = {}) {
  checkin::v1::CheckInResponse r;
  r.set_server_time_unix_ms(1'800'000'000'000);
  r.set_site_tier(tier);
  for (auto& id : disabled) r.add_disabled_checks(id);
  return r;
}

}  // namespace

TEST_CASE("a check-in tells central command who the appliance is and takes the site's tier for the next cycle") {
  Site site(false, kConnected);
  auto agent = site.start();
  auto link = std::make_unique<fakes::FakeCentralLink>();
  fakes::FakeCentralLink& fake = *link;
  agent->connect(std::move(link));
  CHECK(agent->config().rules.tier == config::Tier::Standard);

  fake.answerCheckIn(answer(checkin::v1::TIER_FULL_COVERAGE, {"T-001"}));
  const auto first = agent->checkIn();
  CHECK(first.attempted);
  CHECK_FALSE(first.error);
  CHECK(first.tier_before == config::Tier::Standard);
  CHECK(first.tier_after == config::Tier::FullCoverage);
  CHECK(agent->config().rules.tier == config::Tier::FullCoverage);
  REQUIRE(fake.checkIns().size() == 1);
  const auto& req = fake.checkIns()[0];
  CHECK(req.identity().site_id() == "clinic-1");
  CHECK_FALSE(req.identity().appliance_id().empty());
  CHECK(req.identity().agent_version() == core::kAgentVersion);
  CHECK(req.mode() == checkin::v1::MODE_DRY_RUN);
  CHECK(req.active_tier() == checkin::v1::TIER_STANDARD);
  CHECK(req.evidence_public_key().size() == 32);
  // The head is the last durable record: this first start's records are only queued yet.
  CHECK(req.has_evidence_head());  // present with seq 0: "no record yet" (central command requires it)
  CHECK(req.evidence_head().seq() == 0);
  CHECK(req.evidence_head().hash().empty());
  CHECK_FALSE(req.has_last_cycle());  // no cycle yet

  // The disabled check does not run in the next cycle; the cycle's counts go with the next check-in.
  const auto cycle = agent->runCycle();
  REQUIRE(cycle.findings.size() == 1);
  CHECK(cycle.findings[0].status == checks::Status::NotApplicable);
  fake.failCheckIn(checkin::LinkErrc::Unavailable, "CheckIn: connection refused");
  const auto second = agent->checkIn();
  REQUIRE(second.error);
  CHECK(second.error->kind == checkin::LinkErrc::Unavailable);
  CHECK(second.tier_after == config::Tier::FullCoverage);  // a failure changes nothing
  REQUIRE(fake.checkIns().size() == 2);
  CHECK(fake.checkIns()[1].active_tier() == checkin::v1::TIER_FULL_COVERAGE);
  REQUIRE(fake.checkIns()[1].has_last_cycle());
  CHECK(fake.checkIns()[1].last_cycle().not_applicable() == 1);
  CHECK(fake.checkIns()[1].last_cycle().evidence_seq() > 0);
  CHECK(fake.checkIns()[1].evidence_head().seq() >= fake.checkIns()[1].last_cycle().evidence_seq());
  CHECK(fake.checkIns()[1].evidence_head().hash().size() == 32);
  REQUIRE(agent->stop().ok());
  const auto kinds = site.records();
  CHECK(count(kinds, "checkin") == 2);

  // Kept for the next start: connected but not yet checked in, the agent runs the site's tier.
  const std::string kept = testsupport::slurp(site.state / "central.json");
  CHECK(kept.find("full_coverage") != std::string::npos);
  agent.reset();
  auto restarted = site.start();
  CHECK(restarted->config().rules.tier == config::Tier::FullCoverage);
  CHECK(restarted->config().checks.disabled == std::vector<std::string>{"T-001"});
}

TEST_CASE("central command's kept settings apply only while connected, and --tier still decides for its run") {
  {
    Site connected(false, kConnected);
    auto agent = connected.start();
    auto link = std::make_unique<fakes::FakeCentralLink>();
    link->answerCheckIn(answer(checkin::v1::TIER_FULL_COVERAGE));
    agent->connect(std::move(link));
    REQUIRE_FALSE(agent->checkIn().error);
    REQUIRE(agent->stop().ok());
    agent.reset();
    CHECK(connected.start()->config().rules.tier == config::Tier::FullCoverage);
    // The same state_dir for another site: the settings kept are not its own.
    const std::string yaml = testsupport::slurp(connected.dir.path() / "agent.yaml");
    const auto at = yaml.find(kConnected);
    REQUIRE(at != std::string::npos);
    std::string other = yaml;
    connected.dir.write("agent.yaml", other.replace(at, std::string("site_id: clinic-1").size(), "site_id: clinic-2"));
    CHECK(connected.start()->config().rules.tier == config::Tier::Standard);
    // The endpoint removed: a standalone appliance, the file decides.
    std::string standalone = yaml;
    connected.dir.write("agent.yaml", standalone.erase(at, std::string(kConnected).size()));
    CHECK(connected.start()->config().rules.tier == config::Tier::Standard);
  }
  config::AgentConfig base;
  base.rules.tier = config::Tier::Standard;
  base.checks.disabled = {"A", "B"};
  cycle::CentralSettings s;
  s.tier = config::Tier::FullCoverage;
  s.disabled_checks = {"B", "C"};
  const auto applied = cycle::withCentralSettings(base, s);
  CHECK(applied.rules.tier == config::Tier::FullCoverage);
  CHECK(applied.checks.disabled == std::vector<std::string>{"A", "B", "C"});
  base.origin.sources["rules.tier"] = "flag --tier";
  CHECK(cycle::withCentralSettings(base, s).rules.tier == config::Tier::Standard);
}

TEST_CASE("central.json round-trips, and a damaged one is an error naming the file") {
  fakes::FakeStateDir dir;
  auto none = cycle::loadCentralSettings(dir);
  REQUIRE(none.ok());
  CHECK_FALSE(*none);
  config::AgentConfig cfg;
  cfg.site_id = "clinic-9";
  cfg.central.endpoint = "unix:/run/c.sock";
  const auto s = cycle::settingsFrom(answer(checkin::v1::TIER_FULL_COVERAGE, {"Z", "A", "Z"}), cfg, 42);
  CHECK(s.site_id == "clinic-9");
  CHECK(s.endpoint == "unix:/run/c.sock");
  CHECK(s.disabled_checks == std::vector<std::string>{"A", "Z"});
  REQUIRE(cycle::saveCentralSettings(dir, s).ok());
  auto back = cycle::loadCentralSettings(dir);
  REQUIRE(back.ok());
  REQUIRE(*back);
  CHECK(**back == s);
  std::string text = *(*dir.read("central.json"));
  text.replace(text.find("full_coverage"), std::string("full_coverage").size(), "gold");
  REQUIRE(dir.replace("central.json", text).ok());
  auto bad = cycle::loadCentralSettings(dir);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find(dir.pathOf("central.json")) != std::string::npos);
  CHECK(bad.error().find("tier") != std::string::npos);
}
