// The API key and the TLS files: read from the configured file only, refused when it is not a
// regular file, too open, empty or malformed, each refusal naming the file and never the key.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "checkin/channel.h"
#include "checkin/credentials.h"
#include "support/temp_dir.h"

namespace {

using checkin::SetupErrc;
const std::string kKey = "PLANTED-KEY-7f3a9c51e2";

std::string writeFile(const testsupport::TempDir& dir, const std::string& name, const std::string& content,
                      mode_t mode) {
  const auto p = dir.write(name, content);
  REQUIRE(::chmod(p.c_str(), mode) == 0);
  return p.string();
}

// A refusal: the kind, the file named, the key nowhere.
void checkRefused(const core::Result<checkin::ApiKey, checkin::SetupError>& r, const std::string& path,
                  const std::string& why) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == SetupErrc::ApiKey);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find(why) != std::string::npos);
  CHECK(r.error().message.find(kKey) == std::string::npos);
  CHECK(r.error().message.find("PLANTED") == std::string::npos);
}

}  // namespace

TEST_CASE("the API key is read from its file, one trailing newline trimmed") {
  testsupport::TempDir dir("ca-checkin");
  for (const std::string& content : {kKey, kKey + "\n", kKey + "\r\n"}) {
    const auto path = writeFile(dir, "key", content, 0600);
    auto key = checkin::readApiKey(path);
    REQUIRE(key.ok());
    CHECK(key->bearerValue() == "Bearer " + kKey);
  }
  const auto path = writeFile(dir, "key", kKey, 0400);
  CHECK(checkin::readApiKey(path).ok());
}

TEST_CASE("an API key file that group or others may read or write is refused with its mode and the fix") {
  testsupport::TempDir dir("ca-checkin");
  for (mode_t mode : {0640, 0604, 0620, 0602, 0644, 0660}) {
    const auto path = writeFile(dir, "key", kKey + "\n", mode);
    INFO("mode " << std::oct << mode);
    const auto r = checkin::readApiKey(path);
    char shown[8];
    std::snprintf(shown, sizeof shown, "%04o", static_cast<unsigned>(mode));
    checkRefused(r, path, std::string("mode ") + shown);
    CHECK(r.error().message.find("chmod 600 " + path) != std::string::npos);
  }
}

TEST_CASE("an API key file that is empty, several lines, or holds spaces or control bytes is refused") {
  testsupport::TempDir dir("ca-checkin");
  SECTION("empty") { checkRefused(checkin::readApiKey(writeFile(dir, "k", "", 0600)), dir.path() / "k", "empty"); }
  SECTION("only a newline") {
    checkRefused(checkin::readApiKey(writeFile(dir, "k", "\n", 0600)), dir.path() / "k", "empty");
  }
  SECTION("two lines") {
    checkRefused(checkin::readApiKey(writeFile(dir, "k", kKey + "\nsecond\n", 0600)), dir.path() / "k",
                 "more than one line");
  }
  SECTION("two trailing newlines") {
    checkRefused(checkin::readApiKey(writeFile(dir, "k", kKey + "\n\n", 0600)), dir.path() / "k",
                 "more than one line");
  }
  SECTION("a space, a tab, a NUL, a byte above ASCII") {
    for (const std::string& bad : {kKey + " x", kKey + "\tx", kKey + std::string(1, '\0'), kKey + "\xc3\xa9"}) {
      checkRefused(checkin::readApiKey(writeFile(dir, "k", bad, 0600)), dir.path() / "k", "visible ASCII");
    }
  }
  SECTION("larger than the cap") {
    checkRefused(checkin::readApiKey(writeFile(dir, "k", std::string(checkin::kMaxApiKeyBytes + 1, 'a'), 0600)),
                 dir.path() / "k", "larger than");
    // At the cap it is still read.
    CHECK(checkin::readApiKey(writeFile(dir, "k", std::string(checkin::kMaxApiKeyBytes, 'a'), 0600)).ok());
  }
}

