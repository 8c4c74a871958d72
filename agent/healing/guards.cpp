#include "healing/guards.h"


#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"

namespace healing {
namespace {

using nlohmann::json;
constexpr int kStateVersion = 1;
constexpr std::int64_t kHourMs = 3'600'000;

std::string formatMinute(int m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", m / 60 % 24, m % 60);
  return buf;
}

bool inWindow(int minute, std::pair<int, int> w) {
  return w.first <= w.second ? minute >= w.first && minute < w.second : minute >= w.first || minute < w.second;
}

std::vector<std::int64_t> readTimes(const json& j) {
  std::vector<std::int64_t> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
    }
  }
  return out;
}

}  // namespace

std::string_view toString(Hold hold) {
  switch (hold) {
    case Hold::None: return "";
    case Hold::Paused: return "paused";
    case Hold::MaintenanceWindow: return "maintenance_window";
    case Hold::Flapping: return "flapping";
    case Hold::CircuitBreaker: return "circuit_breaker";
    case Hold::Cooldown: return "cooldown";
    case Hold::AttemptCap: return "attempt_cap";
  }
  return "?";
}

Reason reasonOf(Hold hold) {
  switch (hold) {
    case Hold::None: return Reason::None;
    case Hold::Paused: return Reason::Paused;
    case Hold::MaintenanceWindow: return Reason::MaintenanceWindow;
    case Hold::Flapping: return Reason::Flapping;
    case Hold::CircuitBreaker: return Reason::CircuitBreaker;
    case Hold::Cooldown: return Reason::Cooldown;
    case Hold::AttemptCap: return Reason::AttemptCap;
  }
  return Reason::None;
}

int Guards::localMinute(core::Clock::WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm.tm_hour * 60 + tm.tm_min;
}

std::int64_t Guards::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->wallNow().time_since_epoch()).count();
}

std::string Guards::key(const std::string& rule_id, const std::string& target) {
  // Keys are (rule, target) and the target is never empty: the earlier agent keyed cooldowns on
  // a field that was never set, so they never applied.
  assert(!target.empty());
  return rule_id + "\t" + target;
}

void Guards::prune(KeyState& k, std::int64_t now) const {
  const std::int64_t attempt_from = now - settings_.attempt_window.count();
  const std::int64_t flap_from = now - settings_.flap_window.count();
  std::erase_if(k.attempts, [&](std::int64_t t) { return t <= attempt_from; });
  std::erase_if(k.flaps, [&](std::int64_t t) { return t <= flap_from; });
}

std::string Guards::intentsPathFor(const std::string& path) {
  constexpr std::string_view kJson = ".json";
  const bool json_name = path.size() > kJson.size() && path.compare(path.size() - kJson.size(), kJson.size(), kJson) == 0;
  return (json_name ? path.substr(0, path.size() - kJson.size()) : path) + ".intents";
}

core::Result<Guards, GuardError> Guards::load(std::string path, GuardSettings settings, const core::Clock& clock,
                                              LocalMinute local_minute) {
  Guards g(path, settings, clock, std::move(local_minute));
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT) return core::fail(GuardError{GuardErrc::Io, path + ": " + std::strerror(errno)});
    // No state saved yet; a first pass killed before its end has logged its intents all the same.
    if (auto st = g.loadIntents(0); !st.ok()) return core::fail(std::move(st.error()));
    return g;
  }
  std::stringstream text;
  text << in.rdbuf();
  const json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != kStateVersion || !doc.contains("keys") ||
      !doc["keys"].is_object()) {
    return core::fail(GuardError{GuardErrc::Invalid, path + ": not healing guard state (version " +
                                                         std::to_string(kStateVersion) +
                                                         "); move it aside to start with fresh guards"});
  }
  for (auto it = doc["keys"].begin(); it != doc["keys"].end(); ++it) {
    const json& k = it.value();
    if (!k.is_object()) continue;
    KeyState s;
    s.attempts = readTimes(k.value("attempts", json::array()));
    s.flaps = readTimes(k.value("flaps", json::array()));
    s.last_attempt = k.contains("last_attempt") && k["last_attempt"].is_number_integer() ? k["last_attempt"].get<std::int64_t>() : 0;
    const auto flag = [&](const char* name) { return k.contains(name) && k[name].is_boolean() && k[name].get<bool>(); };
    s.last_healed = flag("last_healed");
    s.flapping = flag("flapping");
    s.escalated = flag("escalated");
    s.handed_over = flag("handed_over");
    g.keys_[it.key()] = std::move(s);
  }
  if (doc.contains("actions")) g.actions_ = readTimes(doc["actions"]);
  if (doc.contains("pause") && doc["pause"].is_object()) {
    const json& p = doc["pause"];
    g.paused_ = true;
    if (p.contains("until") && p["until"].is_number_integer()) g.pause_until_ = p["until"].get<std::int64_t>();
    if (p.contains("actor") && p["actor"].is_string()) g.pause_actor_ = p["actor"].get<std::string>();
  }
  const std::int64_t applied = doc.contains("intent_seq") && doc["intent_seq"].is_number_integer()
                                   ? doc["intent_seq"].get<std::int64_t>()
                                   : 0;
  if (auto st = g.loadIntents(applied); !st.ok()) return core::fail(std::move(st.error()));
  return g;
}

