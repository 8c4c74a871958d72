#pragma once
// Parse, validate, use: a CheckInRequest (already parsed by gRPC) is checked field by field
// against central.proto's rules before anything is stored or answered. A refusal names the field
// as the proto spells it ("identity.appliance_id: ..."), so an agent engineer sees what to fix.
#include <cstddef>
#include <string>

#include "central.pb.h"
#include "core/result.h"
#include "model.h"

namespace central {

/// Limits on what one check-in may carry; each has a test (tests/unit/central/validate_test.cpp).
inline constexpr std::size_t kMaxIdLength = 128;         // appliance_id
inline constexpr std::size_t kMaxTextLength = 256;       // hostname, versions, codes, details
inline constexpr std::size_t kMaxHealthFlags = 64;
inline constexpr std::size_t kMaxOutcomeKinds = 64;

struct FieldError {
  std::string field;    // e.g. "evidence_head.hash"
  std::string message;  // "<field>: <what is wrong>"
};

/// Checks `req` (from an already-authenticated `site_id`) and returns what the store keeps.
/// Refuses a site_id other than the header's, an empty or over-long appliance_id, an unknown
/// tier or mode (0 included), hashes and keys of the wrong length, values that do not fit the
/// store's 64-bit signed integers, and anything over the limits above.
core::Result<CheckInRecord, FieldError> validateCheckIn(const compliance::central::v1::CheckInRequest& req,
                                                        const std::string& site_id);

}  // namespace central
