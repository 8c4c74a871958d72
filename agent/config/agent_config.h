#pragma once
// AgentConfig: the effective, validated configuration of one agent process (agent.yaml, then the
// environment, then command-line flags; see loader.h). Every default here is the one design.md's
// agent.yaml shows, so a host without a config file behaves exactly as documented.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/install_paths.h"
#include "core/result.h"

namespace config {

using std::chrono::milliseconds;

/// live_state: whether live probes (systemd, time sync, ...) query the machine.
enum class LiveStateMode { Auto, On, Off };
/// log_level, as spdlog's levels of the same names.
enum class LogLevel { Trace, Debug, Info, Warn, Error };
/// The healing tier: `standard` is contained in `full_coverage`.
enum class Tier { Standard, FullCoverage };
/// Who decided dry-run vs live, for the start-up log line ("dry-run (from HEALING_DRY_RUN)").
enum class DryRunSource { Default, File, Environment, Flag };

/// The spelling used in agent.yaml and on the command line ("auto", "full_coverage", ...).
std::string_view toString(LiveStateMode m);
std::string_view toString(LogLevel l);
std::string_view toString(Tier t);
/// "default", "config file", "HEALING_DRY_RUN", "--dry-run/--live".
std::string_view toString(DryRunSource s);

/// Exact spellings only ("auto" | "on" | "off"); nullopt for anything else.
std::optional<LiveStateMode> parseLiveStateMode(std::string_view text);
/// "trace" | "debug" | "info" | "warn" (or "warning", as the log lines print it) | "error",
/// case-insensitive (operators write LOG_LEVEL=DEBUG); nullopt for anything else.
std::optional<LogLevel> parseLogLevel(std::string_view text);
/// "standard" | "full_coverage"; nullopt for anything else.
std::optional<Tier> parseTier(std::string_view text);

/// A daily window in the appliance's local time, [start, end) in minutes since midnight. It
/// crosses midnight when end < start ("22:00-02:00"). start == end is refused by the parser as
/// ambiguous (empty or all day?).
struct MaintenanceWindow {
  int start_minute = 2 * 60;
  int end_minute = 4 * 60;

