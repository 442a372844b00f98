// msgpack (serializer id 6) with Pyro4's conventions (msgpack-python 1.0, packb with
// use_bin_type=True, unpackb with raw=False and Pyro4's ext hook), on msgpack-cxx.
//
// Parsing uses msgpack-cxx's visitor parser (msgpack::parse) and builds Values directly.
// Not msgpack::unpack: it allocates the msgpack::object array of a container from the count
// in its header before any element has arrived (checked on 4.1.3: `dd 00 ff ff ff` reserves
// 16M objects = 256 MiB, `dd ff ff ff ff` throws bad_alloc, 900 nested `dd 00 10 00 00`
// headers in 4.5 KB of input ask for 14 GiB), and unpack_limit only caps each count, not
// their sum. Here the room reserved ahead for announced entries is bounded by the input's
// size in total, and a str/bin/ext whose length runs past the input is reported as truncated
// by the parser without being read or allocated.
//
// Packing uses msgpack-cxx's packer (it picks the smallest int family, str8 for 32..255
// bytes and fixext for 1/2/4/8/16-byte payloads, as msgpack-python does), except for floats:
// its pack_double writes a double with an integral value as an int (1.0 -> 01), which a
// Python peer would read back as int, so float64 is written here.
//
//   Python value             msgpack                       decoded here as
//   None, bool               nil, true/false               same
//   int in [-2^63, 2^64-1]   smallest int family           int
//   other int                ext 0x31, ASCII decimal       int
//   float                    float64 (float32 accepted)    float
//   str                      str family, strict UTF-8      str (invalid UTF-8: error)
//   bytes, bytearray         bin family                    bytes
//   list, tuple, set         array                         list
//   dict                     map                           dict (key must be hashable)
//   complex                  ext 0x30: 2 little-endian f64 complex
//   naive datetime           ext 0x32: f64 POSIX timestamp float (that timestamp; Python
//                                                          rebuilds a local-time datetime)
//   date                     ext 0x33: int64 (int32 from   int (the proleptic Gregorian
//                            Windows) ordinal              ordinal, day 1 = 0001-01-01)
//   any other ext code: SerializeError("invalid ext code for msgpack: N"), as in Pyro4.
//
// Map keys: Python's unpacker (strict_map_key) refuses keys other than str and bytes, so a
// dict with int keys that remoto sends cannot be read by a Python peer; remoto itself accepts
// any hashable key on input (what Python would send with strict_map_key=False) and sends
// whatever keys the dict has, as Pyro4 does.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <msgpack.hpp>

#include "remoto/serial/detail/utf8_scan.hpp"
#include "remoto/serial/serializer.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

constexpr std::int8_t ext_complex = 0x30;
constexpr std::int8_t ext_big_int = 0x31;
constexpr std::int8_t ext_datetime = 0x32;
constexpr std::int8_t ext_date = 0x33;

// As in json.cpp: bounds the encoder's recursion well inside a thread's stack.
constexpr std::size_t max_encode_depth = 10000;

// Little-endian load/store of the ext payloads (Python packs them with the sender's native
// byte order, which is little-endian on every platform Pyro4 meets in practice).
template <class T>
T load_le(const char* p) {
  std::make_unsigned_t<std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>> u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    u |= static_cast<decltype(u)>(static_cast<unsigned char>(p[i])) << (8 * i);
  return std::bit_cast<T>(u);
}

void store_le(char* p, double d) {
  auto u = std::bit_cast<std::uint64_t>(d);
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(u >> (8 * i));
}

// ---------------------------------------------------------------------------------------------
// Decoding: a msgpack-cxx visitor. Each open container is a frame whose elements are built
// in place; its storage is reserved from the header's count, but the counts reserved in all
// frames together never exceed the input's size (each real element takes at least one byte),
// so a header that lies costs nothing beyond the input.
class Builder : public ::msgpack::null_visitor {
 public:
  Builder(std::string_view input, const Limits& limits)
      : base_(input.data()), max_depth_(limits.max_depth), budget_(input.size()) {
    frames_.reserve(16);
  }

