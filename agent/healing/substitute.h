#pragma once
// `{target}` in an action's strings is the finding's target (a dir_scan hit, a port ...). The
// substituted copy is validated again: a target must not turn a path into something the loader
// would have refused.
#include <string>

#include "core/result.h"
#include "rules/model.h"

namespace healing {

/// `action` with every "{target}" replaced by `target`; host paths re-normalised. Fails with a
/// message when a substituted path is not a valid host path (relative, `..`, control chars).
core::Result<rules::ActionSpec, std::string> substituteTarget(const rules::ActionSpec& action, const std::string& target);

/// `text` with every `placeholder` replaced by `value`.
std::string replacePlaceholder(const std::string& text, const std::string& placeholder, const std::string& value);

/// `text` with every "{target}" replaced.
inline std::string replaceTarget(const std::string& text, const std::string& target) {
  return replacePlaceholder(text, "{target}", target);
}

}  // namespace healing
