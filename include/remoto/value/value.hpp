// remoto::Value: the Python data model that remote calls exchange. It mirrors what Pyro4's
// serializers carry: None, bool, int (64-bit, or of any size through BigInt), float, complex,
// str (a sequence of code points, stored as UTF-8 extended to lone surrogates, the way
// Python's "surrogatepass" encodes them), bytes, list, tuple, dict (insertion-ordered) and set
// (insertion-ordered). bool is not int, tuple is not list: the type is kept exactly.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>  // std::monostate
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/value/big_int.hpp"
#include "remoto/value/inline_string.hpp"

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
  /// For decoders, which build a dict in place: appends `key` with a None value and returns
  /// the new item, whose value (and key) the decoder fills in place. Duplicates are allowed
  /// until remove_duplicate_keys() runs, which must happen before any other use of the dict.
  Item& append_key(Value key);
  /// append_key() with the key constructed in place from `args` (anything a Value is).
  template <class... Args>
  Item& emplace_key(Args&&... args);
  /// Settles the keys appended unchecked as Python's d[k] = v for each item in turn would: a
  /// repeated key keeps its first position and its last value. One pass over all keys, so a
  /// decoder checks a whole dict at once instead of looking up each key as it arrives.
  void remove_duplicate_keys();
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
  InlineString utf8;  // surrogatepass UTF-8
  friend bool operator==(const Str&, const Str&) = default;
};
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

/// One Python value. Equality is identity of value and type: 1 != 1.0 != True, -0.0 != 0.0,
/// and NaN == NaN (so that round trips can be checked with ==).
/// A tagged union (40 bytes) rather than a std::variant: moving and destroying one is inline
/// code instead of calls through the variant's dispatch tables, which dominated decoding.
/// Value type. Thread safety: distinct objects safe, shared objects read-only safe (see Dict).
class Value {
 public:
  using Complex = std::complex<double>;

