// `heal` through the real binary: an operator's heal obeys the mode (plans in dry-run, acts
// live) and records the operator as actor; a pause stops run --once from acting until resumed.
#include <fstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

TEST_CASE("heal --rule plans in dry-run, heals live, and records the operator as actor") {
  FixtureHost host("linux", "LIN-SSH-004,LIN-KRN-001");
  const std::string cfg = host.config();
  CHECK(runAgent({"heal", "--config", cfg}).exit_code == 2);  // needs one of its forms
  CHECK(runAgent({"heal", "--rule", "L1-NOPE", "--config", cfg}).exit_code == 2);
  CHECK(runAgent({"heal", "--resume", "--until", "2h", "--config", cfg}).exit_code == 2);

  const std::string before = FixtureHost::treeHash(host.root());
  auto plan = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--json", "--config", cfg});
  INFO(plan.err);
  CHECK(plan.exit_code == 1);  // planned: the drift remains
  const json planned = json::parse(plan.out);
  REQUIRE(planned["actions"].size() == 1);
  CHECK(planned["actions"][0]["outcome"] == "planned");
  CHECK(FixtureHost::treeHash(host.root()) == before);
  // The operator's heal logs each action as a cycle does (the journal's fields come with it).
  CHECK(plan.err.find("LIN-SSH-004 on /etc/ssh/sshd_config: planned by L1-LIN-SSH-004") != std::string::npos);

  auto live = runAgent({"heal", "--rule", "L1-LIN-SSH-004", "--live", "--json", "--config", cfg});
  INFO(live.err);
  CHECK(live.exit_code == 0);
  const json healed = json::parse(live.out);
  REQUIRE(healed["actions"].size() == 1);
  CHECK(healed["actions"][0]["outcome"] == "healed");
  // Only that rule's drift: the sysctl drift is still there.
  auto check = runAgent({"check", "--json", "--config", cfg});
  const json found = json::parse(check.out);
  for (const auto& f : found["findings"]) {
    if (f["check_id"] == "LIN-SSH-004") CHECK(f["status"] == "compliant");
    if (f["check_id"] == "LIN-KRN-001") CHECK(f["status"] == "drifted");
  }
  auto tail = runAgent({"evidence", "tail", "-n", "100", "--json", "--config", cfg});
  const json records = json::parse(tail.out);
  bool operator_heal = false;
  for (const auto& r : records["records"]) {
    if (r["kind"] == "heal" && r["body"]["outcome"] == "healed") {
      operator_heal = true;
      CHECK(r["actor"] == "uid:" + std::to_string(::getuid()));
      CHECK(r["mode"] == "live");
    }
  }
  CHECK(operator_heal);
}

