#include "platform/tool_live_state.h"

#include <cctype>
#include <charconv>
#include <vector>

namespace platform {
namespace {

// A tool's stderr quoted in an error message is cut to this, so a chatty tool cannot flood logs.
constexpr std::size_t kMaxQuotedStderr = 200;

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > kMaxQuotedStderr) line = line.substr(0, kMaxQuotedStderr) + "...";
  return line;
}

/// Describes why a command that ran did not succeed.
LiveError toolFailed(const std::string& tool, const CommandResult& r) {
  std::string msg = tool;
  if (r.timed_out) {
    msg += " timed out after " + std::to_string(r.elapsed.count()) + " ms";
  } else if (r.term_signal != 0) {
    msg += " was killed by signal " + std::to_string(r.term_signal);
  } else {
    msg += " exited with status " + std::to_string(r.exit_code);
  }
  if (const auto line = firstLine(r.err); !line.empty()) msg += ": " + line;
  return LiveError{LiveErrc::ToolFailed, msg};
}

LiveError parseFailed(const std::string& what) { return LiveError{LiveErrc::ParseFailed, what}; }

core::Result<bool, LiveError> parseYesNo(const std::map<std::string, std::string>& kv,
                                         const std::string& key, const std::string& tool) {
  const auto it = kv.find(key);
  if (it == kv.end()) return core::fail(parseFailed(tool + " output has no " + key + "="));
  if (it->second == "yes") return true;
  if (it->second == "no") return false;
  return core::fail(parseFailed(tool + ": " + key + "=" + it->second + " is not yes or no"));
}

bool parseU64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct Token {
  std::string_view text;
  std::size_t end;  // offset just past it in the line
};

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const std::size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) tokens.push_back({line.substr(start, i - start), i});
  }
  return tokens;
}

}  // namespace

std::map<std::string, std::string> parseKeyValueLines(std::string_view text) {
  std::map<std::string, std::string> kv;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const auto line = text.substr(pos, nl - pos);
    if (const auto eq = line.find('='); eq != std::string_view::npos && eq > 0) {
      kv[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    pos = nl + 1;
  }
  return kv;
}

int usedPercentLikeDf(std::uint64_t used, std::uint64_t avail) {
  // 128 bits: used * 100 overflows 64 bits above ~180 PB.
  const unsigned __int128 u100 = static_cast<unsigned __int128>(used) * 100;
  const unsigned __int128 total = static_cast<unsigned __int128>(used) + avail;
  if (total == 0) return 0;
  return static_cast<int>(u100 / total + (u100 % total != 0 ? 1 : 0));
}

core::Result<DiskUsage, LiveError> parseDfOutput(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() != 2) {
    return core::fail(parseFailed("df output has " + std::to_string(lines.size()) +
                                  " lines, expected a header and one file system"));
  }
  const auto line = lines[1];
  const auto tokens = tokenize(line);
  // Fields: Filesystem 1-blocks Used Available Capacity Mounted-on. The file system name and the
  // mount point may both contain spaces, so anchor on the Capacity field ("48%", or "-" when
  // the size is 0) preceded by three numbers.
  for (std::size_t k = 4; k < tokens.size(); ++k) {
    const auto cap = tokens[k].text;
    if (cap != "-" && (cap.size() < 2 || cap.back() != '%')) continue;
    DiskUsage du;
    if (!parseU64(tokens[k - 3].text, du.total_bytes) ||
        !parseU64(tokens[k - 2].text, du.used_bytes) ||
        !parseU64(tokens[k - 1].text, du.avail_bytes)) {
      continue;
    }
    auto rest = line.substr(tokens[k].end);
    const auto first = rest.find_first_not_of(" \t");
    if (first == std::string_view::npos) break;
    du.mount = std::string(rest.substr(first));
    du.used_percent = usedPercentLikeDf(du.used_bytes, du.avail_bytes);
    return du;
  }
  return core::fail(parseFailed("cannot parse df line: " + std::string(line)));
}

core::Result<CommandResult, LiveError> ToolLiveState::runTool(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = timeout_;
  auto r = runner_.run(spec);
  if (!r) return core::fail(LiveError{LiveErrc::ToolUnavailable, r.error().message});
  return std::move(*r);
}

core::Result<UnitState, LiveError> ToolLiveState::unitState(const std::string& unit) {
  auto r = runTool({"systemctl", "show", "--property=LoadState,ActiveState,UnitFileState", "--", unit});
  if (!r) return core::fail(std::move(r).error());
  if (!r->succeeded()) return core::fail(toolFailed("systemctl show " + unit, *r));
  const auto kv = parseKeyValueLines(r->out);
  const auto load = kv.find("LoadState");
  const auto active = kv.find("ActiveState");
  if (load == kv.end() || active == kv.end()) {
    return core::fail(parseFailed("systemctl show " + unit + ": no LoadState= or ActiveState="));
  }
  UnitState st;
  st.load_state = load->second;
  st.loaded = st.load_state == "loaded";
  st.active_state = active->second;
  if (const auto f = kv.find("UnitFileState"); f != kv.end()) st.unit_file_state = f->second;
  return st;
}

core::Result<TimeSyncState, LiveError> ToolLiveState::timeSync() {
  auto r = runTool({"timedatectl", "show", "--property=NTPSynchronized,NTP"});
  if (!r) return core::fail(std::move(r).error());
  if (!r->succeeded()) return core::fail(toolFailed("timedatectl show", *r));
  const auto kv = parseKeyValueLines(r->out);
  auto synced = parseYesNo(kv, "NTPSynchronized", "timedatectl");
  if (!synced) return core::fail(std::move(synced).error());
  auto ntp = parseYesNo(kv, "NTP", "timedatectl");
  if (!ntp) return core::fail(std::move(ntp).error());
  return TimeSyncState{*synced, *ntp};
}

core::Result<DiskUsage, LiveError> ToolLiveState::diskUsage(const std::string& mount) {
  auto r = runTool({"df", "-P", "-B1", "--", mount});
  if (!r) return core::fail(std::move(r).error());
  if (!r->succeeded()) {
    // LANG=C makes this text stable.
    if (!r->timed_out && r->err.find("No such file or directory") != std::string::npos) {
      return core::fail(LiveError{LiveErrc::NotFound, "df " + mount + ": no such file or directory"});
    }
    return core::fail(toolFailed("df " + mount, *r));
  }
  return parseDfOutput(r->out);
}

}  // namespace platform