  Value() noexcept { new (&u_.none) std::monostate(); }
  Value(std::nullptr_t) noexcept : Value() {}
  Value(bool b) noexcept : kind_(Kind::boolean) { u_.b = b; }
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>)
      Value(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<std::uint64_t>(INT64_MAX)) {
        new (&u_.big) BigInt(BigInt::from_uint64(i));
        kind_ = Kind::big_int;  // last, as in every constructor (see Kind)
        return;
      }
    }
    kind_ = Kind::int64;
    u_.i = static_cast<std::int64_t>(i);
  }
  Value(double d) noexcept : kind_(Kind::real) { u_.d = d; }
  Value(float d) noexcept : Value(static_cast<double>(d)) {}
  Value(Complex c) noexcept : kind_(Kind::complex) { new (&u_.c) Complex(c); }
  Value(BigInt b);  // normalized: stored as int64 when it fits
  Value(const char* s) : Value(std::in_place_type<Str>, s) {}
  Value(const std::string& s) : Value(std::in_place_type<Str>, s) {}
  Value(std::string_view s) : Value(std::in_place_type<Str>, s) {}
  /// A str built right in place from its surrogatepass UTF-8 (not checked): for decoders, as
  /// vector::emplace_back(std::in_place_type<Str>, text), with no Str to move.
  Value(std::in_place_type_t<Str>, std::string_view utf8) {
    new (&u_.s) Str{InlineString(utf8)};
    kind_ = Kind::str;
  }
  Value(Str s) noexcept : kind_(Kind::str) { new (&u_.s) Str(std::move(s)); }
  Value(Bytes b) noexcept : kind_(Kind::bytes) { new (&u_.bytes) Bytes(std::move(b)); }
  Value(List l) noexcept : kind_(Kind::list) { new (&u_.list) List(std::move(l)); }
  Value(Tuple t) noexcept : kind_(Kind::tuple) { new (&u_.tuple) Tuple(std::move(t)); }
  Value(Dict d) noexcept : kind_(Kind::dict) { new (&u_.dict) Dict(std::move(d)); }
  Value(Set s) noexcept : kind_(Kind::set) { new (&u_.set) Set(std::move(s)); }
  /// An empty list, tuple, dict or set built right in place, for decoders that fill it there
  /// (no container to move in and destroy after).
  explicit Value(std::in_place_type_t<List>) noexcept : kind_(Kind::list) { new (&u_.list) List(); }
  explicit Value(std::in_place_type_t<Tuple>) noexcept : kind_(Kind::tuple) {
    new (&u_.tuple) Tuple();
  }
  explicit Value(std::in_place_type_t<Dict>) noexcept : kind_(Kind::dict) { new (&u_.dict) Dict(); }
  explicit Value(std::in_place_type_t<Set>) noexcept : kind_(Kind::set) { new (&u_.set) Set(); }

  Value(const Value& other);
  /// Leaves `other` None (so destroying a moved-from Value costs nothing).
  Value(Value&& other) noexcept : kind_(other.kind_) {
    if (is_trivial(kind_)) {
      std::memcpy(static_cast<void*>(&u_), &other.u_, sizeof u_);
    } else if (kind_ == Kind::str) {
      new (&u_.s) Str(std::move(other.u_.s));
      other.u_.s.~Str();
      other.kind_ = Kind::none;
    } else {
      move_from(std::move(other));
    }
  }
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept {
    if (this == &other) return *this;
    if (is_trivial(kind_)) {  // nothing to destroy, and `other` cannot live inside *this
      new (this) Value(std::move(other));
    } else {
      Value taken(std::move(other));  // first: `other` may live inside *this
      this->~Value();
      new (this) Value(std::move(taken));
    }
    return *this;
  }
  ~Value() {
    if (kind_ == Kind::str) {
      u_.s.~Str();
    } else if (!is_trivial(kind_)) {
      destroy();
    }
  }

  static Value bytes(std::string_view data) { return Value(Bytes{std::string(data)}); }
  static Value list(std::vector<Value> items = {}) { return Value(List{std::move(items)}); }
  static Value tuple(std::vector<Value> items = {}) { return Value(Tuple{std::move(items)}); }

  Type type() const noexcept;
  const char* type_name() const noexcept { return remoto::type_name(type()); }

  bool is_none() const noexcept { return kind_ == Kind::none; }
  bool is_bool() const noexcept { return kind_ == Kind::boolean; }
  bool is_int() const noexcept { return is_int64() || is_big_int(); }
  bool is_int64() const noexcept { return kind_ == Kind::int64; }
  bool is_big_int() const noexcept { return kind_ == Kind::big_int; }
  bool is_float() const noexcept { return kind_ == Kind::real; }
  bool is_complex() const noexcept { return kind_ == Kind::complex; }
  bool is_str() const noexcept { return kind_ == Kind::str; }
  bool is_bytes() const noexcept { return kind_ == Kind::bytes; }
  bool is_list() const noexcept { return kind_ == Kind::list; }
  bool is_tuple() const noexcept { return kind_ == Kind::tuple; }
  bool is_dict() const noexcept { return kind_ == Kind::dict; }
  bool is_set() const noexcept { return kind_ == Kind::set; }

  /// Accessors throw remoto::TypeError ("expected int, got str") on a wrong type.
  bool as_bool() const;
  std::int64_t as_int() const;  // also TypeError for a BigInt out of int64 range
  const BigInt& as_big_int() const;
  /// Any int as a BigInt (int64 widened).
  BigInt to_big_int() const;
  double as_float() const;
  Complex as_complex() const;
  std::string_view as_str() const {  // surrogatepass UTF-8, valid while the Value is
    if (kind_ != Kind::str) type_error(Type::str);
    return u_.s.utf8.view();
  }
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
  bool is_hashable() const noexcept {
    if (kind_ == Kind::list || kind_ == Kind::dict || kind_ == Kind::set) return false;
    return kind_ != Kind::tuple || tuple_is_hashable();
  }
  /// Hash consistent with ==. Precondition: is_hashable().
  std::size_t hash() const noexcept;

  friend bool operator==(const Value& a, const Value& b) noexcept;

  /// Which of the alternatives below the value holds: 0 None (std::monostate), 1 bool,
  /// 2 std::int64_t, 3 BigInt, 4 double, 5 Complex, 6 Str, 7 Bytes, 8 List, 9 Tuple, 10 Dict,
  /// 11 Set (the order of the std::variant this once was).
  std::size_t index() const noexcept { return static_cast<std::size_t>(kind_); }
  /// The alternative of type T; precondition: the value holds a T.
  template <class T>
  const T& get() const noexcept {
    return *get_if<T>();
  }
  template <class T>
  T& get() noexcept {
    return *get_if<T>();
  }
  /// The alternative of type T, or nullptr.
  template <class T>
  const T* get_if() const noexcept;
  template <class T>
  T* get_if() noexcept {
    return const_cast<T*>(std::as_const(*this).get_if<T>());
  }
  /// Calls f with the held alternative (const T&, T one of the types index() lists).
  template <class F>
  decltype(auto) visit(F&& f) const;

 private:
  // Which alternative u_ holds. Every constructor sets it only once that alternative is fully
  // built: a decoder may construct a Value right over a None (Value(f()) into its storage),
  // and if that throws, the storage must still read as None.
  enum class Kind : std::uint8_t {
    none,
    boolean,
    int64,
    big_int,
    real,
    complex,
    str,
    bytes,
    list,
    tuple,
    dict,
    set,
  };
  union Storage {
    Storage() noexcept {}
    ~Storage() {}
    std::monostate none;
    bool b;
    std::int64_t i;
    double d;
    Complex c;
    BigInt big;
    Str s;
    Bytes bytes;
    List list;
    Tuple tuple;
    Dict dict;
    Set set;
  };

  // Alternatives without a destructor, copied as bytes.
  static constexpr bool is_trivial(Kind k) noexcept {
    return k <= Kind::int64 || k == Kind::real || k == Kind::complex;
  }

  [[noreturn]] void type_error(Type expected) const;
  bool tuple_is_hashable() const noexcept;
  void move_from(Value&& other) noexcept;
  void copy_from(const Value& other);
  void destroy() noexcept;

  Storage u_;
  Kind kind_ = Kind::none;
};

