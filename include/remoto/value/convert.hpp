// Conversions between Value and C++ types through one customization point, Convert<T>, so that
// exposed methods take and return plain C++ types. Built in: bool, every integer type (range
// checked), float/double, std::complex<double>, enums (as their underlying integer), strings,
// byte buffers, std::vector, std::array, std::map, std::unordered_map, std::set,
// std::unordered_set, std::optional, std::pair, std::tuple, std::variant, std::nullptr_t and
// std::monostate, and Value itself (plus its Dict, Set, List, Tuple, Str, Bytes and BigInt).
//
// A user type adds one specialization:
//
//   template <> struct remoto::Convert<Point> {
//     static Value to_value(const Point& p) { return make_dict({{"x", p.x}, {"y", p.y}}); }
//     static Point from_value(const Value& v) {
//       const auto& d = v.as_dict();
//       return {remoto::from_value<double>(*d.find("x")),
//       remoto::from_value<double>(*d.find("y"))};
//     }
//   };
//
// Python's rules: an int converts to float (not back), bool is not an int, str is not bytes.
// A wrong type throws remoto::TypeError naming both types, with the path inside containers:
// "item 3: expected int, got str", "value of key 'a': expected str, got NoneType".
// bytes come as Python bytes, or as serpent's {'data': <base64>, 'encoding': 'base64'} dict
// (what Pyro4's serpent sends for bytes).
#pragma once

#include <array>
#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/value/value.hpp"

namespace remoto {

/// The customization point: specialize with `static Value to_value(const T&)` and
/// `static T from_value(const Value&)`. The second parameter is for enable_if partial
/// specializations. Optionally `static constexpr std::string_view label` names the Python type
/// accepted, for error messages (e.g. inside a variant).
template <class T, class = void>
struct Convert;

template <class T>
Value to_value(const T& x) {
  return Convert<std::remove_cvref_t<T>>::to_value(x);
}

template <class T>
T from_value(const Value& v) {
  return Convert<T>::from_value(v);
}

/// Whether T has a Convert specialization.
template <class T>
concept Convertible = requires(const T& x, const Value& v) {
  { Convert<T>::to_value(x) } -> std::same_as<Value>;
  { Convert<T>::from_value(v) } -> std::convertible_to<T>;
};

namespace detail {

/// "expected <expected>, got <type of v>".
[[noreturn]] void wrong_type(std::string_view expected, const Value& v);
/// "int <v> out of range for <target>".
[[noreturn]] void out_of_range(const Value& v, std::string_view target);
/// Rethrows `error` with "<where>: " in front.
[[noreturn]] void rethrow_at(std::string_view where, const TypeError& error);
std::string item_path(std::size_t index);  // "item 3"
std::string key_path(const Value& key);    // "key 'a'"
std::string value_path(const Value& key);  // "value of key 'a'"
/// Python bytes, or serpent's base64 dict; anything else is a TypeError.
std::string bytes_of(const Value& v);
/// Throws TypeError unless v can be a dict key or set element.
void require_hashable(const Value& v, const char* what);

template <class F>
auto at(std::string_view where, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const TypeError& e) {
    rethrow_at(where, e);
  }
}

template <class T>
constexpr std::string_view label_of() {
  if constexpr (requires { Convert<T>::label; })
    return Convert<T>::label;
  else
    return "value";
}

template <class T>
constexpr const char* int_name() {
  constexpr bool s = std::is_signed_v<T>;
  switch (sizeof(T)) {
    case 1:
      return s ? "int8_t" : "uint8_t";
    case 2:
      return s ? "int16_t" : "uint16_t";
    case 4:
      return s ? "int32_t" : "uint32_t";
    default:
      return s ? "int64_t" : "uint64_t";
  }
}

template <class T>
constexpr bool is_char_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

/// list, tuple or set items, for the C++ sequence types.
template <class Fn>
void for_each_item(const Value& v, std::string_view expected, Fn&& fn) {
  if (v.is_list() || v.is_tuple()) {
    const auto& items = v.as_sequence();
    for (std::size_t i = 0; i < items.size(); ++i) at(item_path(i), [&] { fn(items[i]); });
  } else if (v.is_set()) {
    std::size_t i = 0;
    for (const auto& item : v.as_set()) at(item_path(i++), [&] { fn(item); });
  } else {
    wrong_type(expected, v);
  }
}

inline std::size_t item_count(const Value& v) {
  if (v.is_set()) return v.as_set().size();
  if (v.is_list() || v.is_tuple()) return v.as_sequence().size();
  return 0;
}

}  // namespace detail

