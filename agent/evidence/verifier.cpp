#include "evidence/verifier.h"

#include <algorithm>
#include <vector>

namespace evidence {
namespace {

// Reads the seq of a record line that passed check 1 but is not canonical: --from looks for its
// start by seq, and a non-canonical record SEQ is damage to report, not a line to skip.
std::optional<std::uint64_t> seqOfShapedLine(std::string_view line) {
  const auto doc = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (!doc.is_object() || !doc.contains("seq") || !doc["seq"].is_number_unsigned()) return std::nullopt;
  return doc["seq"].get<std::uint64_t>();
}

// Walks segments in chain order, keeping the expectation (E, P) of section 6.1.
class ChainChecker {
 public:
  ChainChecker(const PublicKey& key, std::optional<std::uint64_t> from, bool store)
      : key_(key), from_(from), store_(store) {}

  // Checks one segment; false once a failure is recorded (the caller stops).
  bool segment(const std::string& name, std::string_view content) {
    export_head_.reset();
    segment_head_.reset();
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < content.size() || line_no == 0) {
      const std::size_t end = content.find('\n', pos);
      ++line_no;
      if (line_no == 1) {
        if (end == std::string_view::npos) {
          return fail(name, 1, Reason::HeaderInvalid, content.empty() ? "empty file" : "the header line has no newline");
        }
        if (!header(name, content.substr(0, end))) return false;
      } else {
        if (end == std::string_view::npos) {
          return fail(name, line_no, Reason::TornTail, "the last line has no newline (a write cut short)" + exportEnd());
        }
        if (!record(name, line_no, content.substr(pos, end - pos))) return false;
      }
      pos = end + 1;
    }
    return finishExport(name);
  }

  // The store rule on pruned starts (section 6.2, after the last segment).
  void finishStore(const std::string& first_segment) {
    if (verdict_.failure || !store_ || from_ || !first_header_ || first_header_->first_seq == 1) return;
    const bool covered = std::any_of(pruned_.begin(), pruned_.end(), [&](const auto& p) {
      return p.first == first_header_->first_seq - 1 && p.second == first_header_->prev;
    });
    if (!covered) {
      fail(first_segment, 1, Reason::MissingRecords,
           "the chain starts at seq " + std::to_string(first_header_->first_seq) +
               " and no pruned record accounts for the records before it");
    }
  }

  void finishFrom(const std::string& last_file) {
    if (!verdict_.failure && from_ && !started_) {
      fail(last_file, 0, Reason::MissingRecords, "no record with seq " + std::to_string(*from_));
    }
  }

  Verdict take() { return std::move(verdict_); }
  const std::optional<HeaderFields>& firstHeader() const { return first_header_; }

 private:
  bool fail(const std::string& file, std::size_t line, Reason reason, std::string detail) {
    verdict_.failure = Failure{file, line, reason, std::move(detail)};
    return false;
  }

  // What an export's header promises, for the detail of a cut: "" for a segment.
  std::string exportEnd() const {
    if (!export_head_) return "";
    return "; the export's header names seq " + std::to_string(export_head_->seq) + " as its last record";
  }

  bool header(const std::string& name, std::string_view line) {
    auto parsed = parseHeaderLine(line);
    if (!parsed.ok()) return fail(name, 1, parsed.error().reason, parsed.error().detail);
    if (!store_) verdict_.file_kind = parsed->fields.head_seq ? Verdict::FileKind::Export : Verdict::FileKind::Segment;
    if (auto problem = checkHeaderSeal(*parsed, key_)) return fail(name, 1, problem->reason, problem->detail);
    const HeaderFields& h = parsed->fields;
    if (store_ && segmentSeq(name) != h.first_seq) {
      return fail(name, 1, Reason::HeaderMismatch,
                  "first_seq " + std::to_string(h.first_seq) + " differs from the file name");
    }
    if (h.first_seq == 1 && h.prev != kGenesisPrev) {
      return fail(name, 1, Reason::PrevMismatch, "the chain starts at seq 1 but prev is not 64 zeros");
    }
    if (h.head_seq && h.head_hash) {
      export_head_ = Head{*h.head_seq, *h.head_hash};
      export_first_ = h.first_seq;
    }
    if (!first_header_) {
      first_header_ = h;
      if (!from_) {
        expected_seq_ = h.first_seq;
        expected_prev_ = h.prev;
        started_ = true;
      }
      return true;
    }
    if (!started_) return true;  // --from: no expectation before the chain's start
    if (h.first_seq != expected_seq_) {
      return fail(name, 1, Reason::SeqMismatch,
                  "segment starts at seq " + std::to_string(h.first_seq) + ", expected " + std::to_string(expected_seq_));
    }
    if (h.prev != expected_prev_) {
      return fail(name, 1, Reason::PrevMismatch, "segment's prev is not the hash of the record before it");
    }
    return true;
  }

  // --from, before the chain has started: whether this line starts it (true), is skipped
  // (false, no failure) or is in place of the missing record SEQ (false, failure recorded).
  bool startsChain(const std::string& name, std::size_t line_no, std::string_view line,
                   const core::Result<ParsedRecord, Problem>& parsed) {
    std::optional<std::uint64_t> seq;
    if (parsed.ok()) seq = parsed->seq;
    else if (parsed.error().reason == Reason::NotCanonical) seq = seqOfShapedLine(line);
    if (!seq || *seq < *from_) return false;  // unread seq, or below SEQ: skipped, unverified
    if (*seq != *from_) {
      fail(name, line_no, Reason::MissingRecords,
           "no record with seq " + std::to_string(*from_) + " to start from: the first record past it is seq " +
               std::to_string(*seq));
      return false;
    }
    started_ = true;
    expected_seq_ = *from_;
    if (parsed.ok()) expected_prev_ = parsed->prev;  // trusted: the fresh chain starts here
    return true;
  }

