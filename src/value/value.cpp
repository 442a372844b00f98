#include "remoto/value/value.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace remoto {

const char* type_name(Type type) noexcept {
  switch (type) {
    case Type::none:
      return "NoneType";
    case Type::boolean:
      return "bool";
    case Type::integer:
      return "int";
    case Type::real:
      return "float";
    case Type::complex:
      return "complex";
    case Type::str:
      return "str";
    case Type::bytes:
      return "bytes";
    case Type::list:
      return "list";
    case Type::tuple:
      return "tuple";
    case Type::dict:
      return "dict";
    case Type::set:
      return "set";
  }
  return "?";
}

namespace {

constexpr std::size_t index_threshold = 8;

std::size_t mix(std::size_t h, std::size_t v) noexcept {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::uint64_t float_bits(double d) noexcept {
  if (std::isnan(d)) return 0x7ff8000000000000ULL;  // every NaN is one value here
  return std::bit_cast<std::uint64_t>(d);
}

// Hash of a byte string: 8 bytes at a time, multiply-mixed (std::hash<std::string> goes
// through a byte-wise out-of-line murmur and was a visible part of decoding dicts).
std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
__extension__ using Uint128 = unsigned __int128;
std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  Uint128 r = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
std::size_t hash_bytes(std::string_view s) noexcept {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL;
  constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbULL;
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t h = k0 ^ n;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n > 16) {
    // 16 bytes at a time, then the last 16 (overlapping what came before if need be).
    const char* const end = p + n;
    while (end - p > 16) {
      h = mum(load_word(p) ^ k1, load_word(p + 8) ^ h);
      p += 16;
    }
    a = load_word(end - 16) ^ load_word(end - 8) * k0;
    b = load_word(end - 8);
  } else if (n >= 8) {
    a = load_word(p);
    b = load_word(p + n - 8);
  } else if (n >= 4) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    a = lo;
    b = hi;
  } else if (n > 0) {
    auto u = [p](std::size_t i) {
      return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i]));
    };
    a = (u(0) << 16) | (u(n >> 1) << 8) | u(n - 1);
  }
  return static_cast<std::size_t>(mum(a ^ k1, b ^ h) ^ k0);
}

bool same_float(double a, double b) noexcept {
  return float_bits(a) == float_bits(b);
}

// Open-addressing table from a key's hash to its position in the items vector: one
// allocation for the whole index (a node-based map costs one per key, which dominated decoding
// of large dicts). Load factor at most 1/2; linear probing.
class PositionTable {
 public:
  // Value hashes of floats and small ints have weak low bits; mix them all in (splitmix64).
  static std::size_t spread(std::size_t h) noexcept {
    std::uint64_t z = h + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(z ^ (z >> 31));
  }
  template <class Eq>
  std::ptrdiff_t find(std::size_t hash, Eq&& same_at) const {
    if (slots_.empty()) return -1;
    for (std::size_t i = spread(hash) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.position == 0) return -1;
      if (slot.hash == hash && same_at(slot.position - 1))
        return static_cast<std::ptrdiff_t>(slot.position - 1);
    }
  }
  void insert(std::size_t hash, std::size_t position) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    place(hash, position);
    ++count_;
  }
  void reserve(std::size_t n) {
    while (n * 2 > slots_.size()) grow();
  }

 private:
  struct Slot {
    std::size_t hash = 0;
    std::size_t position = 0;  // position + 1; 0 marks an empty slot
  };
  void place(std::size_t hash, std::size_t position) {
    std::size_t i = spread(hash) & mask_;
    while (slots_[i].position != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{hash, position + 1};
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 32 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old)
      if (slot.position != 0) place(slot.hash, slot.position - 1);
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

}  // namespace

// ---- Dict -------------------------------------------------------------------------------

// Maps a key's hash to the positions of the items with that hash.
struct Dict::Index : PositionTable {};

Dict::Dict(std::initializer_list<Item> items) {
  for (const auto& item : items) insert_or_assign(item.first, item.second);
}
Dict::Dict(const Dict& other) : items_(other.items_) {}
Dict& Dict::operator=(const Dict& other) {
  if (this != &other) {
    items_ = other.items_;
    index_.reset();
  }
  return *this;
}
Dict::~Dict() = default;
void Dict::IndexDeleter::operator()(Index* index) const noexcept {
  delete index;
}

std::ptrdiff_t Dict::position(const Value& key) const {
  if (items_.size() < index_threshold) {
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i].first == key) return static_cast<std::ptrdiff_t>(i);
    return -1;
  }
  if (!index_) {
    index_.reset(new Index());
    index_->reserve(items_.size());
    for (std::size_t i = 0; i < items_.size(); ++i) index_->insert(items_[i].first.hash(), i);
  }
  return index_->find(key.hash(), [&](std::size_t i) { return items_[i].first == key; });
}

