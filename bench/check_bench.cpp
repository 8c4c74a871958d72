// In-process cost of the check engine: rule loading and evaluation, measured separately, for one
// host root and rule file. bench/run.sh runs it for several sizes and prints the table.
//
//   check_bench --root DIR --rules FILE [--reps N] [--phase all|load|decode|eval]
// --phase repeats only that phase (the others run once), for `perf record` of one phase or its CPU
// time with `perf stat -e task-clock` (this VM has no hardware counters for instruction counts).
// prints: checks=<n> load_ms=<median YAML load> cache_decode_ms=<median> eval_us=<median per cycle>
//         per_check_us=<eval/n> load_us_per_check decode_us_per_check eval_fixed_us=<an empty set's
//         cycle> marginal_per_check_us=<(eval - fixed)/n>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "checks/check_runner.h"
#include "core/clock.h"
#include "platform/caching_host_files.h"
#include "platform/linux_host_files.h"
#include "platform/live_state.h"
#include "platform/spawn_command_runner.h"
#include "rules/loader.h"
#include "rules/ruleset_codec.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string root, rules_path;
  int reps = 20;
  std::string phase = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--root") root = argv[i + 1];
    else if (flag == "--rules") rules_path = argv[i + 1];
    else if (flag == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--phase") phase = argv[i + 1];
  }
  if (root.empty() || rules_path.empty() ||
      (phase != "all" && phase != "load" && phase != "decode" && phase != "eval")) {
    std::fprintf(stderr, "usage: check_bench --root DIR --rules FILE [--reps N] [--phase all|load|decode|eval]\n");
    return 2;
  }
  auto repsOf = [&](const char* p) { return phase == "all" || phase == p ? reps : 1; };
  using Clock = std::chrono::steady_clock;
  checks::ProbeRegistry registry;
  checks::registerBuiltinProbes(registry);
  const rules::KnownTypes known = rules::KnownTypes::all();

  std::vector<double> load_ms;
  rules::RuleSet set;
  for (int r = 0; r < repsOf("load"); ++r) {
    const auto t0 = Clock::now();
    auto loaded = rules::loadRulePath(rules_path, known);
    load_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s", loaded.error().format().c_str());
      return 2;
    }
    set = std::move(*loaded);
  }

  auto files = platform::LinuxHostFiles::open(root);
  if (!files.ok()) {
    std::fprintf(stderr, "%s: %s\n", root.c_str(), files.error().message.c_str());
    return 2;
  }
  core::SystemClock clock;
  platform::SpawnCommandRunner runner({}, clock);
  platform::NotQueriedLiveState live("benchmark: files only");
  std::vector<double> eval_us;
  std::size_t findings = 0;
  for (int r = 0; r < repsOf("eval"); ++r) {
    // As the CLI runs a cycle: a fresh per-cycle read cache over the host files.
    const auto t0 = Clock::now();
    platform::CachingHostFiles cycle_files(**files);
    checks::ProbeContext ctx{cycle_files, live, runner, clock, registry};
    findings = checks::runChecks(set, ctx, {}).size();
    eval_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double eval = median(eval_us);
  // A cycle's fixed cost, whatever the number of checks: the same cycle over an empty rule set
  // (the per-cycle read cache, the runner's set-up). eval = fixed + n * marginal; a linear engine
  // has a flat marginal cost, which is what the sizes are compared on.
  std::vector<double> fixed_us;
  const rules::RuleSet empty;
  for (int r = 0; r < repsOf("eval"); ++r) {
    const auto t0 = Clock::now();
    platform::CachingHostFiles cycle_files(**files);
    checks::ProbeContext ctx{cycle_files, live, runner, clock, registry};
    (void)checks::runChecks(empty, ctx, {});
    fixed_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double fixed = median(fixed_us);
  // The compiled cache: what `check` decodes instead of parsing YAML once a writer stored it.
  const std::string encoded = rules::encodeRuleSet(set);
  std::vector<double> decode_ms;
  for (int r = 0; r < repsOf("decode"); ++r) {
    const auto t0 = Clock::now();
    auto decoded = rules::decodeRuleSet(encoded);
    decode_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!decoded.ok()) {
      std::fprintf(stderr, "decode: %s\n", decoded.error().c_str());
      return 1;
    }
  }
  const double n = set.checks.empty() ? 1.0 : static_cast<double>(set.checks.size());
  std::printf("checks=%zu findings=%zu load_ms=%.3f cache_decode_ms=%.3f eval_us=%.1f per_check_us=%.3f "
              "load_us_per_check=%.2f decode_us_per_check=%.3f eval_fixed_us=%.1f marginal_per_check_us=%.3f\n",
              set.checks.size(), findings, median(load_ms), median(decode_ms), eval, eval / n,
              median(load_ms) * 1000 / n, median(decode_ms) * 1000 / n, fixed, (eval - fixed) / n);
  return 0;
}
