// Strict validation of agent.yaml: every problem names file, line, column and key, and all of a
// file's problems are reported at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "config/loader.h"
#include "support/temp_dir.h"

using namespace config;
using core::yaml::YamlErrc;

namespace {

// The error of loading `text` as "agent.yaml"; fails the test when it loads.
ConfigError errorOf(const std::string& text) {
  auto r = loadConfigText(text, "agent.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ConfigErrc::Invalid);
  return r.error();
}

// The one problem of `text`, which must name `key` at line:col.
void requireSingle(const std::string& text, YamlErrc code, const std::string& key, int line, int col) {
  const ConfigError e = errorOf(text);
  INFO(e.message);
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].code == code);
  CHECK(e.errors[0].field == key);
  CHECK(e.errors[0].line == line);
  CHECK(e.errors[0].column == col);
  const std::string where = "agent.yaml:" + std::to_string(line) + ":" + std::to_string(col) + ": " + key + ": ";
  CHECK_THAT(e.message, Catch::StartsWith(where));
}

AgentConfig load(const std::string& text) {
  auto r = loadConfigText(text, "agent.yaml");
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("unknown keys are reported with position, at the top level and nested") {
  requireSingle("site_id: x\nsiteid: y\n", YamlErrc::UnknownKey, "siteid", 2, 1);
  requireSingle("healing:\n  dry_run: true\n  dryrun: false\n", YamlErrc::UnknownKey, "healing.dryrun", 3, 3);
  requireSingle("central: {endpiont: x}\n", YamlErrc::UnknownKey, "central.endpiont", 1, 11);
}

TEST_CASE("wrong types are reported with position and key") {
  requireSingle("healing: 5\n", YamlErrc::Type, "healing", 1, 10);
  requireSingle("healing:\n  dry_run: sometimes\n", YamlErrc::Type, "healing.dry_run", 2, 12);
  requireSingle("evidence:\n  retention_days: ninety\n", YamlErrc::Type, "evidence.retention_days", 2, 19);
  requireSingle("healing:\n  writable_paths: /etc/ssh\n", YamlErrc::Type, "healing.writable_paths", 2, 19);
  requireSingle("site_id: [a, b]\n", YamlErrc::Type, "site_id", 1, 10);
  requireSingle("tools: [systemctl]\n", YamlErrc::Type, "tools", 1, 8);
  requireSingle("tools:\n  nft: {path: /x}\n", YamlErrc::Type, "tools.nft", 2, 8);
}

TEST_CASE("bad durations are reported with position and key") {
  requireSingle("checks:\n  interval: 5 minutes\n", YamlErrc::BadValue, "checks.interval", 2, 13);
  requireSingle("central:\n  timeout: 10\n", YamlErrc::BadValue, "central.timeout", 2, 12);
  requireSingle("healing:\n  flap_window: -2h\n", YamlErrc::BadValue, "healing.flap_window", 2, 16);
  requireSingle("healing:\n  backup_retention: 10m\n", YamlErrc::BadValue, "healing.backup_retention", 2, 21);
  // Too short for an interval, and the silent wrap-around of huge values.
  requireSingle("checks:\n  interval: 0s\n", YamlErrc::BadValue, "checks.interval", 2, 13);
  requireSingle("central:\n  checkin_interval: 500ms\n", YamlErrc::BadValue, "central.checkin_interval", 2, 21);
  requireSingle("healing:\n  command_timeout: 0s\n", YamlErrc::BadValue, "healing.command_timeout", 2, 20);
  requireSingle("healing:\n  attempt_window: 367d\n", YamlErrc::BadValue, "healing.attempt_window", 2, 19);
  requireSingle("healing:\n  attempt_window: 213503982335d\n", YamlErrc::BadValue, "healing.attempt_window", 2, 19);
  CHECK(load("checks:\n  interval: 1s\n  command_timeout: 250ms\n").checks.command_timeout.count() == 250);
}

TEST_CASE("bad enums are reported with position, key and the accepted values") {
  requireSingle("live_state: sometimes\n", YamlErrc::BadValue, "live_state", 1, 13);
  requireSingle("log_level: verbose\n", YamlErrc::BadValue, "log_level", 1, 12);
  requireSingle("rules:\n  tier: gold\n", YamlErrc::BadValue, "rules.tier", 2, 9);
  requireSingle("platform: windows\n", YamlErrc::BadValue, "platform", 1, 11);
  const ConfigError e = errorOf("rules:\n  tier: gold\n");
  CHECK_THAT(e.message, Catch::Contains("standard") && Catch::Contains("full_coverage") && Catch::Contains("gold"));
}

TEST_CASE("all problems of a file are reported together, in file order") {
  const ConfigError e = errorOf(
      "site_id: ok\n"
      "colour: blue\n"                 // 2: unknown
      "log_level: loud\n"              // 3: bad enum
      "checks:\n"
      "  interval: soon\n"             // 5: bad duration
      "healing:\n"
      "  dry_run: perhaps\n"           // 7: wrong type
      "  maintenance_window: 4-6\n"    // 8: bad window
      "  max_actions_per_hour: 0\n"    // 9: out of range
      "tools:\n"
      "  Nft: /usr/sbin/nft\n"         // 11: bad tool name
      "  sshd: sshd\n");               // 12: not absolute
  INFO(e.message);
  REQUIRE(e.errors.size() == 8);
  std::vector<int> lines;
  for (const auto& err : e.errors) lines.push_back(err.line);
  CHECK(lines == std::vector<int>{2, 3, 5, 7, 8, 9, 11, 12});  // in file order
  for (const char* key : {"colour", "log_level", "checks.interval", "healing.dry_run", "healing.maintenance_window",
                          "healing.max_actions_per_hour", "tools.Nft", "tools.sshd"}) {
    CHECK_THAT(e.message, Catch::Contains(std::string(": ") + key + ": "));
  }
  // One line per problem, each in file:line:col form.
  CHECK(std::count(e.message.begin(), e.message.end(), '\n') == 7);
}

TEST_CASE("maintenance_window: HH:MM-HH:MM, may cross midnight, \"\" for none") {
  requireSingle("healing:\n  maintenance_window: \"25:00-02:00\"\n", YamlErrc::BadValue, "healing.maintenance_window", 2, 23);
  requireSingle("healing:\n  maintenance_window: 2-4\n", YamlErrc::BadValue, "healing.maintenance_window", 2, 23);
  const auto night = load("healing:\n  maintenance_window: \"23:00-01:00\"\n");
  REQUIRE(night.healing.maintenance_window.has_value());
  CHECK(night.healing.maintenance_window->contains(0));
  CHECK_FALSE(load("healing:\n  maintenance_window: \"\"\n").healing.maintenance_window.has_value());
}

TEST_CASE("tools: names [a-z0-9_-]+, absolute paths, merged over the defaults") {
  requireSingle("tools:\n  nft: nft\n", YamlErrc::BadValue, "tools.nft", 2, 8);
  requireSingle("tools:\n  \"bad name\": /bin/x\n", YamlErrc::BadValue, "tools.bad name", 2, 3);
  requireSingle("tools:\n  sshd: \"\"\n", YamlErrc::BadValue, "tools.sshd", 2, 9);
  const auto cfg = load("tools:\n  nft: /usr/sbin/nft\n  chronyc: /usr/bin/chronyc\n  run-parts_2: /bin/run-parts\n");
  CHECK(cfg.tools.at("nft") == "/usr/sbin/nft");
  CHECK(cfg.tools.at("chronyc") == "/usr/bin/chronyc");
  CHECK(cfg.tools.at("systemctl") == defaultTools().at("systemctl"));  // default kept
  CHECK(cfg.tools.size() == defaultTools().size() + 2);
}

TEST_CASE("writable_paths: absolute host paths without '..', normalised") {
  requireSingle("healing:\n  writable_paths: [/etc/ssh, etc/motd]\n", YamlErrc::BadValue, "healing.writable_paths[1]", 2, 30);
  requireSingle("healing:\n  writable_paths:\n    - /etc/../root\n", YamlErrc::BadValue, "healing.writable_paths[0]", 3, 7);
  requireSingle("healing:\n  writable_paths: [\"/etc/\\0ssh\"]\n", YamlErrc::BadValue, "healing.writable_paths[0]", 2, 20);
  const auto cfg = load("healing:\n  writable_paths: [/etc/ssh/, //etc//cron.d, /etc/./motd]\n");
  CHECK(cfg.healing.writable_paths == std::vector<std::string>{"/etc/ssh", "/etc/cron.d", "/etc/motd"});
  CHECK(load("healing:\n  writable_paths: []\n").healing.writable_paths.empty());
}

TEST_CASE("site_id and appliance_id: no spaces or control characters") {
  requireSingle("site_id: clinic 42\n", YamlErrc::BadValue, "site_id", 1, 10);
  requireSingle("appliance_id: \"a\\tb\"\n", YamlErrc::BadValue, "appliance_id", 1, 15);
  CHECK(load("site_id: clinic-0042\nappliance_id: 4f1c\n").appliance_id == "4f1c");
}

TEST_CASE("agent paths must be absolute") {
  requireSingle("host_root: image\n", YamlErrc::BadValue, "host_root", 1, 12);
  requireSingle("state_dir: \"\"\n", YamlErrc::BadValue, "state_dir", 1, 12);
  requireSingle("rules:\n  dir: ./rules\n", YamlErrc::BadValue, "rules.dir", 2, 8);
  requireSingle("central:\n  api_key_file: key.txt\n", YamlErrc::BadValue, "central.api_key_file", 2, 17);
  requireSingle("metrics:\n  textfile_dir: textfiles\n", YamlErrc::BadValue, "metrics.textfile_dir", 2, 17);
  CHECK(load("state_dir: /var/lib/ca/\n").state_dir == "/var/lib/ca");
}

TEST_CASE("numbers must be in range") {
  requireSingle("healing:\n  max_actions_per_hour: 0\n", YamlErrc::BadValue, "healing.max_actions_per_hour", 2, 25);
  requireSingle("healing:\n  flap_threshold: -1\n", YamlErrc::BadValue, "healing.flap_threshold", 2, 19);
  requireSingle("evidence:\n  retention_days: 0\n", YamlErrc::BadValue, "evidence.retention_days", 2, 19);
  requireSingle("evidence:\n  max_disk_mb: 99999999999999999999\n", YamlErrc::Type, "evidence.max_disk_mb", 2, 16);
  requireSingle("evidence:\n  segment_kb: 8\n", YamlErrc::BadValue, "evidence.segment_kb", 2, 15);
  CHECK(load("healing:\n  max_actions_per_hour: 1\n").healing.max_actions_per_hour == 1);
}

TEST_CASE("keys: 64 hex digits or empty, stored lower-case") {
  const std::string hex(64, 'A');
  requireSingle("central:\n  server_public_key: abc\n", YamlErrc::BadValue, "central.server_public_key", 2, 22);
  requireSingle("rules:\n  trusted_keys: [" + hex + ", " + std::string(63, 'a') + "g]\n", YamlErrc::BadValue,
                "rules.trusted_keys[1]", 2, 84);
  const auto cfg = load("central:\n  server_public_key: " + hex + "\nrules:\n  trusted_keys: [" + hex + "]\n");
  CHECK(cfg.central.server_public_key == std::string(64, 'a'));
  CHECK(cfg.rules.trusted_keys == std::vector<std::string>{std::string(64, 'a')});
}

TEST_CASE("endpoints, listen addresses and certificate pairs") {
  CHECK(load("central: {endpoint: \"central.example:443\"}\n").central.endpoint == "central.example:443");
  CHECK(load("central: {endpoint: \"unix:/run/central.sock\"}\n").central.endpoint == "unix:/run/central.sock");
  CHECK(load("gateway: {listen: \"[::]:50051\"}\n").gateway.listen == "[::]:50051");
  requireSingle("central:\n  endpoint: central.example\n", YamlErrc::BadValue, "central.endpoint", 2, 13);
  requireSingle("central:\n  endpoint: \"unix:run.sock\"\n", YamlErrc::BadValue, "central.endpoint", 2, 13);
  requireSingle("gateway:\n  listen: \"0.0.0.0:70000\"\n", YamlErrc::BadValue, "gateway.listen", 2, 11);
  requireSingle("gateway:\n  listen: \"::1:50051\"\n", YamlErrc::BadValue, "gateway.listen", 2, 11);
  requireSingle("central:\n  client_cert_file: /etc/ca/cert.pem\n", YamlErrc::BadValue, "central.client_cert_file", 2, 21);
  requireSingle("gateway:\n  key_file: /etc/ca/key.pem\n", YamlErrc::BadValue, "gateway.key_file", 2, 13);
}

TEST_CASE("checks.disabled holds check ids") {
  CHECK(load("checks: {disabled: [LIN-SSH-001]}\n").checks.disabled == std::vector<std::string>{"LIN-SSH-001"});
  requireSingle("checks:\n  disabled: [\"LIN SSH\"]\n", YamlErrc::BadValue, "checks.disabled[0]", 2, 14);
}

TEST_CASE("a duplicate key is an error, not a silent first-wins") {
  requireSingle("healing:\n  dry_run: false\n  dry_run: true\n", YamlErrc::DuplicateKey, "healing.dry_run", 3, 3);
  requireSingle("site_id: a\nsite_id: b\n", YamlErrc::DuplicateKey, "site_id", 2, 1);
}

TEST_CASE("an empty file, a comment-only file and empty sections mean defaults") {
  AgentConfig defaults;
  for (const char* text : {"", "# nothing\n", "healing:\ncentral: ~\n", "{}\n"}) {
    INFO(text);
    auto cfg = load(text);
    defaults.origin = cfg.origin;
    CHECK(cfg == defaults);
  }
}

TEST_CASE("kMaxConfigBytes: a file one byte over the limit is refused, one at it is read") {
  std::string at_limit = "site_id: x\n";
  at_limit += std::string(kMaxConfigBytes - at_limit.size() - 1, '#');
  at_limit += '\n';
  REQUIRE(at_limit.size() == kMaxConfigBytes);
  CHECK(loadConfigText(at_limit, "agent.yaml").ok());
  const ConfigError e = errorOf(at_limit + "\n");
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].code == YamlErrc::TooLarge);
  CHECK_THAT(e.message, Catch::StartsWith("agent.yaml: "));

  // From disk too: the loader stops reading past the limit.
  testsupport::TempDir dir;
  const auto file = dir.write("big.yaml", at_limit + "\n");
  auto r = loadConfig({}, Environment{}, file.string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ConfigErrc::Invalid);
  CHECK(r.error().errors.at(0).code == YamlErrc::TooLarge);
}

