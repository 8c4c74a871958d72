// What evidence costs against the Ed25519 underneath it, measured side by side in one run:
//   1. raw libsodium signing of 32-byte messages (crypto_sign_detached), one core;
//   2. raw libsodium verification (crypto_sign_verify_detached);
//   3. evidence::Writer appending signed `finding` records to a real directory (PosixStorage in
//      a fresh temporary directory, removed at exit), one thread, commit() every B records, so
//      every fdatasync of group commit is paid for;
//   4. evidence::verifyStore over the store just written;
//   5. the ratios append/raw sign and verify/raw verify (target: at least 0.5 each);
// then, per record, where an append and a verification spend their time (each stage timed on
// its own over the same records).
//
//   evidence_bench [--records N] [--batch B] [--smoke] [--dir DIR] [--fdatasync-only N]
//     --records N  records appended and verified (default 20000; 500 with --smoke)
//     --batch B    records per commit(), i.e. per fdatasync (default 256)
//     --smoke      CI: few records, short raw loops; every figure is still printed
//     --dir DIR    where the temporary store is made (default $TMPDIR, else /tmp)
//     --fdatasync-only N   only what one fdatasync costs there now (N appends, each synced):
//                  bench/run.sh prints it beside figures taken long after the first one
// prints `name value` lines (after a `#` header); exit 0, or 1 with a message when anything
// fails (a write, a commit, or a verification that is not intact).
#include <sodium.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "evidence/canonical_json.h"
#include "evidence/record.h"
#include "evidence/signer.h"
#include "evidence/storage.h"
#include "evidence/verifier.h"
#include "evidence/writer.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from, Clock::time_point to = Clock::now()) {
  return std::chrono::duration<double>(to - from).count();
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "evidence_bench: %s\n", message.c_str());
  std::exit(1);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Runs `op(i)` in `rounds` rounds of at least `round_s` seconds each; returns the median rate
// (operations per second) and the total time and count. Rounds make a momentary disturbance
// (the cores are shared) visible as an outlier instead of a skewed mean.
struct Rate {
  double per_s = 0;
  double total_s = 0;
  std::uint64_t ops = 0;
};
template <class Op>
Rate measureRate(int rounds, double round_s, Op op) {
  Rate r;
  std::vector<double> rates;
  std::uint64_t i = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto t0 = Clock::now();
    std::uint64_t n = 0;
    double elapsed = 0;
    do {
      for (int k = 0; k < 64; ++k) op(i++);
      n += 64;
      elapsed = seconds(t0);
    } while (elapsed < round_s);
    rates.push_back(static_cast<double>(n) / elapsed);
    r.total_s += elapsed;
    r.ops += n;
  }
  r.per_s = median(rates);
  return r;
}

// The store as the writer sees it, counting (and timing) every write and sync it asks for.
struct IoStats {
  std::uint64_t writes = 0, bytes = 0, fdatasyncs = 0, dir_fsyncs = 0, segments = 0;
  double write_s = 0, sync_s = 0, dir_sync_s = 0;
};

class CountingFile final : public evidence::AppendFile {
 public:
  CountingFile(std::unique_ptr<evidence::AppendFile> inner, IoStats& stats) : inner_(std::move(inner)), stats_(stats) {}
  core::Status<evidence::StorageError> append(std::string_view bytes) override {
    const auto t0 = Clock::now();
    auto st = inner_->append(bytes);
    stats_.write_s += seconds(t0);
    ++stats_.writes;
    stats_.bytes += bytes.size();
    return st;
  }
  core::Status<evidence::StorageError> sync() override {
    const auto t0 = Clock::now();
    auto st = inner_->sync();
    stats_.sync_s += seconds(t0);
    ++stats_.fdatasyncs;
    return st;
  }
  core::Status<evidence::StorageError> truncate(std::uint64_t size) override {
    ++stats_.fdatasyncs;  // truncate syncs too (never reached in a run without errors)
    return inner_->truncate(size);
  }

 private:
  std::unique_ptr<evidence::AppendFile> inner_;
  IoStats& stats_;
};

