#pragma once
// Helpers for tests that build a host root by hand: open it as HostFiles, plant links and modes.
// Header-only: only tests that link agent_platform include it.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "platform/linux_host_files.h"

namespace testsupport {

inline std::unique_ptr<platform::LinuxHostFiles> openRoot(const std::filesystem::path& root) {
  auto r = platform::LinuxHostFiles::open(root.string());
  INFO((r.ok() ? std::string() : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline void link(const std::string& target, const std::filesystem::path& at) {
  std::filesystem::create_directories(at.parent_path());
  std::filesystem::create_symlink(target, at);
}

inline void chmodOrFail(const std::filesystem::path& p, mode_t mode) { REQUIRE(::chmod(p.c_str(), mode) == 0); }

}  // namespace testsupport
