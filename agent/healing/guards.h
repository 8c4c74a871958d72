#pragma once
// Guards: what keeps healing from looping (design.md "Safety"; the earlier agents escalated
// hundreds of times for one incident and keyed cooldowns on a field that was never set). Keyed
// by (rule, target), target never empty, and persisted in state_dir so a restart does not reset
// them:
//   - pause: `heal --pause [--until T]` (or central command's order) stops every action;
//   - maintenance window: `disruptive` rules act only inside it (appliance local time, may cross
//     midnight); with no window configured they do not act on their own;
//   - flapping: a target healed and then drifting again `flap_threshold` times within
//     `flap_window` is suppressed until `heal --clear`, with exactly one escalation;
//   - circuit breaker: at most `max_actions_per_hour` actions in any hour, all rules together;
//   - cooldown: the rule's `cooldown` since its last attempt on the target;
//   - attempt cap: at most the rule's `max_attempts` within `attempt_window`, then suppressed,
//     with exactly one escalation until the target is seen compliant or cleared.
// An operator's heal (`heal --rule`) ignores the automatic-loop guards (flapping, breaker,
// cooldown, attempt cap) but obeys the pause and the maintenance window.
//
// On disk: `guards.json`, the state as of its last save (replaced atomically), and beside it
// `guards.intents`, one line per attempt begun since (saveWriteAhead: {"seq", "rule", "target",
// "at"}), appended before the attempt's action changes anything. Loading applies the intents
// newer than the state's `intent_seq`; a save() that is durable makes them part of the state and
// empties the log. Appending a line costs no flush of its own: it is made durable by the flush
// the action pays anyway before its change (with the backup and the new content: one flush per
// heal, where a replaced guards.json needed two, content then rename).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/pending_syncs.h"
#include "core/result.h"
#include "healing/outcome.h"
#include "healing/reason.h"
#include "rules/model.h"

namespace healing {

struct GuardSettings {
  int max_actions_per_hour = 30;
  std::chrono::milliseconds attempt_window{std::chrono::hours(1)};
  int flap_threshold = 3;
  std::chrono::milliseconds flap_window{std::chrono::hours(2)};
  /// Minutes of the day [start, end) in appliance local time; may cross midnight (start > end).
  /// nullopt: no window configured.
  std::optional<std::pair<int, int>> maintenance_window = std::pair<int, int>{2 * 60, 4 * 60};
};

/// Why an action was held back: the `reason` of a `suppressed` outcome.
enum class Hold { None, Paused, MaintenanceWindow, Flapping, CircuitBreaker, Cooldown, AttemptCap };
std::string_view toString(Hold hold);
/// The reason code of a suppression by `hold` (Reason::None for Hold::None).
Reason reasonOf(Hold hold);

struct GuardDecision {
  Hold hold = Hold::None;
  /// This decision is the one that must be escalated (attempt cap or flapping just reached):
  /// exactly once per episode.
  bool escalate = false;
  std::string detail;  // for humans: until when, how many attempts ...
  bool allowed() const { return hold == Hold::None; }
};

enum class GuardErrc { Io, Invalid };
using GuardError = core::Error<GuardErrc>;

class Guards {
 public:
  /// The wall time's minute of the day in the appliance's local time zone (tests inject UTC).
  using LocalMinute = std::function<int(core::Clock::WallTime)>;
  static int localMinute(core::Clock::WallTime t);

  /// Loads the state in `path` (no file: a fresh state) and the intents logged beside it (see
  /// above; a last line cut short by a crash is ignored: its action never started). Fails
  /// Invalid for a file that is not guard state (the message names it, and the line of a bad
  /// intent: an operator decides, nothing is silently reset) or Io.
  static core::Result<Guards, GuardError> load(std::string path, GuardSettings settings, const core::Clock& clock,
                                               LocalMinute local_minute = &Guards::localMinute);

  /// Notes that `rule`'s finding on `target` is drifted now: if the last thing done there was a
  /// heal, the target flapped once more. Call once per cycle and key, before decide().
  void noteDrift(const std::string& rule_id, const std::string& target);
  /// Notes that the target is compliant: ends an attempt-cap episode (a later cap escalates again).
  void noteCompliant(const std::string& rule_id, const std::string& target);

  /// Whether `rule` may act on `target` now. `operator_heal`: an operator's `heal --rule`.
  GuardDecision decide(const rules::L1Rule& rule, const std::string& target, bool operator_heal = false);

  /// An action is about to be carried out: counted (attempts, cooldown, breaker) before it runs,
  /// so that a crash in the middle of it cannot make the next start forget it. Save afterwards.
  void beginAction(const std::string& rule_id, const std::string& target);
  /// How the action begun last ended. `healed` arms flap detection; `escalated` or `alerted` (a
  /// human has been told) holds the target until it is compliant or cleared, so a human is told
  /// once per episode, not every cooldown. `refused` did nothing on the host: it gives its place
  /// in the circuit breaker back (the breaker bounds changes), but stays an attempt, so a plan
  /// refused every cycle waits its cooldown and reaches the attempt cap (one escalation) instead
  /// of recording a refusal every cycle.
  void endAction(const std::string& rule_id, const std::string& target, Outcome outcome);
  /// beginAction + endAction.
  void recordAction(const std::string& rule_id, const std::string& target, bool healed);

