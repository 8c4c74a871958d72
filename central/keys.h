#pragma once
// Central command's two Ed25519 keys (design.md, "Central command link": two keys, two jobs):
// the online key signs the per-check-in tier statements, orders and evidence receipts; the rules
// key signs rule bundles (a real deployment keeps it offline; the dev server keeps both in
// data_dir/keys/ so `publish` can sign). Made at the first `serve`, never replaced: an agent
// that trusts a public half would refuse everything signed by a new one.
//
// Files (directory 0700, private files 0600, public files 0644), the agent's own format
// (evidence/keys.h): the 32-byte seed, or the public key, as 64 lowercase hex digits and "\n".
//   keys/online-ed25519.key, keys/online-ed25519.pub
//   keys/rules-ed25519.key,  keys/rules-ed25519.pub
#include <array>
#include <string>
#include <string_view>

#include "core/result.h"

namespace central {

inline constexpr const char* kKeysDir = "keys";

enum class KeyErrc {
  Insecure,  // a private file or the directory is open to others, or a link, or another owner's
  Invalid,   // not a key, or the public file does not match the private one, or one half is missing
  Io,
};
using KeyError = core::Error<KeyErrc>;

class SigningKey {
 public:
  /// `name` is the file stem ("online" or "rules"); used in messages.
  SigningKey(std::string name, const std::array<unsigned char, 32>& seed);
  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::string& name() const { return name_; }
  /// The public half, 32 raw bytes.
  std::string publicKey() const;
  std::string publicKeyHex() const;
  /// The proto's key_id: lowercase hex SHA-256 of the 32-byte public key.
  std::string keyId() const;
  /// Ed25519 (64 raw bytes) over `domain`, one 0x00 byte, then `payload`: central.proto's rule
  /// for every signed payload (`domain` is the inner message's full name). Never fails.
  std::string signPayload(std::string_view domain, std::string_view payload) const;

 private:
  std::string name_;
  std::array<unsigned char, 64> secret_{};  // libsodium's secret key: seed then public key
};

struct ServerKeys {
  SigningKey online;
  SigningKey rules;
  bool created = false;  // this call made at least one of them
};

/// Loads data_dir/keys/{online,rules}-ed25519.*, making any pair that is missing (create-only:
/// an existing file is never overwritten). A public file without its private one is refused
/// (Invalid), as is a public file that does not match its private key. data_dir must exist.
core::Result<ServerKeys, KeyError> loadOrCreateServerKeys(const std::string& data_dir);

/// Lowercase hex of `bytes`.
std::string hex(std::string_view bytes);

}  // namespace central
