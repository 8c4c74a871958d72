#pragma once
// Validators for numeric options that say what the option takes in plain words, in place of
// CLI11's PositiveNumber and NonNegativeNumber (whose help reads UINT:POSITIVE and whose errors
// print a 309-digit range).
#include <CLI/CLI.hpp>
#include <string>

namespace cli {

/// A whole number of at least `min` (0 or 1); `what` names it: "a record number". The error
/// reads "takes a record number, 1 or more: got 'x'" (CLI11 puts the option's name first).
CLI::Validator wholeNumber(const std::string& what, unsigned min);

}  // namespace cli
