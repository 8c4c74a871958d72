#include "cli/report.h"

#include "cycle/agent.h"
#include "cycle/encode.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string_view>
#include <tuple>

namespace cli {

Report reportOf(const cycle::Agent& agent, cycle::CycleResult result) {
  const config::AgentConfig& cfg = agent.config();
  Report report{cycle::modeName(cfg), std::string(config::toString(cfg.rules.tier)), agent.rules().version,
                std::move(result.findings), std::move(result.actions)};
  report.findings_before = std::move(result.findings_before);
  report.rechecked = result.rechecked;
  return report;
}
namespace {

using checks::Status;

std::map<Status, int> countStatuses(const std::vector<checks::Finding>& findings) {
  std::map<Status, int> counts{{Status::Compliant, 0}, {Status::Drifted, 0}, {Status::Error, 0},
                               {Status::NotApplicable, 0}, {Status::Waived, 0}};
  for (const auto& f : findings) ++counts[f.status];
  return counts;
}

// The findings by (check_id, target), built once per report: every action looks up its own.
class FindingIndex {
 public:
  explicit FindingIndex(const std::vector<checks::Finding>& findings) {
    for (const auto& f : findings) by_key_.emplace(std::tie(f.check_id, f.target), &f);
  }
  const checks::Finding* find(const std::string& check_id, const std::string& target) const {
    const auto it = by_key_.find(std::tie(check_id, target));
    return it == by_key_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::tuple<const std::string&, const std::string&>, const checks::Finding*> by_key_;
};

std::string statusLine(const std::vector<checks::Finding>& findings) {
  std::string line;
  for (const auto& [status, n] : countStatuses(findings)) {
    line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(checks::toString(status));
  }
  return line;
}

}  // namespace

bool hasDriftOrErrors(const Report& report) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [](const auto& f) { return f.status == Status::Error || f.status == Status::Drifted; });
}

