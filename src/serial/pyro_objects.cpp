// Uri, ExceptionInfo and ProxyRef. Uri::parse follows Pyro4's URI.__init__ (a regular
// expression plus _parseLocation) step by step, so that its quirks and messages match.
#include "remoto/serial/pyro_objects.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "remoto/value/repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

// Python's str.isspace() (= \s of the re module for str patterns).
bool is_python_space(char32_t c) noexcept {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// The code point at pos (advancing pos); a byte that is not UTF-8 counts as one character.
char32_t next_char(std::string_view s, std::size_t& pos) {
  if (auto cp = unicode::decode(s, pos, true)) return *cp;
  return static_cast<unsigned char>(s[pos++]);
}

std::string_view python_strip(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    std::size_t pos = begin;
    if (!is_python_space(next_char(s, pos))) break;
    begin = pos;
  }
  std::size_t end = begin;
  for (std::size_t pos = begin; pos < s.size();) {
    if (!is_python_space(next_char(s, pos))) end = pos;
  }
  return s.substr(begin, end - begin);
}

// Python's int(text) for base 10: surrounding whitespace, a sign, digits with single
// underscores between them. (Python also takes non-ASCII digits; Pyro URIs never have them.)
std::optional<std::int64_t> python_int(std::string_view text) {
  text = python_strip(text);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') return std::nullopt;
  std::string digits;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      if (text[i + 1] == '_') return std::nullopt;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    digits += c;
  }
  std::uint64_t v = 0;
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (res.ec != std::errc() || v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool is_ascii_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void add_unique(std::vector<std::string>& out, std::string item) {
  if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
}

[[noreturn]] void bad_state(const std::string& what) {
  throw SerializeError(what);
}

// The "state" entry of a class dict, as a sequence.
const std::vector<Value>& state_of(const Value& value, std::string_view cls) {
  if (!value.is_dict()) bad_state(std::string(cls) + ": expected a dict, got " + value.type_name());
  const Dict& d = value.as_dict();
  const Value* name = d.find("__class__");
  if (!name || *name != Value(cls)) bad_state("not a " + std::string(cls) + " dict");
  const Value* state = d.find("state");
  if (!state || !(state->is_tuple() || state->is_list()))
    bad_state(std::string(cls) + ": state must be a tuple");
  return state->as_sequence();
}

std::optional<std::string> optional_str(const Value& v, const char* what) {
  if (v.is_none()) return std::nullopt;
  if (!v.is_str())
    bad_state(std::string("URI ") + what + " must be str or None, got " + v.type_name());
  return std::string(v.as_str());
}

std::vector<std::string> str_items(const Value& v, const char* what) {
  std::vector<std::string> out;
  auto add = [&](const Value& item) {
    if (!item.is_str())
      bad_state(std::string("proxy ") + what + " must hold str, got " + item.type_name());
    add_unique(out, std::string(item.as_str()));
  };
  if (v.is_list() || v.is_tuple()) {
    for (const auto& item : v.as_sequence()) add(item);
  } else if (v.is_set()) {
    for (const auto& item : v.as_set()) add(item);
  } else {
    bad_state(std::string("proxy ") + what + " must be a tuple, got " + v.type_name());
  }
  return out;
}

Value str_tuple(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const auto& item : items) values.emplace_back(item);
  return Value::tuple(std::move(values));
}

const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

// ---- Uri ----------------------------------------------------------------------------------

