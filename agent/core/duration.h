#pragma once
// Durations as operators write them: "90s", "5m", "2h", "1d" (also "0s", "250ms").
#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace core {

enum class DurationErrc { Empty, BadNumber, BadUnit, Overflow };
using DurationError = Error<DurationErrc>;

/// Parses "<digits><unit>" with unit ms|s|m|h|d. Fails on anything else (no bare numbers, no
/// signs, no spaces, no fractions), with a message that says what is accepted.
Result<std::chrono::milliseconds, DurationError> parseDuration(std::string_view text);

/// The shortest exact rendering: 90000ms -> "90s", 7200000ms -> "2h".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace core