  bool record(const std::string& name, std::size_t line_no, std::string_view line) {
    if (export_head_ && segment_head_ && segment_head_->seq == export_head_->seq) {
      return fail(name, line_no, Reason::HeaderMismatch,
                  "the export's header names seq " + std::to_string(export_head_->seq) +
                      " as its last record; this line follows it");
    }
    auto parsed = parseRecordLine(line);
    if (!started_ && !startsChain(name, line_no, line, parsed)) return !verdict_.failure;
    if (!parsed.ok()) return fail(name, line_no, parsed.error().reason, parsed.error().detail);
    if (auto problem = checkRecord(*parsed, key_, expected_seq_, expected_prev_)) {
      return fail(name, line_no, problem->reason, problem->detail);
    }
    if (export_head_ && parsed->seq == export_head_->seq && parsed->hash != export_head_->hash) {
      return fail(name, line_no, Reason::HeaderMismatch,
                  "seq " + std::to_string(parsed->seq) + " is not the record the export's header names (head_hash " +
                      export_head_->hash + ")");
    }
    if (parsed->kind == Kind::Lifecycle) {
      // Signed content is still untrusted in shape: look before reading (json::value throws).
      const auto& body = parsed->doc["body"];
      const auto event = body.find("event");
      if (event != body.end() && *event == "pruned" && body.contains("through_seq") &&
          body["through_seq"].is_number_unsigned() && body.contains("through_hash") && body["through_hash"].is_string()) {
        pruned_.emplace_back(body["through_seq"].get<std::uint64_t>(), body["through_hash"].get<std::string>());
      }
    }
    if (verdict_.records == 0) verdict_.first_seq = parsed->seq;
    ++verdict_.records;
    verdict_.head = Head{parsed->seq, parsed->hash};
    segment_head_ = verdict_.head;
    expected_seq_ = parsed->seq + 1;
    expected_prev_ = parsed->hash;
    return true;
  }

  // Section 6.3: an export ends at the record its header names. When --from started no chain,
  // finishFrom reports that instead.
  bool finishExport(const std::string& name) {
    if (!export_head_ || (segment_head_ && segment_head_->seq == export_head_->seq)) return true;
    if (from_ && !started_) return true;
    const std::uint64_t first_missing = segment_head_ ? segment_head_->seq + 1 : export_first_;
    return fail(name, 1, Reason::MissingRecords,
                "the export's header names seq " + std::to_string(export_head_->seq) + " (hash " + export_head_->hash +
                    ") as its last record, but the file ends " +
                    (segment_head_ ? "after seq " + std::to_string(segment_head_->seq) : "before any record") +
                    ": seq " + std::to_string(first_missing) + ".." + std::to_string(export_head_->seq) + " missing");
  }

  const PublicKey key_;
  const std::optional<std::uint64_t> from_;
  const bool store_;
  bool started_ = false;  // E and P hold: set by the first header, or (--from) by the record SEQ
  std::uint64_t expected_seq_ = 0;
  std::string expected_prev_;
  std::optional<HeaderFields> first_header_;
  std::optional<Head> export_head_;   // the current segment's header is an export's: its last record
  std::uint64_t export_first_ = 0;
  std::optional<Head> segment_head_;  // the last record verified in the current segment
  std::vector<std::pair<std::uint64_t, std::string>> pruned_;
  Verdict verdict_;
};

}  // namespace

Verdict verifyStore(const Storage& storage, const VerifyOptions& options) {
  Verdict verdict;
  auto listed = storage.list();
  if (!listed.ok()) {
    verdict.failure = Failure{"", 0, Reason::Malformed, listed.error().message};
    return verdict;
  }
  std::vector<std::string> names;
  for (const auto& f : *listed) {
    if (segmentSeq(f.name) > 0) names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  if (options.from_seq) {
    // Segments whose successor starts at or below SEQ hold only records below it: not read.
    while (names.size() > 1 && segmentSeq(names[1]) <= *options.from_seq) names.erase(names.begin());
  }
  ChainChecker checker(options.key, options.from_seq, true);
  for (const auto& name : names) {
    auto content = storage.read(name);
    if (!content.ok()) {
      verdict.failure = Failure{name, 0, Reason::Malformed, content.error().message};
      return verdict;
    }
    if (!checker.segment(name, *content)) return checker.take();
  }
  if (!names.empty()) {
    checker.finishStore(names.front());
    checker.finishFrom(names.back());
  } else if (options.from_seq) {
    checker.finishFrom("");
  }
  return checker.take();
}

Verdict verifyFile(const std::string& name, std::string_view content, std::optional<PublicKey> key,
                   std::optional<std::uint64_t> from_seq, bool* used_header_key) {
  if (used_header_key) *used_header_key = false;
  if (!key) {
    // The file's own key: parse the header just for it; the checker then checks it as usual.
    const std::size_t end = content.find('\n');
    auto header = parseHeaderLine(content.substr(0, end == std::string_view::npos ? content.size() : end));
    if (header.ok()) {
      key = header->public_key;
      if (used_header_key) *used_header_key = true;
    } else {
      key = PublicKey{};  // the checker reports the header as invalid
    }
  }
  ChainChecker checker(*key, from_seq, false);
  if (checker.segment(name, content)) checker.finishFrom(name);
  return checker.take();
}

}  // namespace evidence