TEST_CASE("status is read-only: without a state_dir it shows the defaults and creates nothing") {
  FixtureHost host("linux", "none");
  const std::string state = (host.out / "no-state-yet").string();
  auto r = runAgent({"status", "--json", "--state-dir", state, "--config", host.config()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const json s = json::parse(r.out);
  CHECK(s["mode"] == "dry_run");
  CHECK(s["state_dir_exists"] == false);
  CHECK(s["healing"]["paused"] == false);
  CHECK(s["healing"]["guards"].empty());
  CHECK(s["evidence"]["segments"] == 0);
  CHECK(s["evidence"]["public_key"].is_null());
  CHECK(s["last_cycle"].is_null());
  CHECK_FALSE(std::filesystem::exists(state));
  // A guard file that is not guard state is a problem shown, with exit 3, never a reset.
  std::filesystem::create_directories(state);
  std::ofstream(state + "/guards.json") << "not json";
  auto bad = runAgent({"status", "--state-dir", state, "--config", host.config()});
  CHECK(bad.exit_code == 3);
  CHECK(bad.out.find("cannot read the guards") != std::string::npos);
  CHECK(bad.out.find("guards.json") != std::string::npos);
}

TEST_CASE("heal --pause stops live healing, recorded, until heal --resume") {
  FixtureHost host("linux", "LIN-KRN-001");
  const std::string cfg = host.config();
  CHECK(runAgent({"heal", "--pause", "--until", "yesterday", "--config", cfg}).exit_code == 2);
  REQUIRE(runAgent({"heal", "--pause", "--until", "2h", "--config", cfg}).exit_code == 0);
  const std::string before = FixtureHost::treeHash(host.root());
  auto paused = runAgent({"run", "--once", "--live", "--json", "--tier", "full_coverage", "--config", cfg});
  CHECK(paused.exit_code == 1);
  const json held = json::parse(paused.out);
  REQUIRE(held["actions"].size() == 1);
  CHECK(held["actions"][0]["outcome"] == "suppressed");
  CHECK(held["actions"][0]["reason"].get<std::string>().rfind("paused", 0) == 0);
  CHECK(FixtureHost::treeHash(host.root()) == before);
  // status shows the pause, its end and who paused, as a table and as JSON.
  auto shown = runAgent({"status", "--config", cfg});
  INFO(shown.out << shown.err);
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("PAUSED until 20") != std::string::npos);
  CHECK(shown.out.find("by uid:" + std::to_string(::getuid())) != std::string::npos);
  const json status = json::parse(runAgent({"status", "--json", "--config", cfg}).out);
  CHECK(status["healing"]["paused"] == true);
  CHECK(status["healing"]["pause_until"].is_string());
  CHECK(status["healing"]["paused_by"] == "uid:" + std::to_string(::getuid()));
  CHECK(status["last_cycle"]["outcomes"]["suppressed"] == 1);
  // An operator's heal obeys the pause too.
  auto op = runAgent({"heal", "--rule", "L1-LIN-KRN-001", "--live", "--json", "--config", cfg});
  CHECK(json::parse(op.out)["actions"][0]["outcome"] == "suppressed");

  REQUIRE(runAgent({"heal", "--resume", "--config", cfg}).exit_code == 0);
  auto resumed = runAgent({"run", "--once", "--live", "--json", "--tier", "full_coverage", "--config", cfg});
  CHECK(resumed.exit_code == 0);
  CHECK(json::parse(resumed.out)["actions"][0]["outcome"] == "healed");
  const json after = json::parse(runAgent({"status", "--json", "--config", cfg}).out);
  CHECK(after["healing"]["paused"] == false);
  CHECK(after["healing"]["actions_last_hour"] == 1);
  REQUIRE(after["healing"]["guards"].size() == 1);
  CHECK(after["healing"]["guards"][0]["rule_id"] == "L1-LIN-KRN-001");
  CHECK(after["healing"]["guards"][0]["target"] == "net.ipv4.ip_forward");
  CHECK(after["healing"]["guards"][0]["attempts"] == 1);
  CHECK(after["backups"]["files"].get<int>() >= 1);
  CHECK(after["last_cycle"]["outcomes"]["healed"] == 1);
  CHECK(after["evidence"]["head_seq"].get<int>() > 0);
  CHECK(after["evidence"]["public_key"] == runAgent({"evidence", "pubkey", "--config", cfg}).out.substr(0, 64));

  auto tail = runAgent({"evidence", "tail", "-n", "100", "--json", "--config", cfg});
  const json records = json::parse(tail.out);
  std::vector<std::string> events;
  for (const auto& r : records["records"]) {
    if (r["kind"] == "lifecycle" && (r["body"]["event"] == "pause" || r["body"]["event"] == "resume")) {
      events.push_back(r["body"]["event"]);
      CHECK(r["actor"].get<std::string>().rfind("uid:", 0) == 0);
    }
  }
  CHECK(events == std::vector<std::string>{"pause", "resume"});
  CHECK(runAgent({"evidence", "verify", "--config", cfg}).exit_code == 0);
}

TEST_CASE("under sudo the actor names the invoking user next to uid 0, and a user cannot claim another") {
  FixtureHost host("linux", "none");
  const std::string cfg = host.config();
  const bool root = ::getuid() == 0;
  REQUIRE(runAgent({"heal", "--pause", "--config", cfg}, {{"SUDO_UID", "1234"}}).exit_code == 0);
  REQUIRE(runAgent({"heal", "--resume", "--config", cfg}, {{"SUDO_UID", "12x"}}).exit_code == 0);
  const json records = json::parse(runAgent({"evidence", "tail", "-n", "20", "--json", "--config", cfg}).out);
  std::vector<std::string> actors;
  for (const auto& r : records["records"]) {
    if (r["kind"] == "lifecycle" && (r["body"]["event"] == "pause" || r["body"]["event"] == "resume")) {
      actors.push_back(r["actor"]);
    }
  }
  const std::string uid = "uid:" + std::to_string(::getuid());
  // Root through sudo: what sudo said is added. Anyone else: SUDO_UID is ignored. Not a number: ignored.
  CHECK(actors == std::vector<std::string>{root ? "uid:0 sudo_uid:1234" : uid, uid});
}

TEST_CASE("status shows what it can of a damaged last cycle record instead of failing") {
  FixtureHost host("linux", "LIN-KRN-001");
  const std::string cfg = host.config();
  REQUIRE(runAgent({"run", "--once", "--config", cfg}).exit_code == 1);
  // Damage the cycle record's body types (status does not verify: `evidence verify` does).
  const std::filesystem::path evidence = host.out / "state-agent" / "evidence";
  int damaged = 0;
  for (const auto& e : std::filesystem::directory_iterator(evidence)) {
    std::string text = testsupport::slurp(e.path());
    // Still canonical JSON (a line that is not would not even parse as a record).
    if (auto at = text.find("\"tier\":\"standard\""); at != std::string::npos) {
      text.replace(at, 17, "\"tier\":5");
      ++damaged;
    }
    if (auto at = text.find("\"outcomes\":{"); at != std::string::npos) {
      text.replace(at, text.find('}', at) + 1 - at, "\"outcomes\":[1]");
      ++damaged;
    }
    testsupport::spit(e.path(), text);
  }
  REQUIRE(damaged == 2);
  auto r = runAgent({"status", "--config", cfg});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("last cycle") != std::string::npos);
  CHECK(r.out.find("(dry_run, ?)") != std::string::npos);
  CHECK(r.out.find("1 drifted") != std::string::npos);
  CHECK(runAgent({"evidence", "verify", "--config", cfg}).exit_code == 1);  // and verify says why
}

