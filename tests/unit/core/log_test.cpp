// core/log: what reaches the journal (through the fake sender, exactly as sent), what reaches
// stderr instead, levels, and the JOURNAL_STREAM check.
#include "core/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <string>
#include <thread>

#include "fakes/fake_journal_sender.h"

using core::log::LogFields;
using core::log::LoggingOptions;
using fakes::FakeJournalSender;

namespace {

// Each test starts and ends with logging in its pre-setup state.
struct LoggingReset {
  LoggingReset() { core::log::resetLogging(); }
  ~LoggingReset() { core::log::resetLogging(); }
};

LoggingOptions journalTo(FakeJournalSender& sender, spdlog::level::level_enum level = spdlog::level::info,
                         std::string site_id = "clinic-0042") {
  LoggingOptions o;
  o.level = level;
  o.site_id = std::move(site_id);
  o.journal = true;
  o.sender_override = &sender;
  return o;
}

// Points file descriptor 2 at a temporary file for the life of the object.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    char path[] = "/tmp/ca-log-test-XXXXXX";
    fd_ = ::mkstemp(path);
    REQUIRE(fd_ >= 0);
    ::unlink(path);
    saved_ = ::dup(STDERR_FILENO);
    REQUIRE(::dup2(fd_, STDERR_FILENO) == STDERR_FILENO);
  }
  ~StderrCapture() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::close(fd_);
  }
  std::string text() const {
    std::fflush(stderr);
    std::string out;
    char buf[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = ::pread(fd_, buf, sizeof buf, at)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      at += n;
    }
    return out;
  }

 private:
  int fd_ = -1;
  int saved_ = -1;
};

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("a journal entry carries MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, LOGGER and SITE_ID, and no empty fields") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  core::log::logger("cli")->info("run --once: mode {}", "dry_run");

  const auto entries = sender.entries();
  REQUIRE(entries.size() == 1);
  CHECK(FakeJournalSender::asMap(entries[0]) == std::map<std::string, std::string>{
                                                    {"MESSAGE", "run --once: mode dry_run"},
                                                    {"PRIORITY", "6"},
                                                    {"SYSLOG_IDENTIFIER", "compliance-agent"},
                                                    {"LOGGER", "cli"},
                                                    {"SITE_ID", "clinic-0042"},
                                                });
  CHECK(entries[0].size() == 5);  // each key once
}

TEST_CASE("without a site_id no SITE_ID field is sent") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender, spdlog::level::info, ""));
  core::log::logger("cli")->info("x");
  REQUIRE(sender.entries().size() == 1);
  CHECK_FALSE(FakeJournalSender::field(sender.entries()[0], "SITE_ID"));
}

TEST_CASE("PRIORITY follows syslog: error 3, warn 4, info 6, debug and trace 7") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender, spdlog::level::trace));
  auto log = core::log::logger("healing");
  log->error("e");
  log->warn("w");
  log->info("i");
  log->debug("d");
  log->trace("t");
  const auto entries = sender.entries();
  REQUIRE(entries.size() == 5);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"e", "3"}, {"w", "4"}, {"i", "6"}, {"d", "7"}, {"t", "7"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(FakeJournalSender::field(entries[i], "MESSAGE") == expected[i].first);
    CHECK(FakeJournalSender::field(entries[i], "PRIORITY") == expected[i].second);
  }
  CHECK(core::log::journalPriority(spdlog::level::critical) == 2);
}

