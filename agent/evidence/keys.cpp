#include "evidence/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "platform/unique_fd.h"

namespace evidence {
namespace {

std::string keysDir(const std::string& state_dir) { return state_dir + "/" + kKeysDir; }

KeyError ioError(const std::string& what, const std::string& path) {
  return {KeyErrc::Io, what + " " + path + ": " + std::strerror(errno)};
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// A secret is only trusted when nobody else could have read or replaced it.
core::Status<KeyError> checkSecure(const std::string& path, const struct stat& st, bool directory) {
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return core::fail(KeyError{KeyErrc::Insecure, path + ": not a " + (directory ? "directory" : "regular file") +
                                                      " (symbolic links are not followed for keys)"});
  }
  if (st.st_uid != ::geteuid()) {
    return core::fail(KeyError{KeyErrc::Insecure, path + ": owned by uid " + std::to_string(st.st_uid) +
                                                      ", not by the agent's uid " + std::to_string(::geteuid())});
  }
  if ((st.st_mode & 077) != 0) {
    const char* fix = directory ? "chmod 700 " : "chmod 600 ";
    return core::fail(KeyError{KeyErrc::Insecure, path + ": mode " + octal(st.st_mode) +
                                                      " lets group or others in; fix with `" + fix + path + "`"});
  }
  return core::Ok{};
}

core::Status<KeyError> checkPrivateDir(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return core::fail(KeyError{KeyErrc::NotFound, path + ": no evidence key yet"});
    return core::fail(ioError("cannot stat", path));
  }
  return checkSecure(path, st, true);
}

// Reads a key file from an open descriptor: at most 256 bytes (a hex key and a newline fit).
core::Result<std::string, KeyError> readKeyText(int fd, const std::string& path) {
  std::string text(257, '\0');
  const ssize_t n = ::read(fd, text.data(), text.size());
  if (n < 0) return core::fail(ioError("cannot read", path));
  if (n == static_cast<ssize_t>(text.size())) return core::fail(KeyError{KeyErrc::Invalid, path + ": too long for a key"});
  text.resize(static_cast<std::size_t>(n));
  return text;
}

// Opens the private key without following links and checks the file it actually opened.
core::Result<std::string, KeyError> readPrivateFile(const std::string& path) {
  platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return core::fail(KeyError{KeyErrc::NotFound, path + ": no evidence key yet"});
    if (errno == ELOOP) return core::fail(KeyError{KeyErrc::Insecure, path + ": a symbolic link (not followed for keys)"});
    return core::fail(ioError("cannot open", path));
  }
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return core::fail(ioError("cannot stat", path));
  if (auto ok = checkSecure(path, st, false); !ok.ok()) return core::fail(std::move(ok.error()));
  return readKeyText(fd.get(), path);
}

core::Result<std::string, KeyError> readPublicFile(const std::string& path) {
  platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return core::fail(KeyError{KeyErrc::NotFound, path + ": no such file"});
    return core::fail(ioError("cannot open", path));
  }
  return readKeyText(fd.get(), path);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::strchr(" \t\r\n", s.front())) s.remove_prefix(1);
  while (!s.empty() && std::strchr(" \t\r\n", s.back())) s.remove_suffix(1);
  return s;
}

// Writes `text` to dir/name, never over an existing file (core::createFileExclusive).
core::Status<KeyError> writeNew(const std::string& dir, const std::string& name, const std::string& text, mode_t mode) {
  auto made = core::createFileExclusive(dir, name, text, mode);
  if (made.ok()) return core::Ok{};
  return core::fail(KeyError{made.error().code == core::CreateErrc::Exists ? KeyErrc::Exists : KeyErrc::Io,
                             std::move(made.error().message)});
}

}  // namespace

std::string publicKeyPath(const std::string& state_dir) { return keysDir(state_dir) + "/" + kPublicKeyFile; }
std::string privateKeyPath(const std::string& state_dir) { return keysDir(state_dir) + "/" + kPrivateKeyFile; }

core::Result<PublicKey, KeyError> readPublicKeyFile(const std::string& path) {
  auto text = readPublicFile(path);
  if (!text.ok()) return core::fail(std::move(text.error()));
  // Operators paste keys from anywhere: accept upper case here (evidence itself spells lower).
  std::string hex(trim(*text));
  for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto key = fromHex<32>(hex);
  if (!key) {
    return core::fail(KeyError{KeyErrc::Invalid, path + ": not an Ed25519 public key (64 lowercase hex digits)"});
  }
  return *key;
}