  bool visit_nil() { return emit(nullptr); }
  bool visit_boolean(bool v) { return emit(v); }
  bool visit_positive_integer(std::uint64_t v) { return emit(v); }
  bool visit_negative_integer(std::int64_t v) { return emit(v); }
  bool visit_float32(float v) { return emit(static_cast<double>(v)); }
  bool visit_float64(double v) { return emit(v); }
  bool visit_str(const char* p, std::uint32_t size) {
    std::string_view s(p, size);
    auto bad = detail::find_invalid_utf8(s);
    if (bad != std::string_view::npos) return error("invalid UTF-8 in str", p + bad);
    return emit(Str{std::string(s)});
  }
  bool visit_bin(const char* p, std::uint32_t size) { return emit(Bytes{std::string(p, size)}); }
  // p[0] is the type code, the payload follows.
  bool visit_ext(const char* p, std::uint32_t size) {
    if (size == 0) return error("ext without a type code", p);  // only past 4 GiB of input
    auto code = static_cast<std::int8_t>(p[0]);
    const char* data = p + 1;
    std::size_t n = size - 1;
    switch (code) {
      case ext_complex:
        if (n != 16) return error("complex ext 0x30 needs 16 bytes, got " + std::to_string(n), p);
        return emit(Value::Complex(load_le<double>(data), load_le<double>(data + 8)));
      case ext_big_int: {
        auto big = BigInt::parse(std::string_view(data, n));
        if (!big) return error("int ext 0x31 holds no decimal integer", p);
        return emit(std::move(*big));
      }
      case ext_datetime:
        if (n != 8) return error("datetime ext 0x32 needs 8 bytes, got " + std::to_string(n), p);
        return emit(load_le<double>(data));
      case ext_date:
        if (n == 8) return emit(load_le<std::int64_t>(data));
        if (n == 4) return emit(load_le<std::int32_t>(data));
        return error("date ext 0x33 needs 8 bytes, got " + std::to_string(n), p);
      default:
        return error("invalid ext code for msgpack: " + std::to_string(code), p);
    }
  }

  bool start_array(std::uint32_t n) {
    if (!open()) return false;
    frames_.back().items.reserve(take_budget(n, 1));
    return true;
  }
  bool end_array() {
    List list{std::move(frames_.back().items)};
    frames_.pop_back();
    return emit(std::move(list));
  }
  bool start_map(std::uint32_t n) {
    if (!open()) return false;
    Frame& f = frames_.back();
    f.is_map = true;
    f.dict.reserve(take_budget(n, 2));  // a pair takes at least two bytes
    return true;
  }
  bool end_map_key() {
    const Value& key = frames_.back().key;
    if (!key.is_hashable())
      return error(std::string("unhashable map key of type ") + key.type_name(), nullptr);
    return true;
  }
  bool end_map() {
    Dict dict(std::move(frames_.back().dict));
    frames_.pop_back();
    return emit(std::move(dict));
  }

  // error_offset is the offset of the byte that starts no valid msgpack item (0xc1).
  void parse_error(std::size_t /*parsed_offset*/, std::size_t error_offset) {
    error("invalid type byte", base_ + error_offset);
  }
  void insufficient_bytes(std::size_t /*parsed_offset*/, std::size_t /*error_offset*/) {
    truncated_ = true;
  }

  const std::string& error() const noexcept { return error_; }
  bool truncated() const noexcept { return truncated_; }
  /// Where the error happened, if the visitor knows better than the parser's offset.
  const char* error_ptr() const noexcept { return error_ptr_; }
  Value take() { return std::move(root_); }

 private:
  struct Frame {
    std::vector<Value> items;  // array elements
    Dict dict;                 // map items
    Value key;                 // map: the key that waits for its value
    bool is_map = false;
    bool have_key = false;
  };

  // Places a new value (a Value or anything Value is constructible from) into the open
  // container, or makes it the result.
  template <class T>
  bool emit(T&& x) {
    if (frames_.empty()) {
      root_ = Value(std::forward<T>(x));
      return true;
    }
    Frame& f = frames_.back();
    if (!f.is_map) {
      f.items.emplace_back(std::forward<T>(x));
    } else if (!f.have_key) {
      f.key = Value(std::forward<T>(x));
      f.have_key = true;
    } else {
      add_item(f.dict, std::move(f.key), Value(std::forward<T>(x)));
      f.have_key = false;
    }
    return true;
  }

  // dict[key] = value. Small dicts with str keys (the usual case) are checked for a repeated
  // key here, comparing the text directly, which is much cheaper than Dict's general lookup.
  static void add_item(Dict& dict, Value&& key, Value&& value) {
    if (dict.size() < 8 && key.is_str()) {
      const std::string& text = key.as_str();
      for (const auto& item : dict) {
        if (item.first.is_str() && item.first.as_str() == text) {
          dict.insert_or_assign(std::move(key), std::move(value));
          return;
        }
      }
      dict.append_unique(std::move(key), std::move(value));
      return;
    }
    dict.insert_or_assign(std::move(key), std::move(value));
  }

  bool open() {
    if (frames_.size() >= max_depth_)
      return error("nesting deeper than " + std::to_string(max_depth_) + " levels", nullptr);
    frames_.emplace_back();
    return true;
  }

  // How many of n announced entries, each at least `bytes` long, to reserve room for.
  std::size_t take_budget(std::size_t n, std::size_t bytes) {
    n = std::min(n, budget_ / bytes);
    budget_ -= n * bytes;
    return n;
  }

