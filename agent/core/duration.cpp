#include "core/duration.h"

#include <cstdint>
#include <limits>

namespace core {

Result<std::chrono::milliseconds, DurationError> parseDuration(std::string_view text) {
  constexpr const char* kAccepted = "expected a number and a unit: ms, s, m, h or d (e.g. 90s, 5m, 2h, 1d)";
  if (text.empty()) return fail(DurationError{DurationErrc::Empty, std::string("empty duration; ") + kAccepted});
  size_t i = 0;
  std::uint64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (n > (std::uint64_t{1} << 40)) {
      return fail(DurationError{DurationErrc::Overflow, "duration '" + std::string(text) + "' is too large"});
    }
    ++i;
  }
  if (i == 0) {
    return fail(DurationError{DurationErrc::BadNumber, "bad duration '" + std::string(text) + "': " + kAccepted});
  }
  const std::string_view unit = text.substr(i);
  std::uint64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return fail(DurationError{DurationErrc::BadUnit, "bad duration '" + std::string(text) + "': " + kAccepted});
  // Anything beyond ~100 years is a typo; dividing first keeps the product from wrapping.
  constexpr std::uint64_t kMaxMillis = std::uint64_t{100} * 366 * 86'400'000;
  if (n > kMaxMillis / mult) {
    return fail(DurationError{DurationErrc::Overflow, "duration '" + std::string(text) + "' is too large"});
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * mult));
}

std::string formatDuration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms == 0) return "0s";
  struct Unit { std::int64_t ms; const char* name; };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

}  // namespace core
