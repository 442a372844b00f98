// remoto::Value: the Python data model that remote calls exchange. It mirrors what Pyro4's
// serializers carry: None, bool, int (64-bit, or of any size through BigInt), float, complex,
// str (a sequence of code points, stored as UTF-8 extended to lone surrogates, the way
// Python's "surrogatepass" encodes them), bytes, list, tuple, dict (insertion-ordered) and set
// (insertion-ordered). bool is not int, tuple is not list: the type is kept exactly.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/value/big_int.hpp"

namespace remoto {

class Value;

/// Python's types, as far as Value carries them.
enum class Type : std::uint8_t {
  none,
  boolean,
  integer,  // int64 or BigInt: one Python type
  real,     // float
  complex,
  str,
  bytes,
  list,
  tuple,
  dict,
  set,
};

/// The Python name of a type ("NoneType", "bool", "int", "float", ...), for messages.
const char* type_name(Type type) noexcept;

/// Insertion-ordered mapping with unique keys (equality as Value::operator==).
/// Lookups are linear for small dicts and hashed beyond a few entries.
/// Value type. Thread safety: distinct objects safe; a shared object may be read
/// concurrently only after one find() has built its index (or never beyond 8 entries).
class Dict {
 public:
  using Item = std::pair<Value, Value>;

  Dict() = default;
  Dict(std::initializer_list<Item> items);
  Dict(const Dict& other);
  Dict(Dict&&) noexcept;
  Dict& operator=(const Dict& other);
  Dict& operator=(Dict&&) noexcept;
  ~Dict();

  // Defined after Value: clang instantiates them where they stand, and Value is incomplete here.
  std::size_t size() const noexcept;
  bool empty() const noexcept;
  std::vector<Item>::const_iterator begin() const noexcept;
  std::vector<Item>::const_iterator end() const noexcept;
  const Item& operator[](std::size_t i) const;

  /// The value for `key`, or nullptr.
  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  /// Inserts at the end, or replaces the value of an existing key in place (Python's d[k] = v).
  void insert_or_assign(Value key, Value value);
  /// Appends without looking for a duplicate; the caller guarantees `key` is new.
  void append_unique(Value key, Value value);
  void reserve(std::size_t n);

  friend bool operator==(const Dict& a, const Dict& b);

 private:
  struct Index;
  struct IndexDeleter {
    void operator()(Index* index) const noexcept;
  };
  std::ptrdiff_t position(const Value& key) const;
  std::vector<Item> items_;
  mutable std::unique_ptr<Index, IndexDeleter> index_;
};

/// Insertion-ordered set of unique values. Equality ignores order, as in Python.
/// Value type. Thread safety as Dict.
class Set {
 public:
  Set() = default;
  Set(std::initializer_list<Value> items);
  Set(const Set& other);
  Set(Set&&) noexcept;
  Set& operator=(const Set& other);
  Set& operator=(Set&&) noexcept;
  ~Set();

  // Defined after Value, as Dict's.
  std::size_t size() const noexcept;
  bool empty() const noexcept;
  std::vector<Value>::const_iterator begin() const noexcept;
  std::vector<Value>::const_iterator end() const noexcept;
  const Value& operator[](std::size_t i) const;

  bool contains(const Value& item) const;
  /// Adds `item` unless present; returns whether it was added.
  bool insert(Value item);
  void reserve(std::size_t n);

  friend bool operator==(const Set& a, const Set& b);