TEST_CASE("heal --resume with nothing paused and heal --clear with nothing held say so and record nothing") {
  FixtureHost host("linux", "LIN-SSH-004");
  const std::string cfg = host.config();
  auto count_lifecycle = [&] {
    auto tail = runAgent({"evidence", "tail", "-n", "1000", "--json", "--config", cfg});
    if (tail.exit_code != 0) return 0;  // no store yet
    int n = 0;
    const json doc = json::parse(tail.out);
    for (const auto& r : doc["records"]) n += r["kind"] == "lifecycle" ? 1 : 0;
    return n;
  };
  auto resume = runAgent({"heal", "--resume", "--config", cfg});
  CHECK(resume.exit_code == 0);
  CHECK(resume.out.find("not paused") != std::string::npos);
  CHECK(resume.out.find("healing resumed") == std::string::npos);
  CHECK(count_lifecycle() == 0);
  // A known rule with no guard state: nothing cleared, nothing recorded.
  auto clear = runAgent({"heal", "--clear", "L1-LIN-SSH-004", "--config", cfg});
  CHECK(clear.exit_code == 0);
  CHECK(clear.out.find("nothing cleared") != std::string::npos);
  CHECK(count_lifecycle() == 0);
  // An unknown rule is a usage error, not a success.
  auto unknown = runAgent({"heal", "--clear", "L1-NO-SUCH-RULE", "--config", cfg});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("no such L1 rule") != std::string::npos);
  // After a pause, resume does resume and is recorded.
  REQUIRE(runAgent({"heal", "--pause", "--config", cfg}).exit_code == 0);
  auto resumed = runAgent({"heal", "--resume", "--config", cfg});
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.out.find("healing resumed") != std::string::npos);
}

TEST_CASE("status lists the alerts and escalations that were recorded but not delivered") {
  FixtureHost host("linux", "LIN-FS-001");  // an unexpected SUID program: L1-LIN-FS-001 escalates
  const std::string cfg = host.config();
  auto run = runAgent({"run", "--once", "--live", "--tier", "full_coverage", "--json", "--config", cfg});
  INFO(run.err);
  bool escalated = false;
  const json ran = json::parse(run.out);
  for (const auto& a : ran["actions"]) escalated = escalated || a["outcome"] == "escalated";
  REQUIRE(escalated);

  auto s = runAgent({"status", "--json", "--config", cfg});
  INFO(s.err);
  CHECK(s.exit_code == 0);
  const json doc = json::parse(s.out);
  REQUIRE(doc["undelivered"]["records"].size() == 1);
  const json& u = doc["undelivered"]["records"][0];
  CHECK(u["outcome"] == "escalated");
  CHECK(u["rule_id"] == "L1-LIN-FS-001");
  CHECK(u["target"] == "/usr/local/bin/backdoor");
  CHECK(doc["undelivered"]["complete"] == true);
  auto text = runAgent({"status", "--config", cfg});
  CHECK(text.out.find("1 alerted/escalated, recorded, not delivered") != std::string::npos);
  CHECK(text.out.find("/usr/local/bin/backdoor") != std::string::npos);
  CHECK(text.out.find("told") == std::string::npos);  // nobody was
}

TEST_CASE("status says what it cannot read instead of 'none yet' or 'not created yet'") {
  if (!testsupport::runningAsRoot()) {
    WARN("needs root: reads a root-only state_dir as another user");
    return;
  }
  FixtureHost host("linux", "LIN-SSH-004");
  const std::string cfg = host.config();
  REQUIRE(runAgent({"run", "--once", "--config", cfg}).exit_code == 1);  // key, evidence, cycle
  // The fixture readable by nobody, except the state_dir, which stays root's own (0700).
  for (auto p = host.out; p != p.root_path(); p = p.parent_path()) {
    std::filesystem::permissions(p, std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
  }
  std::filesystem::permissions(cfg, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  const auto state = host.out / "state-agent";
  std::filesystem::permissions(state, std::filesystem::perms::owner_all);
  auto r = testsupport::runProcess(
      {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CA_AGENT_BINARY, "status", "--config", cfg});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  for (const char* claim : {"none yet", "not created yet", "no records yet", "none recorded", "nothing held"}) {
    INFO(claim);
    CHECK(r.out.find(claim) == std::string::npos);
  }
  CHECK(r.out.find("cannot read") != std::string::npos);
}