template <class T>
const T* Value::get_if() const noexcept {
  if constexpr (std::is_same_v<T, std::monostate>) {
    return kind_ == Kind::none ? &u_.none : nullptr;
  } else if constexpr (std::is_same_v<T, bool>) {
    return kind_ == Kind::boolean ? &u_.b : nullptr;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return kind_ == Kind::int64 ? &u_.i : nullptr;
  } else if constexpr (std::is_same_v<T, BigInt>) {
    return kind_ == Kind::big_int ? &u_.big : nullptr;
  } else if constexpr (std::is_same_v<T, double>) {
    return kind_ == Kind::real ? &u_.d : nullptr;
  } else if constexpr (std::is_same_v<T, Complex>) {
    return kind_ == Kind::complex ? &u_.c : nullptr;
  } else if constexpr (std::is_same_v<T, Str>) {
    return kind_ == Kind::str ? &u_.s : nullptr;
  } else if constexpr (std::is_same_v<T, Bytes>) {
    return kind_ == Kind::bytes ? &u_.bytes : nullptr;
  } else if constexpr (std::is_same_v<T, List>) {
    return kind_ == Kind::list ? &u_.list : nullptr;
  } else if constexpr (std::is_same_v<T, Tuple>) {
    return kind_ == Kind::tuple ? &u_.tuple : nullptr;
  } else if constexpr (std::is_same_v<T, Dict>) {
    return kind_ == Kind::dict ? &u_.dict : nullptr;
  } else {
    static_assert(std::is_same_v<T, Set>, "not one of Value's alternatives");
    return kind_ == Kind::set ? &u_.set : nullptr;
  }
}

template <class F>
decltype(auto) Value::visit(F&& f) const {
  switch (kind_) {
    case Kind::none:
      return f(u_.none);
    case Kind::boolean:
      return f(u_.b);
    case Kind::int64:
      return f(u_.i);
    case Kind::big_int:
      return f(u_.big);
    case Kind::real:
      return f(u_.d);
    case Kind::complex:
      return f(u_.c);
    case Kind::str:
      return f(u_.s);
    case Kind::bytes:
      return f(u_.bytes);
    case Kind::list:
      return f(u_.list);
    case Kind::tuple:
      return f(u_.tuple);
    case Kind::dict:
      return f(u_.dict);
    case Kind::set:
      break;
  }
  return f(u_.set);
}

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
// Defined here, not where declared: clang instantiates the vector's members there.
inline Dict::Dict(Dict&&) noexcept = default;
inline Dict& Dict::operator=(Dict&&) noexcept = default;
inline Set::Set(Set&&) noexcept = default;
inline Set& Set::operator=(Set&&) noexcept = default;
inline void Dict::reserve(std::size_t n) {
  items_.reserve(n);
}
template <class... Args>
Dict::Item& Dict::emplace_key(Args&&... args) {
  if (index_) index_.reset();  // the key may change until remove_duplicate_keys()
  return items_.emplace_back(std::piecewise_construct,
                             std::forward_as_tuple(std::forward<Args>(args)...), std::tuple<>());
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
