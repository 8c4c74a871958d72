#include "keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "core/atomic_file.h"

namespace central {
namespace {

using Seed = std::array<unsigned char, 32>;

KeyError ioError(const std::string& what, const std::string& path, int err) {
  return {KeyErrc::Io, what + " " + path + ": " + std::strerror(err)};
}

// Reads a small key file. Private files are opened without following a link and must be this
// user's and closed to everyone else (the same rule as the agent's evidence key).
core::Result<std::optional<std::string>, KeyError> readKeyFile(const std::string& path, bool secret) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) return core::fail(KeyError{KeyErrc::Insecure, path + ": a symbolic link (not followed for keys)"});
    return core::fail(ioError("cannot open", path, errno));
  }
  struct stat st{};
  const bool stated = ::fstat(fd, &st) == 0;
  char buf[257];
  const ssize_t n = stated ? ::read(fd, buf, sizeof buf) : -1;
  const int err = errno;
  ::close(fd);
  if (!stated || n < 0) return core::fail(ioError("cannot read", path, err));
  if (!S_ISREG(st.st_mode)) return core::fail(KeyError{KeyErrc::Insecure, path + ": not a regular file"});
  if (secret && (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)) {
    return core::fail(KeyError{KeyErrc::Insecure, path + ": must be owned by this user with mode 0600; fix with "
                                                      "`chmod 600 " + path + "` (and chown)"});
  }
  std::string text(buf, static_cast<std::size_t>(n));
  sodium_memzero(buf, sizeof buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return std::optional<std::string>(std::move(text));
}

std::optional<Seed> parseHex32(const std::string& text) {
  Seed out{};
  std::size_t len = 0;
  if (text.size() != 64 ||
      sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, nullptr) != 0 || len != 32) {
    return std::nullopt;
  }
  return out;
}

core::Result<SigningKey, KeyError> loadOrCreateOne(const std::string& dir, const std::string& name, bool& created) {
  const std::string key_name = name + "-ed25519.key";
  const std::string pub_name = name + "-ed25519.pub";
  const std::string key_path = dir + "/" + key_name;
  const std::string pub_path = dir + "/" + pub_name;
  auto priv = readKeyFile(key_path, true);
  if (!priv.ok()) return core::fail(std::move(priv.error()));
  auto pub = readKeyFile(pub_path, false);
  if (!pub.ok()) return core::fail(std::move(pub.error()));
  if (!*priv && *pub) {
    // Agents may already trust that public half: a new pair would silently break them.
    return core::fail(KeyError{KeyErrc::Invalid, pub_path + ": a public key without its private key " + key_path +
                                                     "; restore it, or move " + dir + " aside knowingly"});
  }
  Seed seed{};
  if (*priv) {
    auto parsed = parseHex32(**priv);
    sodium_memzero((*priv)->data(), (*priv)->size());
    if (!parsed) return core::fail(KeyError{KeyErrc::Invalid, key_path + ": not an Ed25519 seed (64 hex digits)"});
    seed = *parsed;
  } else {
    randombytes_buf(seed.data(), seed.size());
    std::string text = hex({reinterpret_cast<const char*>(seed.data()), seed.size()}) + "\n";
    auto made = core::createFileExclusive(dir, key_name, text, 0600);
    sodium_memzero(text.data(), text.size());
    // Exists: another process made it first; it is the key, so read that one.
    if (!made.ok() && made.error().code == core::CreateErrc::Exists) return loadOrCreateOne(dir, name, created);
    if (!made.ok()) return core::fail(KeyError{KeyErrc::Io, std::move(made.error().message)});
    created = true;
  }
  SigningKey key(name, seed);
  sodium_memzero(seed.data(), seed.size());
  if (*pub && **pub != key.publicKeyHex()) {
    return core::fail(KeyError{KeyErrc::Invalid, pub_path + ": does not match the private key in " + key_path});
  }
  if (!*pub) {
    auto made = core::createFileExclusive(dir, pub_name, key.publicKeyHex() + "\n", 0644);
    if (!made.ok() && made.error().code != core::CreateErrc::Exists) {
      return core::fail(KeyError{KeyErrc::Io, std::move(made.error().message)});
    }
  }
  return key;
}

}  // namespace

std::string hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  out.pop_back();
  return out;
}

SigningKey::SigningKey(std::string name, const Seed& seed) : name_(std::move(name)) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(pk, secret_.data(), seed.data());
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

SigningKey::SigningKey(SigningKey&& o) noexcept : name_(std::move(o.name_)), secret_(o.secret_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}

std::string SigningKey::publicKey() const {
  // libsodium's secret key is seed || public key.
  return std::string(reinterpret_cast<const char*>(secret_.data()) + 32, 32);
}

std::string SigningKey::publicKeyHex() const { return hex(publicKey()); }

std::string SigningKey::keyId() const {
  unsigned char digest[crypto_hash_sha256_BYTES];
  const std::string pk = publicKey();
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(pk.data()), pk.size());
  return hex({reinterpret_cast<const char*>(digest), sizeof digest});
}

std::string SigningKey::signPayload(std::string_view domain, std::string_view payload) const {
  std::string message(domain);
  message.push_back('\0');
  message.append(payload);
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(), secret_.data());
  return sig;
}

core::Result<ServerKeys, KeyError> loadOrCreateServerKeys(const std::string& data_dir) {
  if (sodium_init() < 0) std::abort();  // no usable randomness: nothing can be signed safely
  const std::string dir = data_dir + "/" + kKeysDir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return core::fail(ioError("cannot create", dir, errno));
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0) return core::fail(ioError("cannot stat", dir, errno));
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return core::fail(KeyError{KeyErrc::Insecure, dir + ": must be a directory of this user with mode 0700; fix "
                                                      "with `chmod 700 " + dir + "`"});
  }
  bool created = false;
  auto online = loadOrCreateOne(dir, "online", created);
  if (!online.ok()) return core::fail(std::move(online.error()));
  auto rules = loadOrCreateOne(dir, "rules", created);
  if (!rules.ok()) return core::fail(std::move(rules.error()));
  return ServerKeys{std::move(online).value(), std::move(rules).value(), created};
}

}  // namespace central
