// Pyro4's special objects as typed values: the URI, a remote exception and a proxy reference,
// each converting to and from the class dict that Pyro4 sends in every serializer (spec §3.4,
// §4.7). Tuples in those dicts become arrays in json and msgpack, so readers accept a list or
// a tuple wherever Pyro4 writes a tuple; writers produce tuples (what serpent and marshal keep).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "remoto/errors.hpp"
#include "remoto/value/value.hpp"

namespace remoto::serial {

/// Class names Pyro4 puts in "__class__". Never change: they are on the wire.
inline constexpr std::string_view uri_class = "Pyro4.core.URI";
inline constexpr std::string_view proxy_class = "Pyro4.core.Proxy";
inline constexpr std::string_view daemon_class = "Pyro4.core.Daemon";
inline constexpr std::string_view exception_wrapper_class = "Pyro4.futures._ExceptionWrapper";

/// A Pyro object URI (spec §5): PYRO:obj@host:port, PYRO:obj@./u:/socket/path,
/// PYRONAME:name[@host[:port]], PYROMETA:tag1,tag2[@host[:port]]. Equality compares protocol,
/// object (PYROMETA tags as a set), socket name, host and port, as Pyro4 does.
/// Value type. Thread safety: distinct objects safe, shared objects read-only safe.
class Uri {
 public:
  static constexpr std::int64_t default_ns_port = 9090;  // Pyro4's NS_PORT

  /// An empty PYRO uri (no object, no location): fill it with the factories below.
  Uri() = default;

  /// Parses the text form exactly as Pyro4's URI() does, including its quirks (the protocol
  /// is case-insensitive; the object ends at the first '@' that is followed by a location;
  /// ports go through Python's int(), so " 08" is 8; no range check). PYRONAME and PYROMETA
  /// without a port get `ns_port`. Throws PyroError with Pyro4's message ("invalid uri",
  /// "invalid uri (protocol)", "invalid port in uri, port=X", ...).
  static Uri parse(std::string_view text, std::int64_t ns_port = default_ns_port);

  static Uri pyro(std::string object, std::string host, std::int64_t port);
  static Uri pyro_unix(std::string object, std::string socket_path);
  static Uri pyroname(std::string name, std::optional<std::string> host = std::nullopt,
                      std::optional<std::int64_t> port = std::nullopt);
  static Uri pyrometa(std::vector<std::string> tags, std::optional<std::string> host = std::nullopt,
                      std::optional<std::int64_t> port = std::nullopt);

  /// "PYRO", "PYRONAME" or "PYROMETA".
  const std::string& protocol() const noexcept { return protocol_; }
  /// The object id or name; empty for PYROMETA.
  const std::string& object() const noexcept { return object_; }
  /// PYROMETA's tags (unique, in the order given); empty otherwise.
  const std::vector<std::string>& tags() const noexcept { return tags_; }
  const std::optional<std::string>& sockname() const noexcept { return sockname_; }
  const std::optional<std::string>& host() const noexcept { return host_; }
  std::optional<std::int64_t> port() const noexcept { return port_; }

  /// "host:port", "[ipv6]:port" or "./u:path"; nullopt without a location (or an empty host).
  std::optional<std::string> location() const;
  /// The text form, as Pyro4's str(uri).
  std::string str() const;

  /// {'__class__': 'Pyro4.core.URI', 'state': (protocol, object, sockname, host, port)}, where
  /// a PYROMETA object is the set of tags.
  Value to_value() const;
  /// Reads that dict (state as tuple or list; PYROMETA object as set, list or tuple).
  /// Throws SerializeError for anything else.
  static Uri from_value(const Value& value);

  friend bool operator==(const Uri& a, const Uri& b);
  friend std::ostream& operator<<(std::ostream& out, const Uri& uri) { return out << uri.str(); }

 private:
  std::string protocol_ = "PYRO";
  std::string object_;
  std::vector<std::string> tags_;
  std::optional<std::string> sockname_;
  std::optional<std::string> host_;
  std::optional<std::int64_t> port_;
};

/// An exception as it crosses the wire (spec §3.4): class name with module
/// ("builtins.ValueError", "Pyro4.errors.NamingError"), the args, and the instance attributes,
/// among them "_pyroTraceback" (the remote traceback lines) when the daemon added it.
/// Value type.
struct ExceptionInfo {
  std::string class_name;
  std::vector<Value> args;
  Dict attributes;  // in the order Pyro4 sent them

  /// The class name without its module: "ValueError".
  std::string_view short_name() const noexcept;
  /// What Python's str(exception) prints: "" for no args, the one arg (a str as is, anything
  /// else as its repr), else the repr of the args tuple.
  std::string message() const;
  /// The "_pyroTraceback" lines (each ending in "\n"); empty if there are none.
  std::vector<std::string> traceback() const;
  void set_traceback(const std::vector<std::string>& lines);

  /// {'__class__': class_name, '__exception__': True, 'args': (args...), 'attributes': {...}}
  Value to_value() const;
  /// Reads that dict (args as tuple or list; "attributes" may be missing). Throws
  /// SerializeError for anything else.
  static ExceptionInfo from_value(const Value& value);
  /// Whether value looks like an exception dict: a dict with a str "__class__" and a true
  /// "__exception__".
  static bool is_exception_dict(const Value& value);

  friend bool operator==(const ExceptionInfo&, const ExceptionInfo&) = default;
};

/// A serialized Pyro4 proxy (spec §4.7): what a Python peer sends for a Proxy object, e.g.
/// an autoproxy returned by a method. Value type.
struct ProxyRef {
  Uri uri;
  std::vector<std::string> oneway;      // method names called oneway
  std::vector<std::string> methods;     // exposed method names (from metadata)
  std::vector<std::string> attrs;       // exposed attribute names
  double timeout = 0.0;                 // seconds, 0 = none; Python receivers ignore it
  std::optional<std::string> hmac_key;  // raw key bytes (sent as "b64:<base64>")
  Value handshake;
  std::int64_t max_retries = 0;  // Python receivers ignore it
  std::optional<std::string> serializer;

  /// {'__class__': 'Pyro4.core.Proxy', 'state': (uri string, oneway, methods, attrs, timeout,
  ///  hmac, handshake, maxretries, serializer)}
  Value to_value() const;
  /// Reads that dict; also the 8-item state of older peers (no serializer). Throws
  /// SerializeError for anything else, PyroError for a bad URI string.
  static ProxyRef from_value(const Value& value);

  friend bool operator==(const ProxyRef&, const ProxyRef&) = default;
};

/// Python's truth value of v (None, False, 0, 0.0, empty str/bytes/containers are false).
bool python_truth(const Value& v) noexcept;

/// Base64 as Python's base64.b64encode / b64decode (standard alphabet, padded).
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace remoto::serial
