// evidence_crash_writer: the victim of tests/crash/crash_test.cpp. It appends to the evidence
// chain of a state directory forever, in batches, and after each successful commit reports the
// durable head on stdout; the test kills it with SIGKILL at random moments and restarts it.
//
//   evidence_crash_writer STATE_DIR [--segment-bytes N] [--seed S]
//
// Output (one line per event, written with write(2) on fd 1, so a line the test reads was
// complete before the kill and nothing waits in a user-space buffer):
//   start <head seq>                         once, after Writer::open
//   fault <problem> <segment> <line> <bytes_cut>   one per recovery fault found by open
//   durable <seq> <hash>                     after each successful commit (and after open)
// Errors go to stderr with exit status 2 (open failed) or 3 (commit failed). SIGTERM stops it
// cleanly after the batch in progress (exit 0).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "evidence/keys.h"
#include "evidence/storage.h"
#include "evidence/writer.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void onTerm(int) { g_stop = 1; }

// The whole line or die: a short write to a pipe whose reader is gone ends the process anyway.
void emit(const std::string& line) {
  std::string_view rest(line);
  while (!rest.empty()) {
    const ssize_t n = ::write(1, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

[[noreturn]] void usage() {
  std::cerr << "usage: evidence_crash_writer STATE_DIR [--segment-bytes N] [--seed S]\n";
  std::exit(64);
}

}  // namespace

int main(int argc, char** argv) {
  // Never outlive the test that started us (a killed or timed-out test run).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);

  std::string state_dir;
  std::uint64_t segment_bytes = 4096;
  std::uint64_t seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--segment-bytes" && i + 1 < argc) {
      segment_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!arg.empty() && arg[0] != '-' && state_dir.empty()) {
      state_dir = arg;
    } else {
      usage();
    }
  }
  if (state_dir.empty() || segment_bytes == 0) usage();

  struct sigaction sa {};
  sa.sa_handler = onTerm;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);

  auto key = evidence::loadOrCreateKey(state_dir);
  if (!key.ok()) {
    std::cerr << "evidence_crash_writer: key: " << key.error().message << "\n";
    return 2;
  }
  auto storage = evidence::PosixStorage::open(state_dir + "/evidence", true);
  if (!storage.ok()) {
    std::cerr << "evidence_crash_writer: storage: " << storage.error().message << "\n";
    return 2;
  }
  core::SystemClock clock;
  evidence::Provenance provenance{"crash-site", "crash-appliance", "dry_run", "0.1.0", "", ""};
  auto opened = evidence::Writer::open(**storage, **key, clock, provenance, evidence::WriterOptions{segment_bytes});
  if (!opened.ok()) {
    std::cerr << "evidence_crash_writer: open: " << opened.error().message << "\n";
    return 2;
  }
  evidence::Writer& writer = **opened;

  emit("start " + std::to_string(writer.head().seq) + "\n");
  for (const auto& f : writer.recoveryFaults()) {
    emit("fault " + std::string(evidence::toString(f.problem)) + " " + f.segment + " " + std::to_string(f.line) +
         " " + std::to_string(f.bytes_cut) + "\n");
  }
  if (const auto e = writer.lastCommitError()) {
    std::cerr << "evidence_crash_writer: open could not commit its recovery record: " << e->message << "\n";
    return 3;
  }
  if (const auto h = writer.durableHead(); h.seq > 0) emit("durable " + std::to_string(h.seq) + " " + h.hash + "\n");

  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> batch_size(1, 20);
  std::uniform_int_distribution<int> small_pad(0, 600);
  std::uniform_int_distribution<int> large_pad(64 << 10, 900 << 10);  // long write(2)s: a kill can tear them
  std::uniform_int_distribution<int> one_in_16(0, 15);
  std::uint64_t counter = 0;
  while (!g_stop) {
    const int n = batch_size(rng);
    for (int i = 0; i < n; ++i) {
      const int pad = one_in_16(rng) == 0 ? large_pad(rng) : small_pad(rng);
      nlohmann::json body{{"counter", counter++},
                          {"pid", static_cast<std::int64_t>(::getpid())},
                          {"pad", std::string(static_cast<std::size_t>(pad), static_cast<char>('a' + counter % 26))}};
      auto seq = writer.append(evidence::Kind::Cycle, "agent", body);
      if (!seq.ok()) {
        std::cerr << "evidence_crash_writer: append: " << seq.error().message << "\n";
        return 3;
      }
    }
    auto head = writer.commit();
    if (!head.ok()) {
      std::cerr << "evidence_crash_writer: commit: " << head.error().message << "\n";
      return 3;
    }
    emit("durable " + std::to_string(head->seq) + " " + head->hash + "\n");
  }
  return 0;
}
