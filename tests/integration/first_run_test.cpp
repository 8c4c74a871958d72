// A newcomer's first commands: the install puts the rules where the default rules.dir looks, a
// rules path that is not there is a configuration error that names the settings, `config show`
// says where every value came from, and on this real machine (read-only `check`) no finding is
// an error because of the agent's own tool defaults.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "support/file_text.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

using nlohmann::json;
using testsupport::runAgent;
using testsupport::runProcess;
using testsupport::TempDir;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> configShow(const std::vector<std::string>& args,
                                              const std::map<std::string, std::string>& env = {},
                                              std::map<std::string, std::string>* sources = nullptr) {
  std::vector<std::string> all{"config", "show", "--json"};
  all.insert(all.end(), args.begin(), args.end());
  auto r = runAgent(all, env);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto doc = json::parse(r.out);
  std::map<std::string, std::string> values;
  for (const auto& s : doc.at("settings")) {
    const auto& v = s.at("value");
    values[s.at("key")] = v.is_string() ? v.get<std::string>() : v.dump();
    if (sources) (*sources)[s.at("key")] = s.at("source");
  }
  return values;
}

std::set<std::string> relativeFiles(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

}  // namespace

TEST_CASE("cmake --install puts the shipped rules where the default rules.dir looks") {
  TempDir dest("ca-install");
  auto inst = runProcess({CA_CMAKE_COMMAND, "--install", CA_BUILD_DIR}, {{"DESTDIR", dest.path().string()}});
  INFO(inst.out << inst.err);
  REQUIRE(inst.exit_code == 0);
  const std::string rules_dir = configShow({}).at("rules.dir");
  const fs::path installed = dest.path() / fs::path(rules_dir).relative_path();
  REQUIRE(fs::is_directory(installed));
  CHECK(relativeFiles(installed) == relativeFiles(fs::path(CA_SOURCE_DIR) / "rules"));
  // The installed rules are a valid set, and the documentation came along.
  auto valid = runAgent({"rules", "validate", installed.string()});
  CHECK(valid.exit_code == 0);
  bool binary = false, config_doc = false;
  for (const auto& e : fs::recursive_directory_iterator(dest.path())) {
    binary = binary || (e.path().filename() == "compliance-agent" && e.is_regular_file());
    config_doc = config_doc || e.path().filename() == "configuration.md";
  }
  CHECK(binary);
  CHECK(config_doc);
}

TEST_CASE("a rules path that does not exist is a configuration error naming rules.dir and --rules") {
  TempDir t;
  auto r = runAgent({"check", "--rules", (t.path() / "nowhere").string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("rules.dir") != std::string::npos);
  CHECK(r.err.find("--rules") != std::string::npos);
  CHECK(r.err.find("does not exist") != std::string::npos);
  CHECK(r.err.find("invalid rules") == std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("config show prints every setting with its source: default, file:line, environment, flag") {
  TempDir t;
  const auto file = t.write("agent.yaml", "site_id: clinic-7\nchecks:\n  interval: 10m\n");
  std::map<std::string, std::string> sources;
  const auto values = configShow({"--config", file.string(), "--tier", "full_coverage"},
                                 {{"STATE_DIR", (t.path() / "state").string()}}, &sources);
  CHECK(values.at("site_id") == "clinic-7");
  CHECK(sources.at("site_id") == file.string() + ":1");
  CHECK(values.at("checks.interval") == "10m");
  CHECK(sources.at("checks.interval") == file.string() + ":3");
  CHECK(sources.at("state_dir") == "environment STATE_DIR");
  CHECK(values.at("rules.tier") == "full_coverage");
  CHECK(sources.at("rules.tier") == "flag --tier");
  CHECK(sources.at("healing.max_actions_per_hour") == "default");
  CHECK(values.count("tools.df") == 1);
  // The table form says the same, one line a setting.
  auto table = runAgent({"config", "show", "--config", file.string()});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("site_id") != std::string::npos);
  CHECK(table.out.find("# " + file.string() + ":1") != std::string::npos);
  // A bad file is refused as every command refuses it.
  const auto bad = t.write("bad.yaml", "checks:\n  intervall: 5m\n");
  auto refused = runAgent({"config", "show", "--config", bad.string()});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("checks.intervall") != std::string::npos);
}

TEST_CASE("on this machine, no finding is an error because of the agent's own tool defaults") {
  // Read-only on the real host: check never writes and takes no lock.
  auto r = runAgent({"check", "--json", "--rules", std::string(CA_SOURCE_DIR) + "/rules"});
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));
  const auto doc = json::parse(r.out);
  for (const auto& f : doc.at("findings")) {
    if (f.at("status") != "error") continue;
    const std::string reason = f.at("details").value("reason", "") + " " + f.at("actual").get<std::string>();
    INFO(f.dump());
    // A tool error ("tool 'systemctl' (/path): ...") is only acceptable when the program is truly
    // not installed on this machine; and it must name the key that fixes it.
    const auto at = reason.find("tool '");
    if (at == std::string::npos) continue;
    const std::string tool = reason.substr(at + 6, reason.find('\'', at + 6) - at - 6);
    CHECK(reason.find("set tools." + tool) != std::string::npos);
    for (const char* dir : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}) CHECK_FALSE(fs::exists(dir + tool));
  }
}
