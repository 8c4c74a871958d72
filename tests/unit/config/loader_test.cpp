// Which file is read, and which source wins for each setting.
#include <catch2/catch.hpp>

#include <string>

#include "config/loader.h"
#include "support/temp_dir.h"

using namespace config;

namespace {

Environment envWith(std::map<std::string, std::string> vars) {
  Environment e;
  e.vars = std::move(vars);
  e.working_dir = "/work/dir";
  return e;
}

const char* kFileSettings = R"(
state_dir: /from/file
log_level: warn
host_root: /file/root
rules:
  dir: /file/rules
  tier: full_coverage
healing:
  dry_run: false
)";

}  // namespace

TEST_CASE("a missing default file means all defaults") {
  testsupport::TempDir dir;
  const std::string missing = (dir.path() / "agent.yaml").string();
  auto r = loadConfig({}, envWith({}), missing);
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  AgentConfig expected;
  expected.origin.file = missing;
  CHECK(*r == expected);
  CHECK_FALSE(r->origin.file_loaded);
  CHECK(r->origin.dry_run_source == DryRunSource::Default);
}

TEST_CASE("an existing default file is read") {
  testsupport::TempDir dir;
  const auto file = dir.write("agent.yaml", "site_id: clinic-7\n");
  auto r = loadConfig({}, envWith({}), file.string());
  REQUIRE(r.ok());
  CHECK(r->site_id == "clinic-7");
  CHECK(r->origin.file_loaded);
  CHECK(r->origin.file == file.string());
}

TEST_CASE("a missing file named explicitly is an error") {
  testsupport::TempDir dir;
  const auto fallback = dir.write("agent.yaml", "site_id: not-this-one\n");
  const std::string missing = (dir.path() / "nope.yaml").string();

  SECTION("--config") {
    Overrides o;
    o.config_file = missing;
    auto r = loadConfig(o, envWith({}), fallback.string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ConfigErrc::FileMissing);
    CHECK_THAT(r.error().message, Catch::Contains(missing) && Catch::Contains("--config"));
  }
  SECTION("COMPLIANCE_AGENT_CONFIG") {
    auto r = loadConfig({}, envWith({{"COMPLIANCE_AGENT_CONFIG", missing}}), fallback.string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ConfigErrc::FileMissing);
    CHECK_THAT(r.error().message, Catch::Contains(missing) && Catch::Contains("COMPLIANCE_AGENT_CONFIG"));
  }
  SECTION("COMPLIANCE_AGENT_CONFIG set but empty") {
    auto r = loadConfig({}, envWith({{"COMPLIANCE_AGENT_CONFIG", ""}}), fallback.string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ConfigErrc::BadEnvironment);
  }
}

TEST_CASE("file choice: --config beats COMPLIANCE_AGENT_CONFIG beats the default") {
  testsupport::TempDir dir;
  const auto def = dir.write("default.yaml", "site_id: from-default\n");
  const auto envf = dir.write("env.yaml", "site_id: from-env\n");
  const auto flagf = dir.write("flag.yaml", "site_id: from-flag\n");
  Overrides o;
  o.config_file = flagf.string();
  CHECK(loadConfig(o, envWith({{"COMPLIANCE_AGENT_CONFIG", envf.string()}}), def.string())->site_id == "from-flag");
  CHECK(loadConfig({}, envWith({{"COMPLIANCE_AGENT_CONFIG", envf.string()}}), def.string())->site_id == "from-env");
  CHECK(loadConfig({}, envWith({}), def.string())->site_id == "from-default");
}

TEST_CASE("a config that is not a readable regular file is Unreadable, not defaults") {
  testsupport::TempDir dir;
  std::filesystem::create_directories(dir.path() / "agent.yaml");
  auto r = loadConfig({}, envWith({}), (dir.path() / "agent.yaml").string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ConfigErrc::Unreadable);
  CHECK_THAT(r.error().message, Catch::Contains("agent.yaml"));
}

TEST_CASE("precedence: flag > environment > file > default") {
  testsupport::TempDir dir;
  const auto file = dir.write("agent.yaml", kFileSettings);
  const auto none = (dir.path() / "missing.yaml").string();
  Overrides flags;
  flags.dry_run = true;
  flags.state_dir = "/from/flag";
  flags.log_level = "error";
  const Environment env = envWith({{"HEALING_DRY_RUN", "off"}, {"STATE_DIR", "/from/env"}, {"LOG_LEVEL", "debug"}});

  SECTION("default") {
    auto r = loadConfig({}, envWith({}), none);
    REQUIRE(r.ok());
    CHECK(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::Default);
    CHECK(r->state_dir == "/var/lib/compliance-agent");
    CHECK(r->log_level == LogLevel::Info);
  }
  SECTION("file beats default") {
    auto r = loadConfig({}, envWith({}), file.string());
    REQUIRE(r.ok());
    CHECK_FALSE(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::File);
    CHECK(r->state_dir == "/from/file");
    CHECK(r->log_level == LogLevel::Warn);
  }
  SECTION("environment beats file") {
    const Environment on = envWith({{"HEALING_DRY_RUN", "on"}, {"STATE_DIR", "/from/env"}, {"LOG_LEVEL", "debug"}});
    auto r = loadConfig({}, on, file.string());
    REQUIRE(r.ok());
    CHECK(r->healing.dry_run);  // the file says live; the environment says dry-run
    CHECK(r->origin.dry_run_source == DryRunSource::Environment);
    CHECK(r->state_dir == "/from/env");
    CHECK(r->log_level == LogLevel::Debug);
  }
  SECTION("environment beats default without a file") {
    auto r = loadConfig({}, env, none);
    REQUIRE(r.ok());
    CHECK_FALSE(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::Environment);
  }
  SECTION("flags beat environment and file") {
    auto r = loadConfig(flags, env, file.string());
    REQUIRE(r.ok());
    CHECK(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::Flag);
    CHECK(r->state_dir == "/from/flag");
    CHECK(r->log_level == LogLevel::Error);
  }
  SECTION("--live beats HEALING_DRY_RUN=on") {
    Overrides live;
    live.dry_run = false;
    auto r = loadConfig(live, envWith({{"HEALING_DRY_RUN", "on"}}), file.string());
    REQUIRE(r.ok());
    CHECK_FALSE(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::Flag);
  }
}

