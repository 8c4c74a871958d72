#pragma once
// An export: the records of a time range as one self-contained file in the segment format whose
// signed header names the export's last record (docs/evidence-format.md sections 4 and 6.3), so
// that a copy cut short anywhere fails verification.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "evidence/signer.h"
#include "evidence/writer.h"

namespace evidence {

struct ExportDocument {
  std::string text;             // the header line, then the record lines, each with its newline
  std::uint64_t first_seq = 0;  // of the first record
  Head head;                    // the last record, which the header names
  std::uint64_t records = 0;    // head.seq - first_seq + 1, as the header states it
};

enum class ExportErrc {
  Empty,  // no record of the store has a ts in the range
  Seal,   // the header could not be sealed
};
using ExportError = core::Error<ExportErrc>;

/// `lines`: the record lines of a store (without newlines), in chain order. The export holds the
/// contiguous run from the first record whose ts lies in [since, until) to the last one, with
/// every line between (a stepped clock does not punch holes in it; a damaged line stays in, for
/// verification to report). Its header names `created`, the range and that run's last record.
/// Fails Empty when no record lies in the range, Seal when the header cannot be sealed.
core::Result<ExportDocument, ExportError> buildExport(const std::vector<std::string_view>& lines,
                                                      core::Clock::WallTime since, core::Clock::WallTime until,
                                                      core::Clock::WallTime created, const Signer& signer);

}  // namespace evidence