Uri Uri::parse(std::string_view text, std::int64_t ns_port) {
  // ^[Pp][Yy][Rr][Oo][a-zA-Z]*:(?P<object>\S+?)(@(?P<location>.+))?$
  if (text.size() < 5 || upper(text.substr(0, 4)) != "PYRO") throw PyroError("invalid uri");
  std::size_t colon = 4;
  while (colon < text.size() && is_ascii_alpha(text[colon])) ++colon;
  if (colon >= text.size() || text[colon] != ':') throw PyroError("invalid uri");
  std::string protocol = upper(text.substr(0, colon));

  // The lazy object part grows one character at a time until the rest matches.
  const std::size_t start = colon + 1;
  std::optional<std::string_view> object;
  std::optional<std::string_view> location;
  for (std::size_t pos = start; pos < text.size();) {
    if (is_python_space(next_char(text, pos))) break;  // \S
    if (pos < text.size() && text[pos] == '@') {
      // '.' is anything but a newline; '$' also matches before a final newline.
      std::string_view rest = text.substr(pos + 1);
      if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
      if (!rest.empty() && rest.find('\n') == std::string_view::npos) {
        object = text.substr(start, pos - start);
        location = rest;
        break;
      }
    }
    if (pos == text.size() || (pos + 1 == text.size() && text[pos] == '\n')) {
      object = text.substr(start, pos - start);
      break;
    }
  }
  if (!object) throw PyroError("invalid uri");

  Uri uri;
  uri.protocol_ = protocol;
  std::optional<std::int64_t> default_port;
  if (protocol == "PYRONAME") {
    uri.object_ = std::string(*object);
    default_port = ns_port;
  } else if (protocol == "PYRO") {
    if (!location) throw PyroError("invalid uri");
    uri.object_ = std::string(*object);
  } else if (protocol == "PYROMETA") {
    std::string_view rest = *object;
    for (;;) {
      auto comma = rest.find(',');
      add_unique(uri.tags_, std::string(python_strip(rest.substr(0, comma))));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    default_port = ns_port;
  } else {
    throw PyroError("invalid uri (protocol)");
  }
  if (!location) return uri;

  std::string_view loc = *location;
  if (loc.starts_with("./u:")) {
    std::string_view path = loc.substr(4);
    if (path.empty() || path.find(':') != std::string_view::npos)
      throw PyroError("invalid uri (location)");
    uri.sockname_ = std::string(path);
    return uri;
  }
  std::optional<std::string_view> port_text;
  if (loc.starts_with("[")) {
    if (loc.starts_with("[["))
      throw PyroError("invalid ipv6 address: enclosed in too many brackets");
    // \[([0-9a-fA-F:%]+)](:(\d+))?   (anchored at the start only)
    std::size_t end = 1;
    while (end < loc.size() && (std::isxdigit(static_cast<unsigned char>(loc[end])) ||
                                loc[end] == ':' || loc[end] == '%'))
      ++end;
    if (end == 1 || end >= loc.size() || loc[end] != ']')
      throw PyroError(
          "invalid ipv6 address: the part between brackets must be a numeric ipv6 address");
    uri.host_ = std::string(loc.substr(1, end - 1));
    std::size_t digits = end + 2;
    while (digits < loc.size() && loc[digits] >= '0' && loc[digits] <= '9') ++digits;
    if (end + 1 < loc.size() && loc[end + 1] == ':' && digits > end + 2)
      port_text = loc.substr(end + 2, digits - end - 2);
  } else {
    auto sep = loc.find(':');
    uri.host_ = std::string(loc.substr(0, sep));
    if (sep != std::string_view::npos) port_text = loc.substr(sep + 1);
  }
  if (!port_text || port_text->empty()) {
    if (!default_port) throw PyroError("invalid port in uri, port=None");
    uri.port_ = default_port;
  } else if (auto port = python_int(*port_text)) {
    uri.port_ = port;
  } else {
    throw PyroError("invalid port in uri, port=" + std::string(*port_text));
  }
  return uri;
}

Uri Uri::pyro(std::string object, std::string host, std::int64_t port) {
  Uri uri;
  uri.object_ = std::move(object);
  uri.host_ = std::move(host);
  uri.port_ = port;
  return uri;
}

Uri Uri::pyro_unix(std::string object, std::string socket_path) {
  Uri uri;
  uri.object_ = std::move(object);
  uri.sockname_ = std::move(socket_path);
  return uri;
}

Uri Uri::pyroname(std::string name, std::optional<std::string> host,
                  std::optional<std::int64_t> port) {
  Uri uri;
  uri.protocol_ = "PYRONAME";
  uri.object_ = std::move(name);
  uri.host_ = std::move(host);
  uri.port_ = uri.host_ && !port ? std::optional<std::int64_t>(default_ns_port) : port;
  return uri;
}

Uri Uri::pyrometa(std::vector<std::string> tags, std::optional<std::string> host,
                  std::optional<std::int64_t> port) {
  Uri uri = pyroname({}, std::move(host), port);
  uri.protocol_ = "PYROMETA";
  for (auto& tag : tags) add_unique(uri.tags_, std::move(tag));
  return uri;
}

std::optional<std::string> Uri::location() const {
  if (host_ && !host_->empty()) {
    std::string port = port_ ? ":" + std::to_string(*port_) : "";
    if (host_->find(':') != std::string::npos) return "[" + *host_ + "]" + port;
    return *host_ + port;
  }
  if (sockname_ && !sockname_->empty()) return "./u:" + *sockname_;
  return std::nullopt;
}

std::string Uri::str() const {
  std::string out = protocol_ + ":";
  if (protocol_ == "PYROMETA") {
    for (std::size_t i = 0; i < tags_.size(); ++i) {
      if (i) out += ',';
      out += tags_[i];
    }
  } else {
    out += object_;
  }
  if (auto loc = location()) out += "@" + *loc;
  return out;
}

Value Uri::to_value() const {
  Value object;
  if (protocol_ == "PYROMETA") {
    Set tags;
    for (const auto& tag : tags_) tags.insert(Value(tag));
    object = Value(std::move(tags));
  } else {
    object = Value(object_);
  }
  auto opt = [](const auto& o) { return o ? Value(*o) : Value(); };
  Dict d;
  d.append_unique(Value("__class__"), Value(uri_class));
  d.append_unique(Value("state"), Value::tuple({Value(protocol_), std::move(object), opt(sockname_),
                                                opt(host_), opt(port_)}));
  return Value(std::move(d));
}

Uri Uri::from_value(const Value& value) {
  const auto& state = state_of(value, uri_class);
  if (state.size() != 5)
    bad_state("URI state must have 5 items, got " + std::to_string(state.size()));
  Uri uri;
  if (!state[0].is_str())
    bad_state(std::string("URI protocol must be str, got ") + state[0].type_name());
  uri.protocol_ = state[0].as_str();
  const Value& object = state[1];
  if (uri.protocol_ == "PYROMETA" && (object.is_set() || object.is_list() || object.is_tuple())) {
    auto add = [&uri](const Value& tag) {
      if (!tag.is_str()) bad_state(std::string("URI tags must be str, got ") + tag.type_name());
      add_unique(uri.tags_, std::string(tag.as_str()));
    };
    if (object.is_set()) {
      for (const auto& tag : object.as_set()) add(tag);
    } else {
      for (const auto& tag : object.as_sequence()) add(tag);
    }
  } else if (object.is_str()) {
    uri.object_ = object.as_str();
  } else {
    bad_state(std::string("URI object must be str, got ") + object.type_name());
  }
  uri.sockname_ = optional_str(state[2], "sockname");
  uri.host_ = optional_str(state[3], "host");
  if (state[4].is_int64()) {
    uri.port_ = state[4].as_int();
  } else if (!state[4].is_none()) {
    bad_state(std::string("URI port must be int or None, got ") + state[4].type_name());
  }
  return uri;
}

bool operator==(const Uri& a, const Uri& b) {
  if (a.protocol_ != b.protocol_ || a.object_ != b.object_ || a.sockname_ != b.sockname_ ||
      a.host_ != b.host_ || a.port_ != b.port_ || a.tags_.size() != b.tags_.size())
    return false;
  return std::all_of(a.tags_.begin(), a.tags_.end(), [&b](const std::string& tag) {
    return std::find(b.tags_.begin(), b.tags_.end(), tag) != b.tags_.end();
  });
}

// ---- ExceptionInfo ------------------------------------------------------------------------

std::string_view ExceptionInfo::short_name() const noexcept {
  std::string_view name(class_name);
  auto dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

std::string ExceptionInfo::message() const {
  if (args.empty()) return "";
  if (args.size() == 1)
    return args[0].is_str() ? std::string(args[0].as_str()) : python_repr(args[0]);
  return python_repr(Value::tuple(args));
}

std::vector<std::string> ExceptionInfo::traceback() const {
  std::vector<std::string> lines;
  const Value* tb = attributes.find(Value("_pyroTraceback"));
  if (tb && (tb->is_list() || tb->is_tuple())) {
    for (const auto& line : tb->as_sequence())
      if (line.is_str()) lines.emplace_back(line.as_str());
  } else if (tb && tb->is_str()) {
    lines.emplace_back(tb->as_str());
  }
  return lines;
}

void ExceptionInfo::set_traceback(const std::vector<std::string>& lines) {
  std::vector<Value> values(lines.begin(), lines.end());
  attributes.insert_or_assign(Value("_pyroTraceback"), Value::list(std::move(values)));
}

Value ExceptionInfo::to_value() const {
  Dict d;
  d.append_unique(Value("__class__"), Value(class_name));
  d.append_unique(Value("__exception__"), Value(true));
  d.append_unique(Value("args"), Value::tuple(args));
  d.append_unique(Value("attributes"), Value(attributes));
  return Value(std::move(d));
}

bool ExceptionInfo::is_exception_dict(const Value& value) {
  if (!value.is_dict()) return false;
  const Value* name = value.as_dict().find(Value("__class__"));
  const Value* flag = value.as_dict().find(Value("__exception__"));
  return name && name->is_str() && flag && python_truth(*flag);
}

ExceptionInfo ExceptionInfo::from_value(const Value& value) {
  if (!value.is_dict())
    throw SerializeError(std::string("exception: expected a dict, got ") + value.type_name());
  const Dict& d = value.as_dict();
  const Value* name = d.find(Value("__class__"));
  if (!name || !name->is_str()) throw SerializeError("exception: no class name");
  const Value* args = d.find(Value("args"));
  if (!args || !(args->is_tuple() || args->is_list()))
    throw SerializeError("exception " + std::string(name->as_str()) + ": args must be a tuple");
  ExceptionInfo info;
  info.class_name = name->as_str();
  info.args = args->as_sequence();
  if (const Value* attributes = d.find(Value("attributes")); attributes && !attributes->is_none()) {
    if (!attributes->is_dict())
      throw SerializeError("exception " + info.class_name + ": attributes must be a dict");
    info.attributes = attributes->as_dict();
  }
  return info;
}

// ---- ProxyRef -----------------------------------------------------------------------------

Value ProxyRef::to_value() const {
  Dict d;
  d.append_unique(Value("__class__"), Value(proxy_class));
  d.append_unique(
      Value("state"),
      Value::tuple({Value(uri.str()), str_tuple(oneway), str_tuple(methods), str_tuple(attrs),
                    Value(timeout), hmac_key ? Value("b64:" + base64_encode(*hmac_key)) : Value(),
                    handshake, Value(max_retries), serializer ? Value(*serializer) : Value()}));
  return Value(std::move(d));
}

ProxyRef ProxyRef::from_value(const Value& value) {
  const auto& state = state_of(value, proxy_class);
  if (state.size() != 8 && state.size() != 9)
    bad_state("proxy state must have 9 items, got " + std::to_string(state.size()));
  ProxyRef proxy;
  if (!state[0].is_str())
    bad_state(std::string("proxy URI must be str, got ") + state[0].type_name());
  proxy.uri = Uri::parse(state[0].as_str());
  proxy.oneway = str_items(state[1], "oneway");
  proxy.methods = str_items(state[2], "methods");
  proxy.attrs = str_items(state[3], "attrs");
  if (state[4].is_float()) {
    proxy.timeout = state[4].as_float();
  } else if (state[4].is_int64()) {
    proxy.timeout = static_cast<double>(state[4].as_int());
  } else if (!state[4].is_none()) {
    bad_state(std::string("proxy timeout must be a number, got ") + state[4].type_name());
  }
  if (python_truth(state[5])) {
    // Pyro4: "b64:" + base64 of the key, anything else is a ProtocolError.
    if (!state[5].is_str() || !state[5].as_str().starts_with("b64:"))
      throw ProtocolError("hmac encoding error");
    auto key = base64_decode(std::string_view(state[5].as_str()).substr(4));
    if (!key) throw ProtocolError("hmac encoding error");
    proxy.hmac_key = std::move(key);
  }
  proxy.handshake = state[6];
  if (state[7].is_int64()) {
    proxy.max_retries = state[7].as_int();
  } else if (!state[7].is_none()) {
    bad_state(std::string("proxy maxretries must be int, got ") + state[7].type_name());
  }
  if (state.size() == 9 && !state[8].is_none()) {
    if (!state[8].is_str())
      bad_state(std::string("proxy serializer must be str, got ") + state[8].type_name());
    proxy.serializer = state[8].as_str();
  }
  return proxy;
}

// ---- helpers ------------------------------------------------------------------------------

bool python_truth(const Value& v) noexcept {
  switch (v.type()) {
    case Type::none:
      return false;
    case Type::boolean:
      return v.as_bool();
    case Type::integer:
      return !v.is_int64() || v.as_int() != 0;
    case Type::real:
      return v.as_float() != 0.0;
    case Type::complex:
      return v.as_complex() != Value::Complex(0, 0);
    case Type::str:
      return !v.as_str().empty();
    case Type::bytes:
      return !v.as_bytes().empty();
    case Type::list:
    case Type::tuple:
      return !v.as_sequence().empty();
    case Type::dict:
      return !v.as_dict().empty();
    case Type::set:
      return !v.as_set().empty();
  }
  return true;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16 |
                      static_cast<unsigned char>(data[i + 1]) << 8 |
                      static_cast<unsigned char>(data[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += base64_alphabet[(n >> shift) & 63];
  }
  if (i < data.size()) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += base64_alphabet[(n >> 18) & 63];
    out += base64_alphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? base64_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : text) {
    if (c == '=') {
      ++pad;
      continue;
    }
    const char* at = std::find(base64_alphabet, base64_alphabet + 64, c);
    if (at == base64_alphabet + 64 || pad) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(at - base64_alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

}  // namespace remoto::serial
