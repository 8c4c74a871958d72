#include "evidence/writer.h"

#include <algorithm>

namespace evidence {
namespace {

WriterError fromStorage(const StorageError& e) {
  return {e.code == StorageErrc::NoSpace ? WriterErrc::NoSpace : WriterErrc::Io, e.message};
}

// What the start-up scan of one segment found.
struct SegmentScan {
  std::optional<Fault> damage;           // the first line failing the checks, if any
  std::optional<Head> last_intact;       // the last record intact on its own (hash and signature)
  std::optional<Head> header_anchor;     // from an intact header: {first_seq - 1, prev}
  std::size_t records = 0;               // record lines (intact or not)
};

// Checks every line's form, hash and linkage, but signatures only of the last hash-intact
// record (walking back past any that fail): enough to find where to continue, at a fraction of
// a full verification's cost. Full checks are `evidence verify`'s job.
SegmentScan scanSegment(const std::string& name, std::string_view content, const PublicKey& key) {
  SegmentScan scan;
  struct Candidate {
    std::size_t line;
    std::uint64_t seq;
    std::string hash;
    Digest digest;
    Signature sig;
  };
  std::vector<Candidate> candidates;
  const auto damage = [&](std::size_t line, const Problem& p) {
    if (!scan.damage) scan.damage = Fault{name, line, p.reason, p.detail, 0};
  };
  std::uint64_t expected_seq = 0;
  std::string expected_prev;
  bool linked = false;  // whether expected_* come from an intact predecessor
  std::size_t line_no = 0;
  for (std::size_t pos = 0; pos < content.size();) {
    const std::size_t end = content.find('\n', pos);  // the caller cut any torn tail
    const std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line_no == 1) {
      auto header = parseHeaderLine(line);
      if (!header.ok()) {
        damage(1, header.error());
        continue;
      }
      if (auto problem = checkHeaderSeal(*header, key)) {
        damage(1, *problem);
        continue;
      }
      if (segmentSeq(name) != header->fields.first_seq) {
        damage(1, {Reason::HeaderMismatch, "first_seq differs from the file name"});
        continue;
      }
      scan.header_anchor = Head{header->fields.first_seq - 1, header->fields.prev};
      expected_seq = header->fields.first_seq;
      expected_prev = header->fields.prev;
      linked = true;
      continue;
    }
    ++scan.records;
    auto record = parseRecordLine(line);
    if (!record.ok()) {
      damage(line_no, record.error());
      linked = false;
      continue;
    }
    if (toHex(record->digest) != record->hash) {
      damage(line_no, {Reason::HashMismatch, "hash does not match the record's content"});
      linked = false;
      continue;
    }
    if (linked && record->seq != expected_seq) {
      damage(line_no, {Reason::SeqMismatch, "expected seq " + std::to_string(expected_seq) + ", found " +
                                                std::to_string(record->seq)});
    } else if (linked && record->prev != expected_prev) {
      damage(line_no, {Reason::PrevMismatch, "prev is not the hash of the record before it"});
    }
    candidates.push_back({line_no, record->seq, record->hash, record->digest, record->sig});
    expected_seq = record->seq + 1;
    expected_prev = record->hash;
    linked = true;
  }
  // Continue after the highest seq that is intact: a stray older line (a duplicate) at the end
  // must not move the head back, which would reuse seqs.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.seq < b.seq; });
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (verifySignature(key, it->digest, it->sig)) {
      scan.last_intact = Head{it->seq, it->hash};
      break;
    }
    // A forged or corrupted signature on the newest records is damage too; the earliest such
    // line is the one reported, unless an earlier line already failed.
    if (!scan.damage || scan.damage->line > it->line) {
      scan.damage = Fault{name, it->line, Reason::BadSignature, "signature does not verify with the appliance key", 0};
    }
  }
  return scan;
}

nlohmann::json faultJson(const Fault& f) {
  nlohmann::json j{{"segment", f.segment}, {"line", f.line}, {"problem", std::string(toString(f.problem))}};
  if (f.problem == Reason::TornTail) j["bytes_cut"] = f.bytes_cut;
  else j["detail"] = toValidUtf8(f.detail);
  return j;
}

}  // namespace

Writer::Writer(Storage& storage, const Signer& signer, const core::Clock& clock, Provenance provenance,
               WriterOptions options)
    : storage_(storage),
      signer_(signer),
      clock_(clock),
      options_(options),
      provenance_(std::move(provenance)),
      alive_(std::make_shared<Writer*>(this)) {}

