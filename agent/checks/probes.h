#pragma once
// Registration of the built-in probe families (one .cpp per family).
namespace checks {
class ProbeRegistry;
/// file_exists, file_absent, file_mode, file_owner, file_regex, config_value, file_hash.
void registerFileProbes(ProbeRegistry& registry);
/// sysctl, systemd_unit, process_running, port_listening, disk_usage, time_sync, cert_expiry,
/// nixos_generation, command.
void registerSystemProbes(ProbeRegistry& registry);
/// dir_scan.
void registerScanProbes(ProbeRegistry& registry);
/// all, any, none.
void registerCompositeProbes(ProbeRegistry& registry);
}  // namespace checks
