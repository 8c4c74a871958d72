#pragma once
// Flags accepted by every subcommand, before or after it, at any depth. They override the
// environment and the config file (see config::Overrides).
#include <optional>
#include <string>

namespace cli {
struct GlobalOptions {
  std::optional<std::string> config_file;
  std::optional<std::string> root;
  std::optional<std::string> rules_dir;
  std::optional<std::string> state_dir;
  std::optional<std::string> tier;
  std::optional<std::string> log_level;
  bool dry_run = false;
  bool live = false;
  bool json = false;
};
}  // namespace cli
