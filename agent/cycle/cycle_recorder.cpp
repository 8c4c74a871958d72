#include "cycle/cycle_recorder.h"


#include <algorithm>
#include <set>

#include "cycle/encode.h"
#include "evidence/canonical_json.h"
#include "evidence/record.h"
#include "evidence/retention.h"

namespace cycle {

using evidence::canonicalize;
using evidence::formatTimestamp;
using evidence::parseTimestamp;
using evidence::Writer;
using evidence::Kind;
using evidence::toHex;
using evidence::sha256;
using evidence::toValidUtf8;
namespace {

using nlohmann::json;

// A finding as recorded: its body (strings already made valid UTF-8) and its key, built from
// those same strings, so that what is compared, sorted, digested and stored is what a verifier
// sees in the records.
struct Entry {
  std::string check_id, target, key;
  const checks::Finding* finding;
  json body;
};

std::vector<Entry> entries(const std::vector<checks::Finding>& findings) {
  std::vector<Entry> out;
  out.reserve(findings.size());
  for (const auto& f : findings) {
    json body = findingBody(f);
    std::string id = body["check_id"].get<std::string>(), target = body["target"].get<std::string>();
    std::string k = id + "\t" + target;
    out.push_back({std::move(id), std::move(target), std::move(k), &f, std::move(body)});
  }
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.check_id, a.target) < std::tie(b.check_id, b.target); });
  return out;
}

std::string digestOf(const std::vector<Entry>& all) {
  json list = json::array();
  for (const auto& e : all) list.push_back(e.body);
  auto text = canonicalize(list);
  return text.ok() ? toHex(sha256(*text)) : std::string();
}

// Snapshot parts: each well under the line limit, whatever the number of findings.
constexpr std::size_t kSnapshotPartBytes = 768 << 10;

}  // namespace

json findingBody(const checks::Finding& f) { return findingJson<json>(f); }

json healBody(const healing::ActionRecord& a, const checks::Finding* before) {
  // The re-check after a live action; null when nothing was done (dry-run, refusals).
  return actionJson<json>(a, before, a.after ? &*a.after : nullptr);
}

std::string findingsDigest(const std::vector<checks::Finding>& findings) { return digestOf(entries(findings)); }


namespace {

std::string keyOf(const healing::ActionRecord& a) { return toValidUtf8(a.check_id) + "\t" + toValidUtf8(a.target); }

json statusCounts(const std::vector<checks::Finding>& findings) {
  json counts = json::object();
  for (auto s : {checks::Status::Compliant, checks::Status::Drifted, checks::Status::Error,
                 checks::Status::NotApplicable, checks::Status::Waived}) {
    counts[std::string(checks::toString(s))] = 0;
  }
  for (const auto& f : findings) {
    auto& n = counts[std::string(checks::toString(f.status))];
    n = n.get<int>() + 1;
  }
  return counts;
}

}  // namespace

