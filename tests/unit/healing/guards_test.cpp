#include <catch2/catch.hpp>

#include <fstream>

#include "fakes/fake_clock.h"
#include "healing/guards.h"
#include "support/file_text.h"
#include "support/temp_dir.h"

using healing::Guards;
using healing::Hold;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

rules::L1Rule rule(const std::string& id, std::chrono::milliseconds cooldown = 10min, int max_attempts = 3) {
  rules::L1Rule r;
  r.id = id;
  r.cooldown = cooldown;
  r.max_attempts = max_attempts;
  return r;
}

// Appliance local time = UTC in these tests.
int utcMinute(core::Clock::WallTime t) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return static_cast<int>((secs / 60) % (24 * 60));
}

struct Fixture {
  testsupport::TempDir dir;
  fakes::FakeClock clock;  // 2026-01-01T00:00Z
  healing::GuardSettings settings;
  std::string path() const { return (dir.path() / "guards.json").string(); }
  std::string intents() const { return (dir.path() / "guards.intents").string(); }
  Guards load() {
    auto g = Guards::load(path(), settings, clock, &utcMinute);
    REQUIRE(g.ok());
    return std::move(*g);
  }
};

}  // namespace

TEST_CASE("cooldown holds a rule back on the same target only, until it has passed") {
  Fixture fx;
  Guards g = fx.load();
  const auto r = rule("L1-A", 10min);
  REQUIRE(g.decide(r, "/etc/a").allowed());
  g.recordAction(r.id, "/etc/a", false);
  fx.clock.advance(5min);
  CHECK(g.decide(r, "/etc/a").hold == Hold::Cooldown);
  CHECK(g.decide(r, "/etc/b").allowed());  // keyed by (rule, target)
  fx.clock.advance(6min);
  CHECK(g.decide(r, "/etc/a").allowed());
}

TEST_CASE("the attempt cap suppresses with exactly one escalation per episode") {
  Fixture fx;
  Guards g = fx.load();
  const auto r = rule("L1-A", 1min, 3);
  int escalations = 0;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(g.decide(r, "/etc/a").allowed());
    g.recordAction(r.id, "/etc/a", false);  // the heal fails every time
    fx.clock.advance(2min);
  }
  for (int i = 0; i < 10; ++i) {
    auto d = g.decide(r, "/etc/a");
    CHECK(d.hold == Hold::AttemptCap);
    escalations += d.escalate;
    fx.clock.advance(2min);
  }
  CHECK(escalations == 1);
  // The window slides: attempts resume, but the episode was escalated already.
  fx.clock.advance(1h);
  REQUIRE(g.decide(r, "/etc/a").allowed());
  // Seen compliant: a later cap is a new episode and escalates again.
  g.noteCompliant(r.id, "/etc/a");
  for (int i = 0; i < 3; ++i) {
    g.recordAction(r.id, "/etc/a", false);
    fx.clock.advance(2min);
  }
  CHECK(g.decide(r, "/etc/a").escalate);
}

TEST_CASE("runaway: a drift that returns after every heal, 500 cycles, with a restart in the middle") {
  for (bool restart : {false, true}) {
    Fixture fx;
    const auto r = rule("L1-FLAP", 10min, 3);
    int actions = 0, escalations = 0, max_in_window = 0;
    std::vector<std::int64_t> action_minutes;
    auto g = std::make_unique<Guards>(fx.load());
    for (int cycle = 0; cycle < 500; ++cycle) {
      if (restart && cycle == 250) {
        REQUIRE(g->save().ok());
        g = std::make_unique<Guards>(fx.load());
      }
      g->noteDrift(r.id, "/etc/flappy");
      auto d = g->decide(r, "/etc/flappy");
      escalations += d.escalate;
      if (d.allowed()) {
        g->recordAction(r.id, "/etc/flappy", true);  // healed... and it drifts back by next cycle
        ++actions;
        action_minutes.push_back(cycle * 5);
      }
      fx.clock.advance(5min);
    }
    for (auto m : action_minutes) {
      const auto in_window = std::count_if(action_minutes.begin(), action_minutes.end(),
                                           [&](std::int64_t x) { return x >= m && x < m + 60; });
      max_in_window = std::max<int>(max_in_window, static_cast<int>(in_window));
    }
    INFO("restart " << restart);
    CHECK(actions == 3);          // flap_threshold heal-then-drift cycles, then suppressed
    CHECK(max_in_window <= 3);    // never more than max_attempts within the attempt window
    CHECK(escalations == 1);      // exactly one, restart or not
    // Suppressed until cleared, then it may act again.
    CHECK(g->decide(r, "/etc/flappy").hold == Hold::Flapping);
    CHECK(g->clear(r.id, std::nullopt) == 1);
    CHECK(g->decide(r, "/etc/flappy").allowed());
  }
}

