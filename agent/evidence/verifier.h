#pragma once
// Verification of a store or a single file (an export, or one segment), exactly as
// docs/evidence-format.md section 6 specifies: the first failure is named by file, line and
// reason. tests/evidence/verify_evidence.py implements the same from the document alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "evidence/record.h"
#include "evidence/signer.h"
#include "evidence/storage.h"
#include "evidence/writer.h"

namespace evidence {

struct Failure {
  std::string file;
  std::size_t line = 0;  // 1-based
  Reason reason = Reason::Malformed;
  std::string detail;
};

struct Verdict {
  std::optional<Failure> failure;  // nullopt: intact
  std::uint64_t records = 0;       // records verified
  std::uint64_t first_seq = 0;     // of the first verified record (0: none)
  Head head;                       // the last verified record
  // verifyFile: what the header says the file is (an export commits to its end, a segment does
  // not); Unread when the header could not be parsed.
  enum class FileKind { Unread, Segment, Export } file_kind = FileKind::Unread;
  bool intact() const { return !failure; }
};

struct VerifyOptions {
  PublicKey key{};
  std::optional<std::uint64_t> from_seq;
};

/// Verifies every segment of `storage` as one chain (section 6.2). A storage that cannot be
/// listed or read is reported as a failure of the file concerned (reason Malformed, detail the
/// error), never as intact.
Verdict verifyStore(const Storage& storage, const VerifyOptions& options);

/// Verifies one file (section 6.3): an export must end with the record its header names. Without
/// a key the header's own key is used, and `used_header_key` says so.
Verdict verifyFile(const std::string& name, std::string_view content, std::optional<PublicKey> key,
                   std::optional<std::uint64_t> from_seq, bool* used_header_key = nullptr);

}  // namespace evidence
