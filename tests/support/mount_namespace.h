#pragma once
// Real mounts in a test, without touching the machine: the body runs in a forked child inside a
// new private mount namespace, so what it mounts is seen by no other process and is gone when
// the child exits. Needs root (CAP_SYS_ADMIN); callers skip when kNoMountNamespace comes back.
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace testsupport {

/// Returned when the namespace cannot be made (not root, or unshare refused by a sandbox).
inline constexpr int kNoMountNamespace = 125;

/// Runs `body` in the child and returns its result (0..124 by convention: 0 when all held, else
/// the number of the check that failed). The body must not use the test framework's macros:
/// they would report in the child. Returns 126 when the child died by a signal.
inline int inPrivateMountNamespace(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) return kNoMountNamespace;
  if (pid == 0) {
    // MS_PRIVATE first: without it, a mount under a shared "/" would propagate back out.
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      ::_exit(kNoMountNamespace);
    }
    ::_exit(body());
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return 126;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 126;
}

}  // namespace testsupport