  bool error(std::string what, const char* at) {
    if (error_.empty()) {
      error_ = std::move(what);
      error_ptr_ = at;
    }
    return false;
  }

  const char* base_;
  std::size_t max_depth_;
  std::size_t budget_;  // input bytes not yet promised to reserved entries
  std::vector<Frame> frames_;
  Value root_;
  std::string error_;
  const char* error_ptr_ = nullptr;
  bool truncated_ = false;
};

Value decode_value(std::string_view data, const Limits& limits) {
  if (data.size() > limits.max_input)
    throw SerializeError("msgpack: input of " + std::to_string(data.size()) +
                         " bytes exceeds the limit of " + std::to_string(limits.max_input));
  if (data.empty()) throw SerializeError("msgpack: empty input");
  Builder builder(data, limits);
  std::size_t off = 0;
  bool ok = false;
  try {
    ok = ::msgpack::parse(data.data(), data.size(), off, builder);
  } catch (const ::msgpack::unpack_error& e) {
    // msgpack-cxx throws for an ext32 length of 0xffffffff (ext_size_overflow).
    throw SerializeError(std::string("msgpack: ") + e.what() + " at byte " + std::to_string(off));
  }
  if (!ok) {
    std::string msg = "msgpack: ";
    if (!builder.error().empty()) {
      msg += builder.error();
      std::size_t at =
          builder.error_ptr() ? static_cast<std::size_t>(builder.error_ptr() - data.data()) : off;
      msg += " at byte " + std::to_string(at);
    } else if (builder.truncated()) {
      msg += "truncated input: " + std::to_string(data.size()) + " bytes end inside a value";
    } else {
      msg += "invalid input at byte " + std::to_string(off);
    }
    throw SerializeError(msg);
  }
  if (off != data.size())
    throw SerializeError("msgpack: extra data at byte " + std::to_string(off));
  return builder.take();
}

// ---------------------------------------------------------------------------------------------
// Encoding: msgpack-cxx's packer writing into a std::string (see the top of the file).
struct StringStream {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};

struct EncodeFailure {
  std::string reason;
  std::string path;
};

void check_length(std::size_t n, const char* what) {
  if (n > 0xFFFFFFFFu)
    throw EncodeFailure{std::string(what) + " too long for msgpack (more than 2**32-1)", {}};
}

class Packer {
 public:
  explicit Packer(std::string& out) : stream_{&out}, pk_(stream_) {}

  void value(const Value& v, std::size_t depth) {
    std::visit([&](const auto& x) { item(x, depth); }, v.variant());
  }

  template <class Items>
  void items(const Items& items, std::size_t depth) {
    if (depth >= max_encode_depth) throw EncodeFailure{"nesting too deep", {}};
    check_length(items.size(), "array");
    pk_.pack_array(static_cast<std::uint32_t>(items.size()));
    std::size_t i = 0;
    for (const Value& x : items) {
      try {
        value(x, depth + 1);
      } catch (EncodeFailure& f) {
        f.path.insert(0, "[" + std::to_string(i) + "]");
        throw;
      }
      ++i;
    }
  }

  void dict(const Dict& d, std::size_t depth) {
    if (depth >= max_encode_depth) throw EncodeFailure{"nesting too deep", {}};
    check_length(d.size(), "map");
    pk_.pack_map(static_cast<std::uint32_t>(d.size()));
    for (const auto& [k, v] : d) {
      try {
        value(k, depth + 1);
        value(v, depth + 1);
      } catch (EncodeFailure& f) {
        std::string where = "[";
        if (k.is_str()) {
          where += '"';
          where += std::string_view(k.as_str()).substr(0, 40);
          where += '"';
        } else {
          where += k.type_name();
        }
        where += ']';
        f.path.insert(0, where);
        throw;
      }
    }
  }

  void str(std::string_view s) {
    // msgpack's str is UTF-8: a lone surrogate (or a byte that is not UTF-8) has no encoding.
    auto bad = detail::find_invalid_utf8(s);
    if (bad != std::string_view::npos) {
      std::size_t pos = bad;
      bool surrogate = unicode::decode(s, pos, true).has_value();
      throw EncodeFailure{
          surrogate ? "cannot encode a lone surrogate in str to UTF-8" : "str holds invalid UTF-8",
          {}};
    }
    check_length(s.size(), "str");
    pk_.pack_str(static_cast<std::uint32_t>(s.size()));
    pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  }

  void nil() { pk_.pack_nil(); }

