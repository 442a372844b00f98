// msgpack (serializer id 6) with Pyro4's conventions (msgpack-python 1.0, packb with
// use_bin_type=True, unpackb with raw=False and Pyro4's ext hook), on msgpack-cxx.
//
// Parsing uses msgpack-cxx's visitor parser (msgpack::parse) and builds Values in place.
// Not msgpack::unpack: it allocates the msgpack::object array of a container from the count
// in its header before any element has arrived (checked on 4.1.3: `dd 00 ff ff ff` reserves
// 16M objects = 256 MiB, `dd ff ff ff ff` throws bad_alloc, 900 nested `dd 00 10 00 00`
// headers in 4.5 KB of input ask for 14 GiB), and unpack_limit only caps each count, not
// their sum. Here the room reserved ahead for announced entries is bounded by the input's
// size in total, and a str/bin/ext whose length runs past the input is reported as truncated
// by the parser without being read or allocated.
//
// Packing is written here, straight into the output string (msgpack-cxx's packer goes through
// a stream call per item, which made it the larger part of encoding). It writes the families
// msgpack-cxx and msgpack-python pick: the smallest int family, str8 for 32..255 bytes,
// fixext for 1/2/4/8/16-byte payloads; floats always as float64 (msgpack-cxx's pack_double
// would write 1.0 as an int, which a Python peer reads back as int).
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

#include "remoto/serial/detail/out_buffer.hpp"
#include "remoto/serial/detail/small_stack.hpp"
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
// Decoding.

// The four parts of a call ([object, method, args, kwargs]) as the Builder leaves them for
// decode_call, each already in the form the Call takes, so that nothing is converted or moved
// twice: object and method as views of the input (the Call's strings are built from them
// directly), args and kwargs built right in the vector and dict that move into the Call. A
// part of another type is kept as a Value, for the error message.
struct CallParts {
  std::string_view text[2];  // object, method
  std::vector<Value> args;
  Dict kwargs;
  bool typed[4] = {};  // part i came as the type the Call wants (kwargs: a map)
  Value other[4];      // part i otherwise (None until then)
};

// A msgpack-cxx visitor that builds the Value tree in place. A container is placed in
// its parent (or the root) when its header arrives and filled through a pointer kept in its
// frame, so no element or container is ever moved: the parent cannot grow while a child is
// open (the child is its last element), which keeps the pointer valid. Room is reserved from
// the header's count, but the counts reserved in all containers together never exceed the
// input's size (each real element takes at least one byte), so a header that lies costs
// nothing beyond the input. Map keys are appended unchecked and a map's repeated keys are
// settled once, when it ends (Dict::remove_duplicate_keys: first position, last value).
// Each element is placed through one slot() that knows where it goes (see Frame), and a call's
// four parts go straight into their CallParts.
class Builder : public ::msgpack::null_visitor {
 public:
  /// With `call`, a top-level array of 4 (a call) is built into *call instead of a list;
  /// took_call() then says so.
  Builder(std::string_view input, const Limits& limits, CallParts* call = nullptr)
      : base_(input.data()), max_depth_(limits.max_depth), budget_(input.size()), call_(call) {}

