#include <catch2/catch.hpp>

#include "core/sha256.h"

TEST_CASE("sha256Hex matches the FIPS 180-2 test vectors") {
  CHECK(core::sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(core::sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  core::Sha256 h;
  h.update("a");
  h.update("bc");
  CHECK(h.hexDigest() == core::sha256Hex("abc"));
}
