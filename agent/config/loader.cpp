#include "config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "config/file_schema.h"

namespace config {
namespace {

using core::yaml::Diagnostics;
using core::yaml::YamlError;

// One line of a message stays readable even when the file holds a 200 KiB key.
constexpr std::size_t kMaxMessageLineChars = 400;

// Escapes control bytes (a binary file's key must not drive the operator's terminal) and cuts
// overlong lines.
std::string forHumans(std::string_view line) {
  std::string out;
  for (unsigned char c : line) {
    if (out.size() >= kMaxMessageLineChars) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += forHumans(l);
  }
  return out;
}

ConfigError invalid(std::vector<YamlError> errors) {
  // The schema is read section by section; the operator reads the file top to bottom.
  std::stable_sort(errors.begin(), errors.end(), [](const YamlError& a, const YamlError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) lines.push_back(errors[i].format());
  if (errors.size() > kMaxReportedErrors) {
    lines.push_back("... and " + std::to_string(errors.size() - kMaxReportedErrors) + " more problems");
  }
  return ConfigError{ConfigErrc::Invalid, joinLines(lines), std::move(errors)};
}

// The settings that the environment or the flags give, already validated, with the name of
// what gave each (for `config show`).
struct Layer {
  std::map<std::string, std::string> sources;  // dotted key -> "environment X" / "flag --x"
  std::optional<bool> dry_run;
  std::optional<std::string> state_dir;
  std::optional<LogLevel> log_level;
  std::optional<std::string> root;
  std::optional<std::string> rules_dir;
  std::optional<Tier> tier;
};

constexpr const char* kDryRunHelp =
    "use true, 1, yes or on for dry-run; false, 0, no or off for live (case-insensitive)";
constexpr const char* kLogLevelHelp = "trace, debug, info, warn or error";

// A path flag: relative ones are resolved against the working directory the operator typed them in.
std::optional<std::string> flagPath(const char* flag, const std::string& value, const Environment& env,
                                    std::vector<std::string>& problems) {
  if (value.empty()) {
    problems.push_back(std::string(flag) + ": empty path");
    return std::nullopt;
  }
  std::string path = value;
  if (path.front() != '/') {
    if (env.working_dir.empty() || env.working_dir.front() != '/') {
      problems.push_back(std::string(flag) + ": '" + value +
                         "' is relative and the working directory is unknown; give an absolute path");
      return std::nullopt;
    }
    path = env.working_dir + "/" + value;
  }
  std::string problem;
  auto p = detail::normaliseAgentPath(path, problem);
  if (!p) {
    problems.push_back(std::string(flag) + ": " + problem);
    return std::nullopt;
  }
  return p;
}

core::Result<Layer, ConfigError> readFlags(const Overrides& o, const Environment& env) {
  Layer l;
  std::vector<std::string> problems;
  if (o.config_file && o.config_file->empty()) problems.push_back("--config: empty path");
  if (o.root) l.root = flagPath("--root", *o.root, env, problems);
  if (o.rules_dir) l.rules_dir = flagPath("--rules", *o.rules_dir, env, problems);
  if (o.state_dir) l.state_dir = flagPath("--state-dir", *o.state_dir, env, problems);
  if (o.root) l.sources["host_root"] = "flag --root";
  if (o.rules_dir) l.sources["rules.dir"] = "flag --rules";
  if (o.state_dir) l.sources["state_dir"] = "flag --state-dir";
  if (o.tier) l.sources["rules.tier"] = "flag --tier";
  if (o.log_level) l.sources["log_level"] = "flag --log-level";
  if (o.dry_run) l.sources["healing.dry_run"] = *o.dry_run ? "flag --dry-run" : "flag --live";
  if (o.tier) {
    l.tier = parseTier(*o.tier);
    if (!l.tier) problems.push_back("--tier: unknown tier '" + *o.tier + "'; expected standard or full_coverage");
  }
  if (o.log_level) {
    l.log_level = parseLogLevel(*o.log_level);
    if (!l.log_level) {
      problems.push_back("--log-level: unknown level '" + *o.log_level + "'; expected " + kLogLevelHelp);
    }
  }
  l.dry_run = o.dry_run;
  if (!problems.empty()) return core::fail(ConfigError{ConfigErrc::BadFlag, joinLines(problems), {}});
  return l;
}

core::Result<Layer, ConfigError> readEnvironment(const Environment& env, bool uses_config_var) {
  Layer l;
  std::vector<std::string> problems;
  if (uses_config_var) {
    if (auto v = env.get(kEnvConfig); v && v->empty()) {
      problems.push_back(std::string(kEnvConfig) + " is set but empty; unset it or name the config file");
    }
  }
  if (auto v = env.get(kEnvDryRun)) {
    l.sources["healing.dry_run"] = std::string("environment ") + kEnvDryRun;
    l.dry_run = parseDryRunValue(*v);
    if (!l.dry_run) {
      problems.push_back(std::string(kEnvDryRun) + "='" + *v + "' is not valid: " + kDryRunHelp);
    }
  }
  if (auto v = env.get(kEnvStateDir)) {
    l.sources["state_dir"] = std::string("environment ") + kEnvStateDir;
    std::string problem;
    l.state_dir = detail::normaliseAgentPath(*v, problem);
    if (!l.state_dir) problems.push_back(std::string(kEnvStateDir) + ": " + problem);
  }
  if (auto v = env.get(kEnvLogLevel)) {
    l.sources["log_level"] = std::string("environment ") + kEnvLogLevel;
    l.log_level = parseLogLevel(*v);
    if (!l.log_level) {
      problems.push_back(std::string(kEnvLogLevel) + "='" + *v + "' is not valid: expected " + kLogLevelHelp);
    }
  }
  if (!problems.empty()) return core::fail(ConfigError{ConfigErrc::BadEnvironment, joinLines(problems), {}});
  return l;
}

void applyLayer(const Layer& l, DryRunSource source, AgentConfig& cfg) {
  if (l.dry_run) {
    cfg.healing.dry_run = *l.dry_run;
    cfg.origin.dry_run_source = source;
  }
  if (l.state_dir) cfg.state_dir = *l.state_dir;
  if (l.log_level) cfg.log_level = *l.log_level;
  if (l.root) cfg.host_root = *l.root;
  if (l.rules_dir) cfg.rules.dir = *l.rules_dir;
  if (l.tier) cfg.rules.tier = *l.tier;
  for (const auto& [key, source] : l.sources) cfg.origin.sources[key] = source;
}

// "FILE:LINE" for every key the file sets (it was validated, so each one was applied): sections
// are one level deep, tools: is a map of names.
void recordFileSources(const YAML::Node& doc, const std::string& file, AgentConfig& cfg) {
  if (!doc.IsMap()) return;
  const auto at = [&file](const YAML::Node& key) { return file + ":" + std::to_string(key.Mark().line + 1); };
  for (const auto& top : doc) {
    const std::string name = top.first.Scalar();
    if (top.second.IsMap()) {
      for (const auto& sub : top.second) cfg.origin.sources[name + "." + sub.first.Scalar()] = at(sub.first);
    } else {
      cfg.origin.sources[name] = at(top.first);
    }
  }
}

// Parses and validates the file's text into `cfg`, collecting every problem.
core::Status<ConfigError> applyText(std::string_view text, const std::string& file, AgentConfig& cfg) {
  const core::yaml::Limits limits{kMaxConfigBytes, kMaxConfigDepth};
  auto doc = core::yaml::parseGuarded(text, file, limits);
  if (!doc) return core::fail(invalid({doc.error()}));
  Diagnostics diag;
  try {
    detail::applyFile(*doc, file, cfg, diag);
  } catch (const YAML::Exception& e) {
    // Not expected after parseGuarded, but yaml-cpp throws; no exception leaves the module.
    diag.add(core::yaml::YamlErrc::Syntax, file, e.mark, "", e.msg);
  }
  if (!diag.empty()) return core::fail(invalid(diag.errors()));
  recordFileSources(*doc, file, cfg);
  cfg.origin.file = file;
  cfg.origin.file_loaded = true;
  return core::Ok{};
}

// Reads at most kMaxConfigBytes + 1 bytes, so a huge (or endless) file is refused by the size
// limit without being read whole. nullopt: the file does not exist.
core::Result<std::optional<std::string>, ConfigError> readBounded(const std::string& path) {
  // O_NONBLOCK: opening a FIFO planted as the config must not hang start-up.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<std::string>();
    return core::fail(ConfigError{ConfigErrc::Unreadable,
                                  forHumans("cannot open config file " + path + ": " + std::strerror(err)), {}});
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return core::fail(ConfigError{ConfigErrc::Unreadable,
                                  forHumans("config file " + path + " is not a regular file"), {}});
  }
  std::string text;
  char buf[16384];
  while (text.size() <= kMaxConfigBytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::fail(ConfigError{ConfigErrc::Unreadable,
                                    forHumans("cannot read config file " + path + ": " + std::strerror(errno)), {}});
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

// The defaults that depend on the machine: the tools: paths.
void startFromDefaults(const Environment& env, AgentConfig& cfg) {
  cfg.tools = defaultTools(env.tool_platform);
  cfg.origin.tool_platform = env.tool_platform;
}

// ID=nixos (quoted or not) in the machine's os-release; anything else, or no file, is linux.
ToolPlatform machineToolPlatform(const char* os_release) {
  auto text = readBounded(os_release);
  if (!text || !text->has_value()) return ToolPlatform::Linux;
  std::size_t pos = 0;
  const std::string& t = **text;
  while (pos < t.size()) {
    std::size_t end = t.find('\n', pos);
    if (end == std::string::npos) end = t.size();
    const std::string_view line(t.data() + pos, end - pos);
    if (line == "ID=nixos" || line == "ID=\"nixos\"") return ToolPlatform::Nixos;
    pos = end + 1;
  }
  return ToolPlatform::Linux;
}

}  // namespace

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

Environment fromProcessEnvironment() {
  Environment env;
  for (const char* name : {kEnvConfig, kEnvDryRun, kEnvStateDir, kEnvLogLevel}) {
    if (const char* v = std::getenv(name)) env.vars[name] = v;
  }
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  if (!ec) env.working_dir = cwd.string();
  env.tool_platform = machineToolPlatform("/etc/os-release");
  return env;
}

std::optional<bool> parseDryRunValue(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

core::Result<AgentConfig, ConfigError> loadConfigText(std::string_view text, const std::string& file_name,
                                                      const Overrides& overrides, const Environment& env) {
  auto flags = readFlags(overrides, env);
  if (!flags) return core::fail(std::move(flags).error());
  auto vars = readEnvironment(env, /*uses_config_var=*/false);
  if (!vars) return core::fail(std::move(vars).error());
  AgentConfig cfg;
  startFromDefaults(env, cfg);
  cfg.origin.file = file_name;
  if (auto st = applyText(text, file_name, cfg); !st) return core::fail(std::move(st).error());
  applyLayer(*vars, DryRunSource::Environment, cfg);
  applyLayer(*flags, DryRunSource::Flag, cfg);
  return cfg;
}

core::Result<AgentConfig, ConfigError> loadConfig(const Overrides& overrides, const Environment& env,
                                                  const std::string& default_file) {
  auto flags = readFlags(overrides, env);
  if (!flags) return core::fail(std::move(flags).error());
  auto vars = readEnvironment(env, /*uses_config_var=*/!overrides.config_file);
  if (!vars) return core::fail(std::move(vars).error());

  std::string path = default_file;
  const char* named_by = nullptr;  // who named the file explicitly; nullptr: the default
  if (overrides.config_file) {
    path = *overrides.config_file;
    named_by = "--config";
  } else if (auto v = env.get(kEnvConfig)) {
    path = *v;
    named_by = kEnvConfig;
  }

  AgentConfig cfg;
  startFromDefaults(env, cfg);
  cfg.origin.file = path;
  auto text = readBounded(path);
  if (!text) return core::fail(std::move(text).error());
  if (!text->has_value()) {
    if (named_by) {
      return core::fail(ConfigError{ConfigErrc::FileMissing,
                                    forHumans("config file " + path + " (from " + named_by + ") does not exist"), {}});
    }
    // A missing default file is the documented way to run on all defaults.
  } else if (auto st = applyText(**text, path, cfg); !st) {
    return core::fail(std::move(st).error());
  }
  applyLayer(*vars, DryRunSource::Environment, cfg);
  applyLayer(*flags, DryRunSource::Flag, cfg);
  return cfg;
}

}  // namespace config
