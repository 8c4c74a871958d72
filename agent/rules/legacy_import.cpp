#include "rules/legacy_import.h"

#include <algorithm>

#include "rules/parse_spec.h"

namespace rules {
namespace {

using core::yaml::Diagnostics;
using core::yaml::MapReader;
using core::yaml::YamlErrc;

constexpr std::int64_t kMaxCooldownSeconds = 30LL * 24 * 3600;

std::optional<MatchOp> legacyOp(std::string_view s) {
  if (s == "equals" || s == "==") return MatchOp::Eq;
  if (s == "!=") return MatchOp::Ne;
  if (s == ">") return MatchOp::Gt;
  if (s == "<") return MatchOp::Lt;
  return detail::parseMatchOp(s);
}

// The earlier platform's status words, in this agent's vocabulary (see the header).
std::optional<std::string> legacyStatus(const std::string& s) {
  if (s == "pass" || s == "compliant") return std::string("compliant");
  if (s == "fail" || s == "warning" || s == "non_compliant" || s == "drifted") return std::string("drifted");
  if (s == "error") return std::string("error");
  if (s == "not_applicable" || s == "waived") return s;
  return std::nullopt;
}

bool isLegacyField(std::string_view f) {
  if (f.empty() || f.size() > 128 || f.front() == '.' || f.back() == '.') return false;
  return std::all_of(f.begin(), f.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

MatchCondition legacyCondition(const YAML::Node& node, const std::string& field,
                               const std::string& file, Diagnostics& diag) {
  MatchCondition c;
  c.pos = detail::posOf(file, node);
  MapReader m(node, file, field, diag);
  if (!m.valid()) return c;
  c.field = m.str("field", true).value_or("");
  if (!c.field.empty() && !isLegacyField(c.field)) m.badValue("field", "invalid field name '" + c.field + "'");
  auto op_text = m.str("operator", true);
  const YAML::Node value = m.node("value");
  m.finish();
  if (!op_text) return c;
  auto op = legacyOp(*op_text);
  if (!op) {
    m.badValue("operator", "unknown operator '" + *op_text +
                               "'; expected eq, equals, ==, ne, !=, contains, regex, gt, >, lt, <, "
                               "in, not_in or exists");
    return c;
  }
  c.expect.op = *op;
  if (*op == MatchOp::In || *op == MatchOp::NotIn) {
    if (!value.IsDefined() || !value.IsSequence() || value.size() == 0) {
      m.badValue("value", *op_text + " needs a non-empty list");
      return c;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto s = core::yaml::scalarString(value[i], file, m.field("value") + "[" + std::to_string(i) + "]", diag);
      if (s) c.expect.values.push_back(*s);
    }
  } else if (*op == MatchOp::Exists) {
    c.expect.value = "true";
    bool b = true;
    if (value.IsDefined()) {
      if (!value.IsScalar() || !YAML::convert<bool>::decode(value, b)) m.badValue("value", "exists takes true or false");
      c.expect.value = b ? "true" : "false";
    }
  } else {
    if (!value.IsDefined() || !value.IsScalar()) {
      m.badValue("value", *op_text + " needs a single value");
      return c;
    }
    c.expect.value = value.Scalar();
  }
  if (c.field == "status") {
    auto translate = [&](std::string& v) {
      auto t = legacyStatus(v);
      if (t) v = *t;
      else if (*op != MatchOp::Contains && *op != MatchOp::Regex && *op != MatchOp::Exists)
        m.badValue("value", "unknown status '" + v + "'");
    };
    if (*op == MatchOp::Eq || *op == MatchOp::Ne) translate(c.expect.value);
    for (auto& v : c.expect.values) translate(v);
    // "fail" and "warning" both become "drifted": keep the list free of repeats.
    std::sort(c.expect.values.begin(), c.expect.values.end());
    c.expect.values.erase(std::unique(c.expect.values.begin(), c.expect.values.end()), c.expect.values.end());
  }
  const std::string problem = detail::finishExpectation(c.expect);
  if (!problem.empty()) m.badValue("value", problem);
  return c;
}

ActionSpec legacyAction(const YAML::Node& node, const std::string& field, const std::string& file,
                        const std::string& rule_name, const KnownTypes& known, Diagnostics& diag) {
  ActionSpec a;
  a.pos = detail::posOf(file, node);
  auto text = core::yaml::scalarString(node, file, field, diag);
  if (!text) return a;
  const std::size_t colon = text->find(':');
  a.type = text->substr(0, colon);
  const bool has_arg = colon != std::string::npos;
  const std::string arg = has_arg ? text->substr(colon + 1) : std::string();
  auto bad = [&](const std::string& msg) { diag.add(YamlErrc::BadValue, file, node.Mark(), field, msg); };
  const bool service = a.type == "restart_service" || a.type == "reload_service" ||
                       a.type == "start_service" || a.type == "enable_service";
  if (!service && a.type != "alert" && a.type != "escalate" && a.type != "agent_heal") {
    bad("action '" + *text + "' cannot be imported: the legacy form supports restart_service, "
        "reload_service, start_service, enable_service, alert, escalate and agent_heal "
        "(\"type:argument\"); write other actions in the YAML format");
    return a;
  }
  if (known.actions.count(a.type) == 0) {
    bad("action type '" + a.type + "' is not implemented in this agent");
    return a;
  }
  for (unsigned char c : arg) {
    if (c < 0x20 || c == 0x7f) {
      bad("action argument must be a single line without control characters");
      return a;
    }
  }
  if (service) {
    if (!detail::isValidUnit(arg, false)) {
      bad(has_arg && !arg.empty() ? "invalid unit name '" + arg + "'"
                                  : "'" + a.type + "' needs a unit: \"" + a.type + ":chronyd\"");
    }
    if (a.type == "restart_service") a.body = RestartServiceAction{{arg}};
    else if (a.type == "reload_service") a.body = ReloadServiceAction{{arg}};
    else if (a.type == "start_service") a.body = StartServiceAction{{arg}};
    else a.body = EnableServiceAction{{arg}};
  } else if (a.type == "alert") {
    a.body = AlertAction{arg.empty() ? rule_name : arg};
  } else if (a.type == "escalate") {
    a.body = EscalateAction{arg.empty() ? rule_name : arg};
  } else {
    if (arg.empty()) bad("'agent_heal' needs a check type: \"agent_heal:firewall\"");
    a.body = AgentHealAction{arg, {}, std::nullopt};
  }
  return a;
}

L1Rule legacyRule(const YAML::Node& node, const std::string& field, const std::string& file,
                  const KnownTypes& known, Diagnostics& diag) {
  L1Rule r;
  r.legacy = true;
  r.pos = detail::posOf(file, node);
  MapReader m(node, file, field, diag);
  if (!m.valid()) return r;
  r.id = m.str("id", true).value_or("");
  if (!r.id.empty() && !detail::isValidId(r.id)) m.badValue("id", "invalid id '" + r.id + "'");
  r.name = m.str("name", true).value_or("");
  r.description = m.str("description").value_or("");
  m.str("source");  // the earlier platform's bookkeeping ("builtin", "promoted"): not needed
  r.tiers = {legacyIsStandard(r.id) ? Tier::Standard : Tier::FullCoverage};
  if (auto sev = m.str("severity")) {
    if (*sev == "low") r.severity = Severity::Low;
    else if (*sev == "medium") r.severity = Severity::Medium;
    else if (*sev == "high") r.severity = Severity::High;
    else if (*sev == "critical") r.severity = Severity::Critical;
    else m.badValue("severity", "unknown severity '" + *sev + "'; expected low, medium, high or critical");
  }
  if (auto cd = m.integer("cooldown_seconds")) {
    if (*cd < 0 || *cd > kMaxCooldownSeconds) m.badValue("cooldown_seconds", "out of range 0.." + std::to_string(kMaxCooldownSeconds));
    else r.cooldown = std::chrono::seconds(*cd);
  }
  if (auto mr = m.integer("max_retries")) {
    if (*mr < 1 || *mr > 1000) m.badValue("max_retries", "out of range 1..1000");
    else r.max_attempts = int(*mr);
  }
  auto list = [&](const std::string& key) {
    const YAML::Node n = m.node(key, true);
    if (n.IsDefined() && (!n.IsSequence() || n.size() == 0)) {
      m.badValue(key, "expected a non-empty list");
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return n;
  };
  const YAML::Node conditions = list("conditions");
  for (std::size_t i = 0; conditions.IsDefined() && i < conditions.size(); ++i) {
    r.match.push_back(legacyCondition(conditions[i], m.field("conditions") + "[" + std::to_string(i) + "]", file, diag));
  }
  const YAML::Node actions = list("actions");
  for (std::size_t i = 0; actions.IsDefined() && i < actions.size(); ++i) {
    r.actions.push_back(legacyAction(actions[i], m.field("actions") + "[" + std::to_string(i) + "]",
                                     file, r.name, known, diag));
  }
  m.finish();
  return r;
}

}  // namespace

bool legacyIsStandard(std::string_view id) {
  for (auto p : kLegacyStandardPrefixes) {
    if (id.substr(0, p.size()) == p && (id.size() == p.size() || id[p.size()] == '-')) return true;
  }
  return false;
}

bool isLegacyDocument(const YAML::Node& doc) {
  if (doc.IsSequence()) return true;
  if (!doc.IsMap() || doc.size() != 1) return false;
  const YAML::Node& d = doc;  // const access: operator[] must not insert
  const YAML::Node rules = d["rules"];
  if (!rules.IsDefined() || !rules.IsSequence()) return false;
  for (const auto& item : rules) {
    if (item.IsMap()) return item["conditions"].IsDefined();
  }
  return false;
}

std::vector<L1Rule> importLegacyRules(const YAML::Node& doc, const std::string& file,
                                      const KnownTypes& known, Diagnostics& diag) {
  std::vector<L1Rule> out;
  const YAML::Node& d = doc;
  const bool wrapped = !d.IsSequence();
  const YAML::Node list = wrapped ? d["rules"] : d;
  const std::string base = wrapped ? "rules" : "";
  for (std::size_t i = 0; i < list.size(); ++i) {
    Diagnostics local;
    out.push_back(legacyRule(list[i], base + "[" + std::to_string(i) + "]", file, known, local));
    detail::mergeWithId(local, out.back().id, diag);
  }
  return out;
}

}  // namespace rules
