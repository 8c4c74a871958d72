#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "config/agent_config.h"
#include "config/config_hash.h"
#include "config/loader.h"
#include "config/settings.h"
#include "core/install_paths.h"

using namespace config;
using namespace std::chrono_literals;

namespace {

// design.md's agent.yaml, verbatim apart from the comments: every value is a default except site_id
// and writable_paths (design.md lists 14; the defaults grew with the shipped rules of issue 10).
const char* kDesignExample = R"(
site_id: clinic-0042
appliance_id: ""
host_root: /
live_state: auto
platform: ""
state_dir: /var/lib/compliance-agent
log_level: info
central:
  endpoint: ""
  ca_file: ""
  api_key_file: ""
  client_cert_file: ""
  client_key_file: ""
  checkin_interval: 60s
  timeout: 10s
  server_public_key: ""
rules:
  dir: /usr/share/compliance-agent/rules
  trusted_keys: []
  tier: standard
checks:
  interval: 5m
  command_timeout: 30s
  disabled: []
healing:
  dry_run: true
  writable_paths: [/etc/ssh, /etc/sysctl.d, /etc/audit, /etc/nftables.conf, /etc/passwd,
                   /etc/shadow, /etc/group, /etc/gshadow, /etc/systemd/journald.conf,
                   /etc/issue, /etc/issue.net, /etc/motd, /etc/crontab, /etc/cron.d]
  maintenance_window: "02:00-04:00"
  max_actions_per_hour: 30
  attempt_window: 1h
  flap_threshold: 3
  flap_window: 2h
  command_timeout: 60s
evidence:
  retention_days: 90
  max_disk_mb: 1024
metrics:
  textfile_dir: ""
gateway:
  enabled: false
  listen: 0.0.0.0:50051
  cert_file: ""
  key_file: ""
tools:
  systemctl: /run/current-system/sw/bin/systemctl
  timedatectl: /run/current-system/sw/bin/timedatectl
  nft: /run/current-system/sw/bin/nft
  sshd: /run/current-system/sw/bin/sshd
)";

}  // namespace

TEST_CASE("AgentConfig defaults are design.md's documented values") {
  const AgentConfig d;
  CHECK(d.site_id.empty());
  CHECK(d.appliance_id.empty());
  CHECK(d.host_root == "/");
  CHECK(d.live_state == LiveStateMode::Auto);
  CHECK(d.platform.empty());
  CHECK(d.state_dir == "/var/lib/compliance-agent");
  CHECK(d.log_level == LogLevel::Info);
  CHECK(d.central.endpoint.empty());
  CHECK(d.central.checkin_interval == 60s);
  CHECK(d.central.timeout == 10s);
  CHECK(d.central.server_public_key.empty());
  CHECK(d.rules.dir == core::kInstalledRulesDir);  // where cmake --install puts rules/
  CHECK(d.rules.trusted_keys.empty());
  CHECK(d.rules.tier == Tier::Standard);
  CHECK(d.checks.interval == 5min);
  CHECK(d.checks.command_timeout == 30s);
  CHECK(d.checks.disabled.empty());
  CHECK(d.healing.dry_run);
  // design.md's 14, and what the shipped rules of issue 10 repair (docs/configuration.md).
  CHECK(d.healing.writable_paths.size() == 31);
  for (const char* p : {"/etc/ssh", "/etc/cron.d", "/etc/shadow-", "/etc/login.defs", "/etc/sudoers",
                        "/etc/modprobe.d/60-compliance-agent.conf"}) {
    CHECK(std::count(d.healing.writable_paths.begin(), d.healing.writable_paths.end(), p) == 1);
  }
  REQUIRE(d.healing.maintenance_window.has_value());
  CHECK(d.healing.maintenance_window->format() == "02:00-04:00");
  CHECK(d.healing.max_actions_per_hour == 30);
  CHECK(d.healing.attempt_window == 1h);
  CHECK(d.healing.flap_threshold == 3);
  CHECK(d.healing.flap_window == 2h);
  CHECK(d.healing.backup_retention == std::chrono::hours(24 * 30));
  CHECK(d.healing.command_timeout == 60s);
  CHECK(d.evidence.retention_days == 90);
  CHECK(d.evidence.max_disk_mb == 1024);
  CHECK(d.evidence.segment_kb == 4096);
  CHECK(d.metrics.textfile_dir.empty());
  CHECK_FALSE(d.gateway.enabled);
  CHECK(d.gateway.listen == "0.0.0.0:50051");
  // Debian's locations unless the machine is NixOS; every tool a shipped probe or action uses.
  for (const char* tool : {"systemctl", "timedatectl", "df", "sshd", "nft"}) CHECK(d.tools.count(tool) == 1);
  CHECK(d.tools.at("systemctl") == "/usr/bin/systemctl");
  CHECK(d.tools.at("df") == "/usr/bin/df");
  CHECK(d.origin.dry_run_source == DryRunSource::Default);
}