TEST_CASE("the circuit breaker bounds actions per hour across all rules") {
  Fixture fx;
  fx.settings.max_actions_per_hour = 30;
  Guards g = fx.load();
  int allowed = 0;
  for (int i = 0; i < 40; ++i) {
    const auto r = rule("L1-R" + std::to_string(i));
    auto d = g.decide(r, "/t");
    if (d.allowed()) {
      g.recordAction(r.id, "/t", true);
      ++allowed;
    } else {
      CHECK(d.hold == Hold::CircuitBreaker);
    }
  }
  CHECK(allowed == 30);
  CHECK(g.actionsLastHour() == 30);
  fx.clock.advance(61min);
  CHECK(g.decide(rule("L1-R39"), "/t").allowed());
}

TEST_CASE("a refused plan is an attempt (cooldown, cap, one escalation) but not an action of the breaker") {
  Fixture fx;
  fx.settings.max_actions_per_hour = 2;
  Guards g = fx.load();
  const auto r = rule("L1-REFUSED", 1min, 3);
  int refusals = 0, escalations = 0;
  for (int cycle = 0; cycle < 20; ++cycle) {
    auto d = g.decide(r, "/etc/x");
    if (d.allowed()) {
      g.beginAction(r.id, "/etc/x");
      g.endAction(r.id, "/etc/x", healing::Outcome::Refused);  // e.g. the validator rejects it
      ++refusals;
    } else {
      escalations += d.escalate;
      CHECK((d.hold == Hold::Cooldown || d.hold == Hold::AttemptCap));
    }
    fx.clock.advance(30s);
  }
  CHECK(refusals == 3);     // max_attempts, each after its cooldown
  CHECK(escalations == 1);  // then one hand-over to a human
  CHECK(g.actionsLastHour() == 0);
  // The breaker still has room for real actions, after a restart too.
  CHECK(g.decide(rule("L1-OTHER"), "/etc/y").allowed());
  REQUIRE(g.save().ok());
  Guards again = fx.load();
  CHECK(again.actionsLastHour() == 0);
  CHECK(again.keys().at(0).attempts == 3);
}

TEST_CASE("disruptive rules act only in the maintenance window, which may cross midnight") {
  Fixture fx;
  auto r = rule("L1-D");
  r.disruptive = true;
  fx.settings.maintenance_window = std::pair{22 * 60, 2 * 60};
  Guards g = fx.load();
  fx.clock.advance(23h + 30min);  // 23:30
  CHECK(g.decide(r, "/t").allowed());
  fx.clock.advance(2h);  // 01:30
  CHECK(g.decide(r, "/t").allowed());
  fx.clock.advance(1h);  // 02:30
  auto d = g.decide(r, "/t");
  CHECK(d.hold == Hold::MaintenanceWindow);
  CHECK(d.detail.find("22:00-02:00") != std::string::npos);
  CHECK(g.decide(r, "/t", true).hold == Hold::MaintenanceWindow);  // operators obey it too
  CHECK(g.decide(rule("L1-N"), "/t").allowed());                   // not disruptive

  fx.settings.maintenance_window.reset();
  Guards none = fx.load();
  CHECK(none.decide(r, "/t").hold == Hold::MaintenanceWindow);
}

TEST_CASE("a pause holds everything, operators included, until its end or a resume, across restarts") {
  Fixture fx;
  {
    Guards g = fx.load();
    g.pause(fx.clock.wallNow() + 1h, "uid:1000");
    REQUIRE(g.save().ok());
  }
  Guards g = fx.load();
  REQUIRE(g.paused());
  CHECK(g.paused()->second == "uid:1000");
  CHECK(g.decide(rule("L1-A"), "/t").hold == Hold::Paused);
  CHECK(g.decide(rule("L1-A"), "/t", true).hold == Hold::Paused);
  fx.clock.advance(61min);
  CHECK_FALSE(g.paused());
  CHECK(g.decide(rule("L1-A"), "/t").allowed());
  g.pause(std::nullopt, "order:42");
  CHECK(g.decide(rule("L1-A"), "/t").hold == Hold::Paused);
  g.resume();
  CHECK(g.decide(rule("L1-B"), "/t").allowed());
}

