// Fuzzes the evidence reader side (evidence/record.h, verifier.h, canonical_json.h): whatever a
// file holds, verification must return a verdict without crashing, and what it accepts must be
// consistent:
//   - verifyFile with the file's own key and with a fixed key; an intact verdict means every
//     record line parses and re-encodes to exactly itself;
//   - every line through parseRecordLine and parseHeaderLine: an accepted line is canonical
//     (canonicalize(parsed) == line);
//   - the input as JSON: canonical encoding is idempotent (canon(parse(canon(x))) == canon(x)).
// Seeds: tests/fuzz/seeds/evidence_verify (a real segment written by the agent).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "evidence/canonical_json.h"
#include "evidence/record.h"
#include "evidence/verifier.h"

namespace {

void checkLines(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end == std::string_view::npos ? text.size() - pos : end - pos);
    auto record = evidence::parseRecordLine(line);
    if (record.ok()) {
      auto canon = evidence::canonicalize(record->doc);
      if (!canon.ok() || *canon != line) std::abort();
    }
    auto header = evidence::parseHeaderLine(line);
    (void)header;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  bool own = false;
  const auto verdict = evidence::verifyFile("fuzz.jsonl", text, std::nullopt, std::nullopt, &own);
  if (verdict.intact() && verdict.records > 0 && verdict.head.seq < verdict.first_seq) std::abort();
  evidence::PublicKey fixed{};
  fixed[0] = 1;
  (void)evidence::verifyFile("fuzz.jsonl", text, fixed, std::optional<std::uint64_t>(2));
  checkLines(text);

  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_discarded()) {
    auto canon = evidence::canonicalize(doc);
    if (canon.ok()) {
      const auto again = nlohmann::json::parse(*canon, nullptr, false);
      if (again.is_discarded()) std::abort();
      auto canon2 = evidence::canonicalize(again);
      if (!canon2.ok() || *canon2 != *canon) std::abort();
    }
  }
  return 0;
}
