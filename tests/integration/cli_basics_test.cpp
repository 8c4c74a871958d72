#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "fixture_host.h"
#include "support/run_process.h"

#include <sstream>

using testsupport::runAgent;

TEST_CASE("version prints the agent version on stdout and exits 0") {
  auto r = runAgent({"version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("compliance-agent ", 0) == 0);
  CHECK(r.err.empty());
}

TEST_CASE("version and the version flag print the same line, and the log level takes warning as the logs print it") {
  auto flag = runAgent({"--version"});
  CHECK(flag.exit_code == 0);
  CHECK(flag.out == runAgent({"version"}).out);
  auto warning = runAgent({"config", "show", "--log-level", "warning"});
  CHECK(warning.exit_code == 0);
  CHECK(warning.out.find("log_level                     warn") != std::string::npos);
  CHECK(runAgent({"config", "show", "--log-level", "loud"}).exit_code == 2);
}

TEST_CASE("version and --version carry the source revision") {
  auto r = runAgent({"version"});
  CHECK(r.out == runAgent({"--version"}).out);
  const auto at = r.out.find(" (revision ");
  REQUIRE(at != std::string::npos);
  std::string rev = r.out.substr(at + 11);
  REQUIRE(rev.size() > 2);
  CHECK(rev.substr(rev.size() - 2) == ")\n");
  rev.resize(rev.size() - 2);
  if (rev.size() > 6 && rev.substr(rev.size() - 6) == "-dirty") rev.resize(rev.size() - 6);
  INFO(rev);
  // git describe --always: a tag-based name or an abbreviated hash; "unknown" outside git.
  CHECK((rev == "unknown" || (rev.size() >= 7 && rev.find_first_not_of("0123456789abcdefv.-g") == std::string::npos)));
  auto json = runAgent({"version", "--json"});
  CHECK(json.out.find("\"revision\": \"") != std::string::npos);
}

TEST_CASE("version --json prints one JSON document") {
  auto r = runAgent({"version", "--json"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("{\"version\": ") == 0);
  auto r2 = runAgent({"--json", "version"});
  CHECK(r2.out == r.out);
}

TEST_CASE("usage errors exit 2 and write nothing on stdout") {
  auto r = runAgent({"no-such-command"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_FALSE(r.err.empty());
  auto r2 = runAgent({});
  CHECK(r2.exit_code == 2);
  auto r3 = runAgent({"version", "--dry-run", "--live"});
  CHECK(r3.exit_code == 2);
}

TEST_CASE("a bare compliance-agent lists the subcommands, and help works as --help does") {
  auto bare = runAgent({});
  CHECK(bare.exit_code == 2);  // as git: the list on stdout, and a non-zero exit since nothing was done
  for (const char* sub : {"check", "run", "rules", "heal", "status", "config", "keygen", "evidence", "version"}) {
    CHECK(bare.out.find(std::string("  ") + sub + " ") != std::string::npos);
  }
  auto help = runAgent({"help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out == runAgent({"--help"}).out);
  auto tail = runAgent({"help", "evidence", "tail"});
  CHECK(tail.exit_code == 0);
  CHECK(tail.out == runAgent({"evidence", "tail", "--help"}).out);
  CHECK(tail.out.find("Usage: compliance-agent evidence tail") != std::string::npos);
}

TEST_CASE("unknown subcommands and flags get a suggestion, far-off words none") {
  auto sub = runAgent({"chek"});
  CHECK(sub.exit_code == 2);
  CHECK(sub.out.empty());
  CHECK(sub.err.find("unknown argument: chek (did you mean 'check'?)") != std::string::npos);
  auto nested = runAgent({"evidence", "verifi"});
  CHECK(nested.exit_code == 2);
  CHECK(nested.err.find("'evidence': verifi (did you mean 'verify'?)") != std::string::npos);
  auto flag = runAgent({"check", "--chek", "X"});
  CHECK(flag.exit_code == 2);
  CHECK(flag.err.find("(did you mean '--check'?)") != std::string::npos);
  auto global = runAgent({"status", "--state-dri", "/tmp/x"});
  CHECK(global.exit_code == 2);
  CHECK(global.err.find("(did you mean '--state-dir'?)") != std::string::npos);
  auto far = runAgent({"frobnicate"});
  CHECK(far.exit_code == 2);
  CHECK(far.err.find("unknown argument: frobnicate") != std::string::npos);
  CHECK(far.err.find("did you mean") == std::string::npos);
  CHECK(far.err.find("A subcommand is required") == std::string::npos);
}

TEST_CASE("an unknown check id or rule id gets the closest ones") {
  testsupport::FixtureHost host("linux", "none");
  auto check = runAgent({"check", "--config", host.config(), "--check", "LIN-SSH-01"});
  CHECK(check.exit_code == 2);
  CHECK(check.err.find("no check with id 'LIN-SSH-01'") != std::string::npos);
  CHECK(check.err.find("(did you mean 'LIN-SSH-001'") != std::string::npos);
  auto heal = runAgent({"heal", "--config", host.config(), "--rule", "L1-LIN-SSH-01"});
  CHECK(heal.exit_code == 2);
  CHECK(heal.err.find("(did you mean 'L1-LIN-SSH-001'") != std::string::npos);
  auto clear = runAgent({"heal", "--config", host.config(), "--clear", "L1-LIN-SSH-01"});
  CHECK(clear.exit_code == 2);
  CHECK(clear.err.find("(did you mean 'L1-LIN-SSH-001'") != std::string::npos);
}

TEST_CASE("CLI11's internal wording never reaches the user, in help or in errors") {
  const std::vector<std::vector<std::string>> helps{
      {}, {"check"}, {"run"}, {"rules"}, {"rules", "validate"}, {"rules", "compile"}, {"rules", "list"},
      {"rules", "pack"}, {"rules", "inspect"},
      {"heal"}, {"status"}, {"config"}, {"config", "show"}, {"config", "validate"}, {"keygen"}, {"evidence"},
      {"evidence", "pubkey"},
      {"evidence", "verify"}, {"evidence", "tail"}, {"evidence", "show"}, {"evidence", "export"}, {"version"}};
  const std::vector<std::vector<std::string>> bad{
      {"evidence", "verify", "--from", "x"}, {"evidence", "verify", "--from", "0"}, {"evidence", "tail", "-n", "-1"},
      {"evidence", "tail", "-n", "many"}, {"evidence", "show", "0"}, {"evidence", "show", "99999999999999999999999"},
      {"rules", "pack", "d", "--site", "s", "--tier", "standard", "--version", "0", "--expires", "1d", "--key", "k", "-o", "o"}};
  auto clean = [](const std::string& text) {
    for (const char* word : {"UINT", "POSITIVE", "NONNEGATIVE", "not in range", "000000", " TEXT"}) {
      INFO(word << " in: " << text);
      CHECK(text.find(word) == std::string::npos);
    }
  };
  for (auto args : helps) {
    args.push_back("--help");
    auto r = runAgent(args);
    CHECK(r.exit_code == 0);
    clean(r.out);
  }
  for (const auto& args : bad) {
    auto r = runAgent(args);
    CHECK(r.exit_code == 2);
    clean(r.err);
  }
  auto from = runAgent({"evidence", "verify", "--from", "x"});
  CHECK(from.err.find("--from: takes a record number, 1 or more: got 'x'") != std::string::npos);
}

namespace {

// The `compliance-agent ...` lines of a text (a README code block, a help's Examples), comments
// cut, split on blanks (the examples use no quotes).
std::vector<std::vector<std::string>> exampleCommands(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.find("compliance-agent ");
    if (start == std::string::npos || line.find_first_not_of(' ') != start) continue;
    line = line.substr(start + std::string("compliance-agent ").size());
    if (const auto hash = line.find(" #"); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::vector<std::string> argv;
    for (std::string w; words >> w;) argv.push_back(w);
    if (!argv.empty() && argv[0] != "help") out.push_back(argv);
  }
  return out;
}

}  // namespace

TEST_CASE("every subcommand's help shows the global flags and the exit codes, top-level ones examples") {
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"check"}, {"run"}, {"heal"}, {"status"}, {"rules", "validate"}, {"config", "show"},
        {"evidence", "verify"}, {"evidence", "export"}, {"version"}, {"keygen"}}) {
    auto args = cmd;
    args.push_back("--help");
    auto r = runAgent(args);
    INFO(cmd[0] << (cmd.size() > 1 ? " " + cmd[1] : ""));
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Global flags") != std::string::npos);
    CHECK(r.out.find("--config FILE") != std::string::npos);
    CHECK(r.out.find("--state-dir DIR") != std::string::npos);
    CHECK(r.out.find("Exit codes: 0") != std::string::npos);
    CHECK(r.out.find("Examples:\n  compliance-agent " + cmd[0]) != std::string::npos);
  }
}

TEST_CASE("every example in the README's 'Using it' and in the help runs without a usage error") {
  testsupport::FixtureHost host("linux", "LIN-SSH-004,LIN-KRN-001");
  const std::string readme = testsupport::slurp(std::filesystem::path(CA_SOURCE_DIR) / "README.md");
  const auto from = readme.find("## Using it");
  REQUIRE(from != std::string::npos);
  const auto block = readme.find("```sh", from);
  const auto end = readme.find("```\n", block + 5);
  auto commands = exampleCommands(readme.substr(block, end - block));
  REQUIRE(commands.size() >= 10);
  for (const char* cmd : {"check", "run", "heal", "status", "rules", "config", "evidence", "version", "keygen"}) {
    auto help = runAgent({cmd, "--help"});
    const auto examples = help.out.find("Examples:");
    REQUIRE(examples != std::string::npos);
    for (auto& c : exampleCommands(help.out.substr(examples))) commands.push_back(c);
  }
  REQUIRE(runAgent({"run", "--once", "--config", host.config()}).exit_code == 1);  // evidence to read
  const std::string pub = (host.out / "state-agent/keys/evidence-ed25519.pub").string();
  const std::string exported = (host.dir.path() / "nov.jsonl").string();
  for (auto argv : commands) {
    for (auto& a : argv) {
      if (a == "/mnt/image") a = host.root().string();
      if (a == "./my-rules/") a = std::string(CA_SOURCE_DIR) + "/rules";
      if (a == "nov.jsonl") a = exported;
      if (a == "appliance.pub") a = pub;
      // The README's month holds no records of this fixture: export the fixture's instead.
      if (a == "2026-11-01") a = "2000-01-01";
      if (a == "2026-11-30") a = "2100-01-01";
    }
    argv.push_back("--config");
    argv.push_back(host.config());
    std::string shown;
    for (const auto& a : argv) shown += a + " ";
    auto r = runAgent(argv);
    INFO(shown << "\n" << r.err);
    CHECK(r.exit_code != 2);  // documented: it parses, and its configuration is valid
    CHECK(r.err.find("Run with --help") == std::string::npos);
    CHECK((r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 3));
  }
}

TEST_CASE("config validate checks what a start checks and writes nothing") {
  testsupport::FixtureHost host("linux", "none");
  const auto state = host.out / "state-agent";
  std::filesystem::remove_all(state);
  auto ok = runAgent({"config", "validate", "--config", host.config()});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.rfind("valid: " + host.config(), 0) == 0);
  CHECK(ok.out.find("central command: none (standalone)") != std::string::npos);
  auto doc = nlohmann::json::parse(runAgent({"config", "validate", "--json", "--config", host.config()}).out);
  CHECK(doc.at("valid") == true);
  CHECK(doc.at("checks").get<int>() > 100);
  CHECK_FALSE(std::filesystem::exists(state));  // no lock, no cache, no key

  // A rule file that does not validate: exit 2 with its file and line, as a start would stop.
  testsupport::TempDir rules{"ca-bad-rules"};
  rules.write("bad.yaml", "checks:\n  - id: X-1\n    title: t\n    severity: extreme\n");
  auto bad = runAgent({"config", "validate", "--config", host.config(), "--rules", rules.path().string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bad.yaml:") != std::string::npos);

  // Connected with an API key file others can read: exit 2 naming it; nothing dialled.
  rules.write("api.key", "k3y\n");
  const auto key = rules.path() / "api.key";
  REQUIRE(::chmod(key.c_str(), 0644) == 0);
  rules.write("connected.yaml", testsupport::slurp(host.config()) + "site_id: clinic-1\n");
  std::string yaml = testsupport::slurp(rules.path() / "connected.yaml");
  yaml.replace(yaml.find("central:\n"), 9, "central:\n  endpoint: \"unix:/nonexistent.sock\"\n  api_key_file: \"" +
                                                key.string() + "\"\n");
  rules.write("connected.yaml", yaml);
  auto open_key = runAgent({"config", "validate", "--config", (rules.path() / "connected.yaml").string()});
  CHECK(open_key.exit_code == 2);
  CHECK(open_key.err.find(key.string()) != std::string::npos);
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  auto connected = runAgent({"config", "validate", "--config", (rules.path() / "connected.yaml").string()});
  INFO(connected.err);
  CHECK(connected.exit_code == 0);
  CHECK(connected.out.find("central command: unix:/nonexistent.sock (key and TLS files readable; not dialled)") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(state));
}
