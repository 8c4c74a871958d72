// journal_capture: runs a program as systemd would under StandardError=journal, with a journal
// socket the test controls, and records what arrives on it.
//
//   unshare -rm journal_capture --socket live|dead|none --out FILE -- PROGRAM ARGS...
//
// libsystemd sends to the fixed path /run/systemd/journal/socket (no override in systemd 252), so
// this must run in a private mount namespace (unshare -m; -r makes that work without root): it
// mounts a tmpfs on /run and there binds a datagram socket (`live`), leaves a socket file nobody
// listens on, as when journald is down (`dead`), or creates none (`none`). The program runs with
// JOURNAL_STREAM naming its stderr (which is this process's stderr), as systemd sets it. Each
// entry received is written to FILE as one JSON object per line ({"KEY": "value", ...}; a key
// sent twice is reported under "__duplicate"). Exits with the program's exit code, 125 on a
// set-up failure.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

extern char** environ;

namespace {

constexpr const char* kSocketPath = "/run/systemd/journal/socket";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "journal_capture: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(125);
}

// The native protocol: "KEY=value\n", or for values with newlines "KEY\n" + le64 size + value + "\n".
nlohmann::json parseEntry(const std::string& d) {
  nlohmann::json entry = nlohmann::json::object();
  size_t pos = 0;
  while (pos < d.size()) {
    const size_t nl = d.find('\n', pos);
    if (nl == std::string::npos) {
      entry["__malformed"] = d.substr(pos);
      break;
    }
    const std::string line = d.substr(pos, nl - pos);
    std::string key;
    std::string value;
    if (const size_t eq = line.find('='); eq != std::string::npos) {
      key = line.substr(0, eq);
      value = line.substr(eq + 1);
      pos = nl + 1;
    } else {
      key = line;
      if (nl + 9 > d.size()) {
        entry["__malformed"] = key;
        break;
      }
      uint64_t size = 0;
      for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(d[nl + 1 + static_cast<size_t>(i)]);
      if (nl + 9 + size > d.size()) {
        entry["__malformed"] = key;
        break;
      }
      value = d.substr(nl + 9, size);
      pos = nl + 9 + size + 1;
    }
    if (entry.contains(key)) entry["__duplicate"] = key;
    entry[key] = value;
  }
  return entry;
}

void drain(int sock, std::vector<nlohmann::json>& entries) {
  if (sock < 0) return;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::recv(sock, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: nothing more queued
    }
    entries.push_back(parseEntry(std::string(buf.data(), static_cast<size_t>(n))));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode;
  std::string out;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--socket" && i + 1 < argc) mode = argv[++i];
    else if (a == "--out" && i + 1 < argc) out = argv[++i];
    else if (a == "--") {
      ++i;
      break;
    } else {
      errno = EINVAL;
      die("usage: --socket live|dead|none --out FILE -- PROGRAM ARGS...");
    }
  }
  if ((mode != "live" && mode != "dead" && mode != "none") || out.empty() || i >= argc) {
    errno = EINVAL;
    die("usage: --socket live|dead|none --out FILE -- PROGRAM ARGS...");
  }

  if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) die("mount tmpfs on /run");
  if (::mkdir("/run/systemd", 0755) != 0 || ::mkdir("/run/systemd/journal", 0755) != 0) die("mkdir");
  int sock = -1;
  if (mode != "none") {
    sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die("socket");
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, kSocketPath, sizeof sa.sun_path - 1);
    if (::bind(sock, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
    if (mode == "dead") {
      ::close(sock);  // the socket file stays: senders get ECONNREFUSED
      sock = -1;
    }
  }

  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) die("fstat stderr");
  const std::string stream = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                             std::to_string(static_cast<unsigned long long>(st.st_ino));
  ::setenv("JOURNAL_STREAM", stream.c_str(), 1);

  pid_t pid;
  if (const int rc = ::posix_spawn(&pid, argv[i], nullptr, nullptr, argv + i, environ); rc != 0) {
    errno = rc;
    die(std::string("spawn ") + argv[i]);
  }
  std::vector<nlohmann::json> entries;
  int status = 0;
  for (;;) {
    if (sock >= 0) {
      pollfd p{sock, POLLIN, 0};
      ::poll(&p, 1, 50);
      drain(sock, entries);
    } else {
      ::usleep(20'000);
    }
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) die("waitpid");
  }
  drain(sock, entries);

  std::ofstream file(out);
  for (const auto& e : entries) file << e.dump() << "\n";
  file.close();
  if (!file) die("write " + out);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