class CountingStorage final : public evidence::Storage {
 public:
  CountingStorage(evidence::Storage& inner, IoStats& stats) : inner_(inner), stats_(stats) {}
  core::Result<std::vector<evidence::StoredFile>, evidence::StorageError> list() const override {
    return inner_.list();
  }
  core::Result<std::string, evidence::StorageError> read(const std::string& name) const override {
    return inner_.read(name);
  }
  core::Result<std::unique_ptr<evidence::AppendFile>, evidence::StorageError> create(const std::string& name) override {
    auto f = inner_.create(name);
    if (!f.ok()) return core::fail(std::move(f.error()));
    ++stats_.segments;
    return std::unique_ptr<evidence::AppendFile>(new CountingFile(std::move(*f), stats_));
  }
  core::Result<std::unique_ptr<evidence::AppendFile>, evidence::StorageError> openAppend(
      const std::string& name) override {
    auto f = inner_.openAppend(name);
    if (!f.ok()) return core::fail(std::move(f.error()));
    return std::unique_ptr<evidence::AppendFile>(new CountingFile(std::move(*f), stats_));
  }
  core::Status<evidence::StorageError> remove(const std::string& name) override { return inner_.remove(name); }
  core::Status<evidence::StorageError> rename(const std::string& from, const std::string& to) override {
    return inner_.rename(from, to);
  }
  core::Status<evidence::StorageError> syncDir() override {
    const auto t0 = Clock::now();
    auto st = inner_.syncDir();
    stats_.dir_sync_s += seconds(t0);
    ++stats_.dir_fsyncs;
    return st;
  }

 private:
  evidence::Storage& inner_;
  IoStats& stats_;
};