 private:
  struct Index;
  struct IndexDeleter {
    void operator()(Index* index) const noexcept;
  };
  std::ptrdiff_t position(const Value& item) const;
  std::vector<Value> items_;
  mutable std::unique_ptr<Index, IndexDeleter> index_;
};

/// Tag types that tell list from tuple and str from bytes inside the variant.
struct List {
  std::vector<Value> items;
  friend bool operator==(const List&, const List&);  // defined after Value
};
struct Tuple {
  std::vector<Value> items;
  friend bool operator==(const Tuple&, const Tuple&);  // defined after Value
};
struct Str {
  std::string utf8;  // surrogatepass UTF-8
  friend bool operator==(const Str&, const Str&) = default;
};
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

/// One Python value. Equality is identity of value and type: 1 != 1.0 != True, -0.0 != 0.0,
/// and NaN == NaN (so that round trips can be checked with ==).
/// Value type. Thread safety: distinct objects safe, shared objects read-only safe (see Dict).
class Value {
 public:
  using Complex = std::complex<double>;

  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : v_(b) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
      Value(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<std::uint64_t>(INT64_MAX)) {
        v_ = BigInt::from_uint64(i);
        return;
      }
    }
    v_ = static_cast<std::int64_t>(i);
  }
  Value(double d) noexcept : v_(d) {}
  Value(float d) noexcept : v_(static_cast<double>(d)) {}
  Value(Complex c) noexcept : v_(c) {}
  Value(BigInt b);  // normalized: stored as int64 when it fits
  Value(const char* s) : v_(Str{s}) {}
  Value(std::string s) : v_(Str{std::move(s)}) {}
  Value(std::string_view s) : v_(Str{std::string(s)}) {}
  Value(Str s) : v_(std::move(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::move(l)) {}
  Value(Tuple t) : v_(std::move(t)) {}
  Value(Dict d) : v_(std::move(d)) {}
  Value(Set s) : v_(std::move(s)) {}

  static Value bytes(std::string_view data) { return Value(Bytes{std::string(data)}); }
  static Value list(std::vector<Value> items = {}) { return Value(List{std::move(items)}); }
  static Value tuple(std::vector<Value> items = {}) { return Value(Tuple{std::move(items)}); }

  Type type() const noexcept;
  const char* type_name() const noexcept { return remoto::type_name(type()); }

  bool is_none() const noexcept { return std::holds_alternative<std::monostate>(v_); }
  bool is_bool() const noexcept { return std::holds_alternative<bool>(v_); }
  bool is_int() const noexcept { return is_int64() || is_big_int(); }
  bool is_int64() const noexcept { return std::holds_alternative<std::int64_t>(v_); }
  bool is_big_int() const noexcept { return std::holds_alternative<BigInt>(v_); }
  bool is_float() const noexcept { return std::holds_alternative<double>(v_); }
  bool is_complex() const noexcept { return std::holds_alternative<Complex>(v_); }
  bool is_str() const noexcept { return std::holds_alternative<Str>(v_); }
  bool is_bytes() const noexcept { return std::holds_alternative<Bytes>(v_); }
  bool is_list() const noexcept { return std::holds_alternative<List>(v_); }
  bool is_tuple() const noexcept { return std::holds_alternative<Tuple>(v_); }
  bool is_dict() const noexcept { return std::holds_alternative<Dict>(v_); }
  bool is_set() const noexcept { return std::holds_alternative<Set>(v_); }

  /// Accessors throw remoto::TypeError ("expected int, got str") on a wrong type.
  bool as_bool() const;
  std::int64_t as_int() const;  // also TypeError for a BigInt out of int64 range
  const BigInt& as_big_int() const;
  /// Any int as a BigInt (int64 widened).
  BigInt to_big_int() const;
  double as_float() const;
  Complex as_complex() const;
  const std::string& as_str() const;  // surrogatepass UTF-8
  const std::string& as_bytes() const;
  const std::vector<Value>& as_list() const;
  std::vector<Value>& as_list();
  const std::vector<Value>& as_tuple() const;
  std::vector<Value>& as_tuple();
  /// The items of a list or a tuple.
  const std::vector<Value>& as_sequence() const;
  const Dict& as_dict() const;
  Dict& as_dict();
  const Set& as_set() const;
  Set& as_set();

  /// Whether Python could use this as a dict key or set element (no list, dict, set inside).
  bool is_hashable() const noexcept;
  /// Hash consistent with ==. Precondition: is_hashable().
  std::size_t hash() const noexcept;

  friend bool operator==(const Value& a, const Value& b) noexcept;

  /// The underlying variant, for std::visit.
  using Variant = std::variant<std::monostate, bool, std::int64_t, BigInt, double, Complex, Str,
                               Bytes, List, Tuple, Dict, Set>;
  const Variant& variant() const noexcept { return v_; }

 private:
  [[noreturn]] void type_error(Type expected) const;
  Variant v_;
};

// The members of Dict, Set, List and Tuple that need a complete Value.
inline std::size_t Dict::size() const noexcept {
  return items_.size();
}
inline bool Dict::empty() const noexcept {
  return items_.empty();
}
inline std::vector<Dict::Item>::const_iterator Dict::begin() const noexcept {
  return items_.cbegin();
}
inline std::vector<Dict::Item>::const_iterator Dict::end() const noexcept {
  return items_.cend();
}
inline const Dict::Item& Dict::operator[](std::size_t i) const {
  return items_[i];
}
inline void Dict::reserve(std::size_t n) {
  items_.reserve(n);
}
inline std::size_t Set::size() const noexcept {
  return items_.size();
}
inline bool Set::empty() const noexcept {
  return items_.empty();
}
inline std::vector<Value>::const_iterator Set::begin() const noexcept {
  return items_.cbegin();
}
inline std::vector<Value>::const_iterator Set::end() const noexcept {
  return items_.cend();
}
inline const Value& Set::operator[](std::size_t i) const {
  return items_[i];
}
inline void Set::reserve(std::size_t n) {
  items_.reserve(n);
}
inline bool operator==(const List& a, const List& b) {
  return a.items == b.items;
}
inline bool operator==(const Tuple& a, const Tuple& b) {
  return a.items == b.items;
}

/// Builds a dict from pairs: make_dict({{"a", 1}, {"b", 2}}).
inline Value make_dict(std::initializer_list<Dict::Item> items) {
  return Value(Dict(items));
}
inline Value make_set(std::initializer_list<Value> items) {
  return Value(Set(items));
}

}  // namespace remoto