TEST_CASE("event() sends CHECK_ID, RULE_ID, TARGET, OUTCOME and REASON_CODE when set, and omits the empty ones") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  auto log = core::log::logger("healing");
  core::log::event(*log, spdlog::level::info,
                   {"LIN-SSH-001", "L1-LIN-SSH-001", "/etc/ssh/sshd_config", "suppressed", "cooldown"}, "{} on {}", "LIN-SSH-001",
                   "/etc/ssh/sshd_config");
  core::log::event(*log, spdlog::level::info, {.check_id = "X-1", .target = "/etc/x"}, "no rule");
  log->info("plain");

  const auto entries = sender.entries();
  REQUIRE(entries.size() == 3);
  const auto full = FakeJournalSender::asMap(entries[0]);
  CHECK(full.at("MESSAGE") == "LIN-SSH-001 on /etc/ssh/sshd_config");
  CHECK(full.at("CHECK_ID") == "LIN-SSH-001");
  CHECK(full.at("RULE_ID") == "L1-LIN-SSH-001");
  CHECK(full.at("TARGET") == "/etc/ssh/sshd_config");
  CHECK(full.at("OUTCOME") == "suppressed");
  CHECK(full.at("REASON_CODE") == "cooldown");
  CHECK(full.at("LOGGER") == "healing");

  const auto partial = FakeJournalSender::asMap(entries[1]);
  CHECK(partial.at("CHECK_ID") == "X-1");
  CHECK(partial.at("TARGET") == "/etc/x");
  CHECK(partial.count("RULE_ID") == 0);
  CHECK(partial.count("OUTCOME") == 0);
  CHECK(partial.count("REASON_CODE") == 0);

  // The fields belonged to the event only.
  for (const char* key : {"CHECK_ID", "RULE_ID", "TARGET", "OUTCOME", "REASON_CODE"}) CHECK_FALSE(FakeJournalSender::field(entries[2], key));
}

TEST_CASE("ScopedLogFields nest: inner fields win, the outer ones come back when the scope ends") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  auto log = core::log::logger("healing");
  {
    core::log::ScopedLogFields outer({.check_id = "C-1", .rule_id = "R-1", .target = "/a"});
    {
      core::log::ScopedLogFields inner({.target = "/b", .outcome = "planned"});
      log->info("inner");
      CHECK(core::log::currentLogFields().target == "/b");
    }
    log->info("outer");
  }
  log->info("none");
  const auto entries = sender.entries();
  REQUIRE(entries.size() == 3);
  const auto in = FakeJournalSender::asMap(entries[0]);
  CHECK(in.at("CHECK_ID") == "C-1");
  CHECK(in.at("RULE_ID") == "R-1");
  CHECK(in.at("TARGET") == "/b");
  CHECK(in.at("OUTCOME") == "planned");
  const auto out = FakeJournalSender::asMap(entries[1]);
  CHECK(out.at("TARGET") == "/a");
  CHECK(out.count("OUTCOME") == 0);
  CHECK_FALSE(FakeJournalSender::field(entries[2], "CHECK_ID"));
}

TEST_CASE("structured fields are per thread") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  auto log = core::log::logger("healing");
  core::log::ScopedLogFields scope({.check_id = "C-main"});
  std::thread other([&] { log->info("from the other thread"); });
  other.join();
  log->info("from main");
  const auto entries = sender.entries();
  REQUIRE(entries.size() == 2);
  CHECK_FALSE(FakeJournalSender::field(entries[0], "CHECK_ID"));
  CHECK(FakeJournalSender::field(entries[1], "CHECK_ID") == "C-main");
}

TEST_CASE("the configured level filters what is sent, event() included") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender, spdlog::level::warn));
  auto log = core::log::logger("cli");
  log->debug("debug");
  log->info("info");
  core::log::event(*log, spdlog::level::info, {.check_id = "C"}, "info event");
  log->warn("warn");
  core::log::event(*log, spdlog::level::err, {.check_id = "C"}, "error event");
  const auto entries = sender.entries();
  REQUIRE(entries.size() == 2);
  CHECK(FakeJournalSender::field(entries[0], "MESSAGE") == "warn");
  CHECK(FakeJournalSender::field(entries[1], "MESSAGE") == "error event");
  CHECK(FakeJournalSender::field(entries[1], "CHECK_ID") == "C");
}