Writer::~Writer() = default;

core::Result<std::unique_ptr<Writer>, WriterError> Writer::open(Storage& storage, const Signer& signer,
                                                                const core::Clock& clock, Provenance provenance,
                                                                WriterOptions options) {
  std::unique_ptr<Writer> writer(new Writer(storage, signer, clock, std::move(provenance), options));
  if (auto st = writer->recover(); !st.ok()) return core::fail(std::move(st.error()));
  if (!writer->faults_.empty()) {
    nlohmann::json faults = nlohmann::json::array();
    for (const auto& f : writer->faults_) faults.push_back(faultJson(f));
    nlohmann::json body{{"event", "recovery"}, {"faults", faults}, {"continued_after_seq", writer->head_.seq}};
    auto seq = writer->append(Kind::Lifecycle, "agent", body);
    if (!seq.ok()) return core::fail(std::move(seq.error()));
    // A full disk must not stop the agent: the record stays queued (lastCommitError() says so)
    // and goes out with the next commit.
    (void)writer->commit();
  }
  return writer;
}

core::Status<WriterError> Writer::recover() {
  auto listed = storage_.list();
  if (!listed.ok()) return core::fail(fromStorage(listed.error()));
  std::vector<std::string> segments;
  bool removed_temp = false;
  for (const auto& f : listed.value()) {
    if (segmentSeq(f.name) > 0) segments.push_back(f.name);
    // A segment being made (startSegment) that a crash left unnamed: it held no durable record.
    if (isSegmentTemp(f.name)) {
      if (auto st = storage_.remove(f.name); !st.ok()) return core::fail(fromStorage(st.error()));
      removed_temp = true;
    }
  }
  if (removed_temp) {
    if (auto st = storage_.syncDir(); !st.ok()) return core::fail(fromStorage(st.error()));
  }
  std::sort(segments.begin(), segments.end());
  bool damaged = false;
  bool newest = true;  // only the newest segment can have a torn tail from a crash
  while (!segments.empty()) {
    const std::string name = segments.back();
    auto content = storage_.read(name);
    if (!content.ok()) return core::fail(fromStorage(content.error()));
    std::string& text = *content;
    // A torn tail: everything after the last newline was cut short by a crash; no durable record
    // can be in it (a record is durable only after its whole line was synced).
    const std::size_t newline = text.rfind('\n');
    const std::size_t keep = newline == std::string::npos ? 0 : newline + 1;
    // Segments appear under their name only with a synced header (startSegment), and a crash
    // cuts at most the last write short: a tail longer than any line, or a newest segment
    // without a whole header, is damage, never cut. (An empty file holds nothing to lose: it is
    // removed, as agents before the rename did leave one behind when killed mid-creation.)
    const bool crash_shaped = newest && keep > 0 && text.size() - keep < kMaxLineBytes;
    if (newest && text.empty()) {
      faults_.push_back({name, 1, Reason::TornTail, "", 0});
      if (auto st = storage_.remove(name); !st.ok()) return core::fail(fromStorage(st.error()));
      if (auto st = storage_.syncDir(); !st.ok()) return core::fail(fromStorage(st.error()));
      segments.pop_back();
      continue;
    }
    if (keep < text.size() && !crash_shaped) {
      // Damage, not a crash: report it, leave the file as found, go on in a new segment.
      const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.begin() + keep, '\n'));
      faults_.push_back({name, lines + 1, Reason::TornTail,
                         std::to_string(text.size() - keep) + " bytes without a newline, left as found", 0});
      damaged = true;
      text.resize(keep);
    } else if (keep < text.size()) {
      const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.begin() + keep, '\n'));
      faults_.push_back({name, lines + 1, Reason::TornTail, "", text.size() - keep});
      auto file = storage_.openAppend(name);
      if (!file.ok()) return core::fail(fromStorage(file.error()));
      if (auto st = (*file)->truncate(keep); !st.ok()) return core::fail(fromStorage(st.error()));
      text.resize(keep);
    }
    const SegmentScan scan = scanSegment(name, text, signer_.publicKey());
    if (scan.damage) {
      faults_.push_back(*scan.damage);
      damaged = true;
    }
    if (scan.last_intact) head_ = *scan.last_intact;
    else if (scan.header_anchor) head_ = *scan.header_anchor;
    else {
      // Nothing in this segment can anchor the chain: continue from the one before, in a new
      // segment (its name, from head + 1, is free unless that segment is the damaged one).
      damaged = true;
      newest = false;
      segments.pop_back();
      if (segments.empty()) {
        return core::fail(WriterError{WriterErrc::Damaged, "evidence segment " + name +
                                                               " has no intact header or record to continue "
                                                               "from; move it aside (it is kept as found)"});
      }
      continue;
    }
    if (!damaged) {
      auto file = storage_.openAppend(name);
      if (!file.ok()) return core::fail(fromStorage(file.error()));
      file_ = std::move(*file);
      segment_durable_bytes_ = segment_written_bytes_ = text.size();
      segment_records_ = scan.records;
    }
    break;
  }
  next_segment_is_recovery_ = damaged;
  durable_ = head_;
  if (damaged) {
    // The new segment is named by head + 1: if a (damaged) segment already has that name, the
    // writer cannot go on without touching it. Say so now rather than fail every commit.
    const std::string next = segmentName(head_.seq + 1);
    for (const auto& f : listed.value()) {
      if (f.name == next && storage_.read(next).ok()) {
        return core::fail(WriterError{WriterErrc::Damaged, "evidence segment " + next +
                                                               " is damaged and holds the next seq; move it "
                                                               "aside (it is kept as found)"});
      }
    }
  }
  return core::Ok{};
}

