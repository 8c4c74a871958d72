#pragma once
// "Did you mean": the known names closest to an unknown one, for messages about mistyped
// subcommands, flags, check ids, rule ids and config keys.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace core {

/// Optimal string alignment distance (Levenshtein plus the swap of two neighbours, so
/// "chekc" is one edit from "check"), compared case-insensitively.
std::size_t editDistance(std::string_view a, std::string_view b);

/// The candidates within a distance that grows with the length of `unknown` (1 for up to 4
/// characters, then a third of the length, at most 4), closest first, ties in candidate order,
/// at most `limit`. Empty when nothing is close: a suggestion far off is worse than none.
std::vector<std::string> closestMatches(std::string_view unknown, const std::vector<std::string>& candidates,
                                        std::size_t limit = 3);

/// " (did you mean 'x'?)" or " (did you mean 'x' or 'y'?)", or "" when nothing is close; made to
/// end a message about `unknown`.
std::string didYouMean(std::string_view unknown, const std::vector<std::string>& candidates);

}  // namespace core
