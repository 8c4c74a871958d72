// The table for humans: severity first and sorted, not_in_tier rows folded into one line, plans
// and refusal reasons never cut, and colour only on a terminal that wants it (NO_COLOR, TERM=dumb).
#include <map>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;

namespace {

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `run --once --tier full_coverage` as a table, with COLUMNS set (stdout is not a terminal).
std::string runProcessWith(const std::string& columns, const FixtureHost& host) {
  return testsupport::runProcess({CA_AGENT_BINARY, "run", "--once", "--tier", "full_coverage", "--config", host.config()},
                                 {{"COLUMNS", columns}})
      .out;
}

}  // namespace

TEST_CASE("table: the most severe findings first, not_in_tier folded, every plan and reason whole") {
  FixtureHost host("linux", "all");
  auto table = runAgent({"run", "--once", "--tier", "standard", "--config", host.config()});
  auto doc = json::parse(runAgent({"run", "--once", "--tier", "standard", "--json", "--config", host.config()}).out);
  const auto lines = linesOf(table.out);
  // The finding rows: after the SEVERITY header, up to the first empty line.
  const std::map<std::string, int> rank{{"critical", 3}, {"high", 2}, {"medium", 1}, {"low", 0}};
  auto header = std::find_if(lines.begin(), lines.end(), [](const auto& l) { return l.rfind("SEVERITY", 0) == 0; });
  REQUIRE(header != lines.end());
  int last = 4, rows = 0;
  for (auto it = header + 1; it != lines.end() && !it->empty(); ++it) {
    const std::string severity = it->substr(0, it->find(' '));
    REQUIRE(rank.count(severity));
    CHECK(rank.at(severity) <= last);
    last = rank.at(severity);
    ++rows;
  }
  CHECK(rows >= 20);

  int quiet = 0;
  for (const auto& a : doc["actions"]) quiet += a["outcome"] == "not_in_tier";
  REQUIRE(quiet >= 10);
  int folded = 0;
  for (const auto& l : lines) {
    if (l.rfind("not_in_tier", 0) != 0) continue;
    ++folded;
    CHECK(l.find(std::to_string(quiet) + " drifts have an L1 rule outside tier standard") != std::string::npos);
  }
  CHECK(folded == 1);
  // Every other action's reason is in the table whole, however long.
  for (const auto& a : doc["actions"]) {
    if (a["outcome"] == "not_in_tier" || a["reason"].get<std::string>().empty()) continue;
    INFO(a["reason"]);
    CHECK(table.out.find(a["reason"].get<std::string>()) != std::string::npos);
  }
}

TEST_CASE("table: colour on a terminal, none with NO_COLOR or TERM=dumb") {
  FixtureHost host("linux", "LIN-SSH-004");
  // script(1) gives the agent a terminal for its stdout.
  const std::string command = std::string(CA_AGENT_BINARY) + " check --config " + host.config();
  const auto onTerminal = [&](std::map<std::string, std::string> env) {
    env["PATH"] = "/usr/bin:/bin";
    return testsupport::runProcess({"/usr/bin/script", "-qec", command, "/dev/null"}, env).out;
  };
  CHECK(onTerminal({{"TERM", "xterm"}}).find("\x1b[") != std::string::npos);
  CHECK(onTerminal({{"TERM", "xterm"}, {"NO_COLOR", "1"}}).find("\x1b[") == std::string::npos);
  CHECK(onTerminal({{"TERM", "dumb"}}).find("\x1b[") == std::string::npos);
  CHECK(runAgent({"check", "--config", host.config()}).out.find("\x1b[") == std::string::npos);  // not a terminal
}

TEST_CASE("table: fitted to the terminal's width (COLUMNS when not a terminal), reasons wrapped, never cut") {
  FixtureHost host("linux", "all");
  const auto collapse = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      const bool blank = c == ' ' || c == '\n';
      if (blank && (out.empty() || out.back() == ' ')) continue;
      out += blank ? ' ' : c;
    }
    return out;
  };
  auto doc = json::parse(runAgent({"run", "--once", "--tier", "full_coverage", "--json", "--config", host.config()}).out);
  for (const std::string columns : {"100", "80"}) {
    auto table = runProcessWith(columns, host);
    for (const auto& l : linesOf(table)) {
      INFO(l);
      CHECK(l.size() <= std::stoul(columns));
    }
    const std::string flat = collapse(table);
    for (const auto& a : doc["actions"]) {
      if (a["reason"].get<std::string>().empty()) continue;
      INFO(a["reason"]);
      CHECK(flat.find(collapse(a["reason"].get<std::string>())) != std::string::npos);
    }
  }
}

TEST_CASE("run --once --diff prints each file step's diff once, -v too, and without them no diff") {
  FixtureHost host("linux", "all");
  auto doc = json::parse(runAgent({"run", "--once", "--tier", "full_coverage", "--json", "--config", host.config()}).out);
  std::vector<std::string> diffs;
  for (const auto& a : doc["actions"]) {
    for (const auto& st : a["steps"]) {
      const std::string d = st.value("diff", "");
      if (!d.empty() && std::find(diffs.begin(), diffs.end(), d) == diffs.end()) diffs.push_back(d);
    }
  }
  REQUIRE(diffs.size() >= 5);
  for (const std::string flag : {"--diff", "-v"}) {
    auto r = runAgent({"run", "--once", flag, "--tier", "full_coverage", "--config", host.config()});
    INFO(flag << "\n" << r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    for (const auto& d : diffs) {
      INFO(d);
      const auto first = r.out.find(d);
      CHECK(first != std::string::npos);
      CHECK(r.out.find(d, first + 1) == std::string::npos);  // once
    }
  }
  auto plain = runAgent({"run", "--once", "--tier", "full_coverage", "--config", host.config()});
  CHECK(plain.out.find(diffs.front()) == std::string::npos);
}
