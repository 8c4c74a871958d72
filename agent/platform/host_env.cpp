#include "platform/host_env.h"

#include "platform/linux_host_files.h"

namespace platform {

core::Result<std::unique_ptr<LinuxHostEnv>, FsError> LinuxHostEnv::open(
    const std::string& host_root, ToolMap tools, LiveStateMode mode,
    std::chrono::milliseconds live_timeout) {
  auto files = LinuxHostFiles::open(host_root);
  if (!files.ok()) return core::fail(std::move(files).error());
  std::unique_ptr<LinuxHostEnv> env(new LinuxHostEnv());
  env->files_ = std::move(*files);
  env->commands_ = std::make_unique<SpawnCommandRunner>(std::move(tools), env->clock_);
  env->live_ = makeLiveState(mode, host_root, *env->commands_, live_timeout);
  return env;
}

}  // namespace platform
