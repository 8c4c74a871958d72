#pragma once
// The appliance's evidence key pair in state_dir/keys/ (directory 0700, private key 0600): made at
// first start by a writing command (or `keygen`), then reused for every record. The private file
// holds the 32-byte Ed25519 seed as 64 hex digits; the public file the public key, likewise.
#include <memory>
#include <string>

#include "core/result.h"
#include "evidence/signer.h"

namespace evidence {

inline constexpr const char* kKeysDir = "keys";
inline constexpr const char* kPrivateKeyFile = "evidence-ed25519.key";
inline constexpr const char* kPublicKeyFile = "evidence-ed25519.pub";

enum class KeyErrc {
  NotFound,  // no key yet (read-only commands never make one)
  Exists,    // keygen: a key is already there and is never replaced silently
  Insecure,  // the private key or its directory is open to others, or not owned by this user
  Invalid,   // not 64 hex digits, or the public file does not match the private key
  Io,
};
using KeyError = core::Error<KeyErrc>;

/// state_dir/keys/evidence-ed25519.pub and .key.
std::string publicKeyPath(const std::string& state_dir);
std::string privateKeyPath(const std::string& state_dir);

/// Loads the key of `state_dir`. Fails NotFound, Insecure (with the mode and the chmod that
/// fixes it), Invalid or Io; every message names the file.
core::Result<std::unique_ptr<Ed25519Signer>, KeyError> loadKey(const std::string& state_dir);

/// Loads the key, or makes one when there is none (`created` says which). state_dir must exist.
core::Result<std::unique_ptr<Ed25519Signer>, KeyError> loadOrCreateKey(const std::string& state_dir,
                                                                       bool* created = nullptr);

/// `keygen`: makes the key pair; fails Exists when there is one (replacing it would leave the
/// evidence signed by the old key unverifiable with the key in state_dir).
core::Result<std::unique_ptr<Ed25519Signer>, KeyError> createKey(const std::string& state_dir);

/// Reads a public key file: 64 hex digits, surrounding whitespace allowed. Fails NotFound,
/// Invalid or Io, naming the file.
core::Result<PublicKey, KeyError> readPublicKeyFile(const std::string& path);

/// Reads a private key file (the 32-byte seed as 64 hex digits, as keys/ holds it; also the
/// rules key that `rules pack` signs with): not followed when a link, refused Insecure when
/// group or others may read it or another user owns it. Fails NotFound, Insecure, Invalid or Io.
core::Result<Seed, KeyError> readPrivateKeyFile(const std::string& path);

}  // namespace evidence
