#include "rules/vars.h"

#include <algorithm>
#include <charconv>

#include "core/sha256.h"
#include "core/suggest.h"
#include "rules/parse_spec.h"

namespace rules::detail {
namespace {

using core::yaml::Diagnostics;
using core::yaml::MapReader;
using core::yaml::YamlErrc;
using core::yaml::YamlError;

constexpr std::string_view kRefOpen = "{var.";

bool validVarName(std::string_view n) {
  if (n.empty() || n.size() > 64 || n[0] < 'a' || n[0] > 'z') return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

/// An optionally signed decimal integer ("+4", "-0", "04"); "+-4" and trailing text are not.
/// `too_large` says the digits were fine but the value does not fit in 64 bits.
std::optional<std::int64_t> parseInt(std::string_view s, bool& too_large) {
  std::int64_t v = 0;
  const char* b = s.data();
  const char* e = b + s.size();
  too_large = false;
  if (b != e && *b == '+') {
    ++b;
    if (b != e && *b == '-') return std::nullopt;
  }
  const auto [p, ec] = std::from_chars(b, e, v);
  if (b == e || p != e) return std::nullopt;
  if (ec == std::errc::result_out_of_range) too_large = true;
  if (ec != std::errc()) return std::nullopt;
  return v;
}

std::string bounds(const Variable& v) {
  if (v.type == VarType::String) {
    if (v.allowed.empty()) return "a single line of at most " + std::to_string(kMaxVarValueBytes) + " bytes";
    std::string s = "one of ";
    for (std::size_t i = 0; i < v.allowed.size(); ++i) s += (i ? ", " : "") + v.allowed[i];
    return s;
  }
  const std::string lo = v.min ? std::to_string(*v.min) : "";
  const std::string hi = v.max ? std::to_string(*v.max) : "";
  if (v.min && v.max) return "an integer in " + lo + ".." + hi;
  if (v.min) return "an integer >= " + lo;
  if (v.max) return "an integer <= " + hi;
  return "an integer";
}

std::vector<std::string> names(const std::vector<Variable>& vars) {
  std::vector<std::string> out;
  for (const auto& v : vars) out.push_back(v.name);
  return out;
}

Variable parseOne(const YAML::Node& node, const std::string& name, const YAML::Mark& at,
                  const std::string& file, Diagnostics& diag) {
  Variable v;
  v.name = name;
  v.pos = SourcePos{file, at.line + 1, at.column + 1};
  const std::string field = "vars." + name;
  MapReader m(node, file, field, diag);
  if (!m.valid()) return v;
  if (auto t = m.str("type", true)) {
    if (*t == "int") v.type = VarType::Int;
    else if (*t == "string") v.type = VarType::String;
    else m.badValue("type", "unknown type '" + *t + "'; expected int or string");
  }
  v.description = m.str("description").value_or("");
  if (hasControl(v.description)) m.badValue("description", "must be a single line without control characters");
  if (v.type == VarType::Int) {
    v.min = m.integer("min");
    v.max = m.integer("max");
    if (v.min && v.max && *v.min > *v.max) m.badValue("max", "max is below min");
    if (m.has("allowed")) m.badValue("allowed", "allowed is for string variables; give an int min and max");
  } else {
    if (auto a = m.strList("allowed")) {
      if (a->empty()) m.badValue("allowed", "must not be empty");
      for (const auto& x : *a) {
        if (x.empty() || hasControl(x) || x.find_first_of("{}") != std::string::npos || x.size() > kMaxVarValueBytes) {
          m.badValue("allowed", "'" + x + "' is not a valid value: a non-empty single line without { or }");
        }
      }
      v.allowed = *a;
    }
    if (m.has("min") || m.has("max")) m.badValue(m.has("min") ? "min" : "max", "min and max are for int variables");
  }
  if (auto d = m.str("default", true)) {
    std::string canonical;
    const std::string problem = checkVarValue(v, *d, canonical);
    if (!problem.empty()) m.badValue("default", problem);
    v.default_value = canonical;
    v.value = canonical;
  }
  m.finish();
  return v;
}

}  // namespace

void parseVars(const YAML::Node& vars, const std::string& file, Diagnostics& diag, std::vector<Variable>& out) {
  if (!vars.IsDefined()) return;
  if (!vars.IsMap()) {
    diag.add(YamlErrc::Type, file, vars.Mark(), "vars", "expected a map of variable name to its declaration");
    return;
  }
  for (const auto& kv : vars) {
    const YAML::Node& k = kv.first;
    const std::string name = k.IsScalar() ? k.Scalar() : std::string("(not a string)");
    if (!k.IsScalar() || !validVarName(name)) {
      diag.add(YamlErrc::BadValue, file, k.Mark(), "vars." + name,
               "invalid variable name '" + name + "': 1 to 64 of a-z 0-9 _, starting with a letter");
      continue;
    }
    if (out.size() >= kMaxVars) {
      diag.add(YamlErrc::TooLarge, file, k.Mark(), "vars." + name,
               "more than " + std::to_string(kMaxVars) + " variables in the rule set");
      return;
    }
    out.push_back(parseOne(kv.second, name, k.Mark(), file, diag));
  }
}

std::string checkVarValue(const Variable& v, const std::string& value, std::string& canonical) {
  if (v.type == VarType::Int) {
    bool too_large = false;
    const auto n = parseInt(value, too_large);
    if (too_large) return value + " is out of bounds: " + v.name + " is " + bounds(v);
    if (!n) return "'" + value + "' is not " + bounds(v);
    if ((v.min && *n < *v.min) || (v.max && *n > *v.max)) {
      return std::to_string(*n) + " is out of bounds: " + v.name + " is " + bounds(v);
    }
    canonical = std::to_string(*n);
    return {};
  }
  if (value.empty() || hasControl(value) || value.find_first_of("{}") != std::string::npos ||
      value.size() > kMaxVarValueBytes) {
    return "'" + value + "' is not valid: " + v.name + " is " + bounds(v) + " without { or }";
  }
  if (!v.allowed.empty() && std::find(v.allowed.begin(), v.allowed.end(), value) == v.allowed.end()) {
    return "'" + value + "' is not allowed: " + v.name + " is " + bounds(v);
  }
  canonical = value;
  return {};
}

void resolveVars(std::vector<Variable>& vars, const VarOverrides& overrides, Diagnostics& diag) {
  std::stable_sort(vars.begin(), vars.end(), [](const Variable& a, const Variable& b) { return a.name < b.name; });
  for (std::size_t i = 1; i < vars.size(); ++i) {
    if (vars[i].name == vars[i - 1].name) {
      const auto& p = vars[i - 1].pos;
      diag.add(YamlError{YamlErrc::BadValue, vars[i].pos.file, vars[i].pos.line, vars[i].pos.column,
                         "vars." + vars[i].name,
                         "variable '" + vars[i].name + "' declared twice; first at " + p.file + ":" +
                             std::to_string(p.line)});
    }
  }
  for (const auto& entry : overrides) {
    const std::string& name = entry.first;  // (clang 14 cannot capture a structured binding)
    const VarOverride& o = entry.second;
    auto it = std::find_if(vars.begin(), vars.end(), [&](const Variable& v) { return v.name == name; });
    if (it == vars.end()) {
      diag.add(YamlError{YamlErrc::BadValue, o.pos.file, o.pos.line, o.pos.column, "vars." + name,
                         "the rules declare no variable '" + name + "'" + core::didYouMean(name, names(vars))});
      continue;
    }
    std::string canonical;
    const std::string problem = checkVarValue(*it, o.value, canonical);
    if (!problem.empty()) {
      diag.add(YamlError{YamlErrc::BadValue, o.pos.file, o.pos.line, o.pos.column, "vars." + name,
                         problem + " (declared at " + it->pos.file + ":" + std::to_string(it->pos.line) + ")"});
      continue;
    }
    it->value = canonical;
    it->source = o.pos.file + ":" + std::to_string(o.pos.line);
  }
}

std::string substituteVars(std::string& text, const std::vector<Variable>& vars) {
  if (text.find(kRefOpen) == std::string::npos) return {};
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = text.find(kRefOpen, at);
    if (open == std::string::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) return "unterminated variable reference '" + text.substr(open) + "'";
    const std::string name = text.substr(open + kRefOpen.size(), close - open - kRefOpen.size());
    auto it = std::find_if(vars.begin(), vars.end(), [&](const Variable& v) { return v.name == name; });
    if (it == vars.end()) {
      return "unknown variable '{var." + name + "}': declare it under vars:" + core::didYouMean(name, names(vars));
    }
    out.append(text, at, open - at);
    out += it->value;
    at = close + 1;
  }
  out.append(text, at, std::string::npos);
  text = std::move(out);
  return {};
}

std::string versionInForce(const std::string& source_version, const std::vector<Variable>& vars) {
  if (std::none_of(vars.begin(), vars.end(), [](const Variable& v) { return v.overridden(); })) return source_version;
  core::Sha256 digest;
  digest.update("compliance-agent rules in force");
  digest.update(std::string_view("\0", 1));
  digest.update(source_version + '\0');
  for (const auto& v : vars) {  // name order (resolveVars)
    if (v.overridden()) digest.update(v.name + '=' + v.value + '\0');
  }
  return digest.hexDigest();
}

}  // namespace rules::detail
