#include "platform/spawn_command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include "platform/unique_fd.h"

namespace platform {
namespace {

// Parent-side descriptors that become the child's 0..3 are first moved to this number or above,
// so that the dup2 actions (onto 0, 1, 2, 3) can never overwrite one another's source.
constexpr int kFirstFreeFd = 4;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerWake = 16;
// Without a pidfd (kernel < 5.3) the child's exit is noticed by polling at this interval.
constexpr std::chrono::milliseconds kExitPollInterval{20};
// poll() takes an int of milliseconds; longer waits are split.
constexpr std::chrono::milliseconds kMaxPollWait{60'000};

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

CommandError spawnError(const std::string& what, int err) {
  return CommandError{CommandErrc::SpawnFailed, what + ": " + errnoText(err)};
}

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

/// Writing to a pipe whose reader is gone raises SIGPIPE, which would kill the agent unless it
/// ignores the signal. Block it in this thread while feeding stdin, and swallow the one our own
/// write caused (only that one: a SIGPIPE that was already pending is left alone).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (raised_ && !was_pending_) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      const timespec zero{0, 0};
      while (sigtimedwait(&set, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  void noteRaised() { raised_ = true; }

 private:
  sigset_t old_;
  bool was_pending_ = false;
  bool raised_ = false;
};

core::Status<CommandError> makePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return core::fail(spawnError("pipe", errno));
  read_end.reset(p[0]);
  write_end.reset(p[1]);
  return core::Ok{};
}

core::Status<CommandError> liftFd(UniqueFd& fd) {
  if (fd.get() >= kFirstFreeFd) return core::Ok{};
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, kFirstFreeFd);
  if (moved < 0) return core::fail(spawnError("fcntl(F_DUPFD_CLOEXEC)", errno));
  fd.reset(moved);
  return core::Ok{};
}

void setNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/// One captured output stream.
struct Capture {
  UniqueFd fd;
  std::string* sink;
  bool* truncated;
  std::size_t cap;

  /// Reads what is available (bounded, so a writer that never pauses cannot hold us here);
  /// closes the descriptor at EOF or on error.
  void readSome() {
    char buf[kReadChunk];
    for (int i = 0; i < kMaxReadsPerWake; ++i) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        fd.reset();
        return;
      }
      // Past the cap, keep reading (so the command never blocks on a full pipe) but discard.
      const std::size_t room = cap > sink->size() ? cap - sink->size() : 0;
      const std::size_t take = std::min(room, static_cast<std::size_t>(n));
      sink->append(buf, take);
      if (take < static_cast<std::size_t>(n)) *truncated = true;
      if (static_cast<std::size_t>(n) < sizeof buf) return;  // likely drained; poll again
    }
  }
};

enum class ChildState { Running, Exited, Lost };

/// Whether `pid` has exited, without reaping it: the zombie keeps its pid, and so its process
/// group id, reserved, which makes kill(-pid) safe against pid reuse.
ChildState childState(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    // ECHILD: someone else reaped it; its pid may already belong to another process.
    return errno == EINTR ? ChildState::Running : ChildState::Lost;
  }
  return info.si_pid == pid ? ChildState::Exited : ChildState::Running;
}

}  // namespace

namespace {

// What the operator sets to fix a tool problem: the key of agent.yaml, named in every message.
std::string fixHint(const std::string& tool) {
  return "; set tools." + tool + " in agent.yaml to its absolute path";
}

}  // namespace

