#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "config/config_hash.h"
#include "config/loader.h"

using namespace config;

TEST_CASE("configHash is 64 lowercase hex digits and stable") {
  // The defaults of the version that recorded the value below (rules.dir now depends on the
  // install prefix, tools on the machine, writable_paths grew with the shipped rules): the same
  // settings must keep the same digest.
  AgentConfig a;
  a.rules.dir = "/usr/share/compliance-agent/rules";
  a.healing.writable_paths = {"/etc/ssh",    "/etc/sysctl.d", "/etc/audit",  "/etc/nftables.conf",
                              "/etc/passwd", "/etc/shadow",   "/etc/group",  "/etc/gshadow",
                              "/etc/systemd/journald.conf",   "/etc/issue",  "/etc/issue.net",
                              "/etc/motd",   "/etc/crontab",  "/etc/cron.d"};
  a.tools = {{"systemctl", "/run/current-system/sw/bin/systemctl"},
             {"timedatectl", "/run/current-system/sw/bin/timedatectl"},
             {"nft", "/run/current-system/sw/bin/nft"},
             {"sshd", "/run/current-system/sw/bin/sshd"}};
  a.healing.writable_paths = {"/etc/ssh",    "/etc/sysctl.d", "/etc/audit", "/etc/nftables.conf",
                              "/etc/passwd", "/etc/shadow",   "/etc/group", "/etc/gshadow",
                              "/etc/systemd/journald.conf",   "/etc/issue", "/etc/issue.net",
                              "/etc/motd",   "/etc/crontab",  "/etc/cron.d"};
  const std::string h = configHash(a);
  REQUIRE(h.size() == 64);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(configHash(AgentConfig(a)) == h);
  // A recorded value (checked independently with Python's hashlib over canonicalConfigText):
  // changing the canonical form must be a deliberate, versioned change, since evidence already
  // written carries the old digests.
  CHECK(canonicalConfigText(a).rfind("compliance-agent-config/3\n", 0) == 0);
  CHECK(h == "66bc7e1a1b85736ca0e92e2eb1bfec21179774d58c1a0dac9c1e8f9fa8389a10");
}

TEST_CASE("configHash ignores where a setting came from") {
  auto from_file = loadConfigText("healing: {dry_run: false}\n", "a.yaml");
  Environment env;
  env.vars["HEALING_DRY_RUN"] = "off";
  auto from_env = loadConfigText("", "b.yaml", {}, env);
  REQUIRE(from_file.ok());
  REQUIRE(from_env.ok());
  CHECK(from_file->origin != from_env->origin);
  CHECK(configHash(*from_file) == configHash(*from_env));
}

TEST_CASE("configHash is the same for equivalent spellings of one configuration") {
  auto a = loadConfigText("checks: {interval: 5m}\nstate_dir: /var/lib/x/\n", "a.yaml");
  auto b = loadConfigText("state_dir: /var/lib/x\nchecks:\n  interval: 300s\n", "b.yaml");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(configHash(*a) == configHash(*b));
}

TEST_CASE("configHash changes when any value changes") {
  const AgentConfig base;
  std::set<std::string> seen{configHash(base)};
  auto differs = [&](AgentConfig c) {
    const std::string h = configHash(c);
    CHECK(seen.insert(h).second);
  };
  AgentConfig c;
  c = base; c.site_id = "clinic-1"; differs(c);
  c = base; c.healing.dry_run = false; differs(c);
  c = base; c.checks.interval = std::chrono::minutes(6); differs(c);
  c = base; c.rules.tier = Tier::FullCoverage; differs(c);
  c = base; c.healing.maintenance_window.reset(); differs(c);
  c = base; c.healing.writable_paths.pop_back(); differs(c);
  c = base; c.tools["nft"] = "/opt/sbin/nft"; differs(c);
  c = base; c.gateway.enabled = true; differs(c);
  c = base; c.evidence.retention_days = 91; differs(c);
  // Quoting keeps values from imitating other lines or list items.
  c = base; c.site_id = "x\"\nappliance_id=\"y"; differs(c);
  c = base; c.checks.disabled = {"a,b"}; differs(c);
  c = base; c.checks.disabled = {"a", "b"}; differs(c);
}
