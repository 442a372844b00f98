// Pyro4's SerializerBase.recreate_classes / dict_to_class (Pyro4/util.py) and, for the rewrite,
// class_to_dict: the same order of checks, the same messages.
#include "remoto/serial/class_dicts.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "remoto/serial/pyro_objects.hpp"
#include "remoto/value/repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

// Python 3.11's built-in exception classes (BaseException subclasses in builtins), with the
// name of the class each one is: IOError and EnvironmentError are OSError.
constexpr std::array<std::pair<std::string_view, std::string_view>, 69> builtin_exceptions{{
    {"ArithmeticError", "ArithmeticError"},
    {"AssertionError", "AssertionError"},
    {"AttributeError", "AttributeError"},
    {"BaseException", "BaseException"},
    {"BaseExceptionGroup", "BaseExceptionGroup"},
    {"BlockingIOError", "BlockingIOError"},
    {"BrokenPipeError", "BrokenPipeError"},
    {"BufferError", "BufferError"},
    {"BytesWarning", "BytesWarning"},
    {"ChildProcessError", "ChildProcessError"},
    {"ConnectionAbortedError", "ConnectionAbortedError"},
    {"ConnectionError", "ConnectionError"},
    {"ConnectionRefusedError", "ConnectionRefusedError"},
    {"ConnectionResetError", "ConnectionResetError"},
    {"DeprecationWarning", "DeprecationWarning"},
    {"EOFError", "EOFError"},
    {"EncodingWarning", "EncodingWarning"},
    {"EnvironmentError", "OSError"},
    {"Exception", "Exception"},
    {"ExceptionGroup", "ExceptionGroup"},
    {"FileExistsError", "FileExistsError"},
    {"FileNotFoundError", "FileNotFoundError"},
    {"FloatingPointError", "FloatingPointError"},
    {"FutureWarning", "FutureWarning"},
    {"GeneratorExit", "GeneratorExit"},
    {"IOError", "OSError"},
    {"ImportError", "ImportError"},
    {"ImportWarning", "ImportWarning"},
    {"IndentationError", "IndentationError"},
    {"IndexError", "IndexError"},
    {"InterruptedError", "InterruptedError"},
    {"IsADirectoryError", "IsADirectoryError"},
    {"KeyError", "KeyError"},
    {"KeyboardInterrupt", "KeyboardInterrupt"},
    {"LookupError", "LookupError"},
    {"MemoryError", "MemoryError"},
    {"ModuleNotFoundError", "ModuleNotFoundError"},
    {"NameError", "NameError"},
    {"NotADirectoryError", "NotADirectoryError"},
    {"NotImplementedError", "NotImplementedError"},
    {"OSError", "OSError"},
    {"OverflowError", "OverflowError"},
    {"PendingDeprecationWarning", "PendingDeprecationWarning"},
    {"PermissionError", "PermissionError"},
    {"ProcessLookupError", "ProcessLookupError"},
    {"RecursionError", "RecursionError"},
    {"ReferenceError", "ReferenceError"},
    {"ResourceWarning", "ResourceWarning"},
    {"RuntimeError", "RuntimeError"},
    {"RuntimeWarning", "RuntimeWarning"},
    {"StopAsyncIteration", "StopAsyncIteration"},
    {"StopIteration", "StopIteration"},
    {"SyntaxError", "SyntaxError"},
    {"SyntaxWarning", "SyntaxWarning"},
    {"SystemError", "SystemError"},
    {"SystemExit", "SystemExit"},
    {"TabError", "TabError"},
    {"TimeoutError", "TimeoutError"},
    {"TypeError", "TypeError"},
    {"UnboundLocalError", "UnboundLocalError"},
    {"UnicodeDecodeError", "UnicodeDecodeError"},
    {"UnicodeEncodeError", "UnicodeEncodeError"},
    {"UnicodeError", "UnicodeError"},
    {"UnicodeTranslateError", "UnicodeTranslateError"},
    {"UnicodeWarning", "UnicodeWarning"},
    {"UserWarning", "UserWarning"},
    {"ValueError", "ValueError"},
    {"Warning", "Warning"},
    {"ZeroDivisionError", "ZeroDivisionError"},
}};

// Pyro4.errors' PyroError subclasses (Pyro4 4.82).
constexpr std::array<std::string_view, 10> pyro_errors{
    "CommunicationError", "ConnectionClosedError", "DaemonError", "MessageTooLargeError",
    "NamingError",        "ProtocolError",         "PyroError",   "SecurityError",
    "SerializeError",     "TimeoutError",
};

constexpr std::array<std::string_view, 9> sqlite3_errors{
    "DataError",         "DatabaseError",    "Error",
    "IntegrityError",    "InterfaceError",   "InternalError",
    "NotSupportedError", "OperationalError", "ProgrammingError",
};

