#include "evidence/cycle_recorder.h"


#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "evidence/canonical_json.h"
#include "evidence/record.h"
#include "evidence/retention.h"

namespace evidence {
namespace {

using nlohmann::json;

// What the last cycle recorded, keyed by check_id "\t" target.
struct RecordedState {
  bool present = false;
  std::string rules_version;
  std::string last_snapshot;  // ts
  std::map<std::string, std::string> statuses;
};

RecordedState loadState(const std::string& path) {
  RecordedState state;
  std::ifstream in(path);
  if (!in) return state;
  std::stringstream text;
  text << in.rdbuf();
  const json doc = json::parse(text.str(), nullptr, false);
  // A damaged state file only means the next cycle records a snapshot: never an error.
  if (doc.is_discarded() || !doc.is_object()) return state;
  state.present = true;
  const auto str = [&](const char* k) {
    const auto it = doc.find(k);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  state.rules_version = str("rules_version");
  state.last_snapshot = str("last_snapshot");
  if (doc.contains("statuses") && doc["statuses"].is_object()) {
    for (auto it = doc["statuses"].begin(); it != doc["statuses"].end(); ++it) {
      if (it.value().is_string()) state.statuses[it.key()] = it.value().get<std::string>();
    }
  }
  return state;
}

bool saveState(const std::string& path, const RecordedState& state) {
  json doc{{"rules_version", state.rules_version}, {"last_snapshot", state.last_snapshot},
           {"statuses", json::object()}};
  for (const auto& [k, v] : state.statuses) doc["statuses"][k] = v;
  return core::replaceFileAtomic(path, doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n").ok();
}

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

json stepBody(const healing::StepRecord& st) {
  json step{{"type", st.type}, {"description", st.description}};
  if (!st.path.empty()) step["path"] = st.path;
  if (!st.unit.empty()) step["unit"] = st.unit;
  if (!st.argv.empty()) step["argv"] = st.argv;
  if (!st.diff.empty()) {
    // Made valid UTF-8 first, then cut (on a character boundary), so the cut bounds the size.
    const std::string diff = toValidUtf8(st.diff);
    if (diff.size() > kMaxDiffBytes) {
      std::size_t cut = kMaxDiffBytes;
      while (cut > 0 && (static_cast<unsigned char>(diff[cut]) & 0xC0) == 0x80) --cut;
      step["diff"] = diff.substr(0, cut);
      step["diff_truncated"] = true;
      step["diff_sha256"] = toHex(sha256(diff));
    } else {
      step["diff"] = diff;
    }
  }
  if (!st.error.empty()) step["error"] = st.error;
  return step;
}

}  // namespace

json findingBody(const checks::Finding& f) {
  json details = json::object();
  for (const auto& [k, v] : f.details) details[k] = v;
  json body{{"check_id", f.check_id},
            {"target", f.target},
            {"status", std::string(checks::toString(f.status))},
            {"severity", std::string(rules::toString(f.severity))},
            {"hipaa", f.hipaa},
            {"expected", f.expected},
            {"actual", f.actual},
            {"details", details}};
  sanitizeStrings(body);  // host content may be binary: never let it fail a record
  return body;
}

json healBody(const healing::ActionRecord& a, const checks::Finding* before) {
  json steps = json::array();
  for (const auto& st : a.steps) steps.push_back(stepBody(st));
  json body{{"rule_id", a.rule_id},
            {"check_id", a.check_id},
            {"target", a.target},
            {"outcome", std::string(healing::toString(a.outcome))},
            {"reason", a.reason},
            {"steps", steps},
            {"would_pass", a.would_pass ? json(*a.would_pass) : json(nullptr)},
            {"before", before ? json{{"status", std::string(checks::toString(before->status))},
                                     {"expected", before->expected},
                                     {"actual", before->actual}}
                              : json(nullptr)},
            // The re-check after a live action; null when nothing was done (dry-run, refusals).
            {"after", a.after ? json{{"status", std::string(checks::toString(a.after->status))},
                                     {"expected", a.after->expected},
                                     {"actual", a.after->actual}}
                              : json(nullptr)}};
  sanitizeStrings(body);
  return body;
}

std::string findingsDigest(const std::vector<checks::Finding>& findings) { return digestOf(entries(findings)); }

core::Result<CycleRecorded, RecordError> recordCycle(Writer& writer, const std::string& state_path,
                                                     const CycleFacts& facts,
                                                     const std::vector<checks::Finding>& findings,
                                                     const std::vector<healing::ActionRecord>& actions,
                                                     core::Clock::WallTime now) {
  RecordedState state = loadState(state_path);
  CycleRecorded out;
  const auto append = [&](Kind kind, const json& body) -> core::Status<RecordError> {
    auto seq = writer.append(kind, "agent", body);
    if (!seq.ok()) return core::fail(RecordError{RecordErrc::Writer, seq.error().message});
    if (out.first_seq == 0) out.first_seq = *seq;
    out.last_seq = *seq;
    return core::Ok{};
  };

  if (state.rules_version != facts.rules_version) {
    json body{{"version", facts.rules_version}, {"source", facts.rules_source},
              {"checks", facts.rule_checks}, {"rules", facts.rule_count},
              {"previous_version", state.rules_version}};
    if (auto st = append(Kind::Rules, body); !st.ok()) return core::fail(st.error());
  }

  const std::vector<Entry> ordered = entries(findings);
  if (state.present) {
    for (const auto& e : ordered) {
      const auto it = state.statuses.find(e.key);
      const std::string status = e.body["status"].get<std::string>();
      if (it != state.statuses.end() && it->second == status) continue;
      json body = e.body;
      body["previous_status"] = it == state.statuses.end() ? "" : it->second;
      if (auto st = append(Kind::Finding, body); !st.ok()) return core::fail(st.error());
      ++out.changed;
    }
  }
  out.findings_digest = digestOf(ordered);

  const auto last_snapshot = parseTimestamp(state.last_snapshot);
  if (!state.present || !last_snapshot || now - *last_snapshot >= kSnapshotInterval) {
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
      json body{{"findings", parts[i]}, {"findings_digest", out.findings_digest}};
      if (parts.size() > 1) {
        body["part"] = i + 1;
        body["parts"] = parts.size();
      }
      if (auto st = append(Kind::Snapshot, body); !st.ok()) return core::fail(st.error());
    }
    out.snapshot = true;
    state.last_snapshot = formatTimestamp(now);
  }

  std::map<std::pair<std::string, std::string>, const checks::Finding*> by_key;
  for (const auto& f : findings) by_key[{f.check_id, f.target}] = &f;
  std::map<std::string, int> outcomes;
  for (const auto& a : actions) {
    const auto it = by_key.find({a.check_id, a.target});
    if (!facts.heal_records_written) {
      if (auto st = append(Kind::Heal, healBody(a, it == by_key.end() ? nullptr : it->second)); !st.ok()) {
        return core::fail(st.error());
      }
    }
    ++outcomes[std::string(healing::toString(a.outcome))];
  }

  json counts = json::object();
  for (auto s : {checks::Status::Compliant, checks::Status::Drifted, checks::Status::Error,
                 checks::Status::NotApplicable, checks::Status::Waived}) {
    counts[std::string(checks::toString(s))] = 0;
  }
  for (const auto& f : findings) counts[std::string(checks::toString(f.status))] = counts[std::string(checks::toString(f.status))].get<int>() + 1;
  json body{{"started", formatTimestamp(facts.started)},
            {"duration_ms", facts.duration_ms},
            {"tier", facts.tier},
            {"counts", counts},
            {"outcomes", outcomes},
            {"findings_count", findings.size()},
            {"findings_digest", out.findings_digest},
            {"health", facts.health}};
  if (auto st = append(Kind::Cycle, body); !st.ok()) return core::fail(st.error());

  auto committed = writer.commit();
  if (!committed.ok()) return core::fail(RecordError{RecordErrc::Writer, committed.error().message});

  state.rules_version = facts.rules_version;
  state.statuses.clear();
  for (const auto& e : ordered) state.statuses[e.key] = e.body["status"].get<std::string>();
  if (!saveState(state_path, state)) {
    return core::fail(RecordError{RecordErrc::State, "cannot write " + state_path + ": " + std::strerror(errno)});
  }
  return out;
}

}  // namespace evidence
