#pragma once
// What a probe may touch: the host's files, its live state, the command runner, the clock and a
// few configuration values. Built once per cycle; probes never reach anything else.
#include <chrono>
#include <memory>
#include <string>

#include "checks/host_accounts.h"
#include "core/clock.h"
#include "platform/host_files.h"

namespace platform {
class LiveState;
class CommandRunner;
}  // namespace platform

namespace checks {

class ProbeRegistry;

/// Host files above this size are not read by probes (an error finding instead): a hostile
/// multi-gigabyte file must not exhaust the daemon's memory.
inline constexpr std::size_t kMaxProbeFileBytes = 64u << 20;

struct ProbeContext {
  const platform::HostFiles& files;
  platform::LiveState& live;
  platform::CommandRunner& commands;
  const core::Clock& clock;
  const ProbeRegistry& registry;
  std::chrono::milliseconds command_timeout{30'000};
  /// The agent's own client certificate (an agent path, not a host path), for
  /// `cert_expiry: {agent_file: central.client_cert_file}`. Empty: not configured.
  std::string agent_client_cert_file;
  /// User and group names of the host root (its /etc/passwd and /etc/group), read on first use.
  HostAccounts accounts{files};
  /// The id of the check being evaluated: the target of command and all/any/none probes.
  std::string check_id;
};

}  // namespace checks
