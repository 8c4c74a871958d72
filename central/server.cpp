#include "server.h"

#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <ostream>

#include "core/atomic_file.h"
#include "keys.h"
#include "service.h"
#include "store.h"

namespace central {
namespace {

constexpr const char* kLoopbackPrefix = "127.0.0.1:";
constexpr const char* kUnixPrefix = "unix:";
// sockaddr_un's sun_path is 108 bytes, NUL included.
constexpr std::size_t kMaxUnixPathLength = 107;
// How long in-flight calls may finish after SIGTERM before they are cancelled.
constexpr auto kShutdownGrace = std::chrono::seconds(5);

}  // namespace

core::Result<ListenAddress, std::string> parseListenAddress(const std::string& addr) {
  const std::string accepted = "--listen: expected 127.0.0.1:PORT (0 picks a free port) or unix:/absolute/path, got \"" +
                               addr + "\"";
  if (addr.rfind(kUnixPrefix, 0) == 0) {
    const std::string path = addr.substr(std::string_view(kUnixPrefix).size());
    if (path.empty() || path.front() != '/' || path.size() > kMaxUnixPathLength) return core::fail(accepted);
    return ListenAddress{addr, true};
  }
  if (addr.rfind(kLoopbackPrefix, 0) != 0) return core::fail(accepted);
  const std::string port = addr.substr(std::string_view(kLoopbackPrefix).size());
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return core::fail(accepted);
  }
  return ListenAddress{addr, false};
}

int serve(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  auto listen = parseListenAddress(options.listen);
  if (!listen.ok()) {
    err << "error: " << listen.error() << "\n";
    return 2;
  }
  // Before any thread exists (gRPC starts its own): every thread inherits the mask, so the
  // signals wait for sigwait below instead of killing the process mid-write.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (auto dir = prepareDataDir(options.data_dir); !dir.ok()) {
    err << "error: " << dir.error().message << "\n";
    return 3;
  }
  auto keys = loadOrCreateServerKeys(options.data_dir);
  if (!keys.ok()) {
    err << "error: " << keys.error().message << "\n";
    return 3;
  }
  // Open (and migrate) once before listening, so a broken database stops the start, not the
  // first check-in.
  StorePool pool(options.data_dir);
  if (auto first = pool.acquire(); !first.ok()) {
    err << "error: " << first.error().message << "\n";
    return 3;
  }
  out << (keys->created ? "made" : "loaded") << " signing keys in " << options.data_dir << "/" << kKeysDir << "\n";
  for (const SigningKey* k : {&keys->online, &keys->rules}) {
    out << k->name() << " key: " << k->publicKeyHex() << " (key id " << k->keyId() << ")\n";
  }

  core::SystemClock clock;
  CentralService service(pool, clock);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen->grpc_uri, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    err << "error: cannot listen on " << options.listen << "\n";
    return 3;
  }
  const std::string bound = listen->unix_socket ? listen->grpc_uri : kLoopbackPrefix + std::to_string(port);
  out << "listening on " << bound << std::endl;
  if (!options.address_file.empty()) {
    if (auto wrote = core::replaceFileAtomic(options.address_file, bound + "\n"); !wrote.ok()) {
      err << "error: " << wrote.error() << "\n";
      server->Shutdown(std::chrono::system_clock::now());
      server->Wait();
      return 3;
    }
  }

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  out << "stopping (signal " << sig << ")" << std::endl;
  server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server->Wait();
  return 0;
}

}  // namespace central