constexpr std::array<std::string_view, 7> pyro_serializers{
    "Pyro4.util.SerpentSerializer", "Pyro4.util.PickleSerializer",
    "Pyro4.util.MarshalSerializer", "Pyro4.util.JsonSerializer",
    "Pyro4.util.MsgpackSerializer", "Pyro4.util.CloudpickleSerializer",
    "Pyro4.util.DillSerializer",
};

template <class Array>
bool contains(const Array& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<std::string_view> builtin_exception(std::string_view name) {
  for (const auto& [alias, cls] : builtin_exceptions)
    if (alias == name) return cls;
  return std::nullopt;
}

[[noreturn]] void unsupported(std::string_view name) {
  throw SerializeError("unsupported serialized class: " + std::string(name));
}

const Value& entry(const Dict& d, std::string_view name, std::string_view key) {
  const Value* v = d.find(Value(key));
  if (!v) throw SerializeError(std::string(name) + " dict has no '" + std::string(key) + "'");
  return *v;
}

bool is_python_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// Python's float(str): whitespace around, sign, decimal digits (underscores between digits),
// or inf / infinity / nan in any case.
std::optional<double> python_float(std::string_view text) {
  while (!text.empty() && is_python_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_python_space(text.back())) text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::string lower;
  for (char c : text) {
    if (c == '_') continue;
    lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  double d = 0;
  if (lower == "inf" || lower == "infinity") {
    d = std::numeric_limits<double>::infinity();
  } else if (lower == "nan") {
    d = std::numeric_limits<double>::quiet_NaN();
  } else {
    if (lower.empty() || !(std::isdigit(static_cast<unsigned char>(lower[0])) || lower[0] == '.'))
      return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '_') continue;
      bool digit_before = i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]));
      bool digit_after =
          i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]));
      if (!digit_before || !digit_after) return std::nullopt;
    }
    auto res = std::from_chars(lower.data(), lower.data() + lower.size(), d);
    if (res.ptr != lower.data() + lower.size()) return std::nullopt;
    if (res.ec == std::errc::result_out_of_range) {
      auto e = lower.find('e');
      bool tiny = e != std::string::npos && lower.find('-', e) != std::string::npos;
      d = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (res.ec != std::errc()) {
      return std::nullopt;
    }
  }
  return negative ? -d : d;
}

// Walks a value as recreate_classes does. With Build, each class dict is replaced by its
// rewritten form; without, nothing is written (check only).
template <bool Build>
class Walker {
 public:
  using Ref = std::conditional_t<Build, Value&, const Value&>;

  explicit Walker(const ClassDictOptions& options) : options_(options) {}

  bool nested() const noexcept { return nested_; }

  void walk(Ref v, std::size_t depth, bool exempt = false) {
    if (v.is_list() || v.is_tuple()) {
      auto& items = items_of(v);
      for (auto& item : items) walk(item, depth + 1);
    } else if (v.is_dict()) {
      walk_dict(v, depth, exempt);
    }
    // Sets hold only hashable values, so no dict can hide in them; scalars have nothing.
  }

 private:
  static auto& items_of(Ref v) {
    if constexpr (Build)
      return v.is_list() ? v.as_list() : v.as_tuple();
    else
      return v.as_sequence();
  }

  void walk_dict(Ref v, std::size_t depth, bool exempt) {
    const Value* name = v.as_dict().find(Value("__class__"));
    if (options_.bottom_up || !name) {
      bool wrapper = name && *name == Value(exception_wrapper_class);
      for (const auto& [key, value] : v.as_dict()) {
        bool in_wrapper = wrapper && key == Value("exception");
        if constexpr (Build) {
          // Dict hands out const items; a value (unlike a key) is not part of its index, and
          // the dict itself is not const here, so rewriting it in place is sound.
          walk(const_cast<Value&>(value), depth + 1, in_wrapper);
        } else {
          walk(value, depth + 1, in_wrapper);
        }
      }
    }
    if (!name) return;
    auto replacement = convert(v.as_dict());
    if (replacement.object && depth > 0 && !exempt) nested_ = true;
    if constexpr (Build) {
      if (replacement.value) v = std::move(*replacement.value);
    }
  }

  struct Replacement {
    std::optional<Value> value;  // nullopt: keep the dict as it is
    bool object = true;          // Python made an object of it (not a float)
  };

