#pragma once
// core::Result<T, E>: a small std::expected look-alike. g++ 12 has std::expected, but clang 14,
// which builds the fuzz targets, does not; every fallible function in the agent returns this.
#include <cassert>
#include <string>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace core {

template <class E>
struct Unexpected {
  E error;
};

/// Wraps an error value so it converts into any Result<T, E>.
template <class E>
Unexpected<std::decay_t<E>> fail(E&& e) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(e)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(const T& v) : v_(std::in_place_index<0>, v) {}
  Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <class U, class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                              !std::is_same_v<std::decay_t<U>, Result> &&
                                              !std::is_same_v<std::decay_t<U>, T>>>
  Result(U&& v) : v_(std::in_place_index<0>, T(std::forward<U>(v))) {}
  template <class G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u.error))) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the wrong alternative is a broken invariant: crash loudly, in every build.
  T& value() & { check(true); return std::get<0>(v_); }
  const T& value() const& { check(true); return std::get<0>(v_); }
  T&& value() && { check(true); return std::get<0>(std::move(v_)); }
  E& error() & { check(false); return std::get<1>(v_); }
  const E& error() const& { check(false); return std::get<1>(v_); }
  E&& error() && { check(false); return std::get<1>(std::move(v_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  template <class U>
  T valueOr(U&& fallback) const& { return ok() ? std::get<0>(v_) : T(std::forward<U>(fallback)); }

 private:
  void check(bool want_value) const {
    if (ok() != want_value) std::abort();
  }
  std::variant<T, E> v_;
};

/// Result of an operation that yields nothing but can fail.
struct Ok {};
template <class E>
using Status = Result<Ok, E>;

/// A generic error: a module's code enum and a message for humans. Callers switch on `code`.
template <class Code>
struct Error {
  Code code;
  std::string message;
};

}  // namespace core