void Writer::setProvenance(const Provenance& provenance) {
  std::lock_guard lock(mu_);
  provenance_ = provenance;
}

core::Result<std::uint64_t, WriterError> Writer::append(Kind kind, const std::string& actor,
                                                        const nlohmann::json& body) {
  std::lock_guard lock(mu_);
  const std::uint64_t seq = head_.seq + 1;
  auto sealed = sealRecord(seq, head_.hash, formatTimestamp(clock_.wallNow()), kind, provenance_, actor, body, signer_);
  if (!sealed.ok()) return core::fail(WriterError{WriterErrc::Encoding, sealed.error().message});
  head_ = Head{seq, sealed->hash};
  pending_.push_back(std::move(*sealed));
  return seq;
}

core::Result<Head, WriterError> Writer::commit() { return commit(nullptr); }

core::Result<Head, WriterError> Writer::commit(core::PendingSyncs* others) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = head_.seq;
  while (durable_.seq < target) {
    if (committing_) {
      // Another thread is writing; its batch may include ours. Wait, then look again.
      committed_.wait(lock);
      continue;
    }
    committing_ = true;
    // Records whose later sync failed are written again, from the durable length on.
    if (unsynced_lost_) cutBackLocked({}, 0);
    std::deque<SealedRecord> batch;
    batch.swap(pending_);
    lock.unlock();
    std::size_t durable = 0;
    auto st = writeBatch(batch, durable, others);
    lock.lock();
    committing_ = false;
    if (!st.ok()) {
      cutBackLocked(batch, durable);
      last_error_ = st.error();
      committed_.notify_all();
      return core::fail(std::move(st.error()));
    }
    last_error_.reset();
    committed_.notify_all();
  }
  if (durable_.seq < target && last_error_) return core::fail(*last_error_);
  if (others && others->size() > 0) {
    // Nothing of ours was left to write (another thread's batch took it, or it was durable
    // already): what the caller holds still has to be.
    lock.unlock();
    if (auto st = others->flushAll(); !st.ok()) return core::fail(WriterError{WriterErrc::Io, st.error()});
    lock.lock();
  }
  return durable_;
}

core::Result<Head, WriterError> Writer::appendDurable(Kind kind, const std::string& actor, const nlohmann::json& body,
                                                      core::PendingSyncs* others) {
  auto seq = append(kind, actor, body);
  if (!seq.ok()) return core::fail(std::move(seq.error()));
  return commit(others);
}

core::Result<Head, WriterError> Writer::appendLater(Kind kind, const std::string& actor, const nlohmann::json& body,
                                                    core::PendingSyncs& syncs) {
  auto seq = append(kind, actor, body);
  if (!seq.ok()) return core::fail(std::move(seq.error()));
  return commitLater(syncs);
}

