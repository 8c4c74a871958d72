#include "config/config_hash.h"

#include <string_view>

#include "config/settings.h"
#include "core/sha256.h"

namespace config {
namespace {

// JSON string quoting: a value holding a newline or a quote cannot imitate another line, so two
// different configurations never share a canonical text.
std::string quote(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The text form is fixed (evidence already written carries its digests): the version line,
// then `key=value` per setting; strings JSON-quoted, durations in ms, tools as tools["name"].
std::string canonicalValue(const Setting& s) {
  switch (s.kind) {
    case Setting::Kind::String: return quote(s.str);
    case Setting::Kind::Bool: return s.boolean ? "true" : "false";
    case Setting::Kind::Number: return std::to_string(s.number);
    case Setting::Kind::Duration: return std::to_string(s.number) + "ms";
    case Setting::Kind::List: {
      std::string out = "[";
      for (std::size_t i = 0; i < s.list.size(); ++i) {
        if (i) out += ',';
        out += quote(s.list[i]);
      }
      return out + "]";
    }
  }
  return "";
}

// Bump the version when the form changes, so old and new hashes are never compared as equal.
constexpr const char* kCanonicalVersionLine = "compliance-agent-config/3\n";

}  // namespace

std::string canonicalConfigText(const AgentConfig& c) {
  std::string out = kCanonicalVersionLine;
  for (const Setting& s : settingsOf(c)) {
    // Tool names are quoted: a config built in code is not held to the file's [a-z0-9_-].
    if (s.key.rfind("tools.", 0) == 0) out += "tools[" + quote(s.key.substr(6)) + "]";
    else out += s.key;
    out += '=';
    out += canonicalValue(s);
    out += '\n';
  }
  return out;
}

std::string configHash(const AgentConfig& cfg) { return core::sha256Hex(canonicalConfigText(cfg)); }

}  // namespace config