  bool visit_nil() { return emit(); }
  bool visit_boolean(bool v) { return emit(v); }
  bool visit_positive_integer(std::uint64_t v) { return emit(v); }
  bool visit_negative_integer(std::int64_t v) { return emit(v); }
  bool visit_float32(float v) { return emit(static_cast<double>(v)); }
  bool visit_float64(double v) { return emit(v); }
  // Flattened: -O2 would leave Dict::emplace_key, vector::emplace_back and InlineString's copy
  // as calls in the most frequent callback (measured: 3 % of decoding a dict of 1,000 entries).
  [[gnu::flatten]] bool visit_str(const char* p, std::uint32_t size) {
    std::string_view s(p, size);
    if (!detail::is_ascii(s) && !valid_utf8(s)) [[unlikely]]
      return false;
    // The call's object and method are kept as views (the Call's strings are built from them).
    Value* at = slot([&](std::size_t part) {
      if (part >= 2) return false;
      call_->text[part] = s;
      call_->typed[part] = true;
      return true;
    });
    if (at) new (at) Value(std::in_place_type<Str>, s);
    return true;
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
    if (!can_open()) return false;
    if (top_.into == Into::result && call_ && n == 4) {
      took_call_ = true;
      open(Frame{Into::call_part, 0, {nullptr}, nullptr});
      return true;
    }
    std::vector<Value>* items;
    if (top_.into == Into::call_part && top_.part == 2) [[unlikely]] {
      items = &call_->args;
      call_->typed[2] = true;
      ++top_.part;
    } else {
      // Built from an empty List right where it belongs (no List to move), then filled there.
      items = &place(std::in_place_type<List>).get<List>().items;
    }
    items->reserve(take_budget(n, 1));
    open(Frame{Into::list, 0, {.items = items}, nullptr});
    return true;
  }
  bool end_array() {
    close();
    return true;
  }
  bool start_map(std::uint32_t n) {
    if (!can_open()) return false;
    Dict* dict;
    if (top_.into == Into::call_part && top_.part == 3) [[unlikely]] {
      dict = &call_->kwargs;
      call_->typed[3] = true;
      ++top_.part;
    } else {
      dict = &place(std::in_place_type<Dict>).get<Dict>();
    }
    dict->reserve(take_budget(n, 2));  // a pair takes at least two bytes
    open(Frame{Into::map_key, 0, {.dict = dict}, nullptr});
    return true;
  }
  bool end_map_key() {
    const Value& key = top_.item->first;
    if (!key.is_hashable()) return unhashable_key(key);
    return true;
  }
  bool end_map() {
    // Fewer than two keys cannot repeat: no pass over them.
    if (top_.to.dict->size() > 1) top_.to.dict->remove_duplicate_keys();
    close();
    return true;
  }

  // error_offset is the offset of the byte that starts no valid msgpack item (0xc1).
  void parse_error(std::size_t /*parsed_offset*/, std::size_t error_offset) {
    error("invalid type byte", base_ + error_offset);
  }
  void insufficient_bytes(std::size_t /*parsed_offset*/, std::size_t /*error_offset*/) {
    truncated_ = true;
  }

  void init() noexcept {}  // msgpack-cxx's context::init() calls it; nothing to reset

  const std::string& error() const noexcept { return error_; }
  bool truncated() const noexcept { return truncated_; }
  /// Where the error happened, if the visitor knows better than the parser's offset.
  const char* error_ptr() const noexcept { return error_ptr_; }
  Value take() { return std::move(root_); }
  bool took_call() const noexcept { return took_call_; }

 private:
  // Where the next element goes: the result, the open array, the open map's next key or its
  // value (for the key that item holds), or the next of the call parts.
  enum class Into : std::uint8_t { result, list, map_key, map_value, call_part };
  struct Frame {
    Into into;
    std::uint8_t part;  // call_part: which part comes next
    union {
      std::vector<Value>* items;
      Dict* dict;
    } to;
    Dict::Item* item;  // map_value: the entry whose value comes next
  };

  template <class... Args>
  bool emit(Args&&... args) {
    place(std::forward<Args>(args)...);
    return true;
  }

  // Constructs a new element (from anything Value is constructible from) where it belongs,
  // over the None that slot() leaves there (a None has nothing to destroy).
  template <class... Args>
  Value& place(Args&&... args) {
    return *new (slot()) Value(std::forward<Args>(args)...);
  }

  // Where the next element goes, holding a None: one place for every kind of element, so each
  // visit stays a small function. A call's part goes to take_part(part) first; if that takes
  // it (returns true), there is no slot: nullptr.
  struct NoPart {
    bool operator()(std::size_t) const noexcept { return false; }
  };
  template <class TakePart = NoPart>
  [[gnu::always_inline]] Value* slot(TakePart take_part = {}) {
    // Tested in the order of how often each comes: a map's values and keys, then arrays.
    if (top_.into == Into::map_value) {
      top_.into = Into::map_key;
      return &top_.item->second;  // the None that emplace_key() put there
    }
    if (top_.into == Into::map_key) {
      Dict::Item& item = top_.to.dict->emplace_key();
      top_.item = &item;
      top_.into = Into::map_value;
      return &item.first;
    }
    if (top_.into == Into::list) return &top_.to.items->emplace_back();
    if (top_.into == Into::call_part) {
      if (take_part(top_.part)) {
        ++top_.part;
        return nullptr;
      }
      return &call_->other[top_.part++];  // None until now
    }
    return &root_;  // None until now
  }

