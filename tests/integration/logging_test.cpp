// Logging through the real binary: never on stdout (which carries the --json document), on stderr
// by default, and under systemd (JOURNAL_STREAM naming stderr) into the journal with structured
// fields. The journal cases run the agent under tests/integration/journal_capture.cpp in a
// private mount namespace, where a socket at libsystemd's fixed path is the test's own.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::runProcess;

namespace {

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The fixture's agent.yaml plus a site_id.
// In the user namespace of runUnderJournal (unshare -r) only the caller's uid and gid are mapped
// (to 0): the fixture's files of group shadow (gid 42) read as gid 65534 there, and the checks of
// that group owner would drift. They are left out of the runs in a namespace.
void disableUnmappedGroupChecks(const FixtureHost& host) {
  std::ofstream(host.config(), std::ios::app)
      << "checks:\n  disabled: [LIN-ACC-013, LIN-ACC-014, LIN-ACC-023, LIN-ACC-026]\n";
}

std::string configWithSite(const FixtureHost& host) {
  std::ifstream in(host.config());
  std::stringstream text;
  text << in.rdbuf() << "site_id: clinic-0042\n";
  const auto path = host.out / "agent-site.yaml";
  std::ofstream(path) << text.str();
  return path.string();
}

// stdout must be exactly one JSON document (nlohmann refuses trailing content) with the actions.
json parseOnlyDocument(const std::string& out) {
  json doc;
  REQUIRE_NOTHROW(doc = json::parse(out));
  REQUIRE(doc.is_object());
  return doc;
}

struct Captured {
  testsupport::ProcessResult result;
  std::vector<json> entries;
};

constexpr const char* kUnshare = "/usr/bin/unshare";

// Whether this machine lets an unprivileged test make a user + mount namespace (containers and
// CI sandboxes may not); the journal cases need one.
bool namespacesAvailable() {
  static const bool ok = [] {
    if (!std::filesystem::exists(kUnshare)) return false;
    testsupport::TempDir dir{"ca-journal"};
    const auto r = runProcess({kUnshare, "-rm", CA_JOURNAL_CAPTURE, "--socket", "live", "--out",
                               (dir.path() / "probe.jsonl").string(), "--", "/bin/true"});
    return r.exit_code == 0;
  }();
  return ok;
}

Captured runUnderJournal(const std::string& socket_mode, const std::vector<std::string>& args) {
  testsupport::TempDir dir{"ca-journal"};
  const std::string out = (dir.path() / "entries.jsonl").string();
  std::vector<std::string> argv{kUnshare, "-rm", CA_JOURNAL_CAPTURE, "--socket", socket_mode, "--out", out, "--",
                                CA_AGENT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  Captured c{runProcess(argv), {}};
  std::ifstream in(out);
  INFO(c.result.err);
  REQUIRE(in);
  for (std::string line; std::getline(in, line);) c.entries.push_back(json::parse(line));
  return c;
}

std::string field(const json& entry, const std::string& key) {
  return entry.contains(key) ? entry.at(key).get<std::string>() : std::string("<absent>");
}

}  // namespace

TEST_CASE("run --once --json: stdout is one JSON document, the log lines are on stderr") {
  FixtureHost host("nixos", "LIN-SSH-001");
  const auto r = runAgent({"run", "--once", "--json", "--tier", "full_coverage", "--config", host.config()});
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  const json doc = parseOnlyDocument(r.out);
  CHECK(doc.at("actions").size() == 1);
  // The start line and one line per action record, each with its module's logger name.
  CHECK(r.err.find("cli: run --once") != std::string::npos);
  CHECK(r.err.find("healing: LIN-SSH-001 on /etc/ssh/sshd_config: planned by L1-LIN-SSH-001") != std::string::npos);

  // The table on stdout carries no log lines either.
  const auto table = runAgent({"run", "--once", "--tier", "full_coverage", "--config", host.config()});
  CHECK(table.exit_code == 1);
  CHECK(table.out.find("healing:") == std::string::npos);
  CHECK(table.out.find("cli:") == std::string::npos);
  CHECK(table.err.find("healing:") != std::string::npos);
}

TEST_CASE("log_level filters the lines, and check stays quiet at info") {
  FixtureHost host("nixos", "LIN-SSH-001");
  const auto warn = runAgent({"run", "--once", "--json", "--log-level", "warn", "--config", host.config()});
  CHECK(warn.exit_code == 1);
  CHECK(warn.err.empty());
  parseOnlyDocument(warn.out);
  const auto env_warn = runAgent({"run", "--once", "--json", "--config", host.config()}, {{"LOG_LEVEL", "ERROR"}});
  CHECK(env_warn.exit_code == 1);
  CHECK(env_warn.err.empty());

  const auto check = runAgent({"check", "--json", "--config", host.config()});
  CHECK(check.exit_code == 1);
  CHECK(check.err.empty());
  parseOnlyDocument(check.out);
  const auto check_debug = runAgent({"check", "--json", "--log-level", "debug", "--config", host.config()});
  CHECK(check_debug.exit_code == 1);
  CHECK(check_debug.err.find("cli: check") != std::string::npos);
  parseOnlyDocument(check_debug.out);
}

TEST_CASE("a JOURNAL_STREAM that does not name stderr is ignored: lines stay on stderr") {
  // What a shell started from a service inherits after redirecting its output.
  FixtureHost host("nixos", "LIN-SSH-001");
  const auto r = runAgent({"run", "--once", "--json", "--tier", "full_coverage", "--config", host.config()},
                          {{"JOURNAL_STREAM", "1:1"}});
  CHECK(r.exit_code == 1);
  parseOnlyDocument(r.out);
  CHECK(r.err.find("healing: LIN-SSH-001") != std::string::npos);
  CHECK(r.err.find("logging to stderr") == std::string::npos);  // no fallback notice: the journal was never tried
}

TEST_CASE("under systemd, entries reach the journal socket with their structured fields") {
  if (!namespacesAvailable()) {
    WARN("no user+mount namespaces here (unshare -rm): journal socket cases not run");
    return;
  }
  FixtureHost host("nixos", "LIN-SSH-001,APP-SVC-001");
  disableUnmappedGroupChecks(host);
  const auto c = runUnderJournal(
      "live", {"run", "--once", "--json", "--tier", "full_coverage", "--config", configWithSite(host)});
  INFO(c.result.err);
  REQUIRE(c.result.exit_code == 1);
  const json doc = parseOnlyDocument(c.result.out);
  CHECK(c.result.err.empty());  // all of it went to the journal
  REQUIRE_FALSE(c.entries.empty());

  for (const auto& e : c.entries) {
    INFO(e.dump());
    CHECK(field(e, "SYSLOG_IDENTIFIER") == "compliance-agent");
    CHECK(field(e, "SITE_ID") == "clinic-0042");
    CHECK_FALSE(e.contains("__duplicate"));
    CHECK_FALSE(e.contains("__malformed"));
    CHECK_FALSE(e.contains("CODE_FILE"));  // it would name the sender, not the caller
  }
  const auto start = std::find_if(c.entries.begin(), c.entries.end(), [](const json& e) {
    return field(e, "LOGGER") == "cli" && field(e, "MESSAGE").find("run --once: mode dry_run") != std::string::npos;
  });
  REQUIRE(start != c.entries.end());
  CHECK(field(*start, "PRIORITY") == "6");
  CHECK_FALSE(start->contains("CHECK_ID"));

  // One journal entry per action record, with the record's fields.
  std::vector<json> action_entries;
  for (const auto& e : c.entries)
    if (e.contains("OUTCOME")) action_entries.push_back(e);
  REQUIRE(action_entries.size() == doc.at("actions").size());
  for (const auto& a : doc.at("actions")) {
    INFO(a.dump());
    const auto it = std::find_if(action_entries.begin(), action_entries.end(), [&](const json& e) {
      return field(e, "CHECK_ID") == a.at("check_id") && field(e, "TARGET") == a.at("target");
    });
    REQUIRE(it != action_entries.end());
    CHECK(field(*it, "RULE_ID") == a.at("rule_id"));
    CHECK(field(*it, "OUTCOME") == a.at("outcome"));
    CHECK(field(*it, "LOGGER") == "healing");
    CHECK(field(*it, "PRIORITY") == "6");
  }
}

TEST_CASE("JOURNAL_STREAM set but no journal socket: stderr, said once, and the run completes") {
  if (!namespacesAvailable()) {
    WARN("no user+mount namespaces here (unshare -rm): journal socket cases not run");
    return;
  }
  FixtureHost host("nixos", "LIN-SSH-001");
  disableUnmappedGroupChecks(host);
  for (const std::string mode : {"none", "dead"}) {  // no socket file; a socket nobody reads (journald down)
    INFO("socket " << mode);
    const auto c = runUnderJournal(mode, {"run", "--once", "--json", "--tier", "full_coverage", "--config", host.config()});
    INFO(c.result.err);
    CHECK(c.result.exit_code == 1);
    const json doc = parseOnlyDocument(c.result.out);
    CHECK(doc.at("actions").size() == 1);
    CHECK(c.entries.empty());
    CHECK(countOf(c.result.err, "logging to stderr") == 1);
    CHECK(c.result.err.find("healing: LIN-SSH-001 on /etc/ssh/sshd_config") != std::string::npos);
  }
}