core::Result<Head, WriterError> Writer::commitLater(core::PendingSyncs& syncs) {
  std::unique_lock lock(mu_);
  while (committing_) committed_.wait(lock);
  if (pending_.empty()) return durable_;  // what was written before is in `syncs` already
  std::size_t bytes = 0;
  for (const auto& r : pending_) bytes += r.line.size();
  // Only a plain append to the open segment can wait for a later flush.
  const bool plain = file_ && !needs_cut_back_ && !unsynced_lost_ &&
                     (segment_records_ == 0 || segment_written_bytes_ + bytes <= options_.segment_max_bytes);
  if (!plain) {
    lock.unlock();
    return commit(&syncs);
  }
  committing_ = true;
  std::deque<SealedRecord> batch;
  batch.swap(pending_);
  const std::uint64_t gen = file_gen_;
  lock.unlock();
  std::string chunk;
  for (const auto& r : batch) chunk += r.line;
  auto st = file_->append(chunk);
  if (st.ok()) {
    std::weak_ptr<Writer*> alive = alive_;
    const std::uint64_t upto = batch.back().seq;
    st = file_->syncLater(syncs, [alive, gen, upto](bool flushed) {
      const auto self = alive.lock();
      return self && *self && (*self)->confirmLater(gen, upto, flushed);
    });
  }
  lock.lock();
  committing_ = false;
  if (!st.ok()) {
    // The segment may hold part of the chunk: cut back and queue again, as a failed commit does.
    // (A registration that failed handed nothing over: a confirmation never comes.)
    segment_written_bytes_ += chunk.size();
    cutBackLocked(batch, 0);
    last_error_ = fromStorage(st.error());
    committed_.notify_all();
    return core::fail(*last_error_);
  }
  std::uint64_t end = segment_written_bytes_;
  for (auto& r : batch) {
    end += r.line.size();
    unsynced_.push_back(Unsynced{std::move(r), end});
  }
  segment_written_bytes_ = end;
  segment_records_ += batch.size();
  last_error_.reset();
  committed_.notify_all();
  return durable_;
}

bool Writer::confirmLater(std::uint64_t gen, std::uint64_t upto, bool flushed) {
  std::lock_guard lock(mu_);
  if (upto <= durable_.seq) return true;  // a commit since made them durable
  if (gen != file_gen_) return false;     // cut back since: queued again, not on disk
  if (!flushed) {
    // After a failed flush the kernel may have dropped the pages: written again, not re-synced.
    unsynced_lost_ = true;
    return false;
  }
  while (!unsynced_.empty() && unsynced_.front().record.seq <= upto) {
    durable_ = Head{unsynced_.front().record.seq, unsynced_.front().record.hash};
    segment_durable_bytes_ = unsynced_.front().end;
    unsynced_.pop_front();
  }
  return true;
}

void Writer::cutBackLocked(const std::deque<SealedRecord>& batch, std::size_t durable) {
  std::deque<SealedRecord> again;
  for (auto& u : unsynced_) again.push_back(std::move(u.record));
  segment_records_ -= std::min(segment_records_, unsynced_.size());
  unsynced_.clear();
  unsynced_lost_ = false;
  again.insert(again.end(), batch.begin() + static_cast<std::ptrdiff_t>(durable), batch.end());
  pending_.insert(pending_.begin(), again.begin(), again.end());
  ++file_gen_;
  // Whatever part reached the file goes, so the segment ends with whole, durable lines and the
  // same records can be written again; until that succeeds nothing more is appended.
  if (file_ && segment_written_bytes_ != segment_durable_bytes_) {
    needs_cut_back_ = !file_->truncate(segment_durable_bytes_).ok();
    segment_written_bytes_ = segment_durable_bytes_;
  }
}

core::Status<WriterError> Writer::writeBatch(const std::deque<SealedRecord>& batch, std::size_t& durable,
                                             core::PendingSyncs* others) {
  std::string chunk;
  std::size_t in_chunk = 0;
  bool unsynced = false;  // records written for a later sync are in the open segment
  {
    std::lock_guard lock(mu_);
    unsynced = !unsynced_.empty();
  }
  for (const auto& record : batch) {
    const bool full = segment_records_ + in_chunk > 0 &&
                      segment_written_bytes_ + chunk.size() + record.line.size() > options_.segment_max_bytes;
    if (!file_ || full) {
      if (in_chunk > 0 || unsynced) {
        // The old segment is made durable before the next one starts.
        if (auto st = writeChunk(chunk, in_chunk, in_chunk ? &batch[durable + in_chunk - 1] : nullptr, nullptr);
            !st.ok()) {
          return st;
        }
        durable += in_chunk;
        chunk.clear();
        in_chunk = 0;
        unsynced = false;
      }
      if (auto st = startSegment(record); !st.ok()) return st;
    }
    chunk += record.line;
    ++in_chunk;
  }
  if (in_chunk > 0 || unsynced) {
    // The last chunk's flush is the one that may cover the caller's pending syncs too.
    if (auto st = writeChunk(chunk, in_chunk, in_chunk ? &batch[durable + in_chunk - 1] : nullptr, others); !st.ok()) {
      return st;
    }
    durable += in_chunk;
  }
  return core::Ok{};
}

