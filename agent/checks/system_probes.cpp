// Probes of the running system: kernel parameters and sockets (read as host files under /proc),
// processes, systemd units, time sync and disk usage (LiveState), certificates, the NixOS
// generation, and operator commands (CommandRunner).
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "checks/expectation.h"
#include "checks/probe_registry.h"
#include "checks/probes.h"
#include "checks/redaction.h"
#include "platform/command_runner.h"
#include "platform/live_state.h"

namespace checks {
namespace {

using platform::LiveErrc;

std::string trimmed(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// LiveState that is not queried for this root makes the probe not applicable, with that reason;
// any other failure is an error: the state could not be learnt.
ProbeResult liveFailure(const std::string& target, const platform::LiveError& e) {
  return e.code == LiveErrc::NotQueried ? notApplicable(target, e.message) : probeError(target, e.message);
}

// ---- sysctl ---------------------------------------------------------------------------------

std::vector<ProbeResult> sysctlProbe(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::SysctlProbe>();
  std::string path = "/proc/sys/" + p.key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  auto text = ctx.files.readFile(path, 64 * 1024);
  if (!text.ok()) return single(probeError(p.key, "cannot read " + path + ": " + text.error().message));
  // Multi-value parameters (e.g. net.ipv4.ip_local_port_range) separate values with tabs.
  std::string value = trimmed(*text);
  std::replace(value.begin(), value.end(), '\t', ' ');
  ProbeResult r = satisfies(p.expect, value) ? compliant(p.key, describe(p.expect), value)
                                             : drifted(p.key, describe(p.expect), value);
  r.details["path"] = path;
  return single(r);
}

// ---- systemd_unit ---------------------------------------------------------------------------

bool isEnabledState(const std::string& s) {
  return s == "enabled" || s == "enabled-runtime" || s == "static" || s == "generated" || s == "alias";
}

std::vector<ProbeResult> systemdUnit(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::SystemdUnitProbe>();
  auto st = ctx.live.unitState(p.unit);
  if (!st.ok() && st.error().code != LiveErrc::NotFound) return single(liveFailure(p.unit, st.error()));
  const bool found = st.ok() && st->loaded;
  const std::string active = found ? st->active_state : "not-found";
  const std::string enabled = found ? st->unit_file_state : "not-found";
  std::string expected, actual;
  bool ok = true;
  if (p.active) {
    expected += *p.active ? "active" : "not active";
    actual += active;
    ok = ok && ((active == "active") == *p.active);
  }
  if (p.enabled) {
    expected += std::string(expected.empty() ? "" : ", ") + (*p.enabled ? "enabled" : "not enabled");
    actual += std::string(actual.empty() ? "" : ", ") + enabled;
    ok = ok && (isEnabledState(enabled) == *p.enabled);
  }
  ProbeResult r = ok ? compliant(p.unit, expected, actual) : drifted(p.unit, expected, actual);
  if (st.ok()) r.details["load_state"] = st->load_state;
  return single(r);
}

// ---- process_running ------------------------------------------------------------------------

constexpr std::size_t kMaxProcesses = 100000;

std::vector<ProbeResult> processRunning(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::ProcessRunningProbe>();
  auto list = ctx.files.listDir("/proc");
  if (!list.ok()) return single(probeError(p.name, "cannot list /proc: " + list.error().message));
  int count = 0;
  std::size_t seen = 0;
  for (const auto& e : *list) {
    if (e.name.empty() || !std::all_of(e.name.begin(), e.name.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (++seen > kMaxProcesses) break;
    auto comm = ctx.files.readFile("/proc/" + e.name + "/comm", 4096);
    if (comm.ok() && trimmed(*comm) == p.name) ++count;  // processes may exit while we look
  }
  const std::string expected = p.running ? "running" : "not running";
  const std::string actual = count ? std::to_string(count) + " running" : "not running";
  return {(count > 0) == p.running ? compliant(p.name, expected, actual) : drifted(p.name, expected, actual)};
}

// ---- port_listening -------------------------------------------------------------------------

// Parses /proc/net/{tcp,tcp6,udp,udp6}: the local port of every socket in `state` (hex).
void collectPorts(std::string_view text, std::string_view want_state, std::set<unsigned>& out) {
  bool header = true;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (header) { header = false; continue; }
    std::istringstream in{std::string(line)};
    std::string sl, local, remote, st;
    if (!(in >> sl >> local >> remote >> st)) continue;
    if (st != want_state) continue;
    const size_t colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(local.data() + colon + 1, local.data() + local.size(), port, 16);
    if (ec == std::errc() && ptr == local.data() + local.size()) out.insert(port);
  }
}

std::vector<ProbeResult> portListening(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::PortListeningProbe>();
  const bool tcp = p.protocol == rules::Protocol::Tcp;
  const std::string proto(rules::toString(p.protocol));
  // TCP sockets listen in state 0A (TCP_LISTEN); bound, unconnected UDP sockets are 07 (CLOSE).
  const std::string_view state = tcp ? "0A" : "07";
  std::set<unsigned> listening;
  int tables = 0;
  for (const std::string& file : {"/proc/net/" + proto, "/proc/net/" + proto + "6"}) {
    auto text = ctx.files.readFile(file, kMaxProbeFileBytes);
    if (!text.ok()) continue;  // no IPv6 is fine; neither table is an error below
    ++tables;
    collectPorts(*text, state, listening);
  }
  if (tables == 0) return single(probeError(proto, "cannot read /proc/net/" + proto + " or /proc/net/" + proto + "6"));
  std::vector<ProbeResult> out;
  for (const auto& range : p.ports) {
    for (unsigned port = range.first; port <= range.last; ++port) {
      const bool is = listening.count(port) != 0;
      if (is != p.listening) {
        const std::string target = proto + "/" + std::to_string(port);
        out.push_back(drifted(target, p.listening ? "listening" : "not listening", is ? "listening" : "not listening"));
      }
    }
  }
  if (out.empty()) {
    out.push_back(compliant(proto, p.listening ? "all listed ports listening" : "no listed port listening",
                            p.listening ? "all listening" : "none listening"));
  }
  return out;
}

// ---- disk_usage, time_sync ------------------------------------------------------------------

std::vector<ProbeResult> diskUsage(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::DiskUsageProbe>();
  std::vector<ProbeResult> out;
  const std::string expected = "at most " + std::to_string(p.max_percent) + "% used";
  for (const auto& mount : p.mounts) {
    auto du = ctx.live.diskUsage(mount);
    if (!du.ok()) {
      out.push_back(du.error().code == LiveErrc::NotFound ? notApplicable(mount, du.error().message)
                                                          : liveFailure(mount, du.error()));
      continue;
    }
    const std::string actual = std::to_string(du->used_percent) + "% used";
    ProbeResult r = du->used_percent <= p.max_percent ? compliant(mount, expected, actual) : drifted(mount, expected, actual);
    r.details["filesystem_mount"] = du->mount;
    r.details["avail_bytes"] = std::to_string(du->avail_bytes);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ProbeResult> timeSync(const rules::ProbeSpec&, ProbeContext& ctx) {
  auto ts = ctx.live.timeSync();
  if (!ts.ok()) return single(liveFailure("time", ts.error()));
  ProbeResult r = ts->synchronized ? compliant("time", "synchronized", "synchronized")
                                   : drifted("time", "synchronized", "not synchronized");
  r.details["ntp_enabled"] = ts->ntp_enabled ? "yes" : "no";
  return single(r);
}

// ---- cert_expiry ----------------------------------------------------------------------------

std::vector<ProbeResult> certExpiry(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::CertExpiryProbe>();
  const std::string target = p.path.empty() ? p.agent_file : p.path;
  std::string pem;
  if (!p.path.empty()) {
    auto text = ctx.files.readFile(p.path, 1 << 20);
    if (!text.ok()) return single(probeError(target, p.path + ": " + text.error().message));
    pem = std::move(*text);
  } else {
    // The agent's own certificate is an agent path (config), not a host path.
    if (ctx.agent_client_cert_file.empty()) return single(notApplicable(target, p.agent_file + " is not configured"));
    std::ifstream in(ctx.agent_client_cert_file, std::ios::binary);
    if (!in) return single(probeError(target, "cannot read " + ctx.agent_client_cert_file));
    std::ostringstream s;
    s << in.rdbuf();
    pem = s.str();
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!cert) return single(probeError(target, "no PEM certificate found"));
  const time_t now = std::chrono::system_clock::to_time_t(ctx.clock.wallNow());
  ASN1_TIME* now_asn1 = ASN1_TIME_set(nullptr, now);
  int days = 0, secs = 0;
  const bool diff_ok = now_asn1 && ASN1_TIME_diff(&days, &secs, now_asn1, X509_get0_notAfter(cert)) == 1;
  char not_after[64] = "";
  if (BIO* out = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(out, X509_get0_notAfter(cert)) == 1) {
      const int n = BIO_read(out, not_after, sizeof not_after - 1);
      not_after[n > 0 ? n : 0] = '\0';
    }
    BIO_free(out);
  }
  ASN1_TIME_free(now_asn1);
  X509_free(cert);
  if (!diff_ok) return single(probeError(target, "cannot compare the certificate's notAfter with the clock"));
  const std::string expected = "valid for at least " + std::to_string(p.min_days) + " days";
  const std::string actual = (days < 0 || (days == 0 && secs < 0)) ? "expired" : std::to_string(days) + " days left";
  ProbeResult r = (days > p.min_days || (days == p.min_days && secs >= 0)) ? compliant(target, expected, actual)
                                                                           : drifted(target, expected, actual);
  r.details["not_after"] = not_after;
  return single(r);
}

// ---- nixos_generation -----------------------------------------------------------------------

std::vector<ProbeResult> nixosGeneration(const rules::ProbeSpec&, ProbeContext& ctx) {
  const std::string expected = "a /nix/store path";
  auto resolved = ctx.files.resolve("/run/current-system");
  if (!resolved.ok()) {
    if (resolved.error().code == platform::FsErrc::NotFound) return single(drifted("system", expected, "absent"));
    return single(probeError("system", "/run/current-system: " + resolved.error().message));
  }
  const bool in_store = resolved->rfind("/nix/store/", 0) == 0 && resolved->size() > 11;
  ProbeResult r = in_store ? compliant("system", expected, *resolved) : drifted("system", expected, *resolved);
  if (auto link = ctx.files.readLink("/run/current-system"); link.ok()) r.details["link"] = *link;
  return single(r);
}

// ---- command --------------------------------------------------------------------------------

std::vector<ProbeResult> commandProbe(const rules::ProbeSpec& spec, ProbeContext& ctx) {
  const auto& p = *spec.as<rules::CommandProbe>();
  const std::string& target = ctx.check_id;
  platform::CommandSpec cmd;
  cmd.argv = p.argv;
  cmd.timeout = p.timeout.value_or(ctx.command_timeout);
  cmd.max_output_bytes = 256 * 1024;
  auto res = ctx.commands.run(cmd);
  if (!res.ok()) return single(probeError(target, res.error().message));
  if (res->timed_out) return single(probeError(target, p.argv[0] + " timed out"));
  if (res->term_signal) return single(probeError(target, p.argv[0] + " killed by signal " + std::to_string(res->term_signal)));
  std::string expected = "exit " + std::to_string(p.expect_exit);
  if (p.expect_output) expected += ", output matching " + *p.expect_output;
  const bool exit_ok = res->exit_code == p.expect_exit;
  const bool out_ok = !p.expect_output_regex || re2::RE2::PartialMatch(res->out, *p.expect_output_regex);
  std::string actual = "exit " + std::to_string(res->exit_code);
  if (p.expect_output) actual += out_ok ? ", output matched" : ", output did not match";
  // Command output is not quoted: it may hold anything, secrets included.
  return single(exit_ok && out_ok ? compliant(target, expected, actual) : drifted(target, expected, actual));
}

}  // namespace

void registerSystemProbes(ProbeRegistry& registry) {
  registry.add("sysctl", sysctlProbe);
  registry.add("systemd_unit", systemdUnit);
  registry.add("process_running", processRunning);
  registry.add("port_listening", portListening);
  registry.add("disk_usage", diskUsage);
  registry.add("time_sync", timeSync);
  registry.add("cert_expiry", certExpiry);
  registry.add("nixos_generation", nixosGeneration);
  registry.add("command", commandProbe);
}

}  // namespace checks
