// Crash harness for the evidence writer (issue acceptance): evidence_crash_writer is killed with
// SIGKILL at kIterations random moments while it appends, and restarted each time. At the end the
// chain must verify with no break, every record the writer reported durable must be in the store
// with the hash it reported, and a reported seq must never come back with another hash.
//
// Randomness is seeded from std::random_device, printed, and can be fixed with CA_CRASH_SEED=N;
// the kill moments still depend on timing, so a seed narrows a failure down but does not replay
// it exactly. CA_CRASH_KEEP_DIR=/path (not existing yet) keeps the state directory for a post
// mortem instead of a temporary one.
//
// The power-cut case (unsynced data lost) is covered with FakeEvidenceStorage in
// tests/unit/evidence/writer_test.cpp; here the kernel keeps everything written, so what is
// exercised is the writer's own ordering: partial writes, segments half made, recovery killed.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "evidence/keys.h"
#include "evidence/record.h"
#include "evidence/storage.h"
#include "evidence/verifier.h"
#include "support/file_text.h"
#include "support/temp_dir.h"

extern char** environ;

using testsupport::slurp;

namespace {

constexpr int kIterations = 220;
constexpr int kMaxDelayMs = 30;
constexpr const char* kSegmentBytes = "4096";
constexpr auto kStartTimeout = std::chrono::seconds(30);  // an ASan start on a busy machine

using SteadyClock = std::chrono::steady_clock;

// One run of the writer: its pid and the read end of its stdout. The destructor kills and reaps
// it, so that no writer outlives a failed assertion.
class WriterProcess {
 public:
  WriterProcess(const std::string& state_dir, const std::string& stderr_path, std::uint64_t seed) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> args{CA_CRASH_WRITER_BINARY, state_dir, "--segment-bytes", kSegmentBytes, "--seed",
                                  std::to_string(seed)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The environment is passed on whole: sanitizer options must reach the writer.
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      pid_ = -1;
      throw std::runtime_error(std::string("posix_spawn failed for ") + argv[0]);
    }
    fd_ = fds[0];
  }
  ~WriterProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      reap();
    }
    if (fd_ >= 0) ::close(fd_);
  }
  WriterProcess(const WriterProcess&) = delete;
  WriterProcess& operator=(const WriterProcess&) = delete;

  // Reads stdout until `done(out)` holds, EOF, or `deadline`. Returns false on EOF.
  template <class Done>
  bool readUntil(SteadyClock::time_point deadline, Done done) {
    while (!done(out_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() < 0) return true;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw std::runtime_error("poll failed");
      if (r == 0) continue;
      if (!readSome()) return false;
    }
    return true;
  }
  // Lets the writer run until `until`, reading its output. Returns false if it ended by itself.
  bool runUntil(SteadyClock::time_point until) {
    return readUntil(until, [](const std::string&) { return false; });
  }
  // Sends `sig`, reaps the process and reads its output to the end. Returns the wait status.
  int stop(int sig) {
    ::kill(pid_, sig);
    while (readSome()) {
    }
    return reap();
  }
  // Waits for the writer to exit on its own (it only does when it fails), then reads everything.
  int finish() {
    while (readSome()) {
    }
    return reap();
  }

  const std::string& out() const { return out_; }

 private:
  bool readSome() {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      out_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
  }
  int reap() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string out_;
};

// The newest segments with their sizes, for a failure message.
std::string newestSegments(const std::string& evidence_dir, std::size_t n = 3) {
  std::vector<std::pair<std::string, std::uintmax_t>> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(evidence_dir, ec)) {
    files.emplace_back(e.path().filename().string(), e.file_size(ec));
  }
  std::sort(files.begin(), files.end());
  std::ostringstream s;
  for (std::size_t i = files.size() > n ? files.size() - n : 0; i < files.size(); ++i) {
    s << "  " << files[i].first << " " << files[i].second << " bytes\n";
  }
  return s.str();
}

bool hasLine(const std::string& out, const std::string& prefix) {
  for (std::size_t pos = 0; pos < out.size();) {
    const auto end = out.find('\n', pos);
    if (end == std::string::npos) return false;
    if (out.compare(pos, prefix.size(), prefix) == 0) return true;
    pos = end + 1;
  }
  return false;
}

