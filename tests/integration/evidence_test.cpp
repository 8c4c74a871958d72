// Evidence through the real binary: `run --once` writes a signed chain that both verifiers (the
// agent's and tests/evidence/verify_evidence.py, written from docs/evidence-format.md alone)
// accept; every kind of tampering is caught by both, at the same record, for the same reason;
// exports verify offline; and no planted secret reaches any output.
#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "fixture_host.h"

using nlohmann::json;
using testsupport::FixtureHost;
using testsupport::runAgent;
using testsupport::slurp;
using testsupport::spit;
using testsupport::runProcess;

namespace fs = std::filesystem;

namespace {

const fs::path kPythonVerifier = fs::path(CA_SOURCE_DIR) / "tests/evidence/verify_evidence.py";

std::vector<std::string> lines(const std::string& text);

struct EvidenceHost : FixtureHost {
  explicit EvidenceHost(const std::string& drift, int segment_kb = 4096) : FixtureHost("nixos", drift) {
    std::ofstream(config(), std::ios::app) << "evidence:\n  segment_kb: " << segment_kb << "\n";
  }
  fs::path state() const { return out / "state-agent"; }
  fs::path store() const { return state() / "evidence"; }
  std::vector<std::string> with(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config());
    return args;
  }
  void runOnce(int times = 1) const {
    for (int i = 0; i < times; ++i) {
      auto r = runAgent(with({"run", "--once"}));
      INFO(r.err);
      REQUIRE((r.exit_code == 0 || r.exit_code == 1));
    }
  }
  // `evidence export` of every record to `file`; its --json summary.
  json exportAll(const fs::path& file) const {
    auto r = runAgent(with({"evidence", "export", "--since", "2000-01-01", "--until", "2100-01-01", "-o", file.string(),
                            "--json"}));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
  }
  std::vector<fs::path> segments() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(store())) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  // A closed segment after the first with at least `n` records: the cycle's snapshot can fill one
  // on its own (one long line) when the shipped rules have many checks.
  std::size_t middleSegmentWith(std::size_t n) const {
    const auto segs = segments();
    for (std::size_t i = 1; i + 1 < segs.size(); ++i) {
      if (lines(slurp(segs[i])).size() >= n + 1) return i;  // + the header line
    }
    FAIL("no segment between the first and the last has " << n << " records");
    return 0;
  }
};