TEST_CASE("the flags --root, --rules and --tier override the file") {
  testsupport::TempDir dir;
  const auto file = dir.write("agent.yaml", kFileSettings);
  Overrides o;
  o.root = "/flag/root";
  o.rules_dir = "/flag/rules.yaml";
  o.tier = "standard";
  auto r = loadConfig(o, envWith({}), file.string());
  REQUIRE(r.ok());
  CHECK(r->host_root == "/flag/root");
  CHECK(r->rules.dir == "/flag/rules.yaml");
  CHECK(r->rules.tier == Tier::Standard);

  auto file_only = loadConfig({}, envWith({}), file.string());
  REQUIRE(file_only.ok());
  CHECK(file_only->host_root == "/file/root");
  CHECK(file_only->rules.dir == "/file/rules");
  CHECK(file_only->rules.tier == Tier::FullCoverage);
}

TEST_CASE("relative flag paths resolve against the working directory") {
  Overrides o;
  o.root = "./image/";
  o.state_dir = "state";
  auto r = loadConfigText("", "agent.yaml", o, envWith({}));
  REQUIRE(r.ok());
  CHECK(r->host_root == "/work/dir/image");
  CHECK(r->state_dir == "/work/dir/state");

  Environment no_cwd;
  auto refused = loadConfigText("", "agent.yaml", o, no_cwd);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ConfigErrc::BadFlag);
  CHECK_THAT(refused.error().message, Catch::Contains("--root") && Catch::Contains("--state-dir"));
}

TEST_CASE("bad flags are BadFlag errors naming every flag") {
  Overrides o;
  o.tier = "gold";
  o.log_level = "loud";
  o.rules_dir = "";
  auto r = loadConfigText("", "agent.yaml", o, envWith({}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ConfigErrc::BadFlag);
  CHECK_THAT(r.error().message, Catch::Contains("--tier") && Catch::Contains("gold") &&
                                    Catch::Contains("--log-level") && Catch::Contains("--rules"));
  Overrides empty_config;
  empty_config.config_file = "";
  auto c = loadConfig(empty_config, envWith({}), "/nonexistent/agent.yaml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == ConfigErrc::BadFlag);
}

TEST_CASE("HEALING_DRY_RUN accepts the documented spellings, case-insensitively") {
  for (const char* yes : {"true", "1", "yes", "on", "TRUE", "Yes", "ON"}) {
    INFO(yes);
    auto r = loadConfigText("healing: {dry_run: false}\n", "agent.yaml", {}, envWith({{"HEALING_DRY_RUN", yes}}));
    REQUIRE(r.ok());
    CHECK(r->healing.dry_run);
    CHECK(r->origin.dry_run_source == DryRunSource::Environment);
  }
  for (const char* no : {"false", "0", "no", "off", "False", "NO", "Off"}) {
    INFO(no);
    auto r = loadConfigText("", "agent.yaml", {}, envWith({{"HEALING_DRY_RUN", no}}));
    REQUIRE(r.ok());
    CHECK_FALSE(r->healing.dry_run);
  }
}

TEST_CASE("a bad HEALING_DRY_RUN refuses to start with a clear message") {
  for (const char* bad : {"", "maybe", "2", "y", "n", " true", "true ", "dry-run", "enabled"}) {
    INFO('"' << bad << '"');
    auto r = loadConfigText("", "agent.yaml", {}, envWith({{"HEALING_DRY_RUN", bad}}));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ConfigErrc::BadEnvironment);
    CHECK_THAT(r.error().message, Catch::Contains("HEALING_DRY_RUN") && Catch::Contains("true, 1, yes or on") &&
                                      Catch::Contains("false, 0, no or off"));
  }
  // Refused even when a flag would decide the mode: the environment is wrong either way.
  Overrides live;
  live.dry_run = false;
  CHECK_FALSE(loadConfigText("", "agent.yaml", live, envWith({{"HEALING_DRY_RUN", "maybe"}})).ok());
}

TEST_CASE("bad STATE_DIR and LOG_LEVEL are reported together") {
  auto r = loadConfigText("", "agent.yaml", {}, envWith({{"STATE_DIR", "relative/dir"}, {"LOG_LEVEL", "chatty"}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ConfigErrc::BadEnvironment);
  CHECK_THAT(r.error().message, Catch::Contains("STATE_DIR") && Catch::Contains("LOG_LEVEL") &&
                                    Catch::Contains("chatty"));
  auto upper = loadConfigText("", "agent.yaml", {}, envWith({{"LOG_LEVEL", "DEBUG"}}));
  REQUIRE(upper.ok());
  CHECK(upper->log_level == LogLevel::Debug);
}

TEST_CASE("fromProcessEnvironment reads only the agent's variables") {
  const Environment e = fromProcessEnvironment();
  for (const auto& [name, value] : e.vars) {
    INFO(name);
    const bool known = name == kEnvConfig || name == kEnvDryRun || name == kEnvStateDir || name == kEnvLogLevel;
    CHECK(known);
  }
  CHECK_FALSE(e.working_dir.empty());
}
