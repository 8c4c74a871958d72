#include "evidence/export.h"

#include <algorithm>
#include <optional>

#include "evidence/record.h"

namespace evidence {

core::Result<ExportDocument, ExportError> buildExport(const std::vector<std::string_view>& lines,
                                                      core::Clock::WallTime since, core::Clock::WallTime until,
                                                      core::Clock::WallTime created, const Signer& signer) {
  std::optional<std::size_t> first, last;
  std::optional<ParsedRecord> first_record, last_record;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto r = parseRecordLine(lines[i]);
    if (!r.ok()) continue;
    const auto ts = parseTimestamp(r->ts);
    if (!ts || *ts < since || *ts >= until) continue;
    if (!first) {
      first = i;
      first_record = *r;
    }
    last = i;
    last_record = std::move(*r);
  }
  if (!first) {
    return core::fail(ExportError{ExportErrc::Empty, "no evidence records between " + formatTimestamp(since) +
                                                         " and " + formatTimestamp(until)});
  }
  HeaderFields header;
  header.first_seq = first_record->seq;
  header.prev = first_record->prev;
  header.created = formatTimestamp(created);
  header.reason = "export";
  header.site_id = first_record->doc.value("site_id", "");
  header.appliance_id = first_record->doc.value("appliance_id", "");
  header.since = formatTimestamp(since);
  header.until = formatTimestamp(until);
  // The last record's seq is below the first's only in a damaged store (a line moved): the header
  // stays well formed anyway, so that verification names the damaged line, not the header.
  const std::uint64_t head_seq = std::max(last_record->seq, first_record->seq);
  header.head_seq = head_seq;
  header.head_hash = last_record->hash;
  auto header_line = sealHeader(header, signer);
  if (!header_line.ok()) return core::fail(ExportError{ExportErrc::Seal, "export header: " + header_line.error().message});
  ExportDocument doc;
  doc.text = std::move(*header_line);
  for (std::size_t i = *first; i <= *last; ++i) {
    doc.text += lines[i];
    doc.text += '\n';
  }
  doc.first_seq = first_record->seq;
  doc.head = Head{last_record->seq, last_record->hash};
  doc.records = head_seq - first_record->seq + 1;
  return doc;
}

}  // namespace evidence
