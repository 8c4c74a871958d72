#include "config/agent_config.h"


namespace config {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Two ASCII digits at text[pos], as a number; -1 when they are not digits.
int twoDigits(std::string_view text, std::size_t pos) {
  const char a = text[pos];
  const char b = text[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

std::string_view toString(LiveStateMode m) {
  switch (m) {
    case LiveStateMode::Auto: return "auto";
    case LiveStateMode::On: return "on";
    case LiveStateMode::Off: return "off";
  }
  return "?";
}

std::string_view toString(LogLevel l) {
  switch (l) {
    case LogLevel::Trace: return "trace";
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "?";
}

std::string_view toString(Tier t) {
  switch (t) {
    case Tier::Standard: return "standard";
    case Tier::FullCoverage: return "full_coverage";
  }
  return "?";
}

std::string_view toString(DryRunSource s) {
  switch (s) {
    case DryRunSource::Default: return "default";
    case DryRunSource::File: return "config file";
    case DryRunSource::Environment: return "HEALING_DRY_RUN";
    case DryRunSource::Flag: return "--dry-run/--live";
  }
  return "?";
}

std::optional<LiveStateMode> parseLiveStateMode(std::string_view text) {
  for (auto m : {LiveStateMode::Auto, LiveStateMode::On, LiveStateMode::Off}) {
    if (text == toString(m)) return m;
  }
  return std::nullopt;
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  // spdlog prints the level as "warning": an operator copying it from the log is understood.
  if (equalsIgnoreCase(text, "warning")) return LogLevel::Warn;
  for (auto l : {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}) {
    if (equalsIgnoreCase(text, toString(l))) return l;
  }
  return std::nullopt;
}

std::optional<Tier> parseTier(std::string_view text) {
  for (auto t : {Tier::Standard, Tier::FullCoverage}) {
    if (text == toString(t)) return t;
  }
  return std::nullopt;
}

bool MaintenanceWindow::contains(int minute_of_day) const {
  if (start_minute <= end_minute) return minute_of_day >= start_minute && minute_of_day < end_minute;
  return minute_of_day >= start_minute || minute_of_day < end_minute;  // crosses midnight
}

std::string MaintenanceWindow::format() const {
  std::string out;
  auto two = [&out](int n) {
    out += static_cast<char>('0' + n / 10 % 10);
    out += static_cast<char>('0' + n % 10);
  };
  two(start_minute / 60);
  out += ':';
  two(start_minute % 60);
  out += '-';
  two(end_minute / 60);
  out += ':';
  two(end_minute % 60);
  return out;
}

core::Result<MaintenanceWindow, std::string> parseMaintenanceWindow(std::string_view text) {
  const std::string accepted = "expected \"HH:MM-HH:MM\" in local time, e.g. \"02:00-04:00\" or \"22:00-02:00\"";
  if (text.size() != 11 || text[2] != ':' || text[5] != '-' || text[8] != ':') {
    return core::fail("bad maintenance window '" + std::string(text) + "': " + accepted);
  }
  const int h1 = twoDigits(text, 0), m1 = twoDigits(text, 3), h2 = twoDigits(text, 6), m2 = twoDigits(text, 9);
  if (h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0 || h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) {
    return core::fail("bad maintenance window '" + std::string(text) + "': hours are 00-23, minutes 00-59; " + accepted);
  }
  MaintenanceWindow w{h1 * 60 + m1, h2 * 60 + m2};
  if (w.start_minute == w.end_minute) {
    return core::fail("maintenance window '" + std::string(text) +
                      "' starts and ends at the same time; give a real window, or \"\" for none");
  }
  return w;
}

std::vector<std::string> defaultWritablePaths() {
  return {"/etc/ssh",    "/etc/sysctl.d", "/etc/audit",  "/etc/nftables.conf",
          "/etc/passwd", "/etc/shadow",   "/etc/group",  "/etc/gshadow",
          "/etc/systemd/journald.conf",   "/etc/issue",  "/etc/issue.net",
          "/etc/motd",   "/etc/crontab",  "/etc/cron.d",
          "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly", "/etc/cron.monthly",
          "/etc/cron.allow",  "/etc/at.allow",
          // The account databases' backups, password policy, sudo, and the agent's own drop-ins.
          "/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-",
          "/etc/login.defs", "/etc/security/pwquality.conf", "/etc/sudoers", "/etc/sudoers.d",
          "/etc/modprobe.d/60-compliance-agent.conf", "/etc/rsyslog.conf",
          "/etc/rsyslog.d/60-compliance-agent.conf"};
}

std::string_view toString(ToolPlatform p) { return p == ToolPlatform::Nixos ? "nixos" : "linux"; }

std::map<std::string, std::string> defaultTools(ToolPlatform platform) {
  // Debian 12 (merged /usr): the package that ships each one puts it here.
  std::map<std::string, std::string> tools{
      {"systemctl", "/usr/bin/systemctl"},   {"timedatectl", "/usr/bin/timedatectl"},
      {"df", "/usr/bin/df"},                 {"sshd", "/usr/sbin/sshd"},
      {"nft", "/usr/sbin/nft"},              {"visudo", "/usr/sbin/visudo"},
      {"nginx", "/usr/sbin/nginx"},          {"named-checkconf", "/usr/bin/named-checkconf"},
      {"chronyd", "/usr/sbin/chronyd"}};
  if (platform == ToolPlatform::Nixos) {
    // Everything the system installs is linked into the system profile.
    for (auto& [name, path] : tools) path = "/run/current-system/sw/bin/" + name;
  }
  return tools;
}

}  // namespace config