TEST_CASE("design.md's example agent.yaml loads and equals the NixOS defaults plus its site_id") {
  Environment nixos;
  nixos.tool_platform = ToolPlatform::Nixos;
  auto r = loadConfigText(kDesignExample, "agent.yaml", {}, nixos);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  AgentConfig expected;
  expected.site_id = "clinic-0042";
  expected.rules.dir = "/usr/share/compliance-agent/rules";  // a distribution's prefix; ours is the build's
  expected.tools = defaultTools(ToolPlatform::Nixos);
  // design.md's list predates the shipped rules of issue 10, whose repairs the default grew for.
  expected.healing.writable_paths = {"/etc/ssh",    "/etc/sysctl.d", "/etc/audit",  "/etc/nftables.conf",
                                     "/etc/passwd", "/etc/shadow",   "/etc/group",  "/etc/gshadow",
                                     "/etc/systemd/journald.conf",   "/etc/issue",  "/etc/issue.net",
                                     "/etc/motd",   "/etc/crontab",  "/etc/cron.d"};
  expected.origin = r->origin;  // provenance differs by construction
  CHECK(*r == expected);
  CHECK(r->origin.dry_run_source == DryRunSource::File);
  CHECK(r->origin.file_loaded);
}

TEST_CASE("enum spellings round-trip") {
  for (auto m : {LiveStateMode::Auto, LiveStateMode::On, LiveStateMode::Off}) CHECK(parseLiveStateMode(toString(m)) == m);
  for (auto l : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    CHECK(parseLogLevel(toString(l)) == l);
  }
  for (auto t : {Tier::Standard, Tier::FullCoverage}) CHECK(parseTier(toString(t)) == t);
  CHECK(parseLogLevel("DEBUG") == LogLevel::Debug);
  CHECK(parseLogLevel("warning") == LogLevel::Warn);  // as the log lines print it
  CHECK_FALSE(parseLogLevel("warnings"));
  CHECK_FALSE(parseTier("Standard"));
  CHECK_FALSE(parseTier("full-coverage"));
  CHECK_FALSE(parseLiveStateMode("yes"));
}

TEST_CASE("maintenance windows parse, format and may cross midnight") {
  auto w = parseMaintenanceWindow("02:00-04:00");
  REQUIRE(w.ok());
  CHECK(w->start_minute == 120);
  CHECK(w->end_minute == 240);
  CHECK(w->contains(120));
  CHECK(w->contains(239));
  CHECK_FALSE(w->contains(240));
  CHECK_FALSE(w->contains(119));

  auto night = parseMaintenanceWindow("22:30-01:15");
  REQUIRE(night.ok());
  CHECK(night->format() == "22:30-01:15");
  CHECK(night->contains(23 * 60));
  CHECK(night->contains(0));
  CHECK(night->contains(75 - 1));
  CHECK_FALSE(night->contains(75));
  CHECK_FALSE(night->contains(12 * 60));

  for (const char* bad : {"", "2:00-4:00", "02:00-24:00", "02:60-04:00", "02:00 - 04:00", "02:00-04:00x",
                          "aa:bb-cc:dd", "03:00-03:00", "02:00/04:00"}) {
    INFO(bad);
    auto r = parseMaintenanceWindow(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.error().empty());
  }
}