CycleRecorder::CycleRecorder(Writer& writer, core::StateDir& state, core::Clock::WallTime now)
    : writer_(writer), state_dir_(state), now_(now) {
  const auto text = state_dir_.read(kRecordedStateFile);
  if (text.ok() && *text) {
    const json doc = json::parse(**text, nullptr, false);
    // A damaged state file only means this cycle records a snapshot: never an error.
    if (!doc.is_discarded() && doc.is_object()) {
      state_.present = true;
      const auto str = [&](const char* k) {
        const auto it = doc.find(k);
        return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      state_.rules_version = str("rules_version");
      state_.last_snapshot = str("last_snapshot");
      const auto strings = [&](const char* k, std::map<std::string, std::string>& into) {
        const auto it = doc.find(k);
        if (it == doc.end() || !it->is_object()) return;
        for (auto e = it->begin(); e != it->end(); ++e) {
          if (e.value().is_string()) into[e.key()] = e.value().get<std::string>();
        }
      };
      strings("statuses", state_.statuses);
      strings("quiet_plans", state_.quiet_plans);
    }
  }
  const auto last = parseTimestamp(state_.last_snapshot);
  snapshot_due_ = !state_.present || !last || now_ - *last >= kSnapshotInterval;
}

core::Status<RecordError> CycleRecorder::append(Kind kind, const json& body) {
  auto seq = writer_.append(kind, "agent", body);
  if (!seq.ok()) return core::fail(RecordError{RecordErrc::Writer, seq.error().message});
  if (out_.first_seq == 0) out_.first_seq = *seq;
  out_.last_seq = *seq;
  return core::Ok{};
}

core::Status<RecordError> CycleRecorder::observe(const CycleFacts& facts, const std::vector<checks::Finding>& findings) {
  if (state_.rules_version != facts.rules_version) {
    json vars = json::object();
    for (const auto& [name, v] : facts.vars) {
      vars[name] = {{"value", v.value}, {"default", v.default_value}, {"source", v.source}};
    }
    json body{{"version", facts.rules_version}, {"source_version", facts.rules_source_version},
              {"source", facts.rules_source}, {"checks", facts.rule_checks}, {"rules", facts.rule_count},
              {"vars", vars}, {"previous_version", state_.rules_version}};
    if (auto st = append(Kind::Rules, body); !st.ok()) return st;
  }
  if (state_.present) return recordChanges(findings);
  // No earlier state: nothing to compare with (the snapshot records everything). From here on
  // the re-check after healing compares with what was just seen.
  state_.present = true;
  for (const auto& e : entries(findings)) state_.statuses[e.key] = e.body["status"].get<std::string>();
  return core::Ok{};
}

core::Status<RecordError> CycleRecorder::recordChanges(const std::vector<checks::Finding>& findings) {
  // A check ran cleanly when it judged something (a compliant, drifted or waived finding), saw
  // everything it was to look at, and had no error: only then does a pair it no longer reports
  // mean the drift is gone. Disabled, gated (not for the platform, applies_if) and failed checks
  // report a not_applicable or error finding under their usual target: nothing is known.
  struct CheckSeen {
    bool judged = false;
    bool incomplete = false;
    const json* sample = nullptr;
  };
  const std::vector<Entry> ordered = entries(findings);
  std::set<std::string> reported;
  std::map<std::string, CheckSeen> checks_run;
  for (const auto& e : ordered) {
    reported.insert(e.key);
    const std::string status = e.body["status"].get<std::string>();
    auto& seen = checks_run[e.check_id];
    seen.judged = seen.judged || status == "compliant" || status == "drifted" || status == "waived";
    seen.incomplete = seen.incomplete || status == "error" || e.body["details"].contains("unreadable_dirs");
    seen.sample = &e.body;
    const auto it = state_.statuses.find(e.key);
    if (it != state_.statuses.end() && it->second == status) continue;
    json body = e.body;
    body["previous_status"] = it == state_.statuses.end() ? "" : it->second;
    if (auto st = append(Kind::Finding, body); !st.ok()) return st;
    ++out_.changed;
    state_.statuses[e.key] = status;
  }
  // Pairs no longer reported: closed when their check ran cleanly, else carried as they were.
  for (auto it = state_.statuses.begin(); it != state_.statuses.end();) {
    const std::string& key = it->first;
    const auto tab = key.find('\t');
    const auto run = checks_run.find(key.substr(0, tab));
    if (reported.count(key) || tab == std::string::npos || run == checks_run.end() || !run->second.judged ||
        run->second.incomplete) {
      ++it;
      continue;
    }
    if (it->second == "drifted" || it->second == "error") {
      const json& sample = *run->second.sample;
      json body{{"check_id", sample["check_id"]},
                {"target", key.substr(tab + 1)},
                {"status", "compliant"},
                {"severity", sample["severity"]},
                {"hipaa", sample["hipaa"]},
                {"expected", sample["expected"]},
                {"actual", ""},
                {"details", {{"reason", "no_longer_reported"}}},
                {"previous_status", it->second}};
      if (auto st = append(Kind::Finding, body); !st.ok()) return st;
      ++out_.changed;
    }
    it = state_.statuses.erase(it);
  }
  return core::Ok{};
}

bool CycleRecorder::planDue(const healing::ActionRecord& a) const {
  if (a.outcome != healing::Outcome::NotInTier || snapshot_due_) return true;
  const auto it = state_.quiet_plans.find(keyOf(a));
  return it == state_.quiet_plans.end() || it->second != toValidUtf8(a.rule_id);
}

core::Result<CycleRecorded, RecordError> CycleRecorder::finish(const CycleFacts& facts,
                                                               const std::vector<checks::Finding>& findings,
                                                               const std::vector<checks::Finding>* before,
                                                               const std::vector<healing::ActionRecord>& actions) {
  // Without a re-check the findings are the observed ones: nothing can have changed since.
  if (before) {
    if (auto st = recordChanges(findings); !st.ok()) return core::fail(st.error());
  }
  const std::vector<Entry> ordered = entries(findings);
  out_.findings_digest = digestOf(ordered);

  std::map<std::pair<std::string, std::string>, const checks::Finding*> by_key;
  for (const auto& f : before ? *before : findings) by_key[{f.check_id, f.target}] = &f;
  std::map<std::string, int> outcomes;
  std::map<std::string, std::string> quiet_plans;
  for (const auto& a : actions) {
    if (!facts.heal_records_written && planDue(a)) {
      const auto it = by_key.find({a.check_id, a.target});
      if (auto st = append(Kind::Heal, healBody(a, it == by_key.end() ? nullptr : it->second)); !st.ok()) {
        return core::fail(st.error());
      }
    }
    if (a.outcome == healing::Outcome::NotInTier) quiet_plans[keyOf(a)] = toValidUtf8(a.rule_id);
    ++outcomes[std::string(healing::toString(a.outcome))];
  }

  if (snapshot_due_) {
    // In parts when the findings would not fit one record; `part`/`parts` number them.
    std::vector<json> parts(1, json::array());
    std::size_t bytes = 0;
    for (const auto& e : ordered) {
      const std::size_t size = canonicalize(e.body).valueOr(std::string()).size();
      if (!parts.back().empty() && bytes + size > kSnapshotPartBytes) {
        parts.push_back(json::array());
        bytes = 0;
      }
      parts.back().push_back(e.body);
      bytes += size + 1;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      json body{{"findings", parts[i]}, {"findings_digest", out_.findings_digest}};
      if (parts.size() > 1) {
        body["part"] = i + 1;
        body["parts"] = parts.size();
      }
      if (auto st = append(Kind::Snapshot, body); !st.ok()) return core::fail(st.error());
    }
    out_.snapshot = true;
    state_.last_snapshot = formatTimestamp(now_);
  }

  json body{{"started", formatTimestamp(facts.started)},
            {"duration_ms", facts.duration_ms},
            {"tier", facts.tier},
            {"counts", statusCounts(findings)},
            {"outcomes", outcomes},
            {"findings_count", findings.size()},
            {"findings_digest", out_.findings_digest},
            {"health", facts.health}};
  if (before) body["counts_before_healing"] = statusCounts(*before);
  if (auto st = append(Kind::Cycle, body); !st.ok()) return core::fail(st.error());

  auto committed = writer_.commit();
  if (!committed.ok()) return core::fail(RecordError{RecordErrc::Writer, committed.error().message});

  state_.rules_version = facts.rules_version;
  state_.quiet_plans = std::move(quiet_plans);
  json doc{{"rules_version", state_.rules_version}, {"last_snapshot", state_.last_snapshot},
           {"statuses", state_.statuses}, {"quiet_plans", state_.quiet_plans}};
  if (auto saved = state_dir_.replace(kRecordedStateFile, doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
      !saved.ok()) {
    return core::fail(RecordError{RecordErrc::State, saved.error()});
  }
  return out_;
}

core::Result<CycleRecorded, RecordError> recordCycle(Writer& writer, core::StateDir& state,
                                                     const CycleFacts& facts,
                                                     const std::vector<checks::Finding>& findings,
                                                     const std::vector<healing::ActionRecord>& actions,
                                                     core::Clock::WallTime now) {
  CycleRecorder recorder(writer, state, now);
  if (auto st = recorder.observe(facts, findings); !st.ok()) return core::fail(st.error());
  return recorder.finish(facts, findings, nullptr, actions);
}

}  // namespace cycle