TEST_CASE("an API key path that is unset, missing, a directory or a FIFO is refused") {
  testsupport::TempDir dir("ca-checkin");
  SECTION("unset") {
    const auto r = checkin::readApiKey("");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == SetupErrc::ApiKey);
    CHECK(r.error().message.find("central.api_key_file is not set") != std::string::npos);
  }
  SECTION("missing") {
    checkRefused(checkin::readApiKey((dir.path() / "nope").string()), dir.path() / "nope", "cannot open");
  }
  SECTION("a directory") {
    std::filesystem::create_directory(dir.path() / "d");
    checkRefused(checkin::readApiKey((dir.path() / "d").string()), dir.path() / "d", "not a regular file");
  }
  SECTION("a FIFO (refused, not waited on)") {
    const auto fifo = (dir.path() / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    checkRefused(checkin::readApiKey(fifo), fifo, "not a regular file");
  }
  SECTION("a symbolic link to a good file is followed (NixOS secret managers install links)") {
    const auto target = writeFile(dir, "real", kKey, 0600);
    std::filesystem::create_symlink(target, dir.path() / "link");
    auto r = checkin::readApiKey((dir.path() / "link").string());
    REQUIRE(r.ok());
    CHECK(r->bearerValue() == "Bearer " + kKey);
  }
}

TEST_CASE("ApiKey redacts every occurrence of itself and nothing else") {
  const checkin::ApiKey key(kKey);
  CHECK(key.redact("a " + kKey + " b " + kKey) == "a [redacted] b [redacted]");
  CHECK(key.redact("no key here") == "no key here");
  CHECK(key.redact("x" + kKey + kKey + "y") == "x[redacted][redacted]y");
  CHECK(key.redact("PLANTED-KEY") == "PLANTED-KEY");
}

TEST_CASE("makeChannel: offline without an endpoint, a unix endpoint, and TLS files named when unreadable") {
  testsupport::TempDir dir("ca-checkin");
  config::CentralConfig c;
  SECTION("empty endpoint: offline") {
    const auto r = checkin::makeChannel(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == SetupErrc::Offline);
  }
  SECTION("unix endpoint: no TLS, no file read") {
    c.endpoint = "unix:" + (dir.path() / "central.sock").string();
    c.ca_file = (dir.path() / "not-read.pem").string();
    const auto r = checkin::makeChannel(c);
    REQUIRE(r.ok());
    CHECK(r->channel != nullptr);
    CHECK_FALSE(r->info.tls);
  }
  SECTION("host:port with a missing CA file") {
    c.endpoint = "127.0.0.1:50051";
    c.ca_file = (dir.path() / "missing-ca.pem").string();
    const auto r = checkin::makeChannel(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == SetupErrc::CaFile);
    CHECK(r.error().message.find("central.ca_file " + c.ca_file) != std::string::npos);
  }
  SECTION("host:port with system roots, no client certificate") {
    c.endpoint = "[::1]:50051";
    const auto r = checkin::makeChannel(c);
    REQUIRE(r.ok());
    CHECK(r->info.tls);
    CHECK_FALSE(r->info.client_certificate);
  }
  SECTION("client certificate missing, then a client key that others may read") {
    c.endpoint = "localhost:50051";
    c.client_cert_file = (dir.path() / "missing-cert.pem").string();
    c.client_key_file = writeFile(dir, "client.key", "-----BEGIN PRIVATE KEY-----\n", 0644);
    auto r = checkin::makeChannel(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == SetupErrc::ClientCert);
    CHECK(r.error().message.find(c.client_cert_file) != std::string::npos);

    c.client_cert_file = writeFile(dir, "client.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    r = checkin::makeChannel(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == SetupErrc::ClientKey);
    CHECK(r.error().message.find("chmod 600 " + c.client_key_file) != std::string::npos);

    REQUIRE(::chmod(c.client_key_file.c_str(), 0600) == 0);
    r = checkin::makeChannel(c);
    REQUIRE(r.ok());
    CHECK(r->info.tls);
    CHECK(r->info.client_certificate);
  }
}
