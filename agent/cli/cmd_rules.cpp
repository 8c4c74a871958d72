// `rules validate PATH...` and `rules list [--tier T]`.
#include <cstdio>
#include <string>
#include <nlohmann/json.hpp>

#include "checks/probe_registry.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/setup.h"
#include "config/agent_config.h"

namespace cli {
namespace {

// The check's benchmark references: {"ssg": [...], "cis": ...}, only the keys given ({} for
// none); ssg is always a list, of one rule id or several.
nlohmann::ordered_json refsJson(const rules::CheckRefs& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!r.ssg.empty()) j["ssg"] = r.ssg;  // a list
  if (!r.cis.empty()) j["cis"] = r.cis;
  if (!r.stig.empty()) j["stig"] = r.stig;
  return j;
}

// "ssg sshd_disable_root_login  cis 5.2.10" for the table's continuation line.
std::string refsText(const rules::CheckRefs& r) {
  std::string out;
  auto add = [&](const char* name, const std::string& v) {
    if (!v.empty()) out += (out.empty() ? "" : "  ") + std::string(name) + " " + v;
  };
  std::string ssg;
  for (const auto& id : r.ssg) ssg += (ssg.empty() ? "" : ", ") + id;
  add("ssg", ssg);
  add("cis", r.cis);
  add("stig", r.stig);
  return out;
}

}  // namespace

int runRulesValidate(const GlobalOptions& global, const std::vector<std::string>& paths) {
  checks::ProbeRegistry probes;
  checks::registerBuiltinProbes(probes);
  const auto known = cycle::knownTypes(probes);
  int rc = kExitOk;
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const auto& path : paths) {
    auto set = rules::loadRulePath(path, known);
    nlohmann::ordered_json entry{{"path", path}, {"valid", set.ok()}};
    if (set.ok()) {
      entry["checks"] = set->checks.size();
      entry["rules"] = set->rules.size();
      entry["waivers"] = set->waivers.size();
      entry["version"] = set->version;
      if (!global.json) {
        std::printf("%s: ok (%zu checks, %zu rules, %zu waivers)\n", path.c_str(), set->checks.size(),
                    set->rules.size(), set->waivers.size());
      }
    } else {
      // Io (unreadable) is a runtime error; everything else is invalid input.
      rc = std::max(rc, set.error().code == rules::RulesErrc::Io ? int(kExitRuntime) : int(kExitUsage));
      entry["errors"] = nlohmann::ordered_json::array();
      for (const auto& p : set.error().problems) entry["errors"].push_back(p.format());
      std::fprintf(stderr, "%s: invalid\n%s", path.c_str(), set.error().format().c_str());
    }
    doc.push_back(std::move(entry));
  }
  if (global.json) std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
  return rc;
}

int runRulesCompile(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto lock = cycle::lockStateDir(*cfg);
  if (!lock.ok()) return reportFailure(lock.error());
  auto agent = cycle::loadAgentWith(std::move(*cfg), true);
  if (!agent.ok()) return reportFailure(agent.error());
  std::printf("%s: ok (%zu checks, %zu rules, %zu waivers); compiled into %s/cache\n",
              agent->config.rules.dir.c_str(), agent->rules.checks.size(), agent->rules.rules.size(),
              agent->rules.waivers.size(), agent->config.state_dir.c_str());
  return kExitOk;
}

int runRulesList(const GlobalOptions& global) {
  auto agent = loadAgent(global);
  if (!agent.ok()) return reportFailure(agent.error());
  const rules::RuleSet* set = &agent->rules;
  const config::AgentConfig* cfg = &agent->config;
  const auto tier = cycle::activeTier(*cfg);
  if (global.json) {
    nlohmann::ordered_json doc;
    doc["tier"] = std::string(rules::toString(tier));
    doc["rules_version"] = set->version;
    doc["checks"] = nlohmann::ordered_json::array();
    for (const auto& c : set->checks) {
      nlohmann::ordered_json platforms = nlohmann::ordered_json::array();
      for (auto p : c.platforms) platforms.push_back(std::string(rules::toString(p)));
      doc["checks"].push_back({{"id", c.id}, {"title", c.title}, {"severity", std::string(rules::toString(c.severity))},
                               {"hipaa", c.hipaa}, {"platforms", platforms}, {"probe", c.probe.type},
                               {"refs", refsJson(c.refs)}});
    }
    doc["rules"] = nlohmann::ordered_json::array();
    for (const auto& r : set->rules) {
      nlohmann::ordered_json tiers = nlohmann::ordered_json::array();
      for (auto t : r.tiers) tiers.push_back(std::string(rules::toString(t)));
      nlohmann::ordered_json actions = nlohmann::ordered_json::array();
      for (const auto& a : r.actions) actions.push_back(a.type);
      doc["rules"].push_back({{"id", r.id}, {"name", r.name}, {"tiers", tiers}, {"acts_in_tier", r.actsIn(tier)},
                              {"mode", std::string(rules::toString(r.mode))}, {"actions", actions}});
    }
    doc["vars"] = nlohmann::ordered_json::array();
    for (const auto& v : set->vars) {
      nlohmann::ordered_json var{{"name", v.name}, {"type", std::string(rules::toString(v.type))},
                                 {"value", v.value}, {"default", v.default_value}, {"source", v.source}};
      if (v.min) var["min"] = *v.min;
      if (v.max) var["max"] = *v.max;
      if (!v.allowed.empty()) var["allowed"] = v.allowed;
      var["description"] = v.description;
      doc["vars"].push_back(std::move(var));
    }
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("tier: %s   rules: %s\n\nCHECKS (%zu)\n", std::string(rules::toString(tier)).c_str(),
              set->version.substr(0, 12).c_str(), set->checks.size());
  for (const auto& c : set->checks) {
    std::printf("  %-14s %-9s %s\n", c.id.c_str(), std::string(rules::toString(c.severity)).c_str(), c.title.c_str());
    // The references on a continuation line under the title: the title column keeps its width.
    if (!c.refs.empty()) std::printf("  %-14s %-9s   %s\n", "", "", refsText(c.refs).c_str());
  }
  std::printf("\nL1 RULES (%zu; * = acts in tier %s)\n", set->rules.size(), std::string(rules::toString(tier)).c_str());
  for (const auto& r : set->rules) {
    std::string actions;
    for (const auto& a : r.actions) actions += (actions.empty() ? "" : ", ") + a.type;
    std::printf("%c %-17s %-7s %s [%s]\n", r.actsIn(tier) ? '*' : ' ', r.id.c_str(),
                std::string(rules::toString(r.mode)).c_str(), r.name.c_str(), actions.c_str());
  }
  if (!set->vars.empty()) {
    std::printf("\nVARIABLES (%zu; set in agent.yaml vars:)\n", set->vars.size());
    for (const auto& v : set->vars) {
      std::string range;
      if (v.type == rules::VarType::Int && (v.min || v.max)) {
        range = " " + (v.min ? std::to_string(*v.min) : std::string()) + ".." + (v.max ? std::to_string(*v.max) : std::string());
      }
      for (std::size_t i = 0; i < v.allowed.size(); ++i) range += (i ? "|" : " ") + v.allowed[i];
      const std::string origin = v.overridden() ? v.source + ", default " + v.default_value : "default";
      std::printf("  %-32s %-10s %s%s (%s)\n", v.name.c_str(), v.value.c_str(),
                  std::string(rules::toString(v.type)).c_str(), range.c_str(), origin.c_str());
    }
  }
  return kExitOk;
}

}  // namespace cli