TEST_CASE("an operator's heal ignores cooldown, attempt cap and flapping") {
  Fixture fx;
  Guards g = fx.load();
  const auto r = rule("L1-A", 1h, 1);
  g.recordAction(r.id, "/t", true);
  CHECK(g.decide(r, "/t").hold == Hold::Cooldown);
  CHECK(g.decide(r, "/t", true).allowed());
}

TEST_CASE("guard state that is not guard state is an error naming the file, never a silent reset") {
  Fixture fx;
  std::ofstream(fx.path()) << "{\"version\": 7}";
  auto g = Guards::load(fx.path(), fx.settings, fx.clock, &utcMinute);
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().code == healing::GuardErrc::Invalid);
  CHECK(g.error().message.find("guards.json") != std::string::npos);
}

TEST_CASE("a human told (escalated or alerted) is told once: the target waits until compliant or cleared") {
  Fixture fx;
  Guards g = fx.load();
  const auto r = rule("L1-ESC", 1min, 3);
  int told = 0;
  for (int cycle = 0; cycle < 100; ++cycle) {  // 100 cycles of 5 min, the drift never fixed
    g.noteDrift(r.id, "/etc/x");
    auto d = g.decide(r, "/etc/x");
    if (d.allowed()) {
      g.beginAction(r.id, "/etc/x");
      g.endAction(r.id, "/etc/x", healing::Outcome::Escalated);  // the rule escalates (e.g. nix_managed)
      ++told;
    } else {
      CHECK(d.hold == Hold::Cooldown);
      // Nothing delivers it yet (no central command link): the hold must not claim otherwise.
      CHECK(d.detail.find("not delivered") != std::string::npos);
      CHECK(d.detail.find("was told") == std::string::npos);
    }
    fx.clock.advance(5min);
  }
  CHECK(told == 1);
  g.noteCompliant(r.id, "/etc/x");  // fixed by the human; a new drift is a new episode
  CHECK(g.decide(r, "/etc/x").allowed());
}

TEST_CASE("an action is counted before it runs, so a crash in the middle cannot reset the guards") {
  Fixture fx;
  const auto r = rule("L1-A", 10min, 3);
  {
    Guards g = fx.load();
    g.beginAction(r.id, "/t");
    REQUIRE(g.save().ok());
    // ... the process dies here, before endAction.
  }
  Guards again = fx.load();
  CHECK(again.decide(r, "/t").hold == Hold::Cooldown);
}

TEST_CASE("keys() shows what is in force per (rule, target), and forgets what has aged out") {
  Fixture fx;
  Guards g = fx.load();
  const auto r = rule("L1-A", 1min, 2);
  CHECK(g.keys().empty());
  g.recordAction(r.id, "/etc/a", false);
  fx.clock.advance(2min);
  g.recordAction(r.id, "/etc/a", false);
  g.recordAction("L1-B", "sshd.service", true);
  fx.clock.advance(2min);                   // past the cooldown
  REQUIRE(g.decide(r, "/etc/a").escalate);  // the cap is reached and escalated
  auto keys = g.keys();
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].rule_id == "L1-A");
  CHECK(keys[0].target == "/etc/a");
  CHECK(keys[0].attempts == 2);
  CHECK(keys[0].escalated);
  CHECK_FALSE(keys[0].flapping);
  REQUIRE(keys[0].last_attempt.has_value());
  CHECK(*keys[0].last_attempt == fx.clock.wallNow() - 2min);
  CHECK(keys[1].rule_id == "L1-B");
  CHECK(keys[1].target == "sshd.service");
  CHECK(keys[1].attempts == 1);
  CHECK_FALSE(keys[1].escalated);
  // Past the attempt window, only the escalated episode is still in force.
  fx.clock.advance(2h);
  keys = g.keys();
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].rule_id == "L1-A");
  CHECK(keys[0].attempts == 0);
  CHECK(keys[0].escalated);
}