  bool can_open() {
    if (outer_.size() >= max_depth_) [[unlikely]]
      return too_deep();
    return true;
  }
  void open(const Frame& frame) {
    outer_.push_back(top_);
    top_ = frame;
  }
  void close() {
    top_ = outer_.back();
    outer_.pop_back();
  }

  // How many of n announced entries, each at least `bytes` long, to reserve room for.
  std::size_t take_budget(std::size_t n, std::size_t bytes) {
    n = std::min(n, budget_ / bytes);
    budget_ -= n * bytes;
    return n;
  }

  // The error paths, out of line: building their messages inline made every hot callback keep
  // a large frame.
  [[gnu::noinline, gnu::cold]] bool error(std::string what, const char* at) {
    if (error_.empty()) {
      error_ = std::move(what);
      error_ptr_ = at;
    }
    return false;
  }
  [[gnu::noinline]] bool valid_utf8(std::string_view s) {
    auto bad = detail::find_invalid_utf8(s);
    if (bad != std::string_view::npos) return error("invalid UTF-8 in str", s.data() + bad);
    return true;
  }
  [[gnu::noinline, gnu::cold]] bool unhashable_key(const Value& key) {
    return error(std::string("unhashable map key of type ") + key.type_name(), nullptr);
  }
  [[gnu::noinline, gnu::cold]] bool too_deep() {
    return error("nesting deeper than " + std::to_string(max_depth_) + " levels", nullptr);
  }

  const char* base_;
  std::size_t max_depth_;
  std::size_t budget_;  // input bytes not yet promised to reserved entries
  // The innermost open container (or the result) in top_, kept out of the stack so that each
  // element finds its place without indexing it; the enclosing ones in outer_, the first levels
  // inline (no allocation for the usual shallow data), deeper ones in a vector.
  Frame top_{Into::result, 0, {nullptr}, nullptr};
  detail::SmallStack<Frame, 32> outer_;
  Value root_;
  CallParts* call_;
  bool took_call_ = false;
  std::string error_;
  const char* error_ptr_ = nullptr;
  bool truncated_ = false;
};

// msgpack-cxx's parser state (its detail::context, which msgpack::parse builds for every
// call), kept per thread and reset for each input: msgpack::parse allocates the parser's
// container stack afresh on every call, which was a fifth of decoding a small call.
struct ParseContext : ::msgpack::detail::context<ParseContext> {
  Builder& visitor() const noexcept { return *builder; }
  Builder* builder = nullptr;
  bool busy = false;
};

// msgpack::parse(data, size, off, builder) on the thread's ParseContext.
bool parse_msgpack(const char* data, std::size_t size, std::size_t& off, Builder& builder) {
  thread_local ParseContext context;
  if (context.busy) return ::msgpack::parse(data, size, off, builder);  // not expected
  struct Release {
    ParseContext& c;
    ~Release() { c.busy = false; }
  } release{context};
  context.busy = true;
  context.builder = &builder;
  context.init();
  // From here on as msgpack::detail::parse_imp.
  if (size <= off) {
    builder.insufficient_bytes(off, off);
    return false;
  }
  std::size_t noff = off;
  const auto ret = context.execute(data, size, noff);
  off = noff;
  if (ret == ::msgpack::PARSE_CONTINUE) builder.insufficient_bytes(noff - 1, noff);
  return ret == ::msgpack::PARSE_SUCCESS;
}

