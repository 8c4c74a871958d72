#include <cstdio>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/version.h"

namespace cli {

int runVersion(const GlobalOptions& global) {
  if (global.json) {
    std::printf("{\"version\": \"%s\"}\n", core::kAgentVersion);
  } else {
    std::printf("compliance-agent %s\n", core::kAgentVersion);
  }
  return kExitOk;
}

}  // namespace cli