TEST_CASE("a multi-line message reaches the journal whole, as one MESSAGE field") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  core::log::logger("cli")->info("line one\nline two");
  REQUIRE(sender.entries().size() == 1);
  CHECK(FakeJournalSender::field(sender.entries()[0], "MESSAGE") == "line one\nline two");
}

TEST_CASE("loggers are one per module, and a logger made before setupLogging follows it") {
  LoggingReset reset;
  auto early = core::log::logger("early");
  CHECK(early->should_log(spdlog::level::info));  // before set-up: stderr at info
  CHECK_FALSE(early->should_log(spdlog::level::debug));
  CHECK(core::log::logger("early") == early);
  CHECK(core::log::logger("other") != early);

  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender, spdlog::level::debug));
  early->debug("now at debug, to the journal");
  core::log::logger("other")->info("other module");
  const auto entries = sender.entries();
  REQUIRE(entries.size() == 2);
  CHECK(FakeJournalSender::field(entries[0], "LOGGER") == "early");
  CHECK(FakeJournalSender::field(entries[1], "LOGGER") == "other");

  core::log::resetLogging();
  CHECK_FALSE(early->should_log(spdlog::level::debug));
  StderrCapture err;
  early->info("after reset");
  CHECK(sender.entries().size() == 2);
  CHECK(err.text().find("after reset") != std::string::npos);
}

TEST_CASE("without the journal, lines go to stderr, with the module name, and nothing to the sender") {
  LoggingReset reset;
  FakeJournalSender sender;
  LoggingOptions o = journalTo(sender);
  o.journal = false;
  core::log::setupLogging(o);
  StderrCapture err;
  core::log::event(*core::log::logger("healing"), spdlog::level::info, {.check_id = "C"}, "planned something");
  CHECK(sender.entries().empty());
  const std::string text = err.text();
  CHECK(text.find("healing: planned something") != std::string::npos);
  CHECK(countOf(text, "\n") == 1);
}

TEST_CASE("when the journal refuses an entry it goes to stderr, and the failure is said once") {
  LoggingReset reset;
  FakeJournalSender sender;
  core::log::setupLogging(journalTo(sender));
  sender.failWith(ECONNREFUSED);
  StderrCapture err;
  auto log = core::log::logger("cli");
  log->info("first");
  log->warn("second");
  CHECK(sender.failedSends() == 2);
  const std::string text = err.text();
  CHECK(countOf(text, "cannot write to the journal") == 1);
  CHECK(text.find("cli: first") != std::string::npos);
  CHECK(text.find("cli: second") != std::string::npos);

  sender.failWith(0);  // the journal is back: entries go there again
  log->info("third");
  REQUIRE(sender.entries().size() == 1);
  CHECK(FakeJournalSender::field(sender.entries()[0], "MESSAGE") == "third");
  CHECK(err.text().find("third") == std::string::npos);
}

TEST_CASE("JOURNAL_STREAM counts only when it names the file behind the descriptor") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  struct stat st {};
  REQUIRE(::fstat(fds[1], &st) == 0);
  const std::string dev = std::to_string(static_cast<unsigned long long>(st.st_dev));
  const std::string ino = std::to_string(static_cast<unsigned long long>(st.st_ino));
  CHECK(core::log::journalStreamMatches(dev + ":" + ino, fds[1]));
  CHECK_FALSE(core::log::journalStreamMatches(dev + ":" + std::to_string(st.st_ino + 1), fds[1]));
  for (const std::string& bad : std::vector<std::string>{"", ":", "1", dev + ":", ":" + ino, dev + ":" + ino + "x", "x" + dev + ":" + ino,
                                                         dev + ":-" + ino, dev + ":" + ino + ":1"}) {
    INFO("JOURNAL_STREAM=" << bad);
    CHECK_FALSE(core::log::journalStreamMatches(bad, fds[1]));
  }
  ::close(fds[0]);
  ::close(fds[1]);
  CHECK_FALSE(core::log::journalStreamMatches(dev + ":" + ino, fds[1]));  // closed descriptor
}