std::size_t countLines(const std::string& out, const std::string& prefix) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < out.size();) {
    const auto end = out.find('\n', pos);
    if (end == std::string::npos) break;
    if (out.compare(pos, prefix.size(), prefix) == 0) ++n;
    pos = end + 1;
  }
  return n;
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// What the runs reported, across all restarts.
struct Ledger {
  std::map<std::uint64_t, std::string> durable;  // seq -> hash, every durable report
  std::uint64_t max_durable = 0;
  int torn_tails = 0;         // restarts that found (and cut) a torn tail
  int starts = 0;             // runs that got as far as `start`
  std::vector<std::string> torn_faults;   // the `fault torn_tail` lines, for the summary
  std::vector<std::string> other_faults;  // anything but a torn tail: a SIGKILL cannot cause it

  // Takes in the output of one run (only its whole lines: a line is one write(2) of a few dozen
  // bytes, so a pipe never holds half of one, but be strict anyway).
  void take(const std::string& out, int run) {
    std::uint64_t last_in_run = 0;
    bool torn = false;
    std::istringstream lines(out.substr(0, out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1));
    std::string line;
    while (std::getline(lines, line)) {
      INFO("run " << run << ": line '" << line << "'");
      std::istringstream in(line);
      std::string word;
      in >> word;
      if (word == "start") {
        std::uint64_t head = 0;
        REQUIRE(in >> head);
        ++starts;
        // Durable records survive a kill: the chain a restart finds reaches every one reported.
        CHECK(head >= max_durable);
        last_in_run = head;
      } else if (word == "fault") {
        std::string problem;
        REQUIRE(in >> problem);
        if (problem == "torn_tail") {
          torn = true;
          torn_faults.push_back("run " + std::to_string(run) + ": " + line);
        } else {
          other_faults.push_back("run " + std::to_string(run) + ": " + line);
        }
      } else if (word == "durable") {
        std::uint64_t seq = 0;
        std::string hash;
        REQUIRE(in >> seq >> hash);
        CHECK(hash.size() == 64);
        CHECK(seq >= last_in_run);  // never backwards within a run
        last_in_run = seq;
        auto [it, inserted] = durable.emplace(seq, hash);
        // A durable seq is never reused with another hash (by a restart that lost it).
        CHECK(it->second == hash);
        max_durable = std::max(max_durable, seq);
      } else {
        FAIL("unexpected output line from the writer: " << line);
      }
    }
    if (torn) ++torn_tails;
  }
};

}  // namespace