TEST_CASE("the write-ahead save logs the attempt at once and leaves its flush to the pass's syncs") {
  Fixture fx;
  core::PendingSyncs syncs;
  Guards g = fx.load();
  g.deferWriteAheadSync(&syncs);
  const auto r = rule("L1-A", 10min);
  g.beginAction(r.id, "/etc/a");
  REQUIRE(g.saveWriteAhead().ok());
  // The log and, being new, its directory: due before the action changes anything.
  CHECK(syncs.size() == 2);
  CHECK(fx.load().decide(r, "/etc/a").hold == Hold::Cooldown);  // the attempt is in the log
  CHECK_FALSE(fs::exists(fx.path()));                            // no state saved yet
  g.beginAction(r.id, "/etc/b");
  REQUIRE(g.saveWriteAhead().ok());
  CHECK(syncs.size() == 3);  // the log again, its directory entry already pending
  CHECK(testsupport::slurp(fx.intents()).find("\"seq\":2") != std::string::npos);
  // A plain save (the pass's last) shares its content's flush with what is pending and pays its
  // own directory sync; the state then holds the attempts and the log is emptied.
  REQUIRE(g.save().ok());
  CHECK(syncs.size() == 0);
  CHECK(testsupport::slurp(fx.intents()).empty());
  Guards again = fx.load();
  CHECK(again.decide(r, "/etc/a").hold == Hold::Cooldown);
  CHECK(again.keys().size() == 2);
  CHECK(again.keys().at(0).attempts == 1);  // once: from the state, not again from a log line
}

TEST_CASE("intents logged since the last save are attempts after a crash, a torn last line is not") {
  Fixture fx;
  const auto r = rule("L1-A", 10min);
  {
    Guards g = fx.load();
    g.recordAction(r.id, "/etc/a", true);
    REQUIRE(g.save().ok());
    fx.clock.advance(20min);  // past the cooldown
    g.beginAction(r.id, "/etc/a");
    REQUIRE(g.saveWriteAhead().ok());  // no syncs: flushed here
    // ... and the run is killed: no save, no endAction.
  }
  Guards g = fx.load();
  CHECK(g.decide(r, "/etc/a").hold == Hold::Cooldown);  // the killed run's attempt counts
  REQUIRE(g.keys().size() == 1);
  CHECK(g.keys()[0].attempts == 2);
  CHECK(g.actionsLastHour() == 2);

  SECTION("a line cut short by the crash is ignored: its action never started") {
    std::ofstream(fx.intents(), std::ios::app) << R"({"seq":3,"rule":"L1-A","target":"/etc/b","a)";
    Guards cut = fx.load();
    CHECK(cut.keys().size() == 1);
    CHECK(cut.decide(r, "/etc/b").allowed());
  }
  SECTION("lines the state already holds (a save whose log was not emptied) are not counted twice") {
    const std::string log = testsupport::slurp(fx.intents());
    REQUIRE(g.save().ok());
    std::ofstream(fx.intents()) << log;  // as if the truncate had been lost
    CHECK(fx.load().keys().at(0).attempts == 2);
  }
  SECTION("a complete line that is not an intent is an error naming the file and line") {
    std::ofstream(fx.intents(), std::ios::app) << "{\"seq\":3}\n";
    auto bad = Guards::load(fx.path(), fx.settings, fx.clock, &utcMinute);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == healing::GuardErrc::Invalid);
    CHECK(bad.error().message.find("guards.intents:2:") != std::string::npos);
  }
}

TEST_CASE("a write-ahead whose flush failed is known to the guards") {
  Fixture fx;
  core::PendingSyncs syncs;
  Guards g = fx.load();
  g.deferWriteAheadSync(&syncs);
  g.beginAction("L1-A", "/etc/a");
  REQUIRE(g.saveWriteAhead().ok());
  CHECK_FALSE(g.writeAheadFailed());
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK_FALSE(g.writeAheadFailed());
  // A descriptor that cannot be examined stands in for a disk that refuses the flush.
  CHECK_FALSE(syncs.flushBeforeChange(999999).ok());
  CHECK(g.writeAheadFailed());
  REQUIRE(syncs.flushBeforeChange().ok());
  CHECK_FALSE(g.writeAheadFailed());
}