  // dict_to_class, then class_to_dict of the result.
  Replacement convert(const Dict& d, bool base_only = false) {
    const Value& raw_name = *d.find(Value("__class__"));
    if (options_.float_marker && !base_only && raw_name == Value("float")) {
      const Value& value = entry(d, "float", "value");
      std::optional<double> f;
      if (value.is_str()) f = python_float(value.as_str());
      if (value.is_float()) f = value.as_float();
      if (value.is_int())
        f = value.is_int64() ? static_cast<double>(value.as_int()) : value.as_big_int().to_double();
      if (!f) throw SerializeError("could not convert to float: " + python_repr(value));
      return {Value(*f), false};
    }
    std::string name;
    if (raw_name.is_str()) {
      name = raw_name.as_str();
    } else if (raw_name.is_bytes() && unicode::is_valid(raw_name.as_bytes(), false)) {
      name = raw_name.as_bytes();
    } else {
      unsupported(python_repr(raw_name));
    }
    if (options_.registered && options_.registered(name)) return {std::nullopt, true};
    if (name.find("__") != std::string::npos)
      throw SecurityError("refused to deserialize types with double underscores in their name: " +
                          name);
    if (name.starts_with("Pyro4.core.")) {
      if (name == uri_class) return {uri(d)};
      if (name == proxy_class) return {proxy(d)};
      if (name == daemon_class) {
        (void)entry(d, name, "state");
        return {make_dict({{"__class__", Value(daemon_class)}, {"state", Value::tuple()}})};
      }
      unsupported(name);
    }
    if (name.starts_with("Pyro4.util.")) {
      if (contains(pyro_serializers, name)) return {make_dict({{"__class__", Value(name)}})};
      unsupported(name);
    }
    if (name.starts_with("Pyro4.errors.")) {
      if (contains(pyro_errors, std::string_view(name).substr(13))) return {exception(d, name)};
      unsupported(name);
    }
    if (name == exception_wrapper_class) {
      const Value& inner = entry(d, name, "exception");
      Value rewritten = inner;
      if (inner.is_dict() && inner.as_dict().find(Value("__class__"))) {
        // SerializerBase.dict_to_class: the base class's, so never serpent's float marker.
        if (auto r = convert(inner.as_dict(), true); r.value) rewritten = std::move(*r.value);
      }
      return {make_dict(
          {{"__class__", Value(exception_wrapper_class)}, {"exception", std::move(rewritten)}})};
    }
    const Value* flag = d.find(Value("__exception__"));
    if (flag && python_truth(*flag)) {
      if (auto cls = canonical_exception_class(name)) return {exception(d, *cls)};
    }
    unsupported(name);
  }

  static Value uri(const Dict& d) {
    const Value& state = entry(d, uri_class, "state");
    if (!(state.is_tuple() || state.is_list()) || state.as_sequence().size() != 5)
      throw SerializeError("invalid Pyro4.core.URI state: " + python_repr(state));
    return make_dict(
        {{"__class__", Value(uri_class)}, {"state", Value::tuple(state.as_sequence())}});
  }

  static Value proxy(const Dict& d) {
    ProxyRef ref = ProxyRef::from_value(Value(d));
    ref.timeout = 0.0;  // Python takes these two from its own configuration
    ref.max_retries = 0;
    return ref.to_value();
  }

  static Value exception(const Dict& d, const std::string& cls) {
    ExceptionInfo info = ExceptionInfo::from_value(Value(d));
    info.class_name = cls;
    return info.to_value();
  }

  const ClassDictOptions& options_;
  bool nested_ = false;
};

}  // namespace

ClassDictOptions class_dict_options(SerializerId id) {
  ClassDictOptions options;
  options.float_marker = id == SerializerId::serpent;
  options.bottom_up = id == SerializerId::msgpack;
  return options;
}

void check_class_dicts(const Value& value, const ClassDictOptions& options) {
  Walker<false>(options).walk(value, 0);
}

bool recreate_class_dicts(Value& value, const ClassDictOptions& options) {
  Walker<true> walker(options);
  walker.walk(value, 0);
  return walker.nested();
}

std::optional<std::string> canonical_exception_class(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos) {
    // Pyro4's all_exceptions: the builtins, then Pyro4.errors over them (TimeoutError).
    if (contains(pyro_errors, name)) return "Pyro4.errors." + std::string(name);
    if (auto cls = builtin_exception(name)) return "builtins." + std::string(*cls);
    return std::nullopt;
  }
  std::string_view module = name.substr(0, dot);
  std::string_view short_name = name.substr(dot + 1);
  if (module == "builtins" || module == "exceptions") {
    if (auto cls = builtin_exception(short_name)) return "builtins." + std::string(*cls);
  } else if (module == "sqlite3") {
    if (contains(sqlite3_errors, short_name)) return std::string(name);
  } else if (name.starts_with("Pyro4.errors.")) {
    if (contains(pyro_errors, name.substr(13))) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace remoto::serial
