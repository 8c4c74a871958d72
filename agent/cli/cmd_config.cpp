// `config show`: the effective configuration, every key with its value and where that value came
// from (default, file:line, environment, flag), as `sshd -T` prints sshd's. Read-only: it loads
// agent.yaml, the environment and the flags, and nothing else.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/setup.h"
#include "config/settings.h"

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

}  // namespace cli