// Parses all of `data` into the builder; throws SerializeError for bad input.
void parse_into(std::string_view data, const Limits& limits, Builder& builder) {
  if (data.size() > limits.max_input)
    throw SerializeError("msgpack: input of " + std::to_string(data.size()) +
                         " bytes exceeds the limit of " + std::to_string(limits.max_input));
  if (data.empty()) throw SerializeError("msgpack: empty input");
  std::size_t off = 0;
  bool ok = false;
  try {
    ok = parse_msgpack(data.data(), data.size(), off, builder);
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
}

Value decode_value(std::string_view data, const Limits& limits) {
  Builder builder(data, limits);
  parse_into(data, limits, builder);
  return builder.take();
}

// ---------------------------------------------------------------------------------------------
// Encoding.
struct EncodeFailure {
  std::string reason;
  std::string path;
};

void check_length(std::size_t n, const char* what) {
  if (n > 0xFFFFFFFFu)
    throw EncodeFailure{std::string(what) + " too long for msgpack (more than 2**32-1)", {}};
}

// Writes msgpack straight into the output string (detail::StringOut). The families chosen are
// msgpack-cxx's (and msgpack-python's): the smallest int family for the value, fixstr/str8/16/32,
// bin8/16/32, fixext for 1/2/4/8/16-byte ext payloads, fixarray/array16/32, fixmap/map16/32.
class Packer : detail::StringOut {
 public:
  using StringOut::StringOut;

  // The common scalars inline; the rest through a call, which keeps this function small (one
  // big visit for everything costs a heavy prologue on every value).
  void value(const Value& v, std::size_t depth) {
    if (const auto* s = v.get_if<Str>()) return str(s->utf8);
    if (const auto* i = v.get_if<std::int64_t>()) return item(*i, depth);
    if (const auto* d = v.get_if<double>()) return item(*d, depth);
    value_other(v, depth);
  }
  [[gnu::noinline]] void value_other(const Value& v, std::size_t depth) {
    v.visit([&](const auto& x) { item(x, depth); });
  }

  template <class Items>
  void items(const Items& items, std::size_t depth) {
    if (depth >= max_encode_depth) throw EncodeFailure{"nesting too deep", {}};
    check_length(items.size(), "array");
    head(items.size(), 0x90, 16, 0xdc);
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
    head(d.size(), 0x80, 16, 0xde);
    for (const auto& [k, v] : d) {
      try {
        value(k, depth + 1);
        value(v, depth + 1);
      } catch (EncodeFailure& f) {
        std::string where = "[";
        if (k.is_str()) {
          where += '"';
          where += k.as_str().substr(0, 40);
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
    auto bad = detail::is_ascii(s) ? std::string_view::npos : detail::find_invalid_utf8(s);
    if (bad != std::string_view::npos) {
      std::size_t pos = bad;
      bool surrogate = unicode::decode(s, pos, true).has_value();
      throw EncodeFailure{
          surrogate ? "cannot encode a lone surrogate in str to UTF-8" : "str holds invalid UTF-8",
          {}};
    }
    check_length(s.size(), "str");
    const std::size_t n = s.size();
    ensure(5 + n);
    if (n < 32) {
      byte(0xa0 | n);
    } else if (n < 256) {
      byte(0xd9);
      byte(n);
    } else {
      head(n, 0, 0, 0xda);
    }
    raw(s.data(), n);
  }

  void nil() {
    ensure(1);
    byte(0xc0);
  }

 private:
  void be(std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) *p_++ = static_cast<char>(v >> (8 * i));
  }
  // A container or long str/bin header: a fix form below `fix_limit` (fix_limit 0: none), else
  // the 16-bit form `code16` or the 32-bit form code16 + 1.
  void head(std::size_t n, unsigned fix_base, std::size_t fix_limit, unsigned code16) {
    ensure(5);
    if (n < fix_limit) {
      byte(fix_base | n);
    } else if (n < 65536) {
      byte(code16);
      be(n, 2);
    } else {
      byte(code16 + 1);
      be(n, 4);
    }
  }
  void ext_head(std::size_t n, std::int8_t type) {
    ensure(6 + n);
    switch (n) {
      case 1:
        byte(0xd4);
        break;
      case 2:
        byte(0xd5);
        break;
      case 4:
        byte(0xd6);
        break;
      case 8:
        byte(0xd7);
        break;
      case 16:
        byte(0xd8);
        break;
      default:
        if (n < 256) {
          byte(0xc7);
          byte(n);
        } else {
          head(n, 0, 0, 0xc8);
        }
    }
    byte(static_cast<unsigned char>(type));
  }
  void uint(std::uint64_t u) {
    ensure(9);
    if (u < 128) {
      byte(u);
    } else if (u < 256) {
      byte(0xcc);
      byte(u);
    } else if (u < 65536) {
      byte(0xcd);
      be(u, 2);
    } else if (u < (1ULL << 32)) {
      byte(0xce);
      be(u, 4);
    } else {
      byte(0xcf);
      be(u, 8);
    }
  }

  void item(std::monostate, std::size_t) { nil(); }
  void item(bool b, std::size_t) {
    ensure(1);
    byte(b ? 0xc3 : 0xc2);
  }
  void item(std::int64_t i, std::size_t) {
    if (i >= 0) return uint(static_cast<std::uint64_t>(i));
    ensure(9);
    const auto u = static_cast<std::uint64_t>(i);
    if (i >= -32) {
      byte(u & 0xff);  // negative fixint
    } else if (i >= -128) {
      byte(0xd0);
      byte(u & 0xff);
    } else if (i >= -32768) {
      byte(0xd1);
      be(u, 2);
    } else if (i >= INT32_MIN) {
      byte(0xd2);
      be(u, 4);
    } else {
      byte(0xd3);
      be(u, 8);
    }
  }
  void item(const BigInt& b, std::size_t) {
    if (auto u = b.to_uint64()) return uint(*u);
    // Beyond 64 bits: Pyro4's ext 0x31 with the decimal text.
    const std::string& text = b.str();
    check_length(text.size(), "int");
    ext_head(text.size(), ext_big_int);
    raw(text.data(), text.size());
  }
  // Always float64, as Pyro4 sends (msgpack-cxx's pack_double would write 1.0 as an int).
  void item(double d, std::size_t) {
    ensure(9);
    byte(0xcb);
    be(std::bit_cast<std::uint64_t>(d), 8);
  }
  void item(const Value::Complex& c, std::size_t) {
    ext_head(16, ext_complex);
    store_le(p_, c.real());
    store_le(p_ + 8, c.imag());
    p_ += 16;
  }
  void item(const Str& s, std::size_t) { str(s.utf8); }
  void item(const Bytes& b, std::size_t) {
    const std::size_t n = b.data.size();
    check_length(n, "bytes");
    ensure(5 + n);
    if (n < 256) {
      byte(0xc4);
      byte(n);
    } else {
      head(n, 0, 0, 0xc5);
    }
    raw(b.data.data(), n);
  }
  void item(const List& l, std::size_t depth) { items(l.items, depth); }
  void item(const Tuple& t, std::size_t depth) { items(t.items, depth); }
  void item(const Set& s, std::size_t depth) { items(s, depth); }
  void item(const Dict& d, std::size_t depth) { dict(d, depth); }
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
    std::string out = "\x94";  // fixarray of 4
    try {
      Packer pk(out);
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
    // The array of 4 is built straight into `parts`: no list of them.
    CallParts parts;
    Builder builder(data, limits, &parts);
    parse_into(data, limits, builder);
    if (builder.took_call()) return make_call(parts);
    Value v = builder.take();
    if (!v.is_list())
      throw SerializeError(std::string("msgpack call: expected an array of 4, got ") +
                           v.type_name());
    throw SerializeError("msgpack call: expected an array of 4, got " +
                         std::to_string(v.as_list().size()) + " items");
  }

 private:
  static Call make_call(CallParts& parts) {
    if (!parts.typed[0])
      throw SerializeError(std::string("msgpack call: object id must be a str, got ") +
                           parts.other[0].type_name());
    if (!parts.typed[1])
      throw SerializeError(std::string("msgpack call: method must be a str, got ") +
                           parts.other[1].type_name());
    if (!parts.typed[2])
      throw SerializeError(std::string("msgpack call: args must be an array, got ") +
                           parts.other[2].type_name());
    if (!parts.typed[3] && !parts.other[3].is_none())
      throw SerializeError(std::string("msgpack call: kwargs must be a map or nil, got ") +
                           parts.other[3].type_name());
    // Built in the caller's object, every member straight from its part.
    return Call{std::string(parts.text[0]), std::string(parts.text[1]), std::move(parts.args),
                parts.typed[3] ? std::optional<Dict>(std::move(parts.kwargs)) : std::nullopt};
  }
};

}  // namespace

const Serializer& msgpack() {
  static const Msgpack instance;
  return instance;
}

}  // namespace remoto::serial
