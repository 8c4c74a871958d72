#pragma once
// Logging: one named spdlog logger per module (`cli`, `healing`, ...), all sharing the sinks that
// setupLogging() configures once at start-up. Logs never go to stdout (stdout carries --json).
//
// Destinations: under systemd with stderr connected to the journal, entries are sent with the
// native journal protocol, so structured fields survive (MESSAGE, PRIORITY,
// SYSLOG_IDENTIFIER=compliance-agent, LOGGER=<module>, SITE_ID, and CHECK_ID / RULE_ID / TARGET /
// OUTCOME when set); anywhere else, and whenever the journal cannot be reached, lines go to stderr.
//
// Structured fields: spdlog has none, so they travel beside the message in a thread-local scope
// (ScopedLogFields) that the journal sink reads while the message is written. This only works
// because every sink here is synchronous (runs on the logging thread): never put these loggers
// behind spdlog's async logger. event() is the one-line form.
#include <memory>
#include <spdlog/logger.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace core::log {

/// The journal fields of a domain event; empty members are not sent. (The `{}` initialisers let
/// designated initialisers name only some fields without -Wmissing-field-initializers.)
struct LogFields {
  std::string check_id{};
  std::string rule_id{};
  std::string target{};
  std::string outcome{};
  std::string reason_code{};
};

/// Sends one journal entry. Abstract so tests can record exactly what would be sent.
class JournalSender {
 public:
  virtual ~JournalSender() = default;
  /// `fields` are "KEY=value" (values may hold newlines). Returns 0 when the entry was handed to
  /// the journal, a negative errno when it was not.
  virtual int send(const std::vector<std::string>& fields) = 0;
};

/// The real journal: sd_journal_sendv (the fixed socket /run/systemd/journal/socket).
/// Note that sd_journal_sendv reports success when that socket does not exist (it drops the
/// entry silently); setupLogging checks for the socket first.
class SystemdJournalSender final : public JournalSender {
 public:
  int send(const std::vector<std::string>& fields) override;
};

struct LoggingOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string site_id;   // SITE_ID on every journal entry; empty: not sent
  bool journal = false;  // stderr is the journal (see stderrIsJournal): use the native protocol
  JournalSender* sender_override = nullptr;  // tests: used instead of the real journal; must
                                             // outlive logging (until the next setup/reset)
};

/// Configures every module logger, existing and future: level and sinks. Call once at start-up,
/// before other threads log (it swaps the sinks of existing loggers without locking them).
/// With `journal` and no override, a missing journal socket means stderr, said once at warn.
void setupLogging(const LoggingOptions& options);

/// Back to the state before setupLogging: stderr, info, no journal sender. For tests.
void resetLogging();

/// The named logger of `module`, created on first use with the configured sinks and level (before
/// setupLogging: stderr at info). Loggers live for the whole process, so callers may keep them.
std::shared_ptr<spdlog::logger> logger(std::string_view module);

/// Whether the systemd-documented JOURNAL_STREAM contract holds: the variable is set and names
/// ("<device>:<inode>", decimal) the file behind stderr. A JOURNAL_STREAM inherited by a
/// process whose stderr was redirected (a shell started from a service) does not count.
bool stderrIsJournal();
/// The check behind stderrIsJournal, for any descriptor: false for a malformed value.
bool journalStreamMatches(std::string_view journal_stream, int fd);

/// "trace" -> PRIORITY 7 ... "error" -> 3, as syslog(3) numbers them.
int journalPriority(spdlog::level::level_enum level);

/// Makes `fields` the structured fields of every message logged on this thread while the scope
/// lives. Scopes nest: a non-empty field of an inner scope wins over the outer one.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(LogFields fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  friend LogFields currentLogFields();
  LogFields fields_;
  const ScopedLogFields* outer_;
};

/// The fields in effect on this thread (merged over the nested scopes).
LogFields currentLogFields();

/// Logs one message with its structured fields, e.g.
///   event(*log, spdlog::level::info, {.check_id = id, .target = t}, "planned {}", rule);
template <class... Args>
void event(spdlog::logger& lg, spdlog::level::level_enum level, LogFields fields,
           spdlog::format_string_t<Args...> fmt, Args&&... args) {
  if (!lg.should_log(level)) return;
  ScopedLogFields scope(std::move(fields));
  lg.log(level, fmt, std::forward<Args>(args)...);
}

}  // namespace core::log
