#pragma once
// Evaluating an Expectation (`{op, value}`) against an actual value. Used by probes (expect:) and
// by L1 matching (match:), so both read values the same way.
#include <optional>
#include <string>

#include "rules/model.h"

namespace checks {

/// Whether `actual` satisfies `e`. An absent value (nullopt) satisfies only `exists: false` and
/// `ne` / `not_in`; gt / lt hold only when both sides are numbers.
bool satisfies(const rules::Expectation& e, const std::optional<std::string>& actual);

/// A short human rendering of the expectation for the `expected` field: "no", "< 5",
/// "one of [1, 2]", "matches ^x", "present".
std::string describe(const rules::Expectation& e);

}  // namespace checks
