#pragma once
// compliance-central-dev as a test runs it: the real binary serving in a temporary directory
// (a unix socket by default), its CLI on the same data directory, and a stub connected to it.
// The server is stopped with SIGTERM (and killed if it does not stop), so nothing outlives a test.
#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "central.grpc.pb.h"
#include "support/file_text.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace testsupport {

namespace cc = compliance::central::v1;
namespace fs = std::filesystem;

constexpr int kStartTimeoutMs = 30'000;  // generous: ASan start-up on a shared 2-core machine
constexpr int kStopTimeoutMs = 20'000;

inline std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class Central {
 public:
  testsupport::TempDir dir{"ca-central"};
  const std::string data = (dir.path() / "data").string();
  const std::string address = "unix:" + (dir.path() / "central.sock").string();
  const fs::path address_file = dir.path() / "address";
  const fs::path log = dir.path() / "serve.log";
  std::string bound;  // what the running server wrote to its address file

  ~Central() {
    if (pid_ > 0) testsupport::killAndReap(pid_);
  }

  testsupport::ProcessResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), CA_CENTRAL_BINARY);
    args.push_back("--data");
    args.push_back(data);
    return testsupport::runProcess(args);
  }

  /// Adds a site; returns its API key as the file holds it.
  std::string addSite(const std::string& site, const std::string& tier = "standard") const {
    const auto key_file = dir.path() / (site + ".key");
    const auto r = cli({"site", "add", site, "--tier", tier, "--api-key-out", key_file.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return trimmed(slurp(key_file));
  }

  /// Starts `serve` on `listen` (default: the unix socket) and waits until it has written the
  /// bound address, which the stub then connects to.
  void start(const std::string& listen = "") {
    fs::remove(address_file);
    pid_ = testsupport::startProcess({CA_CENTRAL_BINARY, "serve", "--data", data, "--listen",
                                      listen.empty() ? address : listen, "--address-file", address_file.string()},
                                     log.string());
    for (int waited = 0; !fs::exists(address_file); waited += 20) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("compliance-central-dev exited at start: " << slurp(log));
      }
      if (waited > kStartTimeoutMs) FAIL("no address file after " << kStartTimeoutMs << " ms: " << slurp(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    bound = trimmed(slurp(address_file));
    if (listen.empty()) REQUIRE(bound == address);
    stub_ = cc::CentralCommand::NewStub(grpc::CreateChannel(bound, grpc::InsecureChannelCredentials()));
  }

  /// Stops the server with `sig`; returns its exit code.
  int stop(int sig = SIGTERM) {
    stub_.reset();
    const int code = testsupport::signalAndWait(pid_, sig, kStopTimeoutMs);
    pid_ = -1;
    return code;
  }

  cc::CentralCommand::StubInterface& stub() { return *stub_; }

  static std::unique_ptr<grpc::ClientContext> context(const std::string& site, const std::string& key) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!key.empty()) ctx->AddMetadata("authorization", "Bearer " + key);
    if (!site.empty()) ctx->AddMetadata("x-site-id", site);
    return ctx;
  }

  grpc::Status checkIn(const std::string& header_site, const std::string& key, const cc::CheckInRequest& req,
                       cc::CheckInResponse* resp) {
    return stub_->CheckIn(context(header_site, key).get(), req, resp);
  }

  nlohmann::json appliances() const {
    const auto r = cli({"appliances", "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  }

 private:
  pid_t pid_ = -1;
  std::unique_ptr<cc::CentralCommand::StubInterface> stub_;
};

}  // namespace testsupport