TEST_CASE("kMaxConfigDepth: nesting at the limit parses, one deeper is refused") {
  // The root map is level 1; the deepest allowed value sits at kMaxConfigDepth.
  std::string inner = "x";
  for (int i = 0; i < kMaxConfigDepth - 2; ++i) inner = "[" + inner + "]";
  // At the limit: structurally fine, so the only problem is the schema (site_id is not a list).
  const ConfigError ok_depth = errorOf("site_id: [" + inner + "]\n");
  REQUIRE(ok_depth.errors.size() == 1);
  CHECK(ok_depth.errors[0].code == YamlErrc::Type);
  const ConfigError too_deep = errorOf("site_id: [[" + inner + "]]\n");
  REQUIRE(too_deep.errors.size() == 1);
  CHECK(too_deep.errors[0].code == YamlErrc::TooDeep);
}

TEST_CASE("kMaxReportedErrors: the message is capped, the error list is not") {
  std::string text;
  const std::size_t n = kMaxReportedErrors + 25;
  for (std::size_t i = 0; i < n; ++i) text += "unknown_" + std::to_string(i) + ": 1\n";
  const ConfigError e = errorOf(text);
  CHECK(e.errors.size() == n);
  CHECK_THAT(e.message, Catch::EndsWith("... and 25 more problems"));
  CHECK(std::count(e.message.begin(), e.message.end(), '\n') == static_cast<long>(kMaxReportedErrors));
}

TEST_CASE("messages escape control characters and cut overlong lines") {
  // yaml-cpp refuses implicit keys over 1024 characters, so 1000 is as long as a key gets.
  const ConfigError e = errorOf("\"bad\\x1b[31mkey\": 1\n" + std::string(1000, 'k') + ": 2\n");
  REQUIRE(e.errors.size() == 2);
  CHECK(e.message.find('\x1b') == std::string::npos);
  CHECK_THAT(e.message, Catch::Contains("\\x1b"));
  CHECK(e.message.size() < 1000);
}
