#pragma once
// Host paths in rule files (probe and action paths, dir_scan allow lists, mounts) are host-root
// relative absolute paths. The validator normalises them once, so every consumer compares and
// keys on one spelling, and refuses what could mean something else than it reads (`..`, NUL,
// control characters). Symlinks are HostFiles' business at run time, not the loader's.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace core {

/// The longest host path accepted (Linux PATH_MAX).
inline constexpr std::size_t kMaxHostPathLength = 4096;

/// Normalises an absolute host path: "//" and "/./" collapse, a trailing "/" goes ("/" stays).
/// Fails, with a message for humans, on an empty or relative path, a ".." component, NUL or any
/// other control character, or a path over kMaxHostPathLength.
core::Result<std::string, std::string> normaliseHostPath(std::string_view path);

}  // namespace core