 private:
  void item(std::monostate, std::size_t) { pk_.pack_nil(); }
  void item(bool b, std::size_t) {
    if (b) {
      pk_.pack_true();
    } else {
      pk_.pack_false();
    }
  }
  void item(std::int64_t i, std::size_t) { pk_.pack_int64(i); }
  void item(const BigInt& b, std::size_t) {
    if (auto u = b.to_uint64()) {
      pk_.pack_uint64(*u);
      return;
    }
    // Beyond 64 bits: Pyro4's ext 0x31 with the decimal text.
    const std::string& text = b.str();
    pk_.pack_ext(text.size(), ext_big_int);
    pk_.pack_ext_body(text.data(), static_cast<std::uint32_t>(text.size()));
  }
  // Not pk_.pack_double: msgpack-cxx 4.x packs a double with an integral value as an int
  // (1.0 -> 01), which a Python peer would read back as int. Pyro4 always sends float64.
  void item(double d, std::size_t) {
    auto u = std::bit_cast<std::uint64_t>(d);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(u >> (56 - 8 * i));
    stream_.write(buf, sizeof buf);
  }
  void item(const Value::Complex& c, std::size_t) {
    char buf[16];
    store_le(buf, c.real());
    store_le(buf + 8, c.imag());
    pk_.pack_ext(sizeof buf, ext_complex);
    pk_.pack_ext_body(buf, sizeof buf);
  }
  void item(const Str& s, std::size_t) { str(s.utf8); }
  void item(const Bytes& b, std::size_t) {
    check_length(b.data.size(), "bytes");
    pk_.pack_bin(static_cast<std::uint32_t>(b.data.size()));
    pk_.pack_bin_body(b.data.data(), static_cast<std::uint32_t>(b.data.size()));
  }
  void item(const List& l, std::size_t depth) { items(l.items, depth); }
  void item(const Tuple& t, std::size_t depth) { items(t.items, depth); }
  void item(const Set& s, std::size_t depth) { items(s, depth); }
  void item(const Dict& d, std::size_t depth) { dict(d, depth); }

  StringStream stream_;
  ::msgpack::packer<StringStream> pk_;
};

[[noreturn]] void rethrow(const EncodeFailure& f) {
  std::string msg = "msgpack: " + f.reason;
  if (!f.path.empty()) msg += " at " + f.path;
  throw SerializeError(msg);
}

class Msgpack final : public Serializer {
 public:
  SerializerId id() const noexcept override { return SerializerId::msgpack; }
  const char* name() const noexcept override { return "msgpack"; }

  std::string encode(const Value& value) const override {
    std::string out;
    out.reserve(256);
    try {
      Packer(out).value(value, 0);
    } catch (const EncodeFailure& f) {
      rethrow(f);
    }
    return out;
  }

  Value decode(std::string_view data, const Limits& limits) const override {
    return decode_value(data, limits);
  }

  // [objectId, method, args, kwargs or nil], as Pyro4's MsgpackSerializer.dumpsCall packs it.
  std::string encode_call(const Call& call) const override {
    std::string out;
    out.reserve(256);
    try {
      Packer pk(out);
      out += '\x94';  // fixarray of 4
      pk.str(call.object);
      pk.str(call.method);
      try {
        pk.items(call.args, 0);
      } catch (EncodeFailure& f) {
        f.path.insert(0, "args");
        throw;
      }
      if (call.kwargs) {
        try {
          pk.dict(*call.kwargs, 0);
        } catch (EncodeFailure& f) {
          f.path.insert(0, "kwargs");
          throw;
        }
      } else {
        pk.nil();
      }
    } catch (const EncodeFailure& f) {
      rethrow(f);
    }
    return out;
  }

  Call decode_call(std::string_view data, const Limits& limits) const override {
    Value v = decode_value(data, limits);
    if (!v.is_list())
      throw SerializeError(std::string("msgpack call: expected an array of 4, got ") +
                           v.type_name());
    auto& parts = v.as_list();
    if (parts.size() != 4)
      throw SerializeError("msgpack call: expected an array of 4, got " +
                           std::to_string(parts.size()) + " items");
    Call call;
    if (!parts[0].is_str())
      throw SerializeError(std::string("msgpack call: object id must be a str, got ") +
                           parts[0].type_name());
    if (!parts[1].is_str())
      throw SerializeError(std::string("msgpack call: method must be a str, got ") +
                           parts[1].type_name());
    call.object = parts[0].as_str();
    call.method = parts[1].as_str();
    if (!parts[2].is_list())
      throw SerializeError(std::string("msgpack call: args must be an array, got ") +
                           parts[2].type_name());
    call.args = std::move(parts[2].as_list());
    if (parts[3].is_dict()) {
      call.kwargs = std::move(parts[3].as_dict());
    } else if (!parts[3].is_none()) {
      throw SerializeError(std::string("msgpack call: kwargs must be a map or nil, got ") +
                           parts[3].type_name());
    }
    return call;
  }
};

}  // namespace

const Serializer& msgpack() {
  static const Msgpack instance;
  return instance;
}

}  // namespace remoto::serial