// ---- scalars --------------------------------------------------------------------------------

template <>
struct Convert<Value> {
  static constexpr std::string_view label = "any value";
  static Value to_value(const Value& v) { return v; }
  static Value from_value(const Value& v) { return v; }
};

template <>
struct Convert<std::nullptr_t> {
  static constexpr std::string_view label = "None";
  static Value to_value(std::nullptr_t) { return Value(); }
  static std::nullptr_t from_value(const Value& v) {
    if (!v.is_none()) detail::wrong_type(label, v);
    return nullptr;
  }
};

template <>
struct Convert<std::monostate> {
  static constexpr std::string_view label = "None";
  static Value to_value(std::monostate) { return Value(); }
  static std::monostate from_value(const Value& v) {
    if (!v.is_none()) detail::wrong_type(label, v);
    return {};
  }
};

template <>
struct Convert<bool> {
  static constexpr std::string_view label = "bool";
  static Value to_value(bool b) { return Value(b); }
  static bool from_value(const Value& v) {
    if (!v.is_bool()) detail::wrong_type(label, v);
    return v.as_bool();
  }
};

template <class T>
struct Convert<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                   !detail::is_char_v<T>>> {
  static constexpr std::string_view label = "int";
  static Value to_value(T x) { return Value(x); }
  static T from_value(const Value& v) {
    if (v.is_int64()) {
      std::int64_t i = v.as_int();
      if (std::in_range<T>(i)) return static_cast<T>(i);
      detail::out_of_range(v, detail::int_name<T>());
    }
    if (v.is_big_int()) {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) == sizeof(std::uint64_t)) {
        if (auto u = v.as_big_int().to_uint64()) return static_cast<T>(*u);
      }
      detail::out_of_range(v, detail::int_name<T>());
    }
    detail::wrong_type(label, v);
  }
};

template <class T>
struct Convert<T, std::enable_if_t<std::is_enum_v<T>>> {
  using Underlying = std::underlying_type_t<T>;
  static constexpr std::string_view label = "int";
  static Value to_value(T x) { return Value(static_cast<Underlying>(x)); }
  static T from_value(const Value& v) { return static_cast<T>(Convert<Underlying>::from_value(v)); }
};

template <class T>
struct Convert<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static constexpr std::string_view label = "float";
  static Value to_value(T x) { return Value(static_cast<double>(x)); }
  static T from_value(const Value& v) {
    if (v.is_float()) return static_cast<T>(v.as_float());
    if (v.is_int64()) return static_cast<T>(v.as_int());  // Python: int -> float is fine
    if (v.is_big_int()) return static_cast<T>(v.as_big_int().to_double());
    detail::wrong_type(label, v);
  }
};

template <>
struct Convert<std::complex<double>> {
  static constexpr std::string_view label = "complex";
  static Value to_value(const std::complex<double>& c) { return Value(c); }
  static std::complex<double> from_value(const Value& v) {
    if (v.is_complex()) return v.as_complex();
    if (v.is_float() || v.is_int()) return {Convert<double>::from_value(v), 0.0};
    detail::wrong_type(label, v);
  }
};

template <>
struct Convert<BigInt> {
  static constexpr std::string_view label = "int";
  static Value to_value(const BigInt& b) { return Value(b); }
  static BigInt from_value(const Value& v) {
    if (!v.is_int()) detail::wrong_type(label, v);
    return v.to_big_int();
  }
};

// ---- strings and bytes ----------------------------------------------------------------------

