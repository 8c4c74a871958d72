#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/global_options.h"
#include "core/version.h"

namespace cli {
namespace {

void addGlobalFlags(CLI::App& app, GlobalOptions& g) {
  app.add_option("--config", g.config_file, "agent.yaml to read (default /etc/compliance-agent/agent.yaml)");
  app.add_option("--root", g.root, "host root to check, as if it were /");
  app.add_option("--rules", g.rules_dir, "rule directory (loaded recursively) or file");
  app.add_option("--state-dir", g.state_dir, "agent state directory");
  app.add_option("--tier", g.tier, "healing tier for this run: standard | full_coverage");
  app.add_option("--log-level", g.log_level, "trace | debug | info | warn | error");
  auto* dry = app.add_flag("--dry-run", g.dry_run, "plan healing only, change nothing");
  auto* live = app.add_flag("--live", g.live, "act on drift");
  dry->excludes(live);
  app.add_flag("--json", g.json, "print one JSON document on stdout");
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"compliance-agent: keeps a NixOS compliance appliance HIPAA-compliant"};
  app.set_version_flag("--version", core::kAgentVersion);
  app.require_subcommand(1);
  GlobalOptions global;
  addGlobalFlags(app, global);

  auto* version = app.add_subcommand("version", "print the agent version");
  int exit_code = kExitOk;
  version->callback([&] {
    if (global.json) {
      std::printf("{\"version\": \"%s\"}\n", core::kAgentVersion);
    } else {
      std::printf("compliance-agent %s\n", core::kAgentVersion);
    }
  });

  // Global flags are defined once on the root; fallthrough lets every subcommand accept them.
  for (auto* sub : app.get_subcommands({})) sub->fallthrough();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help/version on stdout (exit 0) and errors on stderr (exit 2).
    const int rc = app.exit(e, std::cout, std::cerr);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace cli
