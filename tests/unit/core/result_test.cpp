#include <catch2/catch.hpp>
#include <string>

#include "core/result.h"

namespace {
enum class Errc { NotFound, Denied };
using Err = core::Error<Errc>;

core::Result<int, Err> half(int x) {
  if (x % 2) return core::fail(Err{Errc::Denied, "odd"});
  return x / 2;
}
}  // namespace

TEST_CASE("Result carries a value or an error") {
  auto a = half(8);
  REQUIRE(a.ok());
  CHECK(*a == 4);
  auto b = half(3);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().code == Errc::Denied);
  CHECK(b.error().message == "odd");
  CHECK(b.valueOr(-1) == -1);
}

TEST_CASE("Result holds move-only and string values") {
  core::Result<std::string, Err> s = std::string("hello");
  REQUIRE(s.ok());
  CHECK(s->size() == 5);
  core::Status<Err> st = core::Ok{};
  CHECK(st.ok());
  core::Status<Err> bad = core::fail(Err{Errc::NotFound, "x"});
  CHECK_FALSE(bad.ok());
}