TEST_CASE("the evidence chain survives SIGKILL at random moments of appending") {
  const auto t0 = SteadyClock::now();
  std::uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("CA_CRASH_SEED"); s && *s) seed = std::strtoull(s, nullptr, 10);
  std::cout << "crash_test: seed " << seed << " (CA_CRASH_SEED=" << seed << " to reuse)" << std::endl;
  INFO("seed " << seed << " (CA_CRASH_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);

  std::optional<testsupport::TempDir> tmp;
  std::filesystem::path base;
  if (const char* keep = std::getenv("CA_CRASH_KEEP_DIR"); keep && *keep) {
    base = keep;
    REQUIRE(std::filesystem::create_directory(base));  // must not exist: a fresh chain
  } else {
    tmp.emplace("ca-crash");
    base = tmp->path();
  }
  const std::string state_dir = (base / "state").string();
  const std::string stderr_path = (base / "writer.stderr").string();
  REQUIRE(std::filesystem::create_directory(state_dir));
  std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);

  Ledger ledger;
  int killed_before_start = 0;
  std::uniform_int_distribution<int> mode_dist(0, 99);
  std::uniform_int_distribution<int> delay_dist(0, kMaxDelayMs * 1000);  // microseconds
  for (int i = 0; i < kIterations; ++i) {
    const int mode = mode_dist(rng);
    const auto delay = std::chrono::microseconds(delay_dist(rng));
    const std::uint64_t writer_seed = rng();
    INFO("iteration " << i << ", mode " << mode << ", delay " << delay.count() << " us, writer seed " << writer_seed);

    WriterProcess w(state_dir, stderr_path, writer_seed);
    const auto spawned = SteadyClock::now();
    bool alive = true;
    if (mode < 10) {
      // Kill right away: during exec, start-up or the recovery of the previous crash.
    } else if (mode < 30) {
      // A delay counted from the spawn: start-up and recovery (open) take part of it.
      alive = w.runUntil(spawned + delay);
    } else {
      // Wait until open() is done, then a delay of appending.
      alive = w.readUntil(spawned + kStartTimeout, [](const std::string& out) { return hasLine(out, "start "); });
      if (alive) {
        REQUIRE(hasLine(w.out(), "start "));  // else: no start within kStartTimeout
        alive = w.runUntil(SteadyClock::now() + delay);
      }
    }
    // A writer that ended by itself failed: its stderr says why.
    const int status = alive ? w.stop(SIGKILL) : w.finish();
    INFO("writer output (first 4000 bytes):\n" << w.out().substr(0, 4000));
    INFO("writer stderr:\n" << slurp(stderr_path));
    INFO("newest files of the store:\n" << newestSegments(state_dir + "/evidence"));
    REQUIRE(describeStatus(status) == describeStatus(SIGKILL));
    if (!hasLine(w.out(), "start ")) ++killed_before_start;
    ledger.take(w.out(), i);
  }

  // One more start, to recover from the last kill, stopped cleanly (SIGTERM: the writer ends after
  // its batch, so nothing is torn; LeakSanitizer checks it on the way out).
  {
    WriterProcess w(state_dir, stderr_path, rng());
    const auto spawned = SteadyClock::now();
    const bool alive = w.readUntil(spawned + kStartTimeout, [](const std::string& out) {
      return hasLine(out, "start ") && countLines(out, "durable ") >= 3;
    });
    const int status = alive ? w.stop(SIGTERM) : w.finish();
    INFO("final run output (first 4000 bytes):\n" << w.out().substr(0, 4000));
    INFO("final run stderr:\n" << slurp(stderr_path));
    INFO("newest files of the store:\n" << newestSegments(state_dir + "/evidence"));
    REQUIRE(alive);
    REQUIRE(describeStatus(status) == "exited with status 0");
    ledger.take(w.out(), kIterations);
  }

  // The store, verified as `compliance-agent evidence verify` would, with the appliance's key.
  auto key = evidence::readPublicKeyFile(evidence::publicKeyPath(state_dir));
  REQUIRE(key.ok());
  auto storage = evidence::PosixStorage::open(state_dir + "/evidence", false);
  REQUIRE(storage.ok());
  const evidence::Verdict verdict = evidence::verifyStore(**storage, {*key, std::nullopt});
  if (verdict.failure) {
    FAIL("chain broken: " << verdict.failure->file << " line " << verdict.failure->line << ": "
                          << evidence::toString(verdict.failure->reason) << " " << verdict.failure->detail);
  }
  CHECK(verdict.first_seq == 1);
  CHECK(verdict.head.seq >= ledger.max_durable);

  // Every record of the store, by seq, from the segment lines.
  auto listed = (*storage)->list();
  REQUIRE(listed.ok());
  std::vector<std::string> segments;
  for (const auto& f : *listed) {
    if (evidence::segmentSeq(f.name) > 0) segments.push_back(f.name);
  }
  std::sort(segments.begin(), segments.end());
  std::map<std::uint64_t, std::string> stored;
  for (const auto& name : segments) {
    auto text = (*storage)->read(name);
    REQUIRE(text.ok());
    std::size_t pos = text->find('\n');
    REQUIRE(pos != std::string::npos);
    for (++pos; pos < text->size();) {
      const auto end = text->find('\n', pos);
      REQUIRE(end != std::string::npos);
      auto record = evidence::parseRecordLine(std::string_view(*text).substr(pos, end - pos));
      INFO(name << " at byte " << pos);
      REQUIRE(record.ok());
      CHECK(stored.emplace(record->seq, record->hash).second);
      pos = end + 1;
    }
  }
  CHECK(stored.size() == verdict.records);

  std::size_t missing = 0, different = 0;
  for (const auto& [seq, hash] : ledger.durable) {
    const auto it = stored.find(seq);
    if (it == stored.end()) {
      if (++missing <= 10) WARN("durable record " << seq << " (" << hash << ") is not in the store");
    } else if (it->second != hash) {
      if (++different <= 10) WARN("durable record " << seq << " is " << it->second << " in the store, reported " << hash);
    }
  }
  CHECK(missing == 0);
  CHECK(different == 0);
  CHECK(ledger.other_faults.empty());
  for (const auto& f : ledger.other_faults) WARN("fault other than a torn tail: " << f);

  const auto secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  std::cout << "crash_test: seed " << seed << ": " << kIterations << " kills, " << ledger.starts << " starts ("
            << killed_before_start << " killed before `start`), " << ledger.torn_tails
            << " restarts found a torn tail, " << ledger.durable.size() << " durable heads reported (max seq "
            << ledger.max_durable << "), " << verdict.records << " records in " << segments.size()
            << " segments, chain intact, " << secs << " s" << std::endl;
  for (const auto& f : ledger.torn_faults) std::cout << "crash_test: " << f << std::endl;
}