TEST_CASE("tool defaults follow the agent's own machine: NixOS's system profile, else Debian's paths") {
  const auto linux_tools = defaultTools(ToolPlatform::Linux);
  const auto nixos_tools = defaultTools(ToolPlatform::Nixos);
  REQUIRE(linux_tools.size() == nixos_tools.size());
  for (const auto& [name, path] : nixos_tools) CHECK(path == "/run/current-system/sw/bin/" + name);
  CHECK(linux_tools.at("sshd") == "/usr/sbin/sshd");
  CHECK(linux_tools.at("timedatectl") == "/usr/bin/timedatectl");
  Environment nixos;
  nixos.tool_platform = ToolPlatform::Nixos;
  auto cfg = loadConfigText("tools:\n  df: /opt/bin/df\n", "a.yaml", {}, nixos);
  REQUIRE(cfg.ok());
  CHECK(cfg->tools.at("systemctl") == "/run/current-system/sw/bin/systemctl");
  CHECK(cfg->tools.at("df") == "/opt/bin/df");
  CHECK(sourceOf(*cfg, "tools.df") == "a.yaml:2");
  CHECK(sourceOf(*cfg, "tools.systemctl") == "default (nixos tools)");
}

TEST_CASE("every setting names its source: default, file:line, environment, flag") {
  Environment env;
  env.vars["STATE_DIR"] = "/srv/state";
  env.vars["HEALING_DRY_RUN"] = "on";
  Overrides flags;
  flags.tier = "full_coverage";
  flags.dry_run = false;
  auto cfg = loadConfigText("site_id: c1\nhealing:\n  flap_threshold: 4\n  dry_run: true\nstate_dir: /x\n",
                            "/etc/a.yaml", flags, env);
  REQUIRE(cfg.ok());
  CHECK(sourceOf(*cfg, "site_id") == "/etc/a.yaml:1");
  CHECK(sourceOf(*cfg, "healing.flap_threshold") == "/etc/a.yaml:3");
  CHECK(sourceOf(*cfg, "state_dir") == "environment STATE_DIR");  // the environment beats the file
  CHECK(cfg->state_dir == "/srv/state");
  CHECK(sourceOf(*cfg, "healing.dry_run") == "flag --live");      // a flag beats both
  CHECK_FALSE(cfg->healing.dry_run);
  CHECK(sourceOf(*cfg, "rules.tier") == "flag --tier");
  CHECK(sourceOf(*cfg, "checks.interval") == "default");
}

TEST_CASE("the settings list has every key once, and docs/configuration.md documents each") {
  const auto settings = settingsOf(AgentConfig{});
  std::set<std::string> keys;
  for (const auto& s : settings) CHECK(keys.insert(s.key).second);
  std::ifstream doc(std::string(CA_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(doc.good());
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  for (const auto& key : keys) {
    const std::string shown = key.rfind("tools.", 0) == 0 ? "tools." : key;
    INFO(key);
    CHECK(text.find("`" + shown) != std::string::npos);
  }
}

TEST_CASE("vars: keeps each rule variable's value as written with its position, and enters the settings") {
  Environment env;
  auto cfg = loadConfigText("site_id: c1\nvars:\n  var_sshd_max_auth_tries: 3\n  var_b: \"keep_logs\"\n", "/etc/a.yaml",
                            {}, env);
  REQUIRE(cfg.ok());
  REQUIRE(cfg->vars.size() == 2);
  CHECK(cfg->vars.at("var_sshd_max_auth_tries") == VarSetting{"3", 3, 28});
  CHECK(cfg->vars.at("var_b").value == "keep_logs");
  CHECK(sourceOf(*cfg, "vars.var_b") == "/etc/a.yaml:4");
  bool listed = false;
  for (const auto& s : settingsOf(*cfg)) listed = listed || (s.key == "vars.var_sshd_max_auth_tries" && s.str == "3");
  CHECK(listed);
  // A value changes the config hash (the rules in force differ).
  auto other = loadConfigText("site_id: c1\nvars:\n  var_sshd_max_auth_tries: 4\n  var_b: \"keep_logs\"\n",
                              "/etc/a.yaml", {}, env);
  REQUIRE(other.ok());
  CHECK(configHash(*cfg) != configHash(*other));
  // Names are the rules' kind of name; values are scalars.
  CHECK_FALSE(loadConfigText("vars:\n  Var-X: 3\n", "a.yaml", {}, env).ok());
  CHECK_FALSE(loadConfigText("vars:\n  v: [1, 2]\n", "a.yaml", {}, env).ok());
  CHECK_FALSE(loadConfigText("vars: 3\n", "a.yaml", {}, env).ok());
}
