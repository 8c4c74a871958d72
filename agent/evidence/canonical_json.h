#pragma once
// RFC 8785 (JSON Canonicalization Scheme) for the values evidence may hold: objects, arrays,
// strings, integers within +-(2^53-1), booleans and null. No floats: a record that needs a
// fraction carries it as an integer in smaller units. docs/evidence-format.md section 2.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "core/result.h"

namespace evidence {

/// The largest magnitude an integer may have: beyond it, JavaScript and other verifiers lose
/// precision, so the encoder refuses it rather than write something they would read differently.
inline constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

/// How deeply values may nest (the record object is level 1). Bounds recursion in every
/// verifier, and a record never needs more than a few levels.
inline constexpr int kMaxJsonDepth = 64;

enum class CanonErrc { Float, IntegerRange, InvalidUtf8, TooDeep, Unsupported };
using CanonError = core::Error<CanonErrc>;

/// Appends canon(value) to `out`. Fails (leaving `out` partly written) on a float, an integer out
/// of range, a string or key that is not valid UTF-8, nesting deeper than kMaxJsonDepth, or a
/// binary/discarded value; the message names the JSON path of the offending value. `depth` is
/// the level `value` sits at (2 for a record's body, whose record is level 1).
core::Status<CanonError> appendCanonical(const nlohmann::json& value, std::string& out, int depth = 1);

/// Appends canon(text) (a JSON string); fails InvalidUtf8.
core::Status<CanonError> appendCanonicalString(std::string_view text, std::string& out);

/// canon(value) as a new string; fails as appendCanonical.
core::Result<std::string, CanonError> canonicalize(const nlohmann::json& value);

/// Whether `text` is valid UTF-8 (shortest forms, no surrogates, at most U+10FFFF).
bool isValidUtf8(std::string_view text);

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD: what record builders apply to
/// host-controlled strings (file excerpts may be binary) so that encoding cannot fail on them.
std::string toValidUtf8(std::string_view text);

}  // namespace evidence