  /// `heal --pause [--until T]`: nullopt until = until resumed.
  void pause(std::optional<core::Clock::WallTime> until, const std::string& actor);
  void resume();
  /// The pause in force now, if any: (until or nullopt, actor).
  std::optional<std::pair<std::optional<core::Clock::WallTime>, std::string>> paused() const;

  /// `heal --clear RULE [--target T]`: forgets the flapping, attempts and escalation of the rule
  /// (on one target, or on all). Returns how many keys were cleared.
  int clear(const std::string& rule_id, const std::optional<std::string>& target);

  /// Writes the state atomically (temporary, fsync, rename, directory fsync), then empties the
  /// intent log it now covers. With deferWriteAheadSync(), the temporary's flush is shared with
  /// what those syncs hold: at the end of a pass, the last heal record (written for a later
  /// sync, evidence::Writer::commitLater) and the last intent are durable when this returns.
  /// Fails Io.
  core::Status<GuardError> save() const;

  /// The write-ahead save of the attempt begun last (beginAction): its intent line appended to
  /// the log. With deferWriteAheadSync(), its flush is left to those syncs (due before the
  /// action changes anything, so it shares the flush of the backup, the new content and the
  /// previous heal's record); without, it is flushed here. Fails Io.
  core::Status<GuardError> saveWriteAhead();
  /// Whether the flush the last write-ahead save was left to has failed (the disk refuses
  /// writes): the attempt may not be durable, and nothing more may act in this pass.
  bool writeAheadFailed() const { return write_ahead_syncs_ && write_ahead_syncs_->failing(); }
  /// The pass's syncs, shared by save() and saveWriteAhead() (nullptr: each pays for its own
  /// flushes). The syncs must outlive these guards or be reset here first.
  void deferWriteAheadSync(core::PendingSyncs* syncs) { write_ahead_syncs_ = syncs; }

  /// Actions taken within the last hour, all rules together.
  int actionsLastHour() const;

  /// What the guards hold about one (rule, target), for `status`.
  struct KeyView {
    std::string rule_id, target;
    int attempts = 0;                 // within attempt_window, now
    int flaps = 0;                    // within flap_window, now
    std::optional<core::Clock::WallTime> last_attempt;
    bool flapping = false;            // suppressed until `heal --clear`
    bool escalated = false;           // the attempt cap or flapping was escalated this episode
    bool handed_over = false;         // escalated/alerted: waits until compliant or cleared
  };
  /// Every key with something in force now (attempts or flaps in their window, or a hold), in
  /// (rule, target) order. Reads only. (A rule's cooldown is the rule's, not the guards': a key
  /// whose attempts have left the attempt window is not listed, even if a cooldown longer than
  /// that window still holds it.)
  std::vector<KeyView> keys() const;

 private:
  struct KeyState {
    std::vector<std::int64_t> attempts;  // epoch ms of each action, within attempt_window
    std::vector<std::int64_t> flaps;     // epoch ms of each heal-then-drift, within flap_window
    std::int64_t last_attempt = 0;
    bool last_healed = false;            // the last action healed: a drift now is a flap
    bool flapping = false;
    bool escalated = false;              // the current episode was escalated
    bool handed_over = false;            // an escalate/alert step told a human: wait for them
  };
  Guards(std::string path, GuardSettings settings, const core::Clock& clock, LocalMinute local_minute)
      : path_(std::move(path)), intents_path_(intentsPathFor(path_)), settings_(settings), clock_(&clock), local_minute_(std::move(local_minute)) {}
  std::int64_t nowMs() const;
  core::Status<GuardError> loadIntents(std::int64_t applied_seq);
  static std::string key(const std::string& rule_id, const std::string& target);
  static std::string intentsPathFor(const std::string& path);
  void prune(KeyState& k, std::int64_t now) const;

  std::string path_;
  std::string intents_path_;          // the intent log beside path_
  std::int64_t intent_seq_ = 0;       // the last intent logged (or applied on load)
  std::optional<std::pair<std::string, std::string>> last_begun_;  // (rule, target) begun last
  std::int64_t last_begun_at_ = 0;
  GuardSettings settings_;
  const core::Clock* clock_;
  LocalMinute local_minute_;
  std::map<std::string, KeyState> keys_;
  std::vector<std::int64_t> actions_;  // epoch ms of every action in the last hour
  bool paused_ = false;
  std::optional<std::int64_t> pause_until_;
  std::string pause_actor_;
  core::PendingSyncs* write_ahead_syncs_ = nullptr;
};

}  // namespace healing
