#include "checkin/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace checkin {
namespace {

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

core::Unexpected<SetupError> problem(SetupErrc code, const std::string& what, const std::string& path,
                                     const std::string& why) {
  return core::fail(SetupError{code, what + " " + path + ": " + why});
}

// Reads the whole file behind `path` after checking the file actually opened. O_NONBLOCK: a FIFO
// planted at the path must be refused by the fstat below, not block the open.
core::Result<std::string, SetupError> readChecked(const std::string& path, const std::string& what, SetupErrc code,
                                                  bool secret, std::size_t cap) {
  if (path.empty()) return core::fail(SetupError{code, what + " is not set"});
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return problem(code, what, path, std::string("cannot open: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0) return problem(code, what, path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return problem(code, what, path, "not a regular file");
  if (secret && (st.st_mode & 077) != 0) {
    return problem(code, what, path,
                   "mode " + octal(st.st_mode) + " lets group or others read or write it; run `chmod 600 " + path + "`");
  }
  if (static_cast<std::uint64_t>(st.st_size) > cap) {
    return problem(code, what, path, "larger than " + std::to_string(cap) + " bytes");
  }
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return problem(code, what, path, std::string("cannot read: ") + std::strerror(errno));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    // The file may grow after the fstat: the cap holds for what is read, too.
    if (content.size() > cap) return problem(code, what, path, "larger than " + std::to_string(cap) + " bytes");
  }
  return content;
}

}  // namespace

std::string ApiKey::redact(std::string text) const {
  if (key_.empty()) return text;
  static const std::string kRedacted = "[redacted]";
  for (std::size_t at = text.find(key_); at != std::string::npos; at = text.find(key_, at + kRedacted.size())) {
    text.replace(at, key_.size(), kRedacted);
  }
  return text;
}

core::Result<ApiKey, SetupError> readApiKey(const std::string& path) {
  const std::string what = "central.api_key_file";
  auto content = readChecked(path, what, SetupErrc::ApiKey, true, kMaxApiKeyBytes);
  if (!content) return core::fail(std::move(content.error()));
  std::string key = std::move(*content);
  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (!key.empty() && key.back() == '\r') key.pop_back();
  if (key.empty()) return problem(SetupErrc::ApiKey, what, path, "empty (the site's API key, on one line)");
  if (key.find('\n') != std::string::npos) {
    return problem(SetupErrc::ApiKey, what, path, "more than one line (the key alone, on one line)");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      // Says where, never what: the byte could be part of the key.
      return problem(SetupErrc::ApiKey, what, path,
                     "holds a space or a character that is not visible ASCII (the key alone, on one line)");
    }
  }
  return ApiKey(std::move(key));
}

core::Result<std::string, SetupError> readPemFile(const std::string& path, const std::string& what, SetupErrc code,
                                                  bool secret) {
  auto content = readChecked(path, what, code, secret, kMaxPemFileBytes);
  if (!content) return content;
  if (content->empty()) return problem(code, what, path, "empty");
  return content;
}

}  // namespace checkin