core::Status<WriterError> Writer::writeChunk(const std::string& chunk, std::size_t records, const SealedRecord* last,
                                             core::PendingSyncs* others) {
  if (needs_cut_back_) {
    std::uint64_t cut = 0;
    {
      std::lock_guard lock(mu_);
      cut = segment_durable_bytes_;
    }
    if (auto st = file_->truncate(cut); !st.ok()) return core::fail(fromStorage(st.error()));
    segment_written_bytes_ = cut;
    needs_cut_back_ = false;
  }
  auto st = file_->append(chunk);
  segment_written_bytes_ += chunk.size();  // at most: cutBackLocked cuts back from here on failure
  if (st.ok()) st = others && others->size() > 0 ? file_->syncWith(*others) : file_->sync();
  if (!st.ok()) return core::fail(fromStorage(st.error()));
  segment_records_ += records;
  // Everything in the segment is durable now, the records written for a later sync included.
  std::lock_guard lock(mu_);
  if (last) durable_ = Head{last->seq, last->hash};
  else if (!unsynced_.empty()) durable_ = Head{unsynced_.back().record.seq, unsynced_.back().record.hash};
  unsynced_.clear();
  segment_durable_bytes_ = segment_written_bytes_;
  return core::Ok{};
}

core::Status<WriterError> Writer::startSegment(const SealedRecord& first) {
  HeaderFields fields;
  fields.first_seq = first.seq;
  fields.prev = first.prev;
  fields.created = formatTimestamp(clock_.wallNow());
  fields.reason = first.seq == 1 ? "genesis" : next_segment_is_recovery_ ? "recovery" : "rotation";
  {
    std::lock_guard lock(mu_);
    fields.site_id = provenance_.site_id;
    fields.appliance_id = provenance_.appliance_id;
  }
  auto header = sealHeader(fields, signer_);
  if (!header.ok()) return core::fail(WriterError{WriterErrc::Encoding, header.error().message});
  // Made under a temporary name and renamed once its header is synced: a segment name never
  // shows a file without its header (to a concurrent `evidence verify`, or after a crash).
  const std::string name = segmentName(first.seq);
  const std::string temp = segmentTempName(first.seq);
  (void)storage_.remove(temp);
  auto file = storage_.create(temp);
  if (!file.ok()) return core::fail(fromStorage(file.error()));
  auto st = (*file)->append(*header);
  if (st.ok()) st = (*file)->sync();
  if (st.ok()) st = storage_.rename(temp, name);
  if (st.ok()) st = storage_.syncDir();
  if (!st.ok()) {
    const bool exists = st.error().code == StorageErrc::Exists;
    file->reset();
    (void)storage_.remove(temp);
    (void)storage_.syncDir();
    if (exists) {
      return core::fail(WriterError{WriterErrc::Damaged, "evidence segment " + name +
                                                             " exists but cannot be continued (damaged); move it "
                                                             "aside (it is kept as found)"});
    }
    return core::fail(fromStorage(st.error()));
  }
  file_ = std::move(*file);
  {
    std::lock_guard lock(mu_);
    segment_durable_bytes_ = header->size();
    ++file_gen_;
  }
  segment_written_bytes_ = header->size();
  segment_records_ = 0;
  needs_cut_back_ = false;
  next_segment_is_recovery_ = false;
  return core::Ok{};
}

Head Writer::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

Head Writer::durableHead() const {
  std::lock_guard lock(mu_);
  return durable_;
}

std::size_t Writer::pendingCount() const {
  std::lock_guard lock(mu_);
  return pending_.size() + unsynced_.size();
}

std::optional<WriterError> Writer::lastCommitError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace evidence
