#pragma once
// set_sysctl writes live kernel parameters as root: only these keys, each a hardening knob whose
// every value is safe to set at run time. A rule naming another key is refused when planned.
#include <array>
#include <string_view>

namespace healing {

inline constexpr std::array<std::string_view, 30> kSysctlAllowList = {
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.accept_redirects",
    "net.ipv4.conf.default.accept_redirects",
    "net.ipv4.conf.all.secure_redirects",
    "net.ipv4.conf.default.secure_redirects",
    "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.default.send_redirects",
    "net.ipv4.conf.all.accept_source_route",
    "net.ipv4.conf.default.accept_source_route",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.all.log_martians",
    "net.ipv4.conf.default.log_martians",
    "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.icmp_ignore_bogus_error_responses",
    "net.ipv4.tcp_syncookies",
    "net.ipv6.conf.all.accept_redirects",
    "net.ipv6.conf.default.accept_redirects",
    "net.ipv6.conf.all.accept_source_route",
    "net.ipv6.conf.default.accept_source_route",
    "net.ipv6.conf.all.accept_ra",
    "net.ipv6.conf.default.accept_ra",
    "net.ipv6.conf.all.forwarding",
    "kernel.kptr_restrict",
    "kernel.dmesg_restrict",
    "kernel.randomize_va_space",
    "kernel.yama.ptrace_scope",
    "fs.suid_dumpable",
    "fs.protected_hardlinks",
    "fs.protected_symlinks",
};

inline bool sysctlAllowed(std::string_view key) {
  for (auto k : kSysctlAllowList) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace healing
