#include "core/log.h"

#include <sys/stat.h>
#include <sys/uio.h>
// Without this, sd_journal_sendv is a macro that adds CODE_FILE/CODE_LINE/CODE_FUNC of the call
// site, which would always be SystemdJournalSender::send.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

namespace core::log {
namespace {

constexpr const char* kSyslogIdentifier = "compliance-agent";
// Fixed in libsystemd (no environment override in systemd 252).
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
constexpr const char* kStderrPattern = "%Y-%m-%dT%H:%M:%S.%e%z [%l] %n: %v";
// The logger of the logging set-up itself (fallback notices).
constexpr std::string_view kOwnModule = "logging";

thread_local const ScopedLogFields* t_scope = nullptr;

spdlog::sink_ptr makeStderrSink() {
  // Colours only when stderr is a terminal (the sink checks), so the journal never sees escapes.
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
  sink->set_pattern(kStderrPattern);
  return sink;
}

// Writes each message as one journal entry. When the sender fails, the message goes to the
// fallback (stderr) sink instead, and the first failure is announced there once.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  JournalSink(JournalSender& sender, std::string site_id, spdlog::sink_ptr fallback)
      : sender_(sender), site_id_(std::move(site_id)), fallback_(std::move(fallback)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::vector<std::string> fields;
    fields.reserve(10);
    fields.push_back("MESSAGE=" + std::string(msg.payload.data(), msg.payload.size()));
    fields.push_back("PRIORITY=" + std::to_string(journalPriority(msg.level)));
    fields.push_back(std::string("SYSLOG_IDENTIFIER=") + kSyslogIdentifier);
    fields.push_back("LOGGER=" + std::string(msg.logger_name.data(), msg.logger_name.size()));
    if (!site_id_.empty()) fields.push_back("SITE_ID=" + site_id_);
    const LogFields f = currentLogFields();
    if (!f.check_id.empty()) fields.push_back("CHECK_ID=" + f.check_id);
    if (!f.rule_id.empty()) fields.push_back("RULE_ID=" + f.rule_id);
    if (!f.target.empty()) fields.push_back("TARGET=" + f.target);
    if (!f.outcome.empty()) fields.push_back("OUTCOME=" + f.outcome);
    if (!f.reason_code.empty()) fields.push_back("REASON_CODE=" + f.reason_code);

    const int rc = sender_.send(fields);
    if (rc >= 0) return;
    if (!warned_) {
      warned_ = true;
      const std::string note = std::string("cannot write to the journal (") + std::strerror(-rc) +
                               "): logging to stderr without structured fields";
      fallback_->log(spdlog::details::log_msg(spdlog::source_loc{}, kOwnModule, spdlog::level::warn, note));
    }
    fallback_->log(msg);
  }
  void flush_() override {}

 private:
  JournalSender& sender_;
  const std::string site_id_;
  const spdlog::sink_ptr fallback_;
  bool warned_ = false;  // guarded by base_sink's mutex
};

struct State {
  std::mutex mu;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string site_id;
  JournalSender* sender = nullptr;  // nullptr: stderr
  std::unique_ptr<JournalSender> owned_sender;
  // Built when the first logger needs them, so a command that never logs creates no sink.
  std::vector<spdlog::sink_ptr> sinks;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

// The loggers are process-wide by nature (like stderr itself); this is the one place that knows.
State& state() {
  static State s;
  return s;
}

// Requires st.mu.
const std::vector<spdlog::sink_ptr>& sinksLocked(State& st) {
  if (st.sinks.empty()) {
    auto err = makeStderrSink();
    if (st.sender) st.sinks.push_back(std::make_shared<JournalSink>(*st.sender, st.site_id, err));
    else st.sinks.push_back(std::move(err));
  }
  return st.sinks;
}

// Replaces the destination and level of every logger, existing and future. The previous owned
// sender is released only after no sink refers to it any more.
void install(spdlog::level::level_enum level, std::string site_id, JournalSender* sender,
             std::unique_ptr<JournalSender> owned) {
  State& st = state();
  std::unique_ptr<JournalSender> previous;
  {
    std::lock_guard lock(st.mu);
    st.level = level;
    st.site_id = std::move(site_id);
    st.sender = sender;
    st.sinks.clear();
    if (!st.loggers.empty()) {
      const auto& sinks = sinksLocked(st);
      for (auto& [name, lg] : st.loggers) {
        lg->sinks() = sinks;
        lg->set_level(level);
      }
    }
    previous = std::exchange(st.owned_sender, std::move(owned));
  }
}

bool journalSocketExists() {
  struct stat st {};
  return ::stat(kJournalSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

int SystemdJournalSender::send(const std::vector<std::string>& fields) {
  std::vector<iovec> iov(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    iov[i].iov_base = const_cast<char*>(fields[i].data());
    iov[i].iov_len = fields[i].size();
  }
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

int journalPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

void setupLogging(const LoggingOptions& options) {
  JournalSender* sender = options.journal ? options.sender_override : nullptr;
  std::unique_ptr<JournalSender> owned;
  const bool socket_missing = options.journal && !sender && !journalSocketExists();
  if (options.journal && !sender && !socket_missing) {
    owned = std::make_unique<SystemdJournalSender>();
    sender = owned.get();
  }
  install(options.level, options.site_id, sender, std::move(owned));
  if (socket_missing) {
    logger(kOwnModule)->warn("JOURNAL_STREAM is set but {} is not available: logging to stderr without structured fields",
                             kJournalSocket);
  }
}

void resetLogging() { install(spdlog::level::info, "", nullptr, nullptr); }

std::shared_ptr<spdlog::logger> logger(std::string_view module) {
  State& st = state();
  std::lock_guard lock(st.mu);
  if (auto it = st.loggers.find(module); it != st.loggers.end()) return it->second;
  const auto& sinks = sinksLocked(st);
  auto lg = std::make_shared<spdlog::logger>(std::string(module), sinks.begin(), sinks.end());
  lg->set_level(st.level);
  st.loggers.emplace(std::string(module), lg);
  return lg;
}

bool journalStreamMatches(std::string_view value, int fd) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  const char* first = value.data();
  const char* mid = first + colon;
  const char* last = first + value.size();
  auto d = std::from_chars(first, mid, dev);
  auto i = std::from_chars(mid + 1, last, ino);
  if (d.ec != std::errc{} || d.ptr != mid || i.ec != std::errc{} || i.ptr != last || colon == 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

bool stderrIsJournal() {
  const char* value = std::getenv("JOURNAL_STREAM");
  return value != nullptr && journalStreamMatches(value, STDERR_FILENO);
}

ScopedLogFields::ScopedLogFields(LogFields fields) : fields_(std::move(fields)), outer_(t_scope) { t_scope = this; }

ScopedLogFields::~ScopedLogFields() { t_scope = outer_; }

LogFields currentLogFields() {
  LogFields out;
  const auto take = [](std::string& to, const std::string& from) {
    if (to.empty() && !from.empty()) to = from;
  };
  for (const ScopedLogFields* s = t_scope; s != nullptr; s = s->outer_) {
    take(out.check_id, s->fields_.check_id);
    take(out.rule_id, s->fields_.rule_id);
    take(out.target, s->fields_.target);
    take(out.outcome, s->fields_.outcome);
    take(out.reason_code, s->fields_.reason_code);
  }
  return out;
}

}  // namespace core::log
