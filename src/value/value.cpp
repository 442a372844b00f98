#include "remoto/value/value.hpp"

#include <bit>
#include <cmath>
#include <functional>

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

bool same_float(double a, double b) noexcept {
  return float_bits(a) == float_bits(b);
}

// Open-addressing table from a key's hash to its position in the items vector: one
// allocation for the whole index (a node-based map costs one per key, which dominated decoding
// of large dicts). Load factor at most 1/2; linear probing.
class PositionTable {
 public:
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
  // Value hashes of floats and small ints have weak low bits; mix them all in (splitmix64).
  static std::size_t spread(std::size_t h) noexcept {
    std::uint64_t z = h + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(z ^ (z >> 31));
  }
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
Dict::Dict(Dict&&) noexcept = default;
Dict& Dict::operator=(Dict&&) noexcept = default;

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
Set::Set(Set&&) noexcept = default;
Set& Set::operator=(Set&&) noexcept = default;

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
    v_ = *small;
  } else {
    v_ = std::move(b);
  }
}

Type Value::type() const noexcept {
  switch (v_.index()) {
    case 0:
      return Type::none;
    case 1:
      return Type::boolean;
    case 2:
    case 3:
      return Type::integer;
    case 4:
      return Type::real;
    case 5:
      return Type::complex;
    case 6:
      return Type::str;
    case 7:
      return Type::bytes;
    case 8:
      return Type::list;
    case 9:
      return Type::tuple;
    case 10:
      return Type::dict;
    default:
      return Type::set;
  }
}

void Value::type_error(Type expected) const {
  throw TypeError(std::string("expected ") + remoto::type_name(expected) + ", got " + type_name());
}

bool Value::as_bool() const {
  if (auto* p = std::get_if<bool>(&v_)) return *p;
  type_error(Type::boolean);
}
std::int64_t Value::as_int() const {
  if (auto* p = std::get_if<std::int64_t>(&v_)) return *p;
  if (is_big_int()) throw TypeError("int " + as_big_int().str() + " does not fit in 64 bits");
  type_error(Type::integer);
}
const BigInt& Value::as_big_int() const {
  if (auto* p = std::get_if<BigInt>(&v_)) return *p;
  type_error(Type::integer);
}
BigInt Value::to_big_int() const {
  if (auto* p = std::get_if<std::int64_t>(&v_)) return BigInt::from_int64(*p);
  return as_big_int();
}
double Value::as_float() const {
  if (auto* p = std::get_if<double>(&v_)) return *p;
  type_error(Type::real);
}
Value::Complex Value::as_complex() const {
  if (auto* p = std::get_if<Complex>(&v_)) return *p;
  type_error(Type::complex);
}
const std::string& Value::as_str() const {
  if (auto* p = std::get_if<Str>(&v_)) return p->utf8;
  type_error(Type::str);
}
const std::string& Value::as_bytes() const {
  if (auto* p = std::get_if<Bytes>(&v_)) return p->data;
  type_error(Type::bytes);
}
const std::vector<Value>& Value::as_list() const {
  if (auto* p = std::get_if<List>(&v_)) return p->items;
  type_error(Type::list);
}
std::vector<Value>& Value::as_list() {
  if (auto* p = std::get_if<List>(&v_)) return p->items;
  type_error(Type::list);
}
const std::vector<Value>& Value::as_tuple() const {
  if (auto* p = std::get_if<Tuple>(&v_)) return p->items;
  type_error(Type::tuple);
}
std::vector<Value>& Value::as_tuple() {
  if (auto* p = std::get_if<Tuple>(&v_)) return p->items;
  type_error(Type::tuple);
}
const std::vector<Value>& Value::as_sequence() const {
  if (auto* p = std::get_if<List>(&v_)) return p->items;
  if (auto* p = std::get_if<Tuple>(&v_)) return p->items;
  throw TypeError(std::string("expected list or tuple, got ") + type_name());
}
const Dict& Value::as_dict() const {
  if (auto* p = std::get_if<Dict>(&v_)) return *p;
  type_error(Type::dict);
}
Dict& Value::as_dict() {
  if (auto* p = std::get_if<Dict>(&v_)) return *p;
  type_error(Type::dict);
}
const Set& Value::as_set() const {
  if (auto* p = std::get_if<Set>(&v_)) return *p;
  type_error(Type::set);
}
Set& Value::as_set() {
  if (auto* p = std::get_if<Set>(&v_)) return *p;
  type_error(Type::set);
}

bool Value::is_hashable() const noexcept {
  if (is_list() || is_dict() || is_set()) return false;
  if (auto* t = std::get_if<Tuple>(&v_)) {
    for (const auto& item : t->items)
      if (!item.is_hashable()) return false;
  }
  return true;
}

std::size_t Value::hash() const noexcept {
  std::size_t h = v_.index();
  std::visit(
      [&h](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t>) {
          h = mix(h, std::hash<std::int64_t>{}(static_cast<std::int64_t>(x)));
        } else if constexpr (std::is_same_v<T, BigInt>) {
          h = mix(h, std::hash<std::string>{}(x.str()));
        } else if constexpr (std::is_same_v<T, double>) {
          h = mix(h, std::hash<std::uint64_t>{}(float_bits(x)));
        } else if constexpr (std::is_same_v<T, Complex>) {
          h = mix(mix(h, float_bits(x.real())), float_bits(x.imag()));
        } else if constexpr (std::is_same_v<T, Str>) {
          h = mix(h, std::hash<std::string>{}(x.utf8));
        } else if constexpr (std::is_same_v<T, Bytes>) {
          h = mix(h, std::hash<std::string>{}(x.data));
        } else if constexpr (std::is_same_v<T, Tuple> || std::is_same_v<T, List>) {
          for (const auto& item : x.items) h = mix(h, item.hash());
        } else if constexpr (std::is_same_v<T, Set>) {
          std::size_t sum = 0;  // order-independent
          for (const auto& item : x) sum += item.hash();
          h = mix(h, sum);
        } else if constexpr (std::is_same_v<T, Dict>) {
          h = mix(h, x.size());
        }
      },
      v_);
  return h;
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.v_.index() != b.v_.index()) return false;
  if (auto* x = std::get_if<double>(&a.v_)) return same_float(*x, std::get<double>(b.v_));
  if (auto* x = std::get_if<Value::Complex>(&a.v_)) {
    const auto& y = std::get<Value::Complex>(b.v_);
    return same_float(x->real(), y.real()) && same_float(x->imag(), y.imag());
  }
  return a.v_ == b.v_;
}

}  // namespace remoto