core::Result<std::string, CommandError> SpawnCommandRunner::toolPath(const std::string& tool) const {
  const auto it = tools_.find(tool);
  if (it == tools_.end()) {
    return core::fail(CommandError{CommandErrc::UnknownTool,
                                   "tool '" + tool + "' is not configured (no tools." + tool + " in agent.yaml)" +
                                       fixHint(tool)});
  }
  const std::string& path = it->second;
  if (path.empty() || path.front() != '/') {
    return core::fail(CommandError{CommandErrc::BadToolPath,
                                   "tool '" + tool + "': path '" + path + "' is not absolute" + fixHint(tool)});
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return core::fail(CommandError{CommandErrc::ToolMissing,
                                   "tool '" + tool + "' (" + path + "): " + errnoText(errno) + fixHint(tool)});
  }
  if (!S_ISREG(st.st_mode)) {
    return core::fail(CommandError{CommandErrc::ToolMissing,
                                   "tool '" + tool + "' (" + path + ") is not a regular file" + fixHint(tool)});
  }
  if (::access(path.c_str(), X_OK) != 0) {
    return core::fail(CommandError{CommandErrc::ToolMissing,
                                   "tool '" + tool + "' (" + path + ") is not executable" + fixHint(tool)});
  }
  return path;
}

core::Result<CommandResult, CommandError> SpawnCommandRunner::run(const CommandSpec& spec) {
  if (spec.argv.empty()) {
    return core::fail(CommandError{CommandErrc::InvalidSpec, "empty argv"});
  }
  if (spec.timeout <= std::chrono::milliseconds::zero()) {
    return core::fail(CommandError{CommandErrc::InvalidSpec,
                                   "command '" + spec.argv[0] + "': timeout must be positive"});
  }
  for (const auto& arg : spec.argv) {
    // A NUL would silently cut the argument short when handed to execve.
    if (arg.find('\0') != std::string::npos) {
      return core::fail(CommandError{CommandErrc::InvalidSpec,
                                     "command '" + spec.argv[0] + "': an argument contains NUL"});
    }
  }
  auto path = toolPath(spec.argv[0]);
  if (!path) return core::fail(std::move(path).error());

  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w, input;
  for (auto [r, w] : {std::pair{&in_r, &in_w}, std::pair{&out_r, &out_w}, std::pair{&err_r, &err_w}}) {
    if (auto s = makePipe(*r, *w); !s) return core::fail(std::move(s).error());
  }
  if (spec.input_fd >= 0) {
    // Our own close-on-exec copy above 3: the caller's descriptor is left untouched.
    input.reset(::fcntl(spec.input_fd, F_DUPFD_CLOEXEC, kFirstFreeFd));
    if (!input) {
      return core::fail(CommandError{CommandErrc::InvalidSpec,
                                     "input_fd " + std::to_string(spec.input_fd) + ": " +
                                         errnoText(errno)});
    }
  }
  for (UniqueFd* fd : {&in_r, &out_w, &err_w}) {
    if (auto s = liftFd(*fd); !s) return core::fail(std::move(s).error());
  }

  FileActions fa;
  posix_spawn_file_actions_adddup2(&fa.fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa.fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa.fa, err_w.get(), 2);
  if (input) posix_spawn_file_actions_adddup2(&fa.fa, input.get(), 3);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors the agent (or a library in it) opened without O_CLOEXEC must not leak into
  // tools: close everything above the ones we pass.
  posix_spawn_file_actions_addclosefrom_np(&fa.fa, input ? 4 : 3);
#else
#error "posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34) is required"
#endif

  SpawnAttr attr;
  posix_spawnattr_setflags(&attr.attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr.attr, 0);  // a group of its own, so it can be killed as one
  sigset_t empty_set, all_signals;
  sigemptyset(&empty_set);
  sigfillset(&all_signals);
  posix_spawnattr_setsigmask(&attr.attr, &empty_set);
  // Ignored signals survive exec (the agent may ignore SIGPIPE): give tools the defaults.
  posix_spawnattr_setsigdefault(&attr.attr, &all_signals);

  std::vector<char*> argv;
  argv.push_back(path->data());  // the real path: some tools (sshd) want an absolute argv[0]
  for (std::size_t i = 1; i < spec.argv.size(); ++i) {
    argv.push_back(const_cast<char*>(spec.argv[i].c_str()));
  }
  argv.push_back(nullptr);
  char lang[] = "LANG=C";
  char lc_all[] = "LC_ALL=C";
  char* envp[] = {lang, lc_all, nullptr};

  const auto start = clock_.steadyNow();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path->c_str(), &fa.fa, &attr.attr, argv.data(), envp);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  input.reset();
  if (rc != 0) {
    if (rc == ENOENT || rc == EACCES) {
      return core::fail(CommandError{CommandErrc::ToolMissing, "tool '" + spec.argv[0] + "' (" + *path +
                                                                   "): " + errnoText(rc) + fixHint(spec.argv[0])});
    }
    return core::fail(spawnError("posix_spawn " + *path, rc));
  }

  // From here on the child exists: every path below reaps it.
  CommandResult result;
  Capture captures[2] = {{std::move(out_r), &result.out, &result.out_truncated, spec.max_output_bytes},
                         {std::move(err_r), &result.err, &result.err_truncated, spec.max_output_bytes}};
  for (auto& c : captures) setNonBlocking(c.fd.get());
  std::size_t in_done = 0;
  if (spec.stdin_data.empty()) {
    in_w.reset();
  } else {
    setNonBlocking(in_w.get());
  }
  SigpipeBlock sigpipe;
  // A pidfd becomes readable when the child exits, so poll() wakes at once; without one
  // (kernel < 5.3) fall back to checking every kExitPollInterval.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  const auto deadline = start + spec.timeout;
  bool exited = false;
  for (;;) {
    if (!exited) {
      const ChildState state = childState(pid);
      if (state != ChildState::Running) {
        exited = true;
        // Leftovers in its group (background children) are killed now, while the unreaped
        // leader still reserves the group id. Their pipes then reach EOF.
        if (state == ChildState::Exited) ::kill(-pid, SIGKILL);
        in_w.reset();
        pidfd.reset();
      }
    }
    if (exited && !captures[0].fd && !captures[1].fd) break;
    const auto now = clock_.steadyNow();
    if (now >= deadline) {
      if (!exited) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
      }
      break;
    }

    std::vector<pollfd> fds;
    enum Tag { kOut, kErr, kIn, kPid };
    std::vector<Tag> tags;
    for (int i = 0; i < 2; ++i) {
      if (captures[i].fd) {
        fds.push_back({captures[i].fd.get(), POLLIN, 0});
        tags.push_back(i == 0 ? kOut : kErr);
      }
    }
    if (in_w) {
      fds.push_back({in_w.get(), POLLOUT, 0});
      tags.push_back(kIn);
    }
    if (pidfd) {
      fds.push_back({pidfd.get(), POLLIN, 0});
      tags.push_back(kPid);
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    wait = std::min(wait, kMaxPollWait);
    if (!exited && !pidfd) wait = std::min(wait, kExitPollInterval);
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      // Cannot wait properly any more: stop the command rather than spin or hang.
      if (!exited) ::kill(-pid, SIGKILL);
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      switch (tags[i]) {
        case kOut: captures[0].readSome(); break;
        case kErr: captures[1].readSome(); break;
        case kPid: break;  // handled by childState() at the top of the loop
        case kIn: {
          const ssize_t w = ::write(in_w.get(), spec.stdin_data.data() + in_done,
                                    spec.stdin_data.size() - in_done);
          if (w > 0) in_done += static_cast<std::size_t>(w);
          if (w < 0 && errno == EPIPE) sigpipe.noteRaised();
          // The command closed its stdin (EPIPE) or all was written: it gets EOF either way.
          if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_done == spec.stdin_data.size()) {
            in_w.reset();
          }
          break;
        }
      }
    }
  }

  // Whatever is already in the pipes still belongs to the result.
  for (auto& c : captures) {
    if (c.fd) c.readSome();
  }
  int status = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid) {
    // Someone else reaped it (a process-wide SIGCHLD handler calling waitpid(-1) would): the
    // status is unknown, so never report success. Such a handler must not exist in the agent.
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  result.elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - start);
  return result;
}

}  // namespace platform
