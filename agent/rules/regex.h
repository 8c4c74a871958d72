#pragma once
// Every regex in a rule file runs as root over host files of any size, so it is compiled once, at
// load, with RE2 (linear time, no recursion) under a bounded memory budget. Matching never
// recompiles: the model holds the compiled pattern.
#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rules {

/// Longest regex source accepted from a rule file, in bytes.
inline constexpr std::size_t kMaxRegexLength = 1024;
/// RE2's budget per regex (program plus DFA cache). A pattern needing more fails to compile
/// instead of growing without bound; matching past the DFA budget falls back to the NFA.
inline constexpr std::int64_t kRegexMaxMem = 2 << 20;

/// Compiles `pattern` with RE2 (UTF-8, errors not logged, kRegexMaxMem). Fails with a message
/// naming the problem (RE2's own error text) when the pattern is longer than kMaxRegexLength,
/// is invalid, or is too large for the budget.
core::Result<std::shared_ptr<const re2::RE2>, std::string> compileRegex(std::string_view pattern);

}  // namespace rules