const Value* Dict::find(const Value& key) const {
  auto pos = position(key);
  return pos < 0 ? nullptr : &items_[static_cast<std::size_t>(pos)].second;
}
Value* Dict::find(const Value& key) {
  auto pos = position(key);
  return pos < 0 ? nullptr : &items_[static_cast<std::size_t>(pos)].second;
}

void Dict::insert_or_assign(Value key, Value value) {
  auto pos = position(key);
  if (pos >= 0) {
    items_[static_cast<std::size_t>(pos)].second = std::move(value);
    return;
  }
  append_unique(std::move(key), std::move(value));
}

void Dict::append_unique(Value key, Value value) {
  if (index_) index_->insert(key.hash(), items_.size());
  items_.emplace_back(std::move(key), std::move(value));
}

Dict::Item& Dict::append_key(Value key) {
  index_.reset();  // the key may change until remove_duplicate_keys()
  return items_.emplace_back(std::move(key), Value());
}

void Dict::remove_duplicate_keys() {
  const std::size_t n = items_.size();
  if (n >= 0xFFFFFFFFu) throw std::length_error("dict too large");  // positions fit 32 bits
  bool duplicates = false;
  if (n <= index_threshold) {
    // Pairwise; str keys (the usual case) compared inline.
    for (std::size_t i = 1; i < n && !duplicates; ++i) {
      const Value& key = items_[i].first;
      if (const Str* text = key.get_if<Str>()) {
        for (std::size_t j = 0; j < i; ++j) {
          const Str* other = items_[j].first.get_if<Str>();
          if (other && other->utf8 == text->utf8) {
            duplicates = true;
            break;
          }
        }
      } else {
        for (std::size_t j = 0; j < i; ++j)
          if (items_[j].first == key) {
            duplicates = true;
            break;
          }
      }
    }
  } else {
    // One exactly sized table for the whole check, reused by the thread: no allocation per
    // dict, no rehashing as keys arrive. A slot holds position + 1 in its low 32 bits and the
    // top of the key's hash in its high ones, so most keys that merely collide are told apart
    // without comparing them.
    thread_local std::vector<std::uint64_t> table;
    const std::size_t size = std::bit_ceil(2 * n);
    const std::size_t mask = size - 1;
    table.assign(size, 0);
    for (std::size_t i = 0; i < n && !duplicates; ++i) {
      const Value& key = items_[i].first;
      // A str (the usual key) hashed straight from its bytes, skipping Value::hash's dispatch:
      // the table is this pass's own, and a str never equals a key of another type, so str
      // keys need not hash as Value::hash does, only consistently among themselves.
      const Str* text = key.get_if<Str>();
      const std::uint64_t h =
          PositionTable::spread(text ? hash_bytes(text->utf8.view()) : key.hash());
      const std::uint64_t tag = h & 0xFFFFFFFF00000000ULL;
      for (std::size_t slot = h & mask;; slot = (slot + 1) & mask) {
        const std::uint64_t entry = table[slot];
        if (entry == 0) {
          table[slot] = tag | (i + 1);
          break;
        }
        if ((entry & 0xFFFFFFFF00000000ULL) == tag &&
            items_[(entry & 0xFFFFFFFFULL) - 1].first == key) {
          duplicates = true;
          break;
        }
      }
    }
    if (table.capacity() > (1u << 16)) std::vector<std::size_t>().swap(table);
  }
  index_.reset();
  if (!duplicates) return;
  std::vector<Item> items = std::move(items_);
  items_.clear();
  for (auto& [k, v] : items) insert_or_assign(std::move(k), std::move(v));
}

bool operator==(const Dict& a, const Dict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    const Value* other = b.find(k);
    if (!other || !(*other == v)) return false;
  }
  return true;
}

// ---- Set --------------------------------------------------------------------------------

struct Set::Index : PositionTable {};

Set::Set(std::initializer_list<Value> items) {
  for (const auto& item : items) insert(item);
}
Set::Set(const Set& other) : items_(other.items_) {}
Set& Set::operator=(const Set& other) {
  if (this != &other) {
    items_ = other.items_;
    index_.reset();
  }
  return *this;
}
Set::~Set() = default;
void Set::IndexDeleter::operator()(Index* index) const noexcept {
  delete index;
}

std::ptrdiff_t Set::position(const Value& item) const {
  if (items_.size() < index_threshold) {
    for (std::size_t i = 0; i < items_.size(); ++i)
      if (items_[i] == item) return static_cast<std::ptrdiff_t>(i);
    return -1;
  }
  if (!index_) {
    index_.reset(new Index());
    index_->reserve(items_.size());
    for (std::size_t i = 0; i < items_.size(); ++i) index_->insert(items_[i].hash(), i);
  }
  return index_->find(item.hash(), [&](std::size_t i) { return items_[i] == item; });
}

