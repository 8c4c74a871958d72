#include "cycle/encode.h"

#include <string>
#include <string_view>

#include "core/sha256.h"
#include "evidence/canonical_json.h"

namespace cycle {
namespace {

// Host content may be binary: every string is made valid UTF-8 as it is put in, so neither the
// canonical encoding of a record nor the report's dump can fail on it.
std::string text(std::string_view s) {
  return evidence::isValidUtf8(s) ? std::string(s) : evidence::toValidUtf8(s);
}

template <class Json>
Json stateOf(const checks::Finding* f) {
  if (!f) return Json(nullptr);
  Json j = Json::object();
  j["status"] = std::string(checks::toString(f->status));
  j["expected"] = text(f->expected);
  j["actual"] = text(f->actual);
  return j;
}

template <class Json>
Json stepJson(const healing::StepRecord& st) {
  Json step = Json::object();
  step["type"] = text(st.type);
  step["description"] = text(st.description);
  if (!st.path.empty()) step["path"] = text(st.path);
  if (!st.unit.empty()) step["unit"] = text(st.unit);
  if (!st.argv.empty()) {
    Json argv = Json::array();
    for (const auto& a : st.argv) argv.push_back(text(a));
    step["argv"] = std::move(argv);
  }
  if (!st.diff.empty()) {
    // Made valid UTF-8 first, then cut (on a character boundary), so the cut bounds the size.
    const std::string diff = text(st.diff);
    if (diff.size() > kMaxDiffBytes) {
      std::size_t cut = kMaxDiffBytes;
      while (cut > 0 && (static_cast<unsigned char>(diff[cut]) & 0xC0) == 0x80) --cut;
      step["diff"] = diff.substr(0, cut);
      step["diff_truncated"] = true;
      step["diff_sha256"] = core::sha256Hex(diff);
    } else {
      step["diff"] = diff;
    }
  }
  if (!st.error.empty()) step["error"] = text(st.error);
  return step;
}

}  // namespace

template <class Json>
Json findingJson(const checks::Finding& f) {
  Json j = Json::object();
  j["check_id"] = text(f.check_id);
  j["target"] = text(f.target);
  j["status"] = std::string(checks::toString(f.status));
  j["severity"] = std::string(rules::toString(f.severity));
  Json hipaa = Json::array();
  for (const auto& h : f.hipaa) hipaa.push_back(text(h));
  j["hipaa"] = std::move(hipaa);
  j["expected"] = text(f.expected);
  j["actual"] = text(f.actual);
  Json details = Json::object();
  for (const auto& [k, v] : f.details) details[text(k)] = text(v);
  j["details"] = std::move(details);
  return j;
}

template <class Json>
Json actionJson(const healing::ActionRecord& a, const checks::Finding* before, const checks::Finding* after) {
  Json j = Json::object();
  j["rule_id"] = text(a.rule_id);
  j["check_id"] = text(a.check_id);
  j["target"] = text(a.target);
  j["outcome"] = std::string(healing::toString(a.outcome));
  j["reason_code"] = std::string(healing::toString(a.reason_code));
  j["reason"] = text(a.reason);
  Json steps = Json::array();
  for (const auto& st : a.steps) steps.push_back(stepJson<Json>(st));
  j["steps"] = std::move(steps);
  j["would_pass"] = a.would_pass ? Json(*a.would_pass) : Json(nullptr);
  j["before"] = stateOf<Json>(before);
  j["after"] = stateOf<Json>(after);
  return j;
}

template nlohmann::json findingJson<nlohmann::json>(const checks::Finding&);
template nlohmann::ordered_json findingJson<nlohmann::ordered_json>(const checks::Finding&);
template nlohmann::json actionJson<nlohmann::json>(const healing::ActionRecord&, const checks::Finding*,
                                                    const checks::Finding*);
template nlohmann::ordered_json actionJson<nlohmann::ordered_json>(const healing::ActionRecord&,
                                                                   const checks::Finding*, const checks::Finding*);

}  // namespace cycle
