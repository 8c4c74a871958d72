// An export commits to its last record in its signed header (docs/evidence-format.md sections 4
// and 6.3): cut anywhere, it no longer verifies; a segment is verified as before.
#include <catch2/catch.hpp>

#include "evidence/export.h"
#include "evidence/verifier.h"
#include "evidence/writer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_evidence_storage.h"

using evidence::Reason;

namespace {

struct Exported {
  fakes::FakeEvidenceStorage storage;
  fakes::FakeClock clock;
  evidence::Ed25519Signer signer{evidence::Seed{5}};
  std::vector<std::string> lines;  // the store's record lines

  explicit Exported(int records) {
    auto w = evidence::Writer::open(storage, signer, clock, {"s", "a", "dry_run", "0.1.0", "r", "c"}, {1 << 20});
    REQUIRE(w.ok());
    for (int i = 0; i < records; ++i) {
      REQUIRE((*w)->append(i % 2 ? evidence::Kind::Heal : evidence::Kind::Finding, "agent", {{"i", i}}).ok());
      clock.advance(std::chrono::minutes(1));
    }
    REQUIRE((*w)->commit().ok());
    const std::string text = *storage.read("00000000000000000001.jsonl");
    for (std::size_t pos = text.find('\n') + 1; pos < text.size();) {
      const auto end = text.find('\n', pos);
      lines.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  core::Result<evidence::ExportDocument, evidence::ExportError> build(int from_minute, int to_minute) const {
    const auto start = fakes::FakeClock().wallNow();
    const std::vector<std::string_view> views(lines.begin(), lines.end());
    return evidence::buildExport(views, start + std::chrono::minutes(from_minute), start + std::chrono::minutes(to_minute),
                                 start, signer);
  }
};

evidence::Verdict verify(std::string_view text, std::optional<std::uint64_t> from = std::nullopt) {
  return evidence::verifyFile("x.jsonl", text, std::nullopt, from);
}

void expectBroken(const evidence::Verdict& v, std::size_t line, Reason reason) {
  INFO("detail: " << (v.failure ? v.failure->detail : "(intact)"));
  REQUIRE(v.failure);
  CHECK(v.failure->line == line);
  CHECK(evidence::toString(v.failure->reason) == evidence::toString(reason));
}

}  // namespace

TEST_CASE("an export's header names its range's last record, and the file verifies as an export") {
  Exported e(8);
  auto doc = e.build(2, 6);  // the records made at minutes 2..5: seq 3..6
  REQUIRE(doc.ok());
  CHECK(doc->first_seq == 3);
  CHECK(doc->head.seq == 6);
  CHECK(doc->records == 4);
  const auto header = evidence::parseHeaderLine(doc->text.substr(0, doc->text.find('\n')));
  REQUIRE(header.ok());
  CHECK(header->fields.head_seq == 6u);
  CHECK(header->fields.head_hash == doc->head.hash);
  CHECK(doc->text.find("\"records\":4") != std::string::npos);
  const auto v = verify(doc->text);
  CHECK(v.intact());
  CHECK(v.file_kind == evidence::Verdict::FileKind::Export);
  CHECK(v.head.hash == doc->head.hash);
  CHECK(e.build(100, 200).error().code == evidence::ExportErrc::Empty);
}

TEST_CASE("an export cut at any line or inside one does not verify, the whole one does") {
  Exported e(6);
  auto doc = e.build(0, 100);
  REQUIRE(doc.ok());
  const std::string& text = doc->text;
  REQUIRE(verify(text).intact());
  std::vector<std::size_t> ends;  // offsets just past each newline
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ends.push_back(i + 1);
  }
  REQUIRE(ends.size() == 7);  // the header and 6 records
  for (std::size_t n = 0; n + 1 < ends.size(); ++n) {
    INFO("cut after line " << n + 1);
    const auto v = verify(std::string_view(text).substr(0, ends[n]));
    expectBroken(v, 1, Reason::MissingRecords);
    CHECK(v.failure->detail.find("seq " + std::to_string(doc->head.seq)) != std::string::npos);
    CHECK(v.records == n);
  }
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, ends[0] - 1, ends[0] + 1, ends[3] + 30, text.size() - 1}) {
    INFO("cut at byte " << cut);
    const auto v = verify(std::string_view(text).substr(0, cut));
    REQUIRE(v.failure);
    CHECK(evidence::toString(v.failure->reason) == (cut < ends[0] ? "header_invalid" : "torn_tail"));
  }
}

TEST_CASE("an export must end with the record its header names, and nothing after it") {
  Exported e(6);
  auto whole = e.build(0, 100);
  auto part = e.build(0, 3);  // minutes 0..2: seq 1..3
  REQUIRE(whole.ok());
  REQUIRE(part.ok());
  REQUIRE(part->head.seq == 3);
  SECTION("a record appended past the named end") {
    const std::string extra = part->text + e.lines[3] + "\n";
    expectBroken(verify(extra), 5, Reason::HeaderMismatch);
  }
  SECTION("another header over a longer run") {
    const std::string swapped = part->text.substr(0, part->text.find('\n') + 1) +
                                whole->text.substr(whole->text.find('\n') + 1);
    expectBroken(verify(swapped), 5, Reason::HeaderMismatch);
  }
  SECTION("with --from, the end is still required") {
    const std::string cut = whole->text.substr(0, whole->text.rfind('\n', whole->text.size() - 2) + 1);
    expectBroken(verify(cut, 3), 1, Reason::MissingRecords);
    expectBroken(verify(cut, 7), 0, Reason::MissingRecords);  // past what the file holds
    CHECK(verify(whole->text, 3).intact());
  }
}

TEST_CASE("a segment file is verified as before, and says it is one") {
  Exported e(3);
  const std::string seg = *e.storage.read("00000000000000000001.jsonl");
  const auto v = verify(seg);
  CHECK(v.intact());
  CHECK(v.file_kind == evidence::Verdict::FileKind::Segment);
  CHECK(verify(seg.substr(0, seg.rfind('\n', seg.size() - 2) + 1)).intact());  // 6.4: no end committed
  CHECK(verify("{}\n").file_kind == evidence::Verdict::FileKind::Unread);
}