bool Set::contains(const Value& item) const {
  return position(item) >= 0;
}

bool Set::insert(Value item) {
  if (position(item) >= 0) return false;
  if (index_) index_->insert(item.hash(), items_.size());
  items_.push_back(std::move(item));
  return true;
}

bool operator==(const Set& a, const Set& b) {
  if (a.size() != b.size()) return false;
  for (const auto& item : a)
    if (!b.contains(item)) return false;
  return true;
}

// ---- Value ------------------------------------------------------------------------------

Value::Value(BigInt b) {
  if (auto small = b.to_int64()) {
    u_.i = *small;
    kind_ = Kind::int64;
  } else {
    new (&u_.big) BigInt(std::move(b));
    kind_ = Kind::big_int;
  }
}

Value::Value(const Value& other) {
  copy_from(other);
  kind_ = other.kind_;  // last (see Kind)
}

void Value::copy_from(const Value& other) {
  switch (other.kind_) {
    case Kind::none:
    case Kind::boolean:
    case Kind::int64:
    case Kind::real:
    case Kind::complex:
      std::memcpy(static_cast<void*>(&u_), &other.u_, sizeof u_);
      return;
    case Kind::big_int:
      new (&u_.big) BigInt(other.u_.big);
      return;
    case Kind::str:
      new (&u_.s) Str(other.u_.s);
      return;
    case Kind::bytes:
      new (&u_.bytes) Bytes(other.u_.bytes);
      return;
    case Kind::list:
      new (&u_.list) List(other.u_.list);
      return;
    case Kind::tuple:
      new (&u_.tuple) Tuple(other.u_.tuple);
      return;
    case Kind::dict:
      new (&u_.dict) Dict(other.u_.dict);
      return;
    case Kind::set:
      new (&u_.set) Set(other.u_.set);
      return;
  }
}

Value& Value::operator=(const Value& other) {
  if (this != &other) *this = Value(other);
  return *this;
}

// The non-trivial alternatives (the trivial ones are copied inline).
// The non-trivial alternatives (the trivial ones are copied inline). The source is left None.
void Value::move_from(Value&& other) noexcept {
  switch (kind_) {
    case Kind::big_int:
      new (&u_.big) BigInt(std::move(other.u_.big));
      break;
    case Kind::str:
      new (&u_.s) Str(std::move(other.u_.s));
      break;
    case Kind::bytes:
      new (&u_.bytes) Bytes(std::move(other.u_.bytes));
      break;
    case Kind::list:
      new (&u_.list) List(std::move(other.u_.list));
      break;
    case Kind::tuple:
      new (&u_.tuple) Tuple(std::move(other.u_.tuple));
      break;
    case Kind::dict:
      new (&u_.dict) Dict(std::move(other.u_.dict));
      break;
    case Kind::set:
      new (&u_.set) Set(std::move(other.u_.set));
      break;
    default:
      std::memcpy(static_cast<void*>(&u_), &other.u_, sizeof u_);
      return;
  }
  other.destroy();  // what is left after a move: cheap
  other.kind_ = Kind::none;
}

void Value::destroy() noexcept {
  switch (kind_) {
    case Kind::big_int:
      u_.big.~BigInt();
      break;
    case Kind::str:
      u_.s.~Str();
      break;
    case Kind::bytes:
      u_.bytes.~Bytes();
      break;
    case Kind::list:
      u_.list.~List();
      break;
    case Kind::tuple:
      u_.tuple.~Tuple();
      break;
    case Kind::dict:
      u_.dict.~Dict();
      break;
    case Kind::set:
      u_.set.~Set();
      break;
    default:
      break;
  }
}

Type Value::type() const noexcept {
  switch (kind_) {
    case Kind::none:
      return Type::none;
    case Kind::boolean:
      return Type::boolean;
    case Kind::int64:
    case Kind::big_int:
      return Type::integer;
    case Kind::real:
      return Type::real;
    case Kind::complex:
      return Type::complex;
    case Kind::str:
      return Type::str;
    case Kind::bytes:
      return Type::bytes;
    case Kind::list:
      return Type::list;
    case Kind::tuple:
      return Type::tuple;
    case Kind::dict:
      return Type::dict;
    case Kind::set:
      break;
  }
  return Type::set;
}

void Value::type_error(Type expected) const {
  throw TypeError(std::string("expected ") + remoto::type_name(expected) + ", got " + type_name());
}

