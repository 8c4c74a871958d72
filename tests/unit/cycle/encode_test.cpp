#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "cycle/encode.h"
#include "evidence/canonical_json.h"
#include "healing/reason.h"

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

checks::Finding finding(std::string actual) {
  checks::Finding f;
  f.check_id = "LIN-SSH-001";
  f.target = "/etc/ssh/sshd_config";
  f.status = checks::Status::Drifted;
  f.expected = "no";
  f.actual = std::move(actual);
  f.hipaa = {"164.312(a)(1)"};
  f.details["line"] = "3";
  return f;
}

healing::ActionRecord refusal() {
  healing::ActionRecord a;
  a.rule_id = "L1-LIN-SSH-001";
  a.check_id = "LIN-SSH-001";
  a.target = "/etc/ssh/sshd_config";
  a.outcome = healing::Outcome::Refused;
  a.reason_code = healing::Reason::OutsideWritable;
  a.reason = "/etc/ssh/sshd_config is not under healing.writable_paths";
  healing::StepRecord st;
  st.type = "set_config_value";
  st.description = "set PermitRootLogin no";
  st.error = a.reason;
  a.steps.push_back(st);
  return a;
}

}  // namespace

TEST_CASE("every reason code is distinct, snake_case, and only None is empty") {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(healing::kLastReason); ++i) {
    const auto code = std::string(healing::toString(static_cast<healing::Reason>(i)));
    INFO(i << " " << code);
    CHECK(code != "?");
    if (i == 0) {
      CHECK(code.empty());
      continue;
    }
    REQUIRE_FALSE(code.empty());
    for (char c : code) CHECK(((c >= 'a' && c <= 'z') || c == '_'));
    CHECK(seen.insert(code).second);
  }
}

TEST_CASE("an action has one shape: the code beside the text, would_pass, before and after always there") {
  const auto a = refusal();
  const json j = cycle::actionJson<json>(a, nullptr, nullptr);
  CHECK(j["outcome"] == "refused");
  CHECK(j["reason_code"] == "outside_writable");
  CHECK(j["reason"] == a.reason);
  CHECK(j["would_pass"].is_null());
  CHECK(j["before"].is_null());
  CHECK(j["after"].is_null());
  // A step carries only the fields that apply to it.
  const json& st = j["steps"][0];
  CHECK(st["error"] == a.reason);
  CHECK_FALSE(st.contains("diff"));
  CHECK_FALSE(st.contains("path"));
  CHECK_FALSE(st.contains("argv"));

  const auto before = finding("yes"), after = finding("no");
  auto planned = a;
  planned.outcome = healing::Outcome::Planned;
  planned.reason_code = healing::Reason::None;
  planned.would_pass = true;
  const json p = cycle::actionJson<json>(planned, &before, &after);
  CHECK(p["reason_code"] == "");
  CHECK(p["would_pass"] == true);
  CHECK(p["before"] == json{{"status", "drifted"}, {"expected", "no"}, {"actual", "yes"}});
  CHECK(p["after"]["actual"] == "no");
}

TEST_CASE("the report's ordered encoding and the evidence's are the same document") {
  auto a = refusal();
  a.steps[0].diff = std::string("--- a\n+++ b\n+bad \xff byte\n");
  a.steps[0].argv = {"sshd", "-t", "-f", "{file}"};
  const auto before = finding("y\xc3");
  const ordered_json ordered = cycle::actionJson<ordered_json>(a, &before, nullptr);
  const json sorted = cycle::actionJson<json>(a, &before, nullptr);
  CHECK(json::parse(ordered.dump()) == sorted);
  // The report keeps a reader's order: what, then why, then how.
  CHECK(ordered.begin().key() == "rule_id");
  CHECK(std::next(ordered.begin(), 4).key() == "reason_code");
  // Invalid UTF-8 from the host is replaced, in both, so neither encoding can fail on it.
  CHECK(sorted["steps"][0]["diff"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  CHECK(sorted["before"]["actual"] == "y\xef\xbf\xbd");
  CHECK(json::parse(cycle::findingJson<ordered_json>(before).dump()) == cycle::findingJson<json>(before));
}

TEST_CASE("a diff longer than the cap is cut on a character boundary, with the whole one's digest") {
  auto a = refusal();
  std::string diff;
  while (diff.size() < cycle::kMaxDiffBytes + 10) diff += "+\xc3\xa9t\xc3\xa9\n";  // two-byte characters
  a.steps[0].diff = diff;
  const json j = cycle::actionJson<json>(a, nullptr, nullptr);
  const auto& st = j["steps"][0];
  const auto cut = st["diff"].get<std::string>();
  CHECK(cut.size() <= cycle::kMaxDiffBytes);
  CHECK(cut.size() > cycle::kMaxDiffBytes - 4);
  CHECK(diff.compare(0, cut.size(), cut) == 0);
  CHECK((static_cast<unsigned char>(diff[cut.size()]) & 0xC0) != 0x80);  // not inside a character
  CHECK(st["diff_truncated"] == true);
  CHECK(st["diff_sha256"].get<std::string>().size() == 64);
  a.steps[0].diff = "+short\n";
  const json small = cycle::actionJson<json>(a, nullptr, nullptr);
  CHECK_FALSE(small["steps"][0].contains("diff_truncated"));
  CHECK_FALSE(small["steps"][0].contains("diff_sha256"));
}

TEST_CASE("a finding's evidence body is pinned: its canonical form and so the cycle's findings digest") {
  // The digest of every cycle covers these bodies: a change to the encoding changes what a
  // verifier compares across versions, so it must be a deliberate one (docs/evidence-format.md).
  auto f = finding("y\xc3");
  f.details["k\xff"] = "v";
  const auto canon = evidence::canonicalize(cycle::findingJson<json>(f));
  REQUIRE(canon.ok());
  CHECK(*canon ==
        "{\"actual\":\"y\xef\xbf\xbd\",\"check_id\":\"LIN-SSH-001\",\"details\":{\"k\xef\xbf\xbd\":\"v\",\"line\":\"3\"},"
        "\"expected\":\"no\",\"hipaa\":[\"164.312(a)(1)\"],\"severity\":\"medium\",\"status\":\"drifted\","
        "\"target\":\"/etc/ssh/sshd_config\"}");
}