// The verdict of both verifiers on `path` (a store directory or a file), as (verdict, file,
// line, reason); they must agree, and the agent's exit code must match its verdict.
json bothVerdicts(const EvidenceHost& host, const std::vector<std::string>& extra, const fs::path* file = nullptr) {
  std::vector<std::string> agent_args{"evidence", "verify", "--json"};
  std::vector<std::string> py_args{"/usr/bin/python3", kPythonVerifier.string()};
  agent_args.insert(agent_args.end(), extra.begin(), extra.end());
  py_args.insert(py_args.end(), extra.begin(), extra.end());
  if (file) agent_args.push_back(file->string());
  py_args.push_back(file ? file->string() : host.store().string());
  auto a = runAgent(host.with(agent_args));
  auto p = runProcess(py_args);
  INFO("agent: " << a.out << a.err);
  INFO("python: " << p.out << p.err);
  REQUIRE((a.exit_code == 0 || a.exit_code == 1));
  REQUIRE(p.exit_code == a.exit_code);
  const json ja = json::parse(a.out), jp = json::parse(p.out);
  CHECK(ja["verdict"] == (a.exit_code == 0 ? "intact" : "broken"));
  for (const char* k : {"verdict", "file", "line", "reason", "records", "head_seq", "source"}) {
    CHECK(ja.value(k, json("(missing)")) == jp.value(k, json("(missing)")));
  }
  return ja;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    out.push_back(text.substr(pos, end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

std::string joinLines(const std::vector<std::string>& ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

// Changes one character of the value after `field` in `line` (a hex digit or a digit).
std::string flipAfter(std::string line, const std::string& field, std::size_t offset = 0) {
  const auto pos = line.find(field);
  REQUIRE(pos != std::string::npos);
  char& c = line[pos + field.size() + offset];
  c = c == '1' ? '2' : '1';
  return line;
}

}  // namespace

TEST_CASE("run --once writes signed, chained evidence that both verifiers accept, and check writes none") {
  EvidenceHost host("LIN-SSH-001");
  auto check = runAgent(host.with({"check"}));
  REQUIRE(check.exit_code == 1);
  CHECK_FALSE(fs::exists(host.state()));  // read-only: no state_dir, no key, no evidence

  host.runOnce(2);
  auto v = bothVerdicts(host, {});
  CHECK(v["verdict"] == "intact");
  // Two cycles: start, rules, heal, snapshot, cycle, stop; then start, cycle, stop.
  CHECK(v["records"].get<int>() == 9);

  // The key: private 0600 in a 0700 directory, its public half printed by `evidence pubkey`
  // and by `keygen`, which never replaces it.
  CHECK((fs::status(host.state() / "keys").permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK((fs::status(host.state() / "keys/evidence-ed25519.key").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  const std::string pub = slurp(host.state() / "keys/evidence-ed25519.pub");
  auto pubkey = runAgent(host.with({"evidence", "pubkey"}));
  CHECK(pubkey.exit_code == 0);
  CHECK(pubkey.out == pub);
  auto keygen = runAgent(host.with({"keygen"}));
  CHECK(keygen.exit_code == 0);
  CHECK(keygen.out == pub);

  // Kinds and provenance, through `evidence tail --json`.
  auto tail = runAgent(host.with({"evidence", "tail", "-n", "100", "--json"}));
  REQUIRE(tail.exit_code == 0);
  const json records = json::parse(tail.out)["records"];
  std::set<std::string> kinds;
  for (const auto& r : records) {
    kinds.insert(r["kind"].get<std::string>());
    CHECK(r["mode"] == "dry_run");
    CHECK(r["actor"] == "agent");
    CHECK(r["config_hash"].get<std::string>().size() == 64);
    CHECK(r["rules_version"].get<std::string>().size() == 64);
    CHECK(r["appliance_id"].get<std::string>().size() > 0);
  }
  CHECK(kinds == std::set<std::string>{"lifecycle", "rules", "snapshot", "heal", "cycle"});
  const json& last = records.back();
  CHECK(last["kind"] == "lifecycle");
  CHECK(last["body"]["event"] == "stop");
  int snapshots = 0, heals = 0;
  for (const auto& r : records) {
    snapshots += r["kind"] == "snapshot";
    heals += r["kind"] == "heal";
  }
  CHECK(snapshots == 1);  // the first cycle only; then once a day
  // The one drift's plan is not_in_tier (its rule acts in full_coverage): recorded when it first
  // appears, not again while unchanged (until the daily snapshot cycle).
  CHECK(heals == 1);
  for (const auto& r : records) {
    if (r["kind"] == "heal") CHECK(r["body"]["outcome"] == "not_in_tier");
  }
  for (const auto& r : records) {
    if (r["kind"] == "heal") {
      CHECK(r["body"]["check_id"] == "LIN-SSH-001");
      CHECK(r["body"]["before"]["status"] == "drifted");
    }
  }

  // Fixing the drift is recorded as a finding whose status changed.
  const fs::path sshd = host.root() / "etc/ssh/sshd_config";
  std::string text = slurp(sshd);
  const auto pos = text.find("#PermitRootLogin no");
  REQUIRE(pos != std::string::npos);
  text.erase(pos, 1);
  spit(sshd, text);
  host.runOnce();
  auto after = json::parse(runAgent(host.with({"evidence", "tail", "-n", "100", "--json"})).out)["records"];
  int changes = 0;
  for (const auto& r : after) {
    if (r["kind"] != "finding") continue;
    ++changes;
    CHECK(r["body"]["check_id"] == "LIN-SSH-001");
    CHECK(r["body"]["previous_status"] == "drifted");
    CHECK(r["body"]["status"] == "compliant");
  }
  CHECK(changes == 1);
  CHECK(bothVerdicts(host, {})["verdict"] == "intact");
}

TEST_CASE("every kind of tampering is caught by both verifiers at the same record") {
  EvidenceHost host("LIN-SSH-001,LIN-KRN-001", 16);
  host.runOnce(8);
  auto segs = host.segments();
  REQUIRE(segs.size() >= 3);
  const json intact = bothVerdicts(host, {});
  REQUIRE(intact["verdict"] == "intact");
  // tail reads from the newest segment back: the last records, in order, across a segment edge.
  for (int n : {3, 20}) {
    const json tailed = json::parse(runAgent(host.with({"evidence", "tail", "-n", std::to_string(n), "--json"})).out);
    REQUIRE(tailed["records"].size() == static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      CHECK(tailed["records"][i]["seq"] == intact["head_seq"].get<int>() - n + 1 + i);
    }
  }
  const std::size_t at = host.middleSegmentWith(5);
  const fs::path target = segs[at];
  const std::string original = slurp(target);
  const auto ls = lines(original);
  REQUIRE(ls.size() >= 6);
  const std::string name = target.filename().string();

  struct Case {
    std::string what;
    std::function<std::string()> tamper;
    std::string file;
    int line;
    std::string reason;
  };
  auto edit = [&](int n, std::function<std::string(std::string)> f) {
    return [&, n, f] {
      auto copy = ls;
      copy[n - 1] = f(copy[n - 1]);
      return joinLines(copy);
    };
  };
  std::vector<Case> cases = {
      {"body", edit(3, [](std::string l) { return flipAfter(l, "\"body\":{", 3); }), name, 3, "hash_mismatch"},
      {"prev", edit(3, [](std::string l) { return flipAfter(l, "\"prev\":\"", 5); }), name, 3, "hash_mismatch"},
      {"seq", edit(4, [](std::string l) { return flipAfter(l, "\"seq\":"); }), name, 4, "hash_mismatch"},
      {"ts", edit(4, [](std::string l) { return flipAfter(l, "\"ts\":\"", 21); }), name, 4, "hash_mismatch"},
      {"sig", edit(5, [](std::string l) { return flipAfter(l, "\"sig\":\"", 7); }), name, 5, "bad_signature"},
      {"hash", edit(5, [](std::string l) { return flipAfter(l, "\"hash\":\"", 9); }), name, 5, "hash_mismatch"},
      {"header", edit(1, [](std::string l) { return flipAfter(l, "\"created\":\"", 22); }), name, 1, "hash_mismatch"},
      {"delete", [&] { auto c = ls; c.erase(c.begin() + 3); return joinLines(c); }, name, 4, "seq_mismatch"},
      {"duplicate", [&] { auto c = ls; c.insert(c.begin() + 3, c[3]); return joinLines(c); }, name, 5, "seq_mismatch"},
      {"reorder", [&] { auto c = ls; std::swap(c[2], c[3]); return joinLines(c); }, name, 3, "seq_mismatch"},
      {"truncate mid-line", [&] { return original.substr(0, original.size() / 2); }, name,
       static_cast<int>(std::count(original.begin(), original.begin() + original.size() / 2, '\n')) + 1, "torn_tail"},
      {"truncate at a line", [&] { auto c = ls; c.resize(3); return joinLines(c); }, segs[at + 1].filename().string(), 1,
       "seq_mismatch"},
      {"whitespace", edit(2, [](std::string l) { return l.replace(l.find(",\"kind\""), 1, ", "); }), name, 2,
       "not_canonical"},
  };
  // One store, each case applied to a fresh copy of the segment (sections would rebuild it).
  for (const auto& c : cases) {
    INFO("case: " << c.what);
    spit(target, c.tamper());
    auto v = bothVerdicts(host, {});
    CHECK(v["verdict"] == "broken");
    CHECK(v["file"] == c.file);
    CHECK(v["line"] == c.line);
    CHECK(v["reason"] == c.reason);
    spit(target, original);
  }
  {
    INFO("case: another key");
    const fs::path other = host.dir.path() / "other.pub";
    spit(other, std::string(64, '7') + "\n");  // not even a valid point: still just "not this key"
    auto v = bothVerdicts(host, {"--pubkey", other.string()});
    CHECK(v["file"] == segs[0].filename().string());
    CHECK(v["line"] == 1);
    CHECK(v["reason"] == "key_mismatch");
  }
  {
    INFO("case: --from verifies past a reported break");
    spit(target, edit(3, [](std::string l) { return flipAfter(l, "\"body\":{", 3); })());
    const auto bad = json::parse(lines(original)[2]);
    CHECK(bothVerdicts(host, {})["reason"] == "hash_mismatch");
    auto v = bothVerdicts(host, {"--from", std::to_string(bad["seq"].get<int>() + 1)});
    CHECK(v["verdict"] == "intact");
    spit(target, original);
  }
  {
    INFO("case: a deleted segment");
    fs::remove(target);
    auto v = bothVerdicts(host, {});
    CHECK(v["file"] == segs[at + 1].filename().string());
    CHECK(v["reason"] == "seq_mismatch");
  }
}

TEST_CASE("an export is self-contained and verifies offline, with its own key or a given one") {
  EvidenceHost host("LIN-SSH-001");
  host.runOnce(2);
  const fs::path file = host.dir.path() / "export.jsonl";
  const json out = host.exportAll(file);
  CHECK(out["verdict"] == "intact");
  CHECK(out["first_seq"] == 1);
  auto v = bothVerdicts(host, {}, &file);
  CHECK(v["verdict"] == "intact");
  CHECK(v["records"] == out["records"]);
  const std::string pub = (host.state() / "keys/evidence-ed25519.pub").string();
  CHECK(bothVerdicts(host, {"--pubkey", pub}, &file)["verdict"] == "intact");

  // Moved elsewhere (no state_dir), it still verifies: it carries what it needs.
  const fs::path moved = host.dir.path() / "moved.jsonl";
  fs::copy_file(file, moved);
  auto offline = runAgent({"evidence", "verify", moved.string(), "--state-dir", (host.dir.path() / "none").string()});
  CHECK(offline.exit_code == 0);

  // A range with nothing in it exports nothing.
  auto empty = runAgent(host.with({"evidence", "export", "--since", "2001-01-01", "--until", "2001-01-02", "-o",
                                   (host.dir.path() / "empty.jsonl").string()}));
  CHECK(empty.exit_code == 1);
  CHECK_FALSE(fs::exists(host.dir.path() / "empty.jsonl"));
  // Bad dates are usage errors that say which flag.
  auto bad = runAgent(host.with({"evidence", "export", "--since", "yesterday", "--until", "2100-01-01", "-o",
                                 file.string()}));
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--since") != std::string::npos);
}

TEST_CASE("an export cut short at any line, or inside one, fails both verifiers and says what is missing") {
  EvidenceHost host("LIN-SSH-001");
  host.runOnce(2);
  const fs::path file = host.dir.path() / "export.jsonl";
  const json out = host.exportAll(file);
  const std::string text = slurp(file);
  const auto ls = lines(text);
  REQUIRE(ls.size() == out["records"].get<std::size_t>() + 1);
  std::set<std::string> kinds;
  for (std::size_t i = 1; i < ls.size(); ++i) kinds.insert(json::parse(ls[i])["kind"].get<std::string>());
  CHECK(kinds == std::set<std::string>{"lifecycle", "rules", "snapshot", "heal", "cycle"});
  const json whole = bothVerdicts(host, {}, &file);
  CHECK(whole["verdict"] == "intact");
  CHECK(whole["source"] == "export");
  const std::string head = std::to_string(out["last_seq"].get<int>());

  const fs::path cut = host.dir.path() / "cut.jsonl";
  for (std::size_t n = 0; n < ls.size(); ++n) {  // n whole lines kept: the header, then records
    INFO("cut after " << n << " lines");
    std::vector<std::string> kept(ls.begin(), ls.begin() + static_cast<std::ptrdiff_t>(n));
    spit(cut, joinLines(kept));
    const json v = bothVerdicts(host, {}, &cut);
    CHECK(v["verdict"] == "broken");
    if (n == 0) {
      CHECK(v["reason"] == "header_invalid");
      continue;
    }
    CHECK(v["source"] == "export");  // not mistaken for a segment, which commits to no end
    CHECK(v["reason"] == "missing_records");
    CHECK(v["line"] == 1);
    auto said = runAgent({"evidence", "verify", cut.string()});
    CHECK(said.exit_code == 1);
    CHECK(said.out.find("intact") == std::string::npos);
    CHECK(said.out.find("names seq " + head + " ") != std::string::npos);
    CHECK(said.out.find(" missing") != std::string::npos);
  }
  // Inside a line: the header, a record, and the very last byte.
  const std::size_t header_end = ls[0].size() + 1;
  for (std::size_t at : {std::size_t{10}, header_end - 1, header_end + 20, text.size() / 2, text.size() - 1}) {
    INFO("cut at byte " << at);
    spit(cut, text.substr(0, at));
    const json v = bothVerdicts(host, {}, &cut);
    CHECK(v["reason"] == (at < header_end ? "header_invalid" : "torn_tail"));
  }
  // A segment file is verified as before: intact when cut on a line, and said to be a segment.
  const fs::path seg = host.segments().front();
  const auto seg_lines = lines(slurp(seg));
  spit(cut, joinLines({seg_lines.begin(), seg_lines.end() - 1}));
  const json v = bothVerdicts(host, {}, &cut);
  CHECK(v["verdict"] == "intact");
  CHECK(v["source"] == "segment");
  CHECK(runAgent({"evidence", "verify", cut.string()}).out.find("a segment, not an export") != std::string::npos);
}

TEST_CASE("tail and show read the store or an export file, and show prints one record in full") {
  EvidenceHost host("LIN-SSH-001");
  host.runOnce(2);
  const fs::path file = host.dir.path() / "export.jsonl";
  host.exportAll(file);
  const auto file_lines = lines(slurp(file));
  const json from_store = json::parse(runAgent(host.with({"evidence", "tail", "-n", "3", "--json"})).out);
  auto tailed = runAgent(host.with({"evidence", "tail", "-n", "3", file.string(), "--json"}));
  INFO(tailed.err);
  REQUIRE(tailed.exit_code == 0);
  CHECK(json::parse(tailed.out) == from_store);
  CHECK(json::parse(tailed.out)["records"].size() == 3);
  auto text_tail = runAgent({"evidence", "tail", file.string()});  // no state_dir needed for a file
  CHECK(text_tail.exit_code == 0);
  CHECK(text_tail.out.find("stop run --once") != std::string::npos);

  // show SEQ: --json prints the record's object exactly as stored, from the store or the file.
  // The first cycle's snapshot (after its rules and heal records).
  const auto snap = std::find_if(file_lines.begin(), file_lines.end(), [](const std::string& l) {
    return l.find("\"kind\":\"snapshot\"") != std::string::npos;
  });
  REQUIRE(snap != file_lines.end());
  const std::string& third = *snap;
  const auto seq = std::to_string(json::parse(third)["seq"].get<int>());
  auto shown = runAgent(host.with({"evidence", "show", seq, "--json"}));
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.out == third + "\n");
  CHECK(runAgent({"evidence", "show", seq, file.string(), "--json"}).out == third + "\n");
  // For people: every member, and the body in full (a snapshot: every finding in it).
  const json snapshot = json::parse(third);
  REQUIRE(snapshot["kind"] == "snapshot");
  auto human = runAgent(host.with({"evidence", "show", seq}));
  CHECK(human.exit_code == 0);
  for (const char* member : {"hash", "sig", "prev", "actor", "rules_version"}) {
    CHECK(human.out.find(snapshot[member].get<std::string>()) != std::string::npos);
  }
  for (const auto& f : snapshot["body"]["findings"]) {
    CHECK(human.out.find("\"" + f["check_id"].get<std::string>() + "\"") != std::string::npos);
  }
  // What is not there says so.
  auto absent = runAgent(host.with({"evidence", "show", "9999"}));
  CHECK(absent.exit_code == 1);
  CHECK(absent.out.empty());
  CHECK(absent.err.find("no record with seq 9999") != std::string::npos);
  CHECK(runAgent({"evidence", "show", "9999", file.string()}).exit_code == 1);
  const fs::path not_evidence = host.dir.path() / "notes.txt";
  spit(not_evidence, "hello\nworld\n");
  auto wrong = runAgent({"evidence", "tail", not_evidence.string()});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("not an evidence file") != std::string::npos);
  CHECK(runAgent({"evidence", "show", "1", (host.dir.path() / "nowhere").string()}).exit_code == 2);
}

TEST_CASE("verify --from starts a fresh chain: after a removed record it verifies the rest") {
  EvidenceHost host("LIN-SSH-001,LIN-KRN-001", 16);
  host.runOnce(8);
  const json intact = bothVerdicts(host, {});
  REQUIRE(intact["verdict"] == "intact");
  const fs::path target = host.segments()[host.middleSegmentWith(4)];
  auto ls = lines(slurp(target));
  REQUIRE(ls.size() >= 5);
  const int removed = json::parse(ls[2])["seq"].get<int>();  // line 3
  ls.erase(ls.begin() + 2);
  spit(target, joinLines(ls));
  const json broken = bothVerdicts(host, {});
  CHECK(broken["reason"] == "seq_mismatch");
  CHECK(broken["line"] == 3);
  const json rest = bothVerdicts(host, {"--from", std::to_string(removed + 1)});
  CHECK(rest["verdict"] == "intact");
  CHECK(rest["records"] == intact["head_seq"].get<int>() - removed);
  CHECK(rest["head_seq"] == intact["head_seq"]);
  auto said = runAgent(host.with({"evidence", "verify", "--from", std::to_string(removed + 1)}));
  CHECK(said.exit_code == 0);
  CHECK(said.out.find("from seq " + std::to_string(removed + 1)) != std::string::npos);
  // The removed record is not there to start from.
  const json none = bothVerdicts(host, {"--from", std::to_string(removed)});
  CHECK(none["reason"] == "missing_records");
  CHECK(none["file"] == target.filename().string());
  CHECK(none["line"] == 3);
}

TEST_CASE("a missing store is said to be missing, an empty one to hold no records") {
  EvidenceHost host("LIN-SSH-001");
  const std::string dir = (host.state() / "evidence").string();
  const fs::path pub = host.dir.path() / "k.pub";
  spit(pub, std::string(64, 'a') + "\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"evidence", "tail"}, {"evidence", "tail", "--json"}, {"evidence", "show", "1"},
        {"evidence", "verify"}, {"evidence", "verify", "--pubkey", pub.string()}, {"evidence", "verify", "--json"}}) {
    INFO(args[1] << " " << (args.size() > 2 ? args[2] : ""));
    auto r = runAgent(host.with(args));
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.find("no evidence store at " + dir) != std::string::npos);
  }
  CHECK_FALSE(fs::exists(host.state()));  // read-only: nothing created
  fs::create_directories(host.store());
  auto tail = runAgent(host.with({"evidence", "tail"}));
  CHECK(tail.exit_code == 0);
  CHECK(tail.err.find("the evidence store at " + dir + " holds no records") != std::string::npos);
  auto tail_json = runAgent(host.with({"evidence", "tail", "--json"}));
  CHECK(json::parse(tail_json.out)["records"].empty());
  auto show = runAgent(host.with({"evidence", "show", "1"}));
  CHECK(show.exit_code == 1);
  CHECK(show.err.find("no record with seq 1") != std::string::npos);
}

TEST_CASE("export -o - writes the verified document to stdout, and no file named -") {
  EvidenceHost host("LIN-SSH-001");
  host.runOnce();
  const fs::path cwd = host.dir.path() / "cwd";
  fs::create_directories(cwd);
  auto r = runProcess({"/bin/sh", "-c", "cd \"$1\" && exec \"$2\" evidence export --since 2000-01-01 --until 2100-01-01 "
                                        "-o - --config \"$3\"", "sh", cwd.string(), CA_AGENT_BINARY, host.config()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::is_empty(cwd));
  CHECK(r.err.find("to stdout: verifies") != std::string::npos);
  const fs::path saved = host.dir.path() / "saved.jsonl";
  spit(saved, r.out);
  const json v = bothVerdicts(host, {}, &saved);
  CHECK(v["verdict"] == "intact");
  CHECK(v["source"] == "export");
  // --json would share stdout with the document: refused.
  auto both = runAgent(host.with({"evidence", "export", "--since", "2000-01-01", "--until", "2100-01-01", "-o", "-",
                                  "--json"}));
  CHECK(both.exit_code == 2);
  CHECK(both.out.empty());
}

TEST_CASE("a torn tail left by a crash is cut at the next start and recorded") {
  EvidenceHost host("LIN-SSH-001");
  host.runOnce();
  const fs::path seg = host.segments().back();
  std::ofstream(seg, std::ios::app) << "{\"v\":1,\"seq\":99,\"pr";
  CHECK(bothVerdicts(host, {})["reason"] == "torn_tail");
  host.runOnce();
  CHECK(bothVerdicts(host, {})["verdict"] == "intact");
  auto tail = json::parse(runAgent(host.with({"evidence", "tail", "-n", "100", "--json"})).out)["records"];
  bool recovery = false;
  for (const auto& r : tail) {
    if (r["kind"] == "lifecycle" && r["body"]["event"] == "recovery") {
      recovery = true;
      CHECK(r["body"]["faults"][0]["problem"] == "torn_tail");
      CHECK(r["body"]["faults"][0]["bytes_cut"] == 19);
    }
  }
  CHECK(recovery);
}

TEST_CASE("a full disk: the run reports, says so, loses nothing durable, and recording resumes with space") {
  // A real ENOSPC: the evidence directory on a tiny tmpfs in a private mount namespace.
  if (!fs::exists("/usr/bin/unshare") ||
      runProcess({"/usr/bin/unshare", "-rm", "/bin/sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"}).exit_code != 0) {
    WARN("no user+mount namespaces here (unshare -rm): the real ENOSPC case is not run");
    return;
  }
  EvidenceHost host("LIN-SSH-001");
  host.runOnce();
  const fs::path seg = host.segments().front();
  const std::string durable_before = slurp(seg);
  const fs::path agent = CA_AGENT_BINARY;
  const fs::path saved = host.dir.path() / "saved";
  // In the namespace: put the store on a tmpfs 32 KiB larger than what it holds (the first
  // snapshot grows with the shipped checks), fill it up to about 1 KiB free, run, then copy the
  // result out for inspection.
  const std::string script =
      "set -e; cp -a \"$STORE\"/. \"$SAVED\"/; "
      "mount -t tmpfs -o size=$(( $(du -sk \"$SAVED\" | cut -f1) + 32 ))k tmpfs \"$STORE\"; "
      "cp -a \"$SAVED\"/. \"$STORE\"/; "
      "dd if=/dev/zero of=\"$STORE\"/filler bs=1024 count=$(( $(df -k --output=avail \"$STORE\" | tail -1) - 1 )) "
      "2>/dev/null || true; "
      "set +e; \"$AGENT\" run --once --config \"$CONFIG\"; echo \"rc=$?\" >&2; "
      "rm -rf \"$SAVED\"; mkdir \"$SAVED\"; cp -a \"$STORE\"/. \"$SAVED\"/; rm -f \"$SAVED\"/filler";
  fs::create_directories(saved);
  auto r = runProcess({"/usr/bin/unshare", "-rm", "/bin/sh", "-c", script},
                      {{"STORE", host.store().string()}, {"SAVED", saved.string()}, {"AGENT", agent.string()},
                       {"CONFIG", host.config()}, {"PATH", "/usr/bin:/bin"}});
  INFO(r.err);
  CHECK(r.err.find("rc=3") != std::string::npos);           // the cycle is not recorded: runtime error
  CHECK(r.err.find("evidence_disk_cap") != std::string::npos);  // ... and the log says why
  CHECK(r.out.find("LIN-SSH-001") != std::string::npos);    // the report still went out
  // Nothing durable was lost, and the store left behind verifies.
  const std::string after = slurp(saved / seg.filename());
  CHECK(after.compare(0, durable_before.size(), durable_before) == 0);
  auto v = runProcess({"/usr/bin/python3", kPythonVerifier.string(), "--pubkey",
                       (host.state() / "keys/evidence-ed25519.pub").string(), saved.string()});
  INFO(v.out);
  CHECK(v.exit_code == 0);
  // With space back (the real directory), recording goes on and the chain holds.
  host.runOnce();
  CHECK(bothVerdicts(host, {})["verdict"] == "intact");
}