template <>
struct Convert<std::string> {
  static constexpr std::string_view label = "str";
  static Value to_value(const std::string& s) { return Value(Str{s}); }
  static std::string from_value(const Value& v) {
    if (!v.is_str()) detail::wrong_type(label, v);
    return std::string(v.as_str());
  }
};

/// The view returned by from_value points into the Value: valid while that Value lives.
template <>
struct Convert<std::string_view> {
  static constexpr std::string_view label = "str";
  static Value to_value(std::string_view s) { return Value(std::in_place_type<Str>, s); }
  static std::string_view from_value(const Value& v) {
    if (!v.is_str()) detail::wrong_type(label, v);
    return v.as_str();
  }
};

template <>
struct Convert<const char*> {
  static Value to_value(const char* s) { return Value(Str{s}); }
};
template <std::size_t N>
struct Convert<char[N]> {
  static Value to_value(const char (&s)[N]) { return Value(std::in_place_type<Str>, s); }
};

template <>
struct Convert<Str> {
  static constexpr std::string_view label = "str";
  static Value to_value(const Str& s) { return Value(s); }
  static Str from_value(const Value& v) {
    if (!v.is_str()) detail::wrong_type(label, v);
    return Str{InlineString(v.as_str())};
  }
};

template <>
struct Convert<Bytes> {
  static constexpr std::string_view label = "bytes";
  static Value to_value(const Bytes& b) { return Value(b); }
  static Bytes from_value(const Value& v) { return Bytes{detail::bytes_of(v)}; }
};

