#include "healing/substitute.h"

#include "core/host_path.h"

namespace healing {

std::string replacePlaceholder(const std::string& text, const std::string& placeholder, const std::string& value) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(placeholder, pos);
    if (hit == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out += value;
    pos = hit + placeholder.size();
  }
  out.append(text, pos, std::string::npos);
  return out;
}

core::Result<rules::ActionSpec, std::string> substituteTarget(const rules::ActionSpec& action, const std::string& target) {
  // Targets can come from names any local user chooses (a world-writable file found by
  // dir_scan): a newline would inject lines into the files and commands built from them.
  for (unsigned char c : target) {
    if (c < 0x20 || c == 0x7f) return core::fail(std::string("the target contains a control character"));
  }
  rules::ActionSpec out = action;
  std::string problem;
  auto path = [&](std::string& p) {
    if (p.find("{target}") == std::string::npos) return;
    auto n = core::normaliseHostPath(replaceTarget(p, target));
    if (!n.ok()) problem = "path '" + replaceTarget(p, target) + "': " + n.error();
    else p = std::move(*n);
  };
  auto text = [&](std::string& s) { s = replaceTarget(s, target); };
  std::visit(
      [&](auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (requires { a.path; }) path(a.path);
        if constexpr (requires { a.persist_file; }) path(a.persist_file);
        if constexpr (requires { a.unit; }) {
          text(a.unit);
          // A target must not turn a unit into a systemctl option.
          if (a.unit.empty() || a.unit[0] == '-') problem = "unit '" + a.unit + "' is not a unit name";
        }
        if constexpr (requires { a.message; }) text(a.message);
        if constexpr (requires { a.reason; }) text(a.reason);
        if constexpr (requires { a.value; }) text(a.value);
        if constexpr (requires { a.key; }) text(a.key);
        if constexpr (requires { a.line; }) text(a.line);
        if constexpr (requires { a.content; }) text(a.content);
        if constexpr (std::is_same_v<T, rules::RunCommandAction>) {
          for (auto& arg : a.argv) text(arg);
        }
      },
      out.body);
  if (!problem.empty()) return core::fail(problem);
  return out;
}

}  // namespace healing
