// `config show`: the effective configuration, every key with its value and where that value came
// from (default, file:line, environment, flag), as `sshd -T` prints sshd's. Read-only: it loads
// agent.yaml, the environment and the flags, and nothing else.
// `config validate`: what a start checks before it records anything (cycle::validate), without
// the lock and without writing: for the unit's ExecStartPre and for an operator after an edit.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/setup.h"
#include "config/settings.h"
#include "cycle/agent.h"

namespace cli {
namespace {

nlohmann::ordered_json jsonValue(const config::Setting& s) {
  switch (s.kind) {
    case config::Setting::Kind::String: return s.str;
    case config::Setting::Kind::Bool: return s.boolean;
    case config::Setting::Kind::Number: return s.number;
    case config::Setting::Kind::Duration: return config::displayValue(s);  // "5m", as the file spells it
    case config::Setting::Kind::List: return s.list;
  }
  return nullptr;
}

std::string fileLine(const config::AgentConfig& cfg) {
  return cfg.origin.file + (cfg.origin.file_loaded ? "" : " (not found: all defaults)");
}

}  // namespace

int runConfigShow(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  const auto settings = config::settingsOf(*cfg);
  std::string out;
  if (global.json) {
    nlohmann::ordered_json doc;
    doc["file"] = cfg->origin.file;
    doc["file_loaded"] = cfg->origin.file_loaded;
    auto& list = doc["settings"] = nlohmann::ordered_json::array();
    for (const auto& s : settings) {
      list.push_back({{"key", s.key}, {"value", jsonValue(s)}, {"source", config::sourceOf(*cfg, s.key)}});
    }
    out = doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  } else {
    std::size_t key_width = 0;
    std::size_t value_width = 0;
    for (const auto& s : settings) {
      key_width = std::max(key_width, s.key.size());
      value_width = std::max(value_width, std::min<std::size_t>(config::displayValue(s).size(), 48));
    }
    out = "# config file: " + fileLine(*cfg) + "\n";
    for (const auto& s : settings) {
      const std::string value = config::displayValue(s);
      std::string line = s.key + std::string(key_width + 2 - s.key.size(), ' ') + value;
      // A long value (writable_paths) keeps its full text; the source column starts after it.
      line += std::string(value.size() < value_width ? value_width - value.size() + 2 : 2, ' ');
      line += "# " + config::sourceOf(*cfg, s.key) + "\n";
      out += line;
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int runConfigValidate(const GlobalOptions& global) {
  auto cfg = loadConfiguration(global);
  if (!cfg.ok()) return reportFailure(cfg.error());
  auto valid = cycle::validate(std::move(*cfg));
  if (!valid.ok()) return reportFailure(valid.error());
  const config::AgentConfig& c = valid->agent.config;
  const rules::RuleSet& set = valid->agent.rules;
  if (global.json) {
    const nlohmann::ordered_json doc{{"valid", true},
                                     {"config", fileLine(c)},
                                     {"mode", cycle::modeName(c)},
                                     {"tier", std::string(config::toString(c.rules.tier))},
                                     {"rules_version", set.version},
                                     {"checks", set.checks.size()},
                                     {"rules", set.rules.size()},
                                     {"central", valid->connected ? c.central.endpoint : std::string()}};
    std::printf("%s\n", doc.dump(2).c_str());
    return kExitOk;
  }
  const auto tier_source = c.origin.sources.find("rules.tier");
  const std::string tier = std::string(config::toString(c.rules.tier)) + " (from " +
                           (tier_source == c.origin.sources.end() ? std::string("default") : tier_source->second) +
                           (valid->connected ? "; central command's applies once it has said" : "") + ")";
  std::printf("valid: %s\n  mode %s, tier %s, %zu checks, %zu rules, rules %s\n  central command: %s\n",
              fileLine(c).c_str(), cycle::modeName(c).c_str(), tier.c_str(),
              set.checks.size(), set.rules.size(), set.version.substr(0, 12).c_str(),
              valid->connected ? (c.central.endpoint + " (key and TLS files readable; not dialled)").c_str()
                               : "none (standalone)");
  return kExitOk;
}

}  // namespace cli