bool Value::as_bool() const {
  if (kind_ == Kind::boolean) return u_.b;
  type_error(Type::boolean);
}
std::int64_t Value::as_int() const {
  if (kind_ == Kind::int64) return u_.i;
  if (is_big_int()) throw TypeError("int " + as_big_int().str() + " does not fit in 64 bits");
  type_error(Type::integer);
}
const BigInt& Value::as_big_int() const {
  if (kind_ == Kind::big_int) return u_.big;
  type_error(Type::integer);
}
BigInt Value::to_big_int() const {
  if (kind_ == Kind::int64) return BigInt::from_int64(u_.i);
  return as_big_int();
}
double Value::as_float() const {
  if (kind_ == Kind::real) return u_.d;
  type_error(Type::real);
}
Value::Complex Value::as_complex() const {
  if (kind_ == Kind::complex) return u_.c;
  type_error(Type::complex);
}
const std::string& Value::as_bytes() const {
  if (kind_ == Kind::bytes) return u_.bytes.data;
  type_error(Type::bytes);
}
const std::vector<Value>& Value::as_list() const {
  if (kind_ == Kind::list) return u_.list.items;
  type_error(Type::list);
}
std::vector<Value>& Value::as_list() {
  if (kind_ == Kind::list) return u_.list.items;
  type_error(Type::list);
}
const std::vector<Value>& Value::as_tuple() const {
  if (kind_ == Kind::tuple) return u_.tuple.items;
  type_error(Type::tuple);
}
std::vector<Value>& Value::as_tuple() {
  if (kind_ == Kind::tuple) return u_.tuple.items;
  type_error(Type::tuple);
}
const std::vector<Value>& Value::as_sequence() const {
  if (kind_ == Kind::list) return u_.list.items;
  if (kind_ == Kind::tuple) return u_.tuple.items;
  throw TypeError(std::string("expected list or tuple, got ") + type_name());
}
const Dict& Value::as_dict() const {
  if (kind_ == Kind::dict) return u_.dict;
  type_error(Type::dict);
}
Dict& Value::as_dict() {
  if (kind_ == Kind::dict) return u_.dict;
  type_error(Type::dict);
}
const Set& Value::as_set() const {
  if (kind_ == Kind::set) return u_.set;
  type_error(Type::set);
}
Set& Value::as_set() {
  if (kind_ == Kind::set) return u_.set;
  type_error(Type::set);
}

bool Value::tuple_is_hashable() const noexcept {
  for (const auto& item : u_.tuple.items)
    if (!item.is_hashable()) return false;
  return true;
}

std::size_t Value::hash() const noexcept {
  std::size_t h = index();
  switch (kind_) {
    case Kind::none:
      return h;
    case Kind::boolean:
      return mix(h, std::hash<std::int64_t>{}(u_.b ? 1 : 0));
    case Kind::int64:
      return mix(h, std::hash<std::int64_t>{}(u_.i));
    case Kind::big_int:
      return mix(h, hash_bytes(u_.big.str()));
    case Kind::real:
      return mix(h, std::hash<std::uint64_t>{}(float_bits(u_.d)));
    case Kind::complex:
      return mix(mix(h, float_bits(u_.c.real())), float_bits(u_.c.imag()));
    case Kind::str:
      return mix(h, hash_bytes(u_.s.utf8));
    case Kind::bytes:
      return mix(h, hash_bytes(u_.bytes.data));
    case Kind::list:
    case Kind::tuple:
      for (const auto& item : as_sequence()) h = mix(h, item.hash());
      return h;
    case Kind::set: {
      std::size_t sum = 0;  // order-independent
      for (const auto& item : u_.set) sum += item.hash();
      return mix(h, sum);
    }
    case Kind::dict:
      break;
  }
  return mix(h, u_.dict.size());
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.kind_ != b.kind_) return false;
  using Kind = Value::Kind;
  switch (a.kind_) {
    case Kind::none:
      return true;
    case Kind::boolean:
      return a.u_.b == b.u_.b;
    case Kind::int64:
      return a.u_.i == b.u_.i;
    case Kind::big_int:
      return a.u_.big == b.u_.big;
    case Kind::real:
      return same_float(a.u_.d, b.u_.d);
    case Kind::complex:
      return same_float(a.u_.c.real(), b.u_.c.real()) && same_float(a.u_.c.imag(), b.u_.c.imag());
    case Kind::str:
      return a.u_.s == b.u_.s;
    case Kind::bytes:
      return a.u_.bytes == b.u_.bytes;
    case Kind::list:
      return a.u_.list == b.u_.list;
    case Kind::tuple:
      return a.u_.tuple == b.u_.tuple;
    case Kind::dict:
      return a.u_.dict == b.u_.dict;
    case Kind::set:
      break;
  }
  return a.u_.set == b.u_.set;
}

}  // namespace remoto