std::string renderJson(const Report& report) {
  nlohmann::ordered_json doc;
  doc["mode"] = report.mode;
  doc["tier"] = report.tier;
  doc["rules_version"] = report.rules_version;
  auto& findings = doc["findings"] = nlohmann::ordered_json::array();
  for (const auto& f : report.findings) findings.push_back(cycle::findingJson<nlohmann::ordered_json>(f));
  auto& actions = doc["actions"] = nlohmann::ordered_json::array();
  std::map<std::string, int> outcomes;
  const bool live = report.mode == "live";
  const FindingIndex now(report.findings);
  const FindingIndex seen(report.rechecked ? report.findings_before : report.findings);
  for (const auto& a : report.actions) {
    // Before: what the checks saw, which the action answers. After (live only): the action's
    // own re-check, or for an action that did nothing the state at the end of the pass, so a
    // reader sees for every live action where its target stands.
    const checks::Finding* before = seen.find(a.check_id, a.target);
    const checks::Finding* after = !live ? nullptr : a.after ? &*a.after : now.find(a.check_id, a.target);
    actions.push_back(cycle::actionJson<nlohmann::ordered_json>(a, before, after));
    ++outcomes[std::string(healing::toString(a.outcome))];
  }
  auto& summary = doc["summary"];
  for (const auto& [status, n] : countStatuses(report.findings)) summary[std::string(checks::toString(status))] = n;
  summary["outcomes"] = nlohmann::ordered_json::object();
  for (const auto& [name, n] : outcomes) summary["outcomes"][name] = n;
  if (report.rechecked) {
    auto& before = summary["before_healing"] = nlohmann::ordered_json::object();
    for (const auto& [status, n] : countStatuses(report.findings_before)) before[std::string(checks::toString(status))] = n;
  }
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

bool colorWanted(int fd) {
  // no-color.org: NO_COLOR set to anything but the empty string turns colour off; so does a
  // terminal that says it cannot do it.
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  if (no_color && *no_color) return false;
  if (term && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

std::size_t tableWidth(int fd) {
  if (::isatty(fd) == 1) {
    struct winsize ws {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(columns, &end, 10);
    if (end != columns && *end == '\0' && n > 0 && n < 10000) return static_cast<std::size_t>(n);
  }
  return 0;
}

namespace {

// `text` after a prefix of `indent` columns, wrapped at blanks so that no line passes `width`
// (0: no limit); a word longer than a line is split. Nothing is ever dropped.
std::string wrapped(const std::string& text, std::size_t indent, std::size_t width) {
  if (width == 0 || indent + text.size() <= width) return text;
  const std::size_t room = width > indent + 20 ? width - indent : 20;
  std::string out, line;
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    while (w.size() > room) {
      if (!line.empty()) out += line + "\n" + std::string(indent, ' '), line.clear();
      out += w.substr(0, room) + "\n" + std::string(indent, ' ');
      w = w.substr(room);
    }
    if (!line.empty() && line.size() + 1 + w.size() > room) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  return out + line;
}

}  // namespace

std::string renderTable(const Report& report, bool color, bool verbose, std::size_t width, bool diffs) {
  auto paint = [&](Status s, const std::string& text) {
    if (!color) return text;
    const char* code = s == Status::Compliant ? "32" : s == Status::Drifted ? "31" : s == Status::Error ? "35" : "33";
    return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
  };
  // Host-controlled names (file names, values) must not drive the operator's terminal.
  auto safe = [](std::string s) {
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return s;
  };
  auto clip = [&](const std::string& text, size_t n) {
    std::string s = safe(text);
    return s.size() <= n ? s : s.substr(0, n - 3) + "...";
  };
  auto pad = [](std::string s, size_t n) { return s.size() >= n ? s + " " : s + std::string(n - s.size() + 1, ' '); };
  std::string out;
  out += "mode: " + report.mode + "   tier: " + report.tier + "   rules: " + report.rules_version.substr(0, 12) + "\n\n";
  // Column widths: fixed ones first; on a known width, TARGET, EXPECTED and ACTUAL share the rest.
  std::size_t target_w = 34, expected_w = 24, actual_w = 60;
  constexpr std::size_t kFixed = 9 + 15 + 14;  // SEVERITY, STATUS, CHECK and their blanks
  if (width > 0) {
    const std::size_t rest = width > kFixed + 42 ? width - kFixed - 2 : 40;
    actual_w = std::max<std::size_t>(10, rest * 2 / 5);
    target_w = std::min<std::size_t>(60, std::max<std::size_t>(12, (rest - actual_w) * 3 / 5));
    expected_w = std::min<std::size_t>(40, std::max<std::size_t>(8, rest - actual_w - target_w));
    actual_w = rest > target_w + expected_w + 10 ? rest - target_w - expected_w : 10;
  }
  out += pad("SEVERITY", 8) + pad("STATUS", 14) + pad("CHECK", 13) + pad("TARGET", target_w) +
         pad("EXPECTED", expected_w) + "ACTUAL\n";
  // The most severe first; then by check and target, so the order is the same every run.
  std::vector<const checks::Finding*> rows;
  for (const auto& f : report.findings) {
    if (verbose || f.status != Status::Compliant) rows.push_back(&f);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const checks::Finding* a, const checks::Finding* b) {
    return std::tuple(-static_cast<int>(a->severity), a->check_id, a->target) <
           std::tuple(-static_cast<int>(b->severity), b->check_id, b->target);
  });
  for (const checks::Finding* f : rows) {
    std::string actual = f->actual;
    if (auto it = f->details.find("reason"); it != f->details.end() && actual.empty()) actual = it->second;
    // Padded before painting so escape codes do not break the alignment.
    out += pad(std::string(rules::toString(f->severity)), 8) +
           paint(f->status, pad(std::string(checks::toString(f->status)), 14)) + pad(clip(f->check_id, 13), 13) +
           pad(clip(f->target, target_w), target_w) + pad(clip(f->expected, expected_w), expected_w) +
           clip(actual, actual_w) + "\n";
  }
  if (!report.actions.empty()) {
    const std::size_t plan_target_w = width > 0 ? std::min<std::size_t>(34, target_w) : 34;
    out += "\n" + pad("OUTCOME", 12) + pad("RULE", 17) + pad("TARGET", plan_target_w) + "PLAN\n";
    std::vector<std::string> quiet_rules;  // not_in_tier, folded into one line
    std::size_t quiet = 0;
    for (const auto& a : report.actions) {
      if (!verbose && a.outcome == healing::Outcome::NotInTier) {
        ++quiet;
        if (std::find(quiet_rules.begin(), quiet_rules.end(), a.rule_id) == quiet_rules.end()) {
          quiet_rules.push_back(a.rule_id);
        }
        continue;
      }
      std::string plan = a.reason;
      for (const auto& st : a.steps) {
        const std::string& said = st.error.empty() ? st.description : st.error;
        if (said != a.reason) plan += (plan.empty() ? "" : "; ") + said;  // an escalation's step says the reason
      }
      if (a.would_pass) plan += *a.would_pass ? "  [would pass]" : "  [would still fail]";
      // The plan, and the reason a plan was refused, whole: never cut.
      out += pad(std::string(healing::toString(a.outcome)), 12) + pad(clip(a.rule_id.empty() ? a.check_id : a.rule_id, 17), 17) +
             pad(clip(a.target, plan_target_w), plan_target_w) +
             wrapped(safe(plan), 12 + 1 + 17 + 1 + plan_target_w + 1, width) + "\n";
    }
    if (quiet > 0) {
      std::sort(quiet_rules.begin(), quiet_rules.end());
      std::string names;
      for (const auto& r : quiet_rules) names += (names.empty() ? "" : ", ") + r;
      out += pad("not_in_tier", 12) + wrapped(std::to_string(quiet) + (quiet == 1 ? " drift has" : " drifts have") +
                                                  " an L1 rule outside tier " + report.tier + " (" + safe(names) +
                                                  "): `--tier full_coverage` plans them",
                                              13, width) +
             "\n";
    }
  }
  if (diffs) {
    // Each distinct (path, diff) once, with every rule whose step makes it.
    std::vector<std::pair<std::string, std::vector<std::string>>> shown;  // diff text, who
    for (const auto& a : report.actions) {
      for (std::size_t i = 0; i < a.steps.size(); ++i) {
        const auto& st = a.steps[i];
        if (st.diff.empty()) continue;
        const std::string who = a.rule_id + " step " + std::to_string(i + 1) + " (" + st.type + ")";
        auto it = std::find_if(shown.begin(), shown.end(), [&](const auto& d) { return d.first == st.diff; });
        if (it == shown.end()) {
          shown.push_back({st.diff, {who}});
        } else if (std::find(it->second.begin(), it->second.end(), who) == it->second.end()) {
          it->second.push_back(who);
        }
      }
    }
    for (const auto& [diff, who] : shown) {
      std::string names;
      for (const auto& w : who) names += (names.empty() ? "" : ", ") + w;
      std::string body = diff;
      for (char& c : body) {
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) c = '?';
      }
      out += "\n# " + safe(names) + "\n" + body + (body.empty() || body.back() == '\n' ? "" : "\n");
    }
  }
  out += "\n";
  // Live after a heal: the state after the cycle, and the one the actions started from.
  out += "summary: " + statusLine(report.findings) + (report.rechecked ? " (after healing)" : "") + "\n";
  if (report.rechecked) out += "before healing: " + statusLine(report.findings_before) + "\n";
  if (!report.actions.empty()) {
    std::map<std::string, int> outcomes;
    for (const auto& a : report.actions) ++outcomes[std::string(healing::toString(a.outcome))];
    std::string o;
    for (const auto& [name, n] : outcomes) o += (o.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    out += "actions: " + o + "\n";
  }
  return out;
}

}  // namespace cli