core::Result<Seed, KeyError> readPrivateKeyFile(const std::string& path) {
  auto text = readPrivateFile(path);
  if (!text.ok()) return core::fail(std::move(text.error()));
  auto seed = fromHex<32>(trim(*text));
  std::fill(text->begin(), text->end(), '\0');
  if (!seed) return core::fail(KeyError{KeyErrc::Invalid, path + ": not an Ed25519 key (64 lowercase hex digits)"});
  return *seed;
}

core::Result<std::unique_ptr<Ed25519Signer>, KeyError> loadKey(const std::string& state_dir) {
  const std::string dir = keysDir(state_dir);
  const std::string priv = privateKeyPath(state_dir);
  if (auto st = checkPrivateDir(dir); !st.ok()) return core::fail(std::move(st.error()));
  auto seed = readPrivateKeyFile(priv);
  if (!seed.ok()) return core::fail(std::move(seed.error()));
  auto signer = std::make_unique<Ed25519Signer>(*seed);
  seed->fill(0);
  // The public file is what operators copy; a mismatch would make them verify with a wrong key.
  const std::string pub_path = publicKeyPath(state_dir);
  auto pub = readPublicKeyFile(pub_path);
  if (!pub.ok() && pub.error().code != KeyErrc::NotFound) return core::fail(std::move(pub.error()));
  if (pub.ok() && *pub != signer->publicKey()) {
    return core::fail(KeyError{KeyErrc::Invalid, pub_path + ": does not match the private key in " + priv});
  }
  return signer;
}

core::Result<std::unique_ptr<Ed25519Signer>, KeyError> createKey(const std::string& state_dir) {
  const std::string dir = keysDir(state_dir);
  // A public key without its private key: the evidence signed so far verifies only with that
  // public key, and a new pair would hide that. An operator decides (restore the key, or move
  // keys/ aside knowingly).
  if (::access(publicKeyPath(state_dir).c_str(), F_OK) == 0 && ::access(privateKeyPath(state_dir).c_str(), F_OK) != 0) {
    return core::fail(KeyError{KeyErrc::Invalid, publicKeyPath(state_dir) + ": a public key without its private key " +
                                                     privateKeyPath(state_dir) + "; restore the private key, or move " +
                                                     dir + " aside to start a new key (evidence signed by the old one "
                                                     "then verifies only with its public key)"});
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return core::fail(ioError("cannot create", dir));
  if (auto st = checkPrivateDir(dir); !st.ok()) return core::fail(std::move(st.error()));
  Seed seed = Ed25519Signer::randomSeed();
  const auto signer = std::make_unique<Ed25519Signer>(seed);
  std::string text = toHex(seed) + "\n";
  seed.fill(0);
  auto st = writeNew(dir, kPrivateKeyFile, text, 0600);
  std::fill(text.begin(), text.end(), '\0');
  if (!st.ok()) return core::fail(std::move(st.error()));
  if (auto pub = writeNew(dir, kPublicKeyFile, toHex(signer->publicKey()) + "\n", 0644); !pub.ok()) {
    return core::fail(std::move(pub.error()));
  }
  // The new directory entry of keys/ itself must survive a power cut too.
  platform::UniqueFd parent(::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent) (void)::fsync(parent.get());
  return loadKey(state_dir);
}

core::Result<std::unique_ptr<Ed25519Signer>, KeyError> loadOrCreateKey(const std::string& state_dir, bool* created) {
  if (created) *created = false;
  auto key = loadKey(state_dir);
  if (key.ok()) {
    // A lost public file is rewritten from the private key (the truth); writers only.
    if (::access(publicKeyPath(state_dir).c_str(), F_OK) != 0) {
      auto st = writeNew(keysDir(state_dir), kPublicKeyFile, toHex((*key)->publicKey()) + "\n", 0644);
      if (!st.ok() && st.error().code != KeyErrc::Exists) return core::fail(std::move(st.error()));
    }
    return key;
  }
  if (key.error().code != KeyErrc::NotFound) return key;
  auto made = createKey(state_dir);
  if (made.ok() && created) *created = true;
  return made;
}

}  // namespace evidence