template <>
struct Convert<std::vector<std::byte>> {
  static constexpr std::string_view label = "bytes";
  static Value to_value(const std::vector<std::byte>& b) {
    return Value::bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  static std::vector<std::byte> from_value(const Value& v) {
    std::string data = detail::bytes_of(v);
    const auto* p = reinterpret_cast<const std::byte*>(data.data());
    return std::vector<std::byte>(p, p + data.size());
  }
};

template <std::size_t N>
struct Convert<std::array<std::byte, N>> {
  static constexpr std::string_view label = "bytes";
  static Value to_value(const std::array<std::byte, N>& b) {
    return Value::bytes(std::string_view(reinterpret_cast<const char*>(b.data()), N));
  }
  static std::array<std::byte, N> from_value(const Value& v) {
    std::string data = detail::bytes_of(v);
    if (data.size() != N)
      throw TypeError("expected bytes of length " + std::to_string(N) + ", got bytes of length " +
                      std::to_string(data.size()));
    std::array<std::byte, N> out;
    for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::byte>(data[i]);
    return out;
  }
};

template <std::size_t Extent>
struct Convert<std::span<const std::byte, Extent>> {
  static Value to_value(std::span<const std::byte, Extent> b) {
    return Value::bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
};

// ---- containers -----------------------------------------------------------------------------

template <>
struct Convert<List> {
  static constexpr std::string_view label = "list";
  static Value to_value(const List& l) { return Value(l); }
  static List from_value(const Value& v) {
    if (!v.is_list()) detail::wrong_type(label, v);
    return List{v.as_list()};
  }
};

template <>
struct Convert<Tuple> {
  static constexpr std::string_view label = "tuple";
  static Value to_value(const Tuple& t) { return Value(t); }
  static Tuple from_value(const Value& v) {
    if (!v.is_tuple()) detail::wrong_type(label, v);
    return Tuple{v.as_tuple()};
  }
};

template <>
struct Convert<Dict> {
  static constexpr std::string_view label = "dict";
  static Value to_value(const Dict& d) { return Value(d); }
  static Dict from_value(const Value& v) {
    if (!v.is_dict()) detail::wrong_type(label, v);
    return v.as_dict();
  }
};

template <>
struct Convert<Set> {
  static constexpr std::string_view label = "set";
  static Value to_value(const Set& s) { return Value(s); }
  static Set from_value(const Value& v) {
    if (!v.is_set()) detail::wrong_type(label, v);
    return v.as_set();
  }
};

/// list <-> std::vector; a tuple or set also converts (json and msgpack turn them into lists).
template <class T, class A>
struct Convert<std::vector<T, A>> {
  static constexpr std::string_view label = "list";
  static Value to_value(const std::vector<T, A>& xs) {
    std::vector<Value> items;
    items.reserve(xs.size());
    for (const auto& x : xs) items.push_back(remoto::to_value(x));
    return Value::list(std::move(items));
  }
  static std::vector<T, A> from_value(const Value& v) {
    std::vector<T, A> out;
    out.reserve(detail::item_count(v));
    detail::for_each_item(
        v, label, [&out](const Value& item) { out.push_back(Convert<T>::from_value(item)); });
    return out;
  }
};

/// list <-> std::array: exactly N items (from a list, tuple or set).
template <class T, std::size_t N>
struct Convert<std::array<T, N>, std::enable_if_t<!std::is_same_v<T, std::byte>>> {
  static constexpr std::string_view label = "list";
  static Value to_value(const std::array<T, N>& xs) {
    std::vector<Value> items;
    items.reserve(N);
    for (const auto& x : xs) items.push_back(remoto::to_value(x));
    return Value::list(std::move(items));
  }
  static std::array<T, N> from_value(const Value& v) {
    if (v.is_list() || v.is_tuple() || v.is_set()) {
      if (detail::item_count(v) != N)
        throw TypeError("expected a sequence of " + std::to_string(N) + " items, got " +
                        v.type_name() + " of " + std::to_string(detail::item_count(v)) + " items");
    }
    std::array<T, N> out{};
    std::size_t i = 0;
    detail::for_each_item(v, label,
                          [&](const Value& item) { out[i++] = Convert<T>::from_value(item); });
    return out;
  }
};

namespace detail {

template <class Map>
Value map_to_value(const Map& m) {
  Dict d;
  d.reserve(m.size());
  for (const auto& [k, x] : m) {
    Value key = remoto::to_value(k);
    require_hashable(key, "dict key");
    d.insert_or_assign(std::move(key), remoto::to_value(x));
  }
  return Value(std::move(d));
}

template <class Map>
Map map_from_value(const Value& v) {
  if (!v.is_dict()) wrong_type("dict", v);
  Map out;
  for (const auto& item : v.as_dict()) {
    const Value& k = item.first;
    const Value& x = item.second;
    auto key = at(key_path(k), [&] { return Convert<typename Map::key_type>::from_value(k); });
    auto value =
        at(value_path(k), [&] { return Convert<typename Map::mapped_type>::from_value(x); });
    out.insert_or_assign(std::move(key), std::move(value));
  }
  return out;
}

template <class S>
Value set_to_value(const S& s) {
  Set out;
  out.reserve(s.size());
  for (const auto& x : s) {
    Value item = remoto::to_value(x);
    require_hashable(item, "set element");
    out.insert(std::move(item));
  }
  return Value(std::move(out));
}

template <class S>
S set_from_value(const Value& v) {
  S out;
  for_each_item(v, "set", [&out](const Value& item) {
    out.insert(Convert<typename S::key_type>::from_value(item));
  });
  return out;
}

}  // namespace detail

template <class K, class T, class C, class A>
struct Convert<std::map<K, T, C, A>> {
  static constexpr std::string_view label = "dict";
  static Value to_value(const std::map<K, T, C, A>& m) { return detail::map_to_value(m); }
  static std::map<K, T, C, A> from_value(const Value& v) {
    return detail::map_from_value<std::map<K, T, C, A>>(v);
  }
};

template <class K, class T, class H, class E, class A>
struct Convert<std::unordered_map<K, T, H, E, A>> {
  static constexpr std::string_view label = "dict";
  static Value to_value(const std::unordered_map<K, T, H, E, A>& m) {
    return detail::map_to_value(m);
  }
  static std::unordered_map<K, T, H, E, A> from_value(const Value& v) {
    return detail::map_from_value<std::unordered_map<K, T, H, E, A>>(v);
  }
};

/// set <-> std::set; a list or tuple also converts (duplicates collapse).
template <class T, class C, class A>
struct Convert<std::set<T, C, A>> {
  static constexpr std::string_view label = "set";
  static Value to_value(const std::set<T, C, A>& s) { return detail::set_to_value(s); }
  static std::set<T, C, A> from_value(const Value& v) {
    return detail::set_from_value<std::set<T, C, A>>(v);
  }
};

template <class T, class H, class E, class A>
struct Convert<std::unordered_set<T, H, E, A>> {
  static constexpr std::string_view label = "set";
  static Value to_value(const std::unordered_set<T, H, E, A>& s) { return detail::set_to_value(s); }
  static std::unordered_set<T, H, E, A> from_value(const Value& v) {
    return detail::set_from_value<std::unordered_set<T, H, E, A>>(v);
  }
};

/// None <-> nullopt, anything else <-> T.
template <class T>
struct Convert<std::optional<T>> {
  static constexpr std::string_view label = detail::label_of<T>();
  static Value to_value(const std::optional<T>& x) { return x ? remoto::to_value(*x) : Value(); }
  static std::optional<T> from_value(const Value& v) {
    if (v.is_none()) return std::nullopt;
    return Convert<T>::from_value(v);
  }
};

namespace detail {

template <class Tup, std::size_t... I>
Value tuple_to_value(const Tup& t, std::index_sequence<I...>) {
  return Value::tuple({remoto::to_value(std::get<I>(t))...});
}

template <class Tup, std::size_t... I>
Tup tuple_from_value(const Value& v, std::index_sequence<I...>) {
  if (!v.is_tuple() && !v.is_list()) wrong_type("tuple", v);
  const auto& items = v.as_sequence();
  constexpr std::size_t n = sizeof...(I);
  if (items.size() != n)
    throw TypeError("expected a tuple of " + std::to_string(n) + " items, got " + v.type_name() +
                    " of " + std::to_string(items.size()) + " items");
  return Tup{at(item_path(I),
                [&] { return Convert<std::tuple_element_t<I, Tup>>::from_value(items[I]); })...};
}

}  // namespace detail

/// tuple <-> std::tuple; a list of the same length also converts.
template <class... Ts>
struct Convert<std::tuple<Ts...>> {
  static constexpr std::string_view label = "tuple";
  static Value to_value(const std::tuple<Ts...>& t) {
    return detail::tuple_to_value(t, std::index_sequence_for<Ts...>{});
  }
  static std::tuple<Ts...> from_value(const Value& v) {
    return detail::tuple_from_value<std::tuple<Ts...>>(v, std::index_sequence_for<Ts...>{});
  }
};

template <class A, class B>
struct Convert<std::pair<A, B>> {
  static constexpr std::string_view label = "tuple";
  static Value to_value(const std::pair<A, B>& p) {
    return detail::tuple_to_value(p, std::index_sequence<0, 1>{});
  }
  static std::pair<A, B> from_value(const Value& v) {
    return detail::tuple_from_value<std::pair<A, B>>(v, std::index_sequence<0, 1>{});
  }
};

/// The active alternative -> Value; Value -> the first alternative whose from_value accepts it.
template <class... Ts>
struct Convert<std::variant<Ts...>> {
  static Value to_value(const std::variant<Ts...>& v) {
    return std::visit([](const auto& x) { return remoto::to_value(x); }, v);
  }
  static std::variant<Ts...> from_value(const Value& v) {
    std::optional<std::variant<Ts...>> out;
    (try_one<Ts>(v, out) || ...);
    if (!out) {
      std::string expected;
      ((expected += (expected.empty() ? "" : " or "), expected += detail::label_of<Ts>()), ...);
      detail::wrong_type(expected, v);
    }
    return std::move(*out);
  }

 private:
  template <class T>
  static bool try_one(const Value& v, std::optional<std::variant<Ts...>>& out) {
    try {
      out.emplace(std::in_place_type<T>, Convert<T>::from_value(v));
      return true;
    } catch (const TypeError&) {
      return false;
    }
  }
};

}  // namespace remoto