// The temporary directory: removed however the run ends (die() exits through std::exit, which
// runs static destructors only, so the guard is registered with atexit as well).
std::string g_tmp_dir;
void removeTmpDir() {
  if (g_tmp_dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(g_tmp_dir, ec);
  g_tmp_dir.clear();
}

std::string fsType(const std::string& path) {
  struct statfs s {};
  if (::statfs(path.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlayfs";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

std::string hex64(unsigned seed) {
  std::string out;
  for (int i = 0; i < 64; ++i) out.push_back("0123456789abcdef"[(seed * 2654435761u + static_cast<unsigned>(i) * 40503u) % 16]);
  return out;
}

// A `finding` body as the agent writes one (docs/evidence-format.md section 5): 300-500 bytes
// canonical, varied across records so that no two lines repeat.
json findingBody(std::size_t i) {
  static const char* kChecks[] = {"ssh.permit_root_login", "ssh.password_authentication", "fs.tmp_noexec",
                                  "audit.auditd_enabled", "pam.faillock_deny", "kernel.aslr"};
  static const char* kStatus[] = {"fail", "pass", "error", "not_applicable"};
  const std::size_t c = i % std::size(kChecks);
  const std::string n = std::to_string(i);
  return json{{"check_id", kChecks[c]},
              {"target", "/etc/ssh/sshd_config.d/" + std::to_string(i % 97) + "-hardening.conf"},
              {"status", kStatus[i % std::size(kStatus)]},
              {"previous_status", kStatus[(i + 1) % std::size(kStatus)]},
              {"severity", i % 3 == 0 ? "high" : "medium"},
              {"hipaa", json::array({"164.312(a)(1)", "164.312(d)"})},
              {"expected", "PermitRootLogin no"},
              {"actual", "PermitRootLogin yes (line " + std::to_string(10 + i % 200) + ")"},
              {"details",
               {{"file", "/etc/ssh/sshd_config"},
                {"line", 10 + static_cast<int>(i % 200)},
                {"owner", "root:root"},
                {"mode", "0644"},
                {"source", "sshd -T -C user=root,host=appliance-" + n},
                {"sha256", hex64(static_cast<unsigned>(i))}}}};
}

// What one fdatasync costs on this disk now: `n` appends of a record-sized line to a file in
// `dir`, each followed by fdatasync, timed apart. Reported beside the ratios, so that a slow disk
// in a loaded run is not mistaken for a slow writer. Sorted milliseconds.
std::vector<double> fdatasyncCosts(const std::string& dir, int n) {
  const std::string path = dir + "/fdatasync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
  const std::string line(400, 'x');
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) die("write " + path + " failed");
    const auto t = std::chrono::steady_clock::now();
    if (::fdatasync(fd) != 0) die("fdatasync " + path + ": " + std::strerror(errno));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(ms.begin(), ms.end());
  return ms;
}

void figure(const char* name, double value, int decimals = 0) { std::printf("%s %.*f\n", name, decimals, value); }
void figure(const char* name, std::uint64_t value) { std::printf("%s %llu\n", name, static_cast<unsigned long long>(value)); }

}  // namespace

void printFdatasyncCosts(const std::vector<double>& ms, const char* where) {
  std::printf("fdatasync_ms %.3f median (min %.3f, p90 %.3f, max %.3f; %zu appends of 400 bytes in %s, this run)\n",
              ms[ms.size() / 2], ms.front(), ms[ms.size() * 9 / 10], ms.back(), ms.size(), where);
}

int main(int argc, char** argv) {
  std::size_t records = 0;
  std::size_t fdatasync_only = 0;
  std::size_t batch = 256;
  bool smoke = false;
  std::string parent;
  if (const char* t = std::getenv("TMPDIR"); t && *t) parent = t;
  else parent = "/tmp";
  const auto usage = [] {
    std::fprintf(stderr, "usage: evidence_bench [--records N] [--batch B] [--smoke] [--dir DIR] [--fdatasync-only N]\n");
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto number = [&]() -> std::size_t {
      if (i + 1 >= argc) usage();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(argv[++i], &end, 10);
      if (!end || *end || n == 0) usage();
      return static_cast<std::size_t>(n);
    };
    if (flag == "--records") records = number();
    else if (flag == "--batch") batch = number();
    else if (flag == "--smoke") smoke = true;
    else if (flag == "--dir" && i + 1 < argc) parent = argv[++i];
    else if (flag == "--fdatasync-only") fdatasync_only = number();
    else usage();
  }
  if (records == 0) records = smoke ? 500 : 20000;
  // Raw loops: median of 5 rounds, >= 1 s in all (0.05 s in smoke mode).
  const int rounds = 5;
  const double round_s = smoke ? 0.01 : 0.2;

  if (sodium_init() < 0) die("sodium_init failed");

  // A real directory for the store.
  std::string tmpl = parent + "/evidence_bench.XXXXXX";
  if (!::mkdtemp(tmpl.data())) die("cannot create a temporary directory under " + parent + ": " + std::strerror(errno));
  g_tmp_dir = tmpl;
  std::atexit(removeTmpDir);
  if (fdatasync_only > 0) {
    const std::string where = parent + " (" + fsType(g_tmp_dir) + ")";
    printFdatasyncCosts(fdatasyncCosts(g_tmp_dir, static_cast<int>(fdatasync_only)), where.c_str());
    return 0;
  }
  const std::string store_dir = g_tmp_dir + "/evidence";

  std::printf("# evidence_bench (%s): raw libsodium %s Ed25519 vs evidence::Writer / verifyStore\n",
              smoke ? "smoke: figures not meaningful" : "full", sodium_version_string());
  std::printf("# %zu finding records, commit every %zu; store %s (%s), removed at exit\n", records, batch,
              store_dir.c_str(), fsType(g_tmp_dir).c_str());

  // 1. Raw signing: 32-byte messages (an evidence digest), each one different.
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> sk{};
  crypto_sign_keypair(pk.data(), sk.data());
  std::array<unsigned char, 32> msg{};
  randombytes_buf(msg.data(), msg.size());
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  const Rate sign = measureRate(rounds, round_s, [&](std::uint64_t i) {
    std::memcpy(msg.data(), &i, sizeof i);
    crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk.data());
  });

  // 2. Raw verification: a pool of distinct signed messages, every result checked.
  constexpr std::size_t kPool = 1024;
  std::vector<std::array<unsigned char, 32>> msgs(kPool);
  std::vector<std::array<unsigned char, crypto_sign_BYTES>> sigs(kPool);
  for (std::size_t i = 0; i < kPool; ++i) {
    randombytes_buf(msgs[i].data(), 32);
    crypto_sign_detached(sigs[i].data(), nullptr, msgs[i].data(), 32, sk.data());
  }
  std::uint64_t bad = 0;
  const Rate verify_raw = measureRate(rounds, round_s, [&](std::uint64_t i) {
    const std::size_t k = i % kPool;
    bad += crypto_sign_verify_detached(sigs[k].data(), msgs[k].data(), 32, pk.data()) != 0;
  });
  if (bad) die("raw verification rejected " + std::to_string(bad) + " valid signatures");

  // 3. Append through the writer, group commit every `batch` records.
  const evidence::Ed25519Signer signer(evidence::Ed25519Signer::randomSeed());
  const evidence::Provenance provenance{"site-bench-0001", "4f6c0e2a9b1d4c7e8a3f5b2d6e9c1a07", "dry_run",
                                        "0.1.0",           hex64(1),                           hex64(2)};
  constexpr std::size_t kBodies = 1024;
  std::vector<json> bodies;
  std::size_t body_bytes = 0;
  for (std::size_t i = 0; i < kBodies; ++i) {
    bodies.push_back(findingBody(i));
    body_bytes += evidence::canonicalize(bodies.back())->size();
  }
  const core::SystemClock clock;
  IoStats io;
  evidence::Head written;
  double append_s = 0, in_append_s = 0, in_commit_s = 0, burst_s = 0;
  std::vector<double> slice_ratios;
  {
    auto posix = evidence::PosixStorage::open(store_dir, true);
    if (!posix.ok()) die(posix.error().message);
    CountingStorage storage(**posix, io);
    auto writer = evidence::Writer::open(storage, signer, clock, provenance);
    if (!writer.ok()) die("Writer::open: " + writer.error().message);
    evidence::Writer& w = **writer;
    // Interleaved rounds: the records are appended in `rounds` slices, each right after a short
    // raw-signing burst, so each ratio compares rates taken under the same machine load (this VM's
    // speed drifts by tens of percent within seconds); the median of those ratios is printed
    // beside the whole-run ratio.
    const std::size_t slice = std::max<std::size_t>(records / rounds, 1);
    double slice_start_s = 0;
    const auto burst = [&] {
      const Rate r = measureRate(1, round_s, [&](std::uint64_t k) {
        std::memcpy(msg.data(), &k, sizeof k);
        crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk.data());
      });
      return r.per_s;
    };
    double slice_sign_rate = burst();
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < records; ++i) {
      const auto a0 = Clock::now();
      auto seq = w.append(evidence::Kind::Finding, "agent", bodies[i % kBodies]);
      const auto a1 = Clock::now();
      in_append_s += seconds(a0, a1);
      if (!seq.ok()) die("append: " + seq.error().message);
      if ((i + 1) % batch == 0 || i + 1 == records) {
        auto head = w.commit();
        in_commit_s += seconds(a1);
        if (!head.ok()) die("commit: " + head.error().message);
        written = *head;
      }
      if ((i + 1) % slice == 0 && slice_ratios.size() < static_cast<std::size_t>(rounds)) {
        // Close the slice (commit what is queued, so the slice pays for its own syncs), take its
        // rate, then a fresh signing burst for the next one; the bursts are not in append_s.
        auto head = w.commit();
        if (!head.ok()) die("commit: " + head.error().message);
        written = *head;
        const double now_s = seconds(t0);
        slice_ratios.push_back((static_cast<double>(slice) / (now_s - slice_start_s)) / slice_sign_rate);
        const auto b0 = Clock::now();
        slice_sign_rate = burst();
        burst_s += seconds(b0);
        slice_start_s = seconds(t0);
      }
    }
    append_s = seconds(t0) - burst_s;
    if (written.seq != records || w.pendingCount() != 0) {
      die("after the run the durable head is seq " + std::to_string(written.seq) + ", expected " +
          std::to_string(records));
    }
  }
  const double append_rate = static_cast<double>(records) / append_s;

  // 4. Verify the store just written (it is in the page cache: this is the CPU cost).
  auto reader = evidence::PosixStorage::open(store_dir, false);
  if (!reader.ok()) die(reader.error().message);
  const auto v0 = Clock::now();
  const evidence::Verdict verdict = evidence::verifyStore(**reader, {signer.publicKey(), std::nullopt});
  const double verify_s = seconds(v0);
  if (!verdict.intact()) {
    const auto& f = *verdict.failure;
    die("the store just written does not verify: " + f.file + " line " + std::to_string(f.line) + ": " +
        std::string(evidence::toString(f.reason)) + ": " + f.detail);
  }
  if (verdict.records != records || verdict.head.seq != written.seq || verdict.head.hash != written.hash) {
    die("verification saw " + std::to_string(verdict.records) + " records up to seq " +
        std::to_string(verdict.head.seq) + ", the writer wrote " + std::to_string(records));
  }
  const double verify_rate = static_cast<double>(records) / verify_s;

  // Where the time goes: each stage of sealing and of verification timed on its own, over the
  // same kind of records (up to 4000 of them).
  const std::size_t m = std::min<std::size_t>(records, 4000);
  const double per = 1e6 / static_cast<double>(m);  // total seconds -> microseconds per record
  // The stages of sealRecord (agent/evidence/record.cpp): the timestamp, the body's canonical
  // encoding (the record's other members are copied in as they are), SHA-256 over the record's
  // text and the Ed25519 signature; then sealRecord as a whole.
  std::vector<std::string> stamps(m);
  std::vector<std::string> texts(m);
  std::vector<evidence::Digest> digests(m);
  auto t = Clock::now();
  for (std::size_t i = 0; i < m; ++i) stamps[i] = evidence::formatTimestamp(clock.wallNow());
  const double p_ts = seconds(t) * per;
  t = Clock::now();
  for (std::size_t i = 0; i < m; ++i) texts[i] = *evidence::canonicalize(bodies[i % kBodies]);
  const double p_body = seconds(t) * per;
  std::vector<std::string> record_texts(m);
  for (std::size_t i = 0; i < m; ++i) record_texts[i] = std::string(600, 'x') + texts[i];  // about a record's size
  t = Clock::now();
  for (std::size_t i = 0; i < m; ++i) digests[i] = evidence::sha256(record_texts[i]);
  const double p_sha = seconds(t) * per;
  t = Clock::now();
  for (std::size_t i = 0; i < m; ++i) (void)signer.sign(digests[i]);
  const double p_sign = seconds(t) * per;
  t = Clock::now();
  for (std::size_t i = 0; i < m; ++i) {
    auto r = evidence::sealRecord(i + 1, provenance.config_hash, stamps[i], evidence::Kind::Finding, provenance,
                                  "agent", bodies[i % kBodies], signer);
    if (!r.ok()) die("sealRecord: " + r.error().message);
  }
  const double p_seal = seconds(t) * per;

  // Verification stages, over the first m record lines of the store.
  std::vector<std::string> lines;
  double p_read = 0;
  {
    auto listed = (*reader)->list();
    if (!listed.ok()) die(listed.error().message);
    std::vector<std::string> names;
    for (const auto& f : *listed) names.push_back(f.name);
    std::sort(names.begin(), names.end());
    const auto r0 = Clock::now();
    std::size_t read_records = 0;
    for (const auto& name : names) {
      auto text = (*reader)->read(name);
      if (!text.ok()) die(text.error().message);
      std::size_t pos = text->find('\n') + 1;  // past the header
      while (pos < text->size()) {
        const std::size_t end = text->find('\n', pos);
        if (lines.size() < m) lines.push_back(text->substr(pos, end - pos));
        ++read_records;
        pos = end + 1;
      }
    }
    p_read = seconds(r0) * 1e6 / static_cast<double>(std::max<std::size_t>(read_records, 1));
  }
  if (lines.size() != m) die("the store holds fewer record lines than expected");
  t = Clock::now();
  for (const auto& line : lines) {
    const json doc = json::parse(line, nullptr, false);
    if (doc.is_discarded()) die("a record line is not JSON");
  }
  const double p_parse = seconds(t) * per;
  std::vector<evidence::ParsedRecord> parsed;
  parsed.reserve(m);
  t = Clock::now();
  for (const auto& line : lines) {
    auto r = evidence::parseRecordLine(line);
    if (!r.ok()) die("parseRecordLine: " + r.error().detail);
    parsed.push_back(std::move(*r));
  }
  const double p_parse_record = seconds(t) * per;
  t = Clock::now();
  for (const auto& r : parsed) {
    if (evidence::checkRecordSeal(r, signer.publicKey())) die("a record's seal does not hold");
  }
  const double p_check = seconds(t) * per;
  const double append_us = append_s * 1e6 / static_cast<double>(records);
  const double verify_us = verify_s * 1e6 / static_cast<double>(records);
  const double n = static_cast<double>(records);

  std::printf("# raw Ed25519 (median of %d rounds)\n", rounds);
  figure("raw_sign_per_s", sign.per_s);
  figure("raw_sign_seconds", sign.total_s, 2);
  figure("raw_verify_per_s", verify_raw.per_s);
  figure("raw_verify_seconds", verify_raw.total_s, 2);
  std::printf("# evidence append (Writer::append + commit every %zu, PosixStorage)\n", batch);
  figure("records", static_cast<std::uint64_t>(records));
  figure("batch", static_cast<std::uint64_t>(batch));
  figure("body_bytes_avg", static_cast<double>(body_bytes) / kBodies);
  figure("line_bytes_avg", static_cast<double>(io.bytes) / n);
  figure("append_records_per_s", append_rate);
  figure("append_seconds", append_s, 2);
  figure("append_fdatasyncs", io.fdatasyncs);
  figure("append_dir_fsyncs", io.dir_fsyncs);
  figure("append_segments", io.segments);
  figure("append_bytes", io.bytes);
  std::printf("# evidence verify (verifyStore, store in the page cache)\n");
  figure("verify_records_per_s", verify_rate);
  figure("verify_seconds", verify_s, 2);
  std::printf("# ratios\n");
  std::printf("append_vs_sign_ratio %.2f (target >= 0.50)\n", append_rate / sign.per_s);
  std::printf("append_vs_sign_ratio_interleaved %.2f (median of %zu slices, each against a signing burst "
              "just before it; min %.2f, max %.2f)\n",
              median(slice_ratios), slice_ratios.size(),
              slice_ratios.empty() ? 0.0 : *std::min_element(slice_ratios.begin(), slice_ratios.end()),
              slice_ratios.empty() ? 0.0 : *std::max_element(slice_ratios.begin(), slice_ratios.end()));
  std::printf("verify_vs_raw_verify_ratio %.2f (target >= 0.50)\n", verify_rate / verify_raw.per_s);
  // Measured last, right after the appends, in the store's directory.
  const std::vector<double> fsync_ms = fdatasyncCosts(g_tmp_dir, smoke ? 20 : 200);
  printFdatasyncCosts(fsync_ms, "the store's directory");

  std::printf("# where an append goes, microseconds per record (stages timed apart over %zu records)\n", m);
  figure("append_us", append_us, 2);
  figure("append_in_append_call_us", in_append_s * 1e6 / n, 2);
  figure("append_in_commit_call_us", in_commit_s * 1e6 / n, 2);
  figure("append_write_us", io.write_s * 1e6 / n, 2);
  figure("append_fdatasync_us", io.sync_s * 1e6 / n, 2);
  figure("append_dir_fsync_us", io.dir_sync_s * 1e6 / n, 2);
  figure("fdatasync_ms_each", io.fdatasyncs ? io.sync_s * 1e3 / static_cast<double>(io.fdatasyncs) : 0.0, 3);
  figure("seal_record_us", p_seal, 2);
  figure("seal_timestamp_us", p_ts, 2);
  figure("seal_body_canonical_us", p_body, 2);
  figure("seal_sha256_us", p_sha, 2);
  figure("seal_sign_us", p_sign, 2);
  figure("raw_sign_us", 1e6 / sign.per_s, 2);
  std::printf("# where a verification goes, microseconds per record\n");
  figure("verify_us", verify_us, 2);
  figure("verify_read_us", p_read, 2);
  figure("verify_parse_record_line_us", p_parse_record, 2);
  figure("verify_json_parse_us", p_parse, 2);
  figure("verify_check_seal_us", p_check, 2);
  figure("raw_verify_us", 1e6 / verify_raw.per_s, 2);
  if (!smoke && (sign.total_s < 0.5 || verify_raw.total_s < 0.5 || append_s < 0.5 || verify_s < 0.5)) {
    std::printf("# note: a measurement ran under 0.5 s; raise --records for stable figures\n");
  }
  reader->reset();
  removeTmpDir();
  return 0;
}