  /// Whether `minute_of_day` (0..1439) falls inside the window.
  bool contains(int minute_of_day) const;
  /// "HH:MM-HH:MM", the form the parser accepts.
  std::string format() const;
  bool operator==(const MaintenanceWindow&) const = default;
};

/// Parses "HH:MM-HH:MM" (two digits each, 00-23 and 00-59). On failure returns a message that
/// says what is accepted. Shared with the check-in, which receives windows from central command.
core::Result<MaintenanceWindow, std::string> parseMaintenanceWindow(std::string_view text);

struct CentralConfig {
  std::string endpoint;  // "host:port" or "unix:/path"; empty = offline, no check-in
  std::string ca_file;
  std::string api_key_file;  // the one place the API key comes from
  std::string client_cert_file;
  std::string client_key_file;
  milliseconds checkin_interval{60'000};
  milliseconds timeout{10'000};
  std::string server_public_key;  // Ed25519, 64 lowercase hex digits, or empty
  bool operator==(const CentralConfig&) const = default;
};

struct RulesConfig {
  std::string dir = core::kInstalledRulesDir;  // where `cmake --install` put the shipped rules
  std::vector<std::string> trusted_keys;  // Ed25519 public keys, 64 lowercase hex digits each
  Tier tier = Tier::Standard;
  bool operator==(const RulesConfig&) const = default;
};

struct ChecksConfig {
  milliseconds interval{5 * 60'000};
  milliseconds command_timeout{30'000};
  std::vector<std::string> disabled;  // check ids
  bool operator==(const ChecksConfig&) const = default;
};

/// The default healing.writable_paths: design.md's, and the files the shipped rules repair.
std::vector<std::string> defaultWritablePaths();

struct HealingConfig {
  bool dry_run = true;
  // Host-root relative, normalised (no "//", ".", trailing "/"; ".." refused), so the healing
  // guard can compare them as path prefixes.
  std::vector<std::string> writable_paths = defaultWritablePaths();
  // nullopt: `maintenance_window: ""`, no window configured. What that means for disruptive rules
  // is the healing guard's decision, not the loader's.
  std::optional<MaintenanceWindow> maintenance_window = MaintenanceWindow{};
  int max_actions_per_hour = 30;
  milliseconds attempt_window{3'600'000};
  int flap_threshold = 3;
  milliseconds flap_window{2 * 3'600'000};
  milliseconds command_timeout{60'000};
  /// How long the backups of live file steps (state_dir/backups) are kept: an extension of
  /// design.md's contract. They may hold secrets, so they are not kept forever.
  milliseconds backup_retention{30LL * 24 * 3'600'000};
  bool operator==(const HealingConfig&) const = default;
};

struct EvidenceConfig {
  int retention_days = 90;
  int max_disk_mb = 1024;
  /// Segments are closed at about this size: the unit of retention (an extension of design.md's
  /// contract, for appliances that want finer pruning, and for tests).
  int segment_kb = 4096;
  bool operator==(const EvidenceConfig&) const = default;
};

struct MetricsConfig {
  std::string textfile_dir;  // empty = state_dir
  bool operator==(const MetricsConfig&) const = default;
};

struct GatewayConfig {
  bool enabled = false;
  std::string listen = "0.0.0.0:50051";
  std::string cert_file;
  std::string key_file;
  bool operator==(const GatewayConfig&) const = default;
};

/// The platform whose programs the agent runs: tools run on the agent's own machine (never
/// under host_root), so their default paths follow that machine, not the host being checked.
enum class ToolPlatform { Linux, Nixos };
std::string_view toString(ToolPlatform p);

/// The default tools: map: every tool a shipped probe, action or accepted validator uses
/// (systemctl, timedatectl, df, sshd, nft, visudo, nginx, named-checkconf, chronyd). NixOS: the
/// system profile (/run/current-system/sw/bin); other Linux: where Debian installs them.
std::map<std::string, std::string> defaultTools(ToolPlatform platform = ToolPlatform::Linux);

/// Where the settings came from. Not part of the effective configuration (configHash ignores it).
struct ConfigOrigin {
  std::string file;          // the config file read, or the one looked for
  bool file_loaded = false;  // false: the default file was missing, all defaults
  DryRunSource dry_run_source = DryRunSource::Default;
  // Dotted key -> where its value came from ("/etc/x/agent.yaml:12", "environment STATE_DIR",
  // "flag --root"); a key not listed has its default.
  std::map<std::string, std::string> sources;
  // Whose defaults the tools: map started from.
  ToolPlatform tool_platform = ToolPlatform::Linux;
  bool operator==(const ConfigOrigin&) const = default;
};

/// A site's value for a rule-set variable (agent.yaml `vars:`), as written, with its position in
/// the file (the rules validate it against the variable's declaration).
struct VarSetting {
  std::string value;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  bool operator==(const VarSetting&) const = default;
};

struct AgentConfig {
  std::string site_id;
  std::string appliance_id;  // empty: derived from etc/machine-id under host_root
  std::string host_root = "/";
  LiveStateMode live_state = LiveStateMode::Auto;
  std::string platform;  // "" (detect from etc/os-release) | "nixos" | "linux"
  std::string state_dir = "/var/lib/compliance-agent";
  LogLevel log_level = LogLevel::Info;
  CentralConfig central;
  RulesConfig rules;
  ChecksConfig checks;
  HealingConfig healing;
  EvidenceConfig evidence;
  MetricsConfig metrics;
  GatewayConfig gateway;
  // Merged over defaultTools(): a file entry replaces the default of that name only.
  std::map<std::string, std::string> tools = defaultTools();
  /// Rule-set variables tuned for this site (name -> value): see the README, "Variables".
  std::map<std::string, VarSetting> vars;

  ConfigOrigin origin;
  bool operator==(const AgentConfig&) const = default;
};

}  // namespace config