core::Status<GuardError> Guards::loadIntents(std::int64_t applied_seq) {
  intent_seq_ = applied_seq;
  std::ifstream in(intents_path_);
  if (!in) {
    if (errno == ENOENT) return core::Ok{};
    return core::fail(GuardError{GuardErrc::Io, intents_path_ + ": " + std::strerror(errno)});
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  std::size_t line_no = 0;
  // Only complete lines: a last line without its newline was cut short by a crash before the
  // flush its action waits for, so that action never started.
  for (std::size_t pos = 0, end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1) {
    ++line_no;
    const json j = json::parse(std::string_view(text).substr(pos, end - pos), nullptr, false);
    const bool valid = j.is_object() && j.contains("seq") && j["seq"].is_number_integer() && j.contains("at") &&
                       j["at"].is_number_integer() && j.contains("rule") && j["rule"].is_string() &&
                       j.contains("target") && j["target"].is_string() && !j["target"].get<std::string>().empty();
    if (!valid) {
      return core::fail(GuardError{GuardErrc::Invalid, intents_path_ + ":" + std::to_string(line_no) +
                                                           ": not a healing guard intent ({\"seq\", \"rule\", "
                                                           "\"target\", \"at\"}); move it aside to start with "
                                                           "the state of " + path_ + " alone"});
    }
    const std::int64_t seq = j["seq"].get<std::int64_t>();
    if (seq <= applied_seq) continue;  // already in the state (a save that could not empty the log)
    const std::int64_t at = j["at"].get<std::int64_t>();
    KeyState& k = keys_[key(j["rule"].get<std::string>(), j["target"].get<std::string>())];
    k.attempts.push_back(at);
    k.last_attempt = std::max(k.last_attempt, at);
    k.last_healed = false;  // how it ended is unknown: the run ended first
    prune(k, nowMs());
    actions_.push_back(at);
    intent_seq_ = std::max(intent_seq_, seq);
  }
  return core::Ok{};
}

core::Status<GuardError> Guards::save() const {
  json keys = json::object();
  for (const auto& [k, s] : keys_) {
    keys[k] = {{"attempts", s.attempts}, {"flaps", s.flaps}, {"last_attempt", s.last_attempt},
               {"last_healed", s.last_healed}, {"flapping", s.flapping}, {"escalated", s.escalated},
               {"handed_over", s.handed_over}};
  }
  json doc{{"version", kStateVersion}, {"keys", keys}, {"actions", actions_}, {"intent_seq", intent_seq_}};
  if (paused_) {
    doc["pause"] = {{"actor", pause_actor_}};
    if (pause_until_) doc["pause"]["until"] = *pause_until_;
  }
  core::PendingSyncs* syncs = write_ahead_syncs_;
  auto st = core::replaceFileAtomic(path_, doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", syncs,
                                    false);
  if (!st.ok()) {
    // The pass's records written for this flush must not wait for a guard file that cannot be
    // written (the pass stops now): they get a flush of their own. Its failure is the writer's
    // to see (the records are queued again for its next commit).
    if (syncs) (void)syncs->flushBeforeChange();
    return core::fail(GuardError{GuardErrc::Io, st.error()});
  }
  // The state is durable (its directory synced) and holds every intent up to intent_seq_: the
  // log can go. Emptying it needs no flush: lines that come back after a crash are ignored.
  if (intent_seq_ > 0) {
    const int fd = ::open(intents_path_.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
      if (::ftruncate(fd, 0) != 0) {
        // Harmless: the lines stay, and the next load skips them (their seq is in the state).
      }
      ::close(fd);
    }
  }
  return core::Ok{};
}

core::Status<GuardError> Guards::saveWriteAhead() {
  if (!last_begun_) return core::Ok{};  // no attempt begun: nothing to log
  const json line{{"seq", intent_seq_ + 1}, {"rule", last_begun_->first}, {"target", last_begun_->second},
                  {"at", last_begun_at_}};
  const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  const auto failed = [&](const std::string& what) {
    return core::fail(GuardError{GuardErrc::Io, "cannot log the attempt in " + intents_path_ + ": " + what});
  };
  struct stat before {};
  const bool existed = ::lstat(intents_path_.c_str(), &before) == 0;
  const int fd = ::open(intents_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed(std::strerror(errno));
  int err = core::writeFully(fd, text);
  if (err != 0) {
    // A line cut short is ignored on load, but the next one would be glued to it: take it back.
    if (existed && ::ftruncate(fd, before.st_size) != 0) err = errno;
    ::close(fd);
    return failed(std::strerror(err));
  }
  // Logged: the next line gets the next number whatever happens to this one's flush (a line
  // whose flush fails stays an attempt on load: the pass stops, so it errs towards fewer actions).
  ++intent_seq_;
  last_begun_.reset();
  // A new log's name needs its directory entry durable too.
  std::string why;
  const auto slash = intents_path_.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : intents_path_.substr(0, slash);
  const int dfd = existed ? -1 : ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!existed && dfd < 0) why = "cannot open " + dir + ": " + std::strerror(errno);
  if (why.empty() && write_ahead_syncs_) {
    auto added = write_ahead_syncs_->add(fd, core::PendingSyncs::Due::BeforeChange);
    if (added.ok() && dfd >= 0) added = write_ahead_syncs_->add(dfd, core::PendingSyncs::Due::BeforeChange);
    if (!added.ok()) why = added.error();
  } else if (why.empty()) {
    if (::fsync(fd) != 0 || (dfd >= 0 && ::fsync(dfd) != 0)) why = std::string("fsync: ") + std::strerror(errno);
  }
  ::close(fd);
  if (dfd >= 0) ::close(dfd);
  if (!why.empty()) return failed(why);
  return core::Ok{};
}

void Guards::noteDrift(const std::string& rule_id, const std::string& target) {
  const auto it = keys_.find(key(rule_id, target));
  if (it == keys_.end() || !it->second.last_healed) return;
  KeyState& k = it->second;
  const std::int64_t now = nowMs();
  k.last_healed = false;  // this drift is counted once
  k.flaps.push_back(now);
  prune(k, now);
}

void Guards::noteCompliant(const std::string& rule_id, const std::string& target) {
  const auto it = keys_.find(key(rule_id, target));
  if (it == keys_.end()) return;
  if (!it->second.flapping) it->second.escalated = false;
  it->second.handed_over = false;
}

GuardDecision Guards::decide(const rules::L1Rule& rule, const std::string& target, bool operator_heal) {
  const std::int64_t now = nowMs();
  if (paused_ && pause_until_ && *pause_until_ <= now) resume();
  if (paused_) {
    return {Hold::Paused, false, "healing is paused" + (pause_actor_.empty() ? "" : " by " + pause_actor_)};
  }
  if (rule.disruptive) {
    if (!settings_.maintenance_window) {
      return {Hold::MaintenanceWindow, false, "a disruptive rule acts only in a maintenance window, and none is set"};
    }
    const auto w = *settings_.maintenance_window;
    if (!inWindow(local_minute_(clock_->wallNow()), w)) {
      return {Hold::MaintenanceWindow, false,
              "a disruptive rule acts only in the maintenance window " + formatMinute(w.first) + "-" +
                  formatMinute(w.second)};
    }
  }
  if (operator_heal) return {};
  KeyState& k = keys_[key(rule.id, target)];
  prune(k, now);
  if (!k.flapping && static_cast<int>(k.flaps.size()) >= settings_.flap_threshold) {
    k.flapping = true;
    k.escalated = false;  // a new episode: escalate it once
  }
  if (k.flapping) {
    const bool first = !k.escalated;
    k.escalated = true;
    return {Hold::Flapping, first,
            "drifted again after a heal " + std::to_string(settings_.flap_threshold) +
                " times within the flap window: suppressed until `heal --clear " + rule.id + "`"};
  }
  if (k.handed_over) {
    return {Hold::Cooldown, false,
            "escalated or alerted, " + std::string(kNotDelivered) +
                "; waits until the target is compliant or `heal --clear " + rule.id + "`"};
  }
  std::erase_if(actions_, [&](std::int64_t t) { return t <= now - kHourMs; });
  if (static_cast<int>(actions_.size()) >= settings_.max_actions_per_hour) {
    return {Hold::CircuitBreaker, false,
            std::to_string(actions_.size()) + " actions in the last hour (healing.max_actions_per_hour " +
                std::to_string(settings_.max_actions_per_hour) + ")"};
  }
  if (k.last_attempt > 0 && now - k.last_attempt < rule.cooldown.count()) {
    return {Hold::Cooldown, false,
            "last attempt " + std::to_string((now - k.last_attempt) / 1000) + " s ago, cooldown " +
                std::to_string(rule.cooldown.count() / 1000) + " s"};
  }
  if (static_cast<int>(k.attempts.size()) >= rule.max_attempts) {
    const bool first = !k.escalated;
    k.escalated = true;
    return {Hold::AttemptCap, first,
            std::to_string(k.attempts.size()) + " attempts within the attempt window (max_attempts " +
                std::to_string(rule.max_attempts) + ")"};
  }
  return {};
}

void Guards::beginAction(const std::string& rule_id, const std::string& target) {
  const std::int64_t now = nowMs();
  KeyState& k = keys_[key(rule_id, target)];
  k.attempts.push_back(now);
  k.last_attempt = now;
  k.last_healed = false;
  prune(k, now);
  actions_.push_back(now);
  last_begun_ = std::pair{rule_id, target};
  last_begun_at_ = now;
}

void Guards::endAction(const std::string& rule_id, const std::string& target, Outcome outcome) {
  KeyState& k = keys_[key(rule_id, target)];
  k.last_healed = outcome == Outcome::Healed;
  if (outcome == Outcome::Escalated || outcome == Outcome::Alerted) k.handed_over = true;
  if (outcome == Outcome::Refused && !k.attempts.empty()) {
    // beginAction put this attempt's time into actions_ last.
    const auto it = std::find(actions_.rbegin(), actions_.rend(), k.attempts.back());
    if (it != actions_.rend()) actions_.erase(std::next(it).base());
  }
}

void Guards::recordAction(const std::string& rule_id, const std::string& target, bool healed) {
  beginAction(rule_id, target);
  endAction(rule_id, target, healed ? Outcome::Healed : Outcome::Failed);
}

void Guards::pause(std::optional<core::Clock::WallTime> until, const std::string& actor) {
  paused_ = true;
  pause_actor_ = actor;
  pause_until_.reset();
  if (until) pause_until_ = std::chrono::duration_cast<std::chrono::milliseconds>(until->time_since_epoch()).count();
}

void Guards::resume() {
  paused_ = false;
  pause_until_.reset();
  pause_actor_.clear();
}

std::optional<std::pair<std::optional<core::Clock::WallTime>, std::string>> Guards::paused() const {
  if (!paused_ || (pause_until_ && *pause_until_ <= nowMs())) return std::nullopt;
  std::optional<core::Clock::WallTime> until;
  if (pause_until_) until = core::Clock::WallTime(std::chrono::milliseconds(*pause_until_));
  return std::make_pair(until, pause_actor_);
}

int Guards::clear(const std::string& rule_id, const std::optional<std::string>& target) {
  int n = 0;
  for (auto it = keys_.begin(); it != keys_.end();) {
    const bool match = target ? it->first == key(rule_id, *target) : it->first.rfind(rule_id + "\t", 0) == 0;
    if (match) {
      it = keys_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::vector<Guards::KeyView> Guards::keys() const {
  std::vector<KeyView> out;
  const std::int64_t now = nowMs();
  for (const auto& [name, state] : keys_) {
    KeyState k = state;
    prune(k, now);
    if (k.attempts.empty() && k.flaps.empty() && !k.flapping && !k.escalated && !k.handed_over) continue;
    const auto tab = name.find('\t');
    KeyView v;
    v.rule_id = name.substr(0, tab);
    v.target = tab == std::string::npos ? std::string() : name.substr(tab + 1);
    v.attempts = static_cast<int>(k.attempts.size());
    v.flaps = static_cast<int>(k.flaps.size());
    if (k.last_attempt > 0) v.last_attempt = core::Clock::WallTime(std::chrono::milliseconds(k.last_attempt));
    v.flapping = k.flapping;
    v.escalated = k.escalated;
    v.handed_over = k.handed_over;
    out.push_back(std::move(v));
  }
  return out;
}

int Guards::actionsLastHour() const {
  const std::int64_t now = nowMs();
  return static_cast<int>(std::count_if(actions_.begin(), actions_.end(), [&](std::int64_t t) { return t > now - kHourMs; }));
}

}  // namespace healing
