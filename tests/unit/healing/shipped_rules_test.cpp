// The shipped L1 rules against the healer's own limits: every set_sysctl key is on the
// allow-list and every file a step writes is inside the default healing.writable_paths, so the
// shipped rules heal on a default configuration instead of ending `refused`.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "config/agent_config.h"
#include "healing/file_change.h"
#include "healing/sysctl_allowlist.h"
#include "rules/loader.h"

namespace {

const rules::RuleSet& shipped() {
  static const rules::RuleSet set = [] {
    auto r = rules::loadRulePath(CA_SOURCE_DIR "/rules", rules::KnownTypes::all());
    if (!r.ok()) FAIL(r.error().format());
    return std::move(r).value();
  }();
  return set;
}

/// The host file a file step writes ("" for other steps, or a path naming the finding's target).
std::string writtenPath(const rules::ActionSpec& a) {
  std::string p;
  if (auto* x = a.as<rules::SetFileModeAction>()) p = x->path;
  if (auto* x = a.as<rules::SetFileOwnerAction>()) p = x->path;
  if (auto* x = a.as<rules::SetConfigValueAction>()) p = x->path;
  if (auto* x = a.as<rules::EnsureLineAction>()) p = x->path;
  if (auto* x = a.as<rules::RemoveLineAction>()) p = x->path;
  if (auto* x = a.as<rules::WriteFileAction>()) p = x->path;
  if (auto* x = a.as<rules::SetSysctlAction>()) p = x->persist_file;
  return p.find('{') == std::string::npos ? p : "";
}

}  // namespace

TEST_CASE("every set_sysctl key of the shipped rules is on the allow-list, which has no duplicates") {
  int sysctl_steps = 0;
  for (const auto& rule : shipped().rules) {
    for (const auto& a : rule.actions) {
      const auto* s = a.as<rules::SetSysctlAction>();
      if (!s) continue;
      ++sysctl_steps;
      INFO(rule.id << ": " << s->key);
      CHECK(healing::sysctlAllowed(s->key));
    }
  }
  CHECK(sysctl_steps >= 30);  // kernel.yaml: LIN-KRN-001..030
  std::set<std::string_view> keys(healing::kSysctlAllowList.begin(), healing::kSysctlAllowList.end());
  CHECK(keys.size() == healing::kSysctlAllowList.size());
  CHECK_FALSE(healing::sysctlAllowed("kernel.modprobe"));
  CHECK_FALSE(healing::sysctlAllowed("net.ipv4.conf.all.accept_redirects.x"));
}

TEST_CASE("every file a shipped rule's step writes is inside the default writable_paths") {
  const auto writable = config::defaultWritablePaths();
  int file_steps = 0;
  for (const auto& rule : shipped().rules) {
    for (const auto& a : rule.actions) {
      const std::string path = writtenPath(a);
      if (path.empty()) continue;
      ++file_steps;
      INFO(rule.id << " " << a.type << ": " << path);
      CHECK(healing::isWritable(path, writable));
    }
  }
  CHECK(file_steps > 0);
}
