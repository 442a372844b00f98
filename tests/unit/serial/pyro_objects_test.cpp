#include "remoto/serial/pyro_objects.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "remoto/serial/class_dicts.hpp"
#include "remoto/serial/pyro_codec.hpp"
#include "remoto/value/repr.hpp"

namespace remoto::serial {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const nlohmann::json& index_json() {
  static const nlohmann::json index =
      nlohmann::json::parse(read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/index.json"));
  return index;
}

std::string payload_of(const std::string& message) {
  auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(message[at]) << 8 |
                                    static_cast<unsigned char>(message[at + 1]));
  };
  return message.substr(24 + u16(18), u16(12) << 16 | u16(14));
}

// A value vector decoded with its own serializer.
Value vector_value(const std::string& name) {
  const auto& ser = *find_serializer(name.substr(0, name.find('_')));
  return ser.decode(read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/" + name + ".bin"));
}

const char* serializers[] = {"serpent", "json", "msgpack", "marshal"};

TEST(UriTest, ParsesEveryCaseAsPyro4Does) {
  int n = 0;
  for (const auto& c : index_json()["uri_parse_cases"]) {
    std::string input = c["input"];
    SCOPED_TRACE(input);
    ++n;
    if (!c["ok"].get<bool>()) {
      std::string expected = c["error"];
      ASSERT_TRUE(expected.starts_with("PyroError: "));
      try {
        (void)Uri::parse(input);
        ADD_FAILURE() << "parsed";
      } catch (const PyroError& e) {
        EXPECT_STREQ(e.pyro_class(), "Pyro4.errors.PyroError");
        EXPECT_EQ(e.what(), expected.substr(11));
      }
      continue;
    }
    Uri uri = Uri::parse(input);
    EXPECT_EQ(uri.protocol(), c["protocol"].get<std::string>());
    if (c["object"].is_array()) {
      EXPECT_EQ(uri.tags(), c["object"].get<std::vector<std::string>>());
      EXPECT_EQ(uri.object(), "");
    } else {
      EXPECT_EQ(uri.object(), c["object"].get<std::string>());
    }
    auto opt_str = [](const nlohmann::json& j) {
      return j.is_null() ? std::nullopt : std::optional<std::string>(j.get<std::string>());
    };
    EXPECT_EQ(uri.host(), opt_str(c["host"]));
    EXPECT_EQ(uri.sockname(), opt_str(c["sockname"]));
    EXPECT_EQ(uri.location(), opt_str(c["location"]));
    if (c["port"].is_null()) {
      EXPECT_FALSE(uri.port());
    } else {
      EXPECT_EQ(uri.port(), c["port"].get<std::int64_t>());
    }
    EXPECT_EQ(uri.str(), c["str"].get<std::string>());
    EXPECT_EQ(Uri::from_value(uri.to_value()), uri);
  }
  EXPECT_EQ(n, 38);
}

TEST(UriTest, MoreParseQuirks) {
  EXPECT_EQ(Uri::parse("PYRO:obj@h:1\n").str(), "PYRO:obj@h:1");  // '$' before a final newline
  EXPECT_THROW(Uri::parse("PYRO:obj@h:1\n\n"), PyroError);
  EXPECT_EQ(Uri::parse("PYRO:o@[::1]:12junk").port(), 12);  // Python's re.match: prefix only
  EXPECT_EQ(Uri::parse("PYRO:o@h:1_000").port(), 1000);     // int() takes underscores
  EXPECT_EQ(Uri::parse("PYROMETA:b,a,b").tags(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(Uri::parse("PYRONAME:x@h", 1234).port(), 1234);
  EXPECT_THROW(Uri::parse("PYRO:o\u00a0x@h:1"), PyroError);  // Unicode whitespace
  EXPECT_EQ(Uri::parse("PYRO:\u00e9@h:1").object(), "\u00e9");
  EXPECT_EQ(Uri::pyro("obj", "::1", 5).str(), "PYRO:obj@[::1]:5");
  EXPECT_EQ(Uri::pyro_unix("obj", "/tmp/s").str(), "PYRO:obj@./u:/tmp/s");
  EXPECT_EQ(Uri::pyroname("ns").str(), "PYRONAME:ns");
  EXPECT_EQ(Uri::pyroname("ns", "host").str(), "PYRONAME:ns@host:9090");
  EXPECT_EQ(Uri::pyrometa({"a", "b"}, "h", 1).str(), "PYROMETA:a,b@h:1");
  EXPECT_EQ(Uri::parse("PYROMETA:a,b@h:1"), Uri::parse("PYROMETA:b,a@h:1"));
  EXPECT_NE(Uri::parse("PYRO:a@h:1"), Uri::parse("PYRO:a@h:2"));
  std::ostringstream out;
  out << Uri::parse("pyro:x@h:08");
  EXPECT_EQ(out.str(), "PYRO:x@h:8");
}

TEST(UriTest, ReadsTheDictFormOfEverySerializer) {
  const std::pair<const char*, Uri> cases[] = {
      {"uri_pyro", Uri::pyro("obj_123", "localhost", 9999)},
      {"uri_pyroname", Uri::pyroname("example.echo", "nshost", 9090)},
      {"uri_unix", Uri::pyro_unix("obj", "/tmp/pyro.sock")},
      {"uri_ipv6", Uri::pyro("obj", "::1", 9999)},
      {"uri_pyrometa", Uri::pyrometa({"red", "green"}, "nshost", 9090)},
  };
  for (const char* ser : serializers) {
    for (const auto& [what, expected] : cases) {
      std::string name = std::string(ser) + "_value_" + what;
      SCOPED_TRACE(name);
      Value v = vector_value(name);
      Uri uri = Uri::from_value(v);
      EXPECT_EQ(uri, expected);
      if (std::string_view(ser) == "serpent" || std::string_view(ser) == "marshal") {
        EXPECT_EQ(uri.to_value(), v);  // tuples and sets kept
      }
    }
  }
  EXPECT_THROW(Uri::from_value(make_dict({{"__class__", "Pyro4.core.URI"}, {"state", 1}})),
               SerializeError);
  EXPECT_THROW(Uri::from_value(Value::list()), SerializeError);
}

TEST(ExceptionInfoTest, ReadsTheDictFormOfEverySerializer) {
  for (const char* ser : serializers) {
    std::string prefix = std::string(ser) + "_value_";
    SCOPED_TRACE(prefix);
    auto e = ExceptionInfo::from_value(vector_value(prefix + "exception_attrs"));
    EXPECT_EQ(e.class_name, "builtins.ValueError");
    EXPECT_EQ(e.short_name(), "ValueError");
    EXPECT_EQ(e.args, (std::vector<Value>{"bad value", 42}));
    EXPECT_EQ(Value(e.attributes), make_dict({{"code", "E42"}}));
    EXPECT_EQ(e.message(), "('bad value', 42)");
    EXPECT_TRUE(e.traceback().empty());
    auto pyro = ExceptionInfo::from_value(vector_value(prefix + "exception_pyro"));
    EXPECT_EQ(pyro.class_name, "Pyro4.errors.NamingError");
    EXPECT_EQ(pyro.message(), "unknown name: x");
    EXPECT_TRUE(ExceptionInfo::is_exception_dict(vector_value(prefix + "exception")));
    Value wrapper = vector_value(prefix + "exception_wrapper");
    EXPECT_EQ(*wrapper.as_dict().find("__class__"), Value(exception_wrapper_class));
    auto inner = ExceptionInfo::from_value(*wrapper.as_dict().find("exception"));
    EXPECT_EQ(inner.args, std::vector<Value>{"in batch"});
    if (std::string_view(ser) == "serpent" || std::string_view(ser) == "marshal") {
      EXPECT_EQ(e.to_value(), vector_value(prefix + "exception_attrs"));
    }
  }
}

TEST(ExceptionInfoTest, CarriesTheRemoteTraceback) {
  // The daemon's reply to a failing call: a RESULT with the exception flag.
  const auto& ser = serpent();
  Value v = ser.decode(
      payload_of(read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/serpent_basic_08_result.bin")));
  auto e = ExceptionInfo::from_value(v);
  EXPECT_EQ(e.class_name, "builtins.ValueError");
  auto tb = e.traceback();
  ASSERT_EQ(tb.size(), 3u);
  EXPECT_EQ(tb.front(), "Traceback (most recent call last):\n");
  EXPECT_TRUE(tb.back().starts_with("ValueError: "));

  ExceptionInfo made{"builtins.KeyError", {"k"}, make_dict({{"code", 1}}).as_dict()};
  made.set_traceback({"line 1\n", "line 2\n"});
  EXPECT_EQ(
      made.to_value(),
      make_dict(
          {{"__class__", "builtins.KeyError"},
           {"__exception__", true},
           {"args", Value::tuple({"k"})},
           {"attributes",
            make_dict({{"code", 1}, {"_pyroTraceback", Value::list({"line 1\n", "line 2\n"})}})}}));
  EXPECT_EQ(ExceptionInfo::from_value(made.to_value()), made);
  EXPECT_EQ((ExceptionInfo{"X", {}, {}}).message(), "");
  EXPECT_EQ((ExceptionInfo{"X", {3}, {}}).message(), "3");
}

TEST(ProxyRefTest, ReadsTheDictFormOfEverySerializer) {
  for (const char* ser : serializers) {
    std::string prefix = std::string(ser) + "_value_";
    SCOPED_TRACE(prefix);
    Value plain = vector_value(prefix + "proxy");
    auto p = ProxyRef::from_value(plain);
    EXPECT_EQ(p.uri, Uri::pyro("obj_123", "localhost", 9999));
    EXPECT_EQ(p.oneway, std::vector<std::string>{"ping"});
    EXPECT_EQ(p.methods.size(), 2u);
    EXPECT_EQ(p.attrs, std::vector<std::string>{"value"});
    EXPECT_EQ(p.timeout, 0.0);
    EXPECT_FALSE(p.hmac_key);
    EXPECT_EQ(p.handshake, Value("hello"));
    EXPECT_FALSE(p.serializer);
    auto s = ProxyRef::from_value(vector_value(prefix + "proxy_special"));
    EXPECT_EQ(s.uri.str(), "PYRONAME:example.echo");
    EXPECT_EQ(s.timeout, 2.5);
    EXPECT_EQ(s.hmac_key, "secret");
    EXPECT_EQ(s.handshake, make_dict({{"token", 1}}));
    EXPECT_EQ(s.max_retries, 3);
    EXPECT_EQ(s.serializer, "json");
    if (std::string_view(ser) == "serpent" || std::string_view(ser) == "marshal") {
      EXPECT_EQ(p.to_value(), plain);
      EXPECT_EQ(s.to_value(), vector_value(prefix + "proxy_special"));
    }
    EXPECT_EQ(ProxyRef::from_value(s.to_value()), s);
  }
}

TEST(ProxyRefTest, RefusesBadStates) {
  auto proxy = [](Value state) {
    return make_dict({{"__class__", "Pyro4.core.Proxy"}, {"state", std::move(state)}});
  };
  Value eight = Value::tuple(
      {"PYRO:o@h:1", Value::tuple(), Value::tuple(), Value::tuple(), 0.0, nullptr, nullptr, 0});
  EXPECT_FALSE(ProxyRef::from_value(proxy(eight)).serializer);  // older peers: 8 items
  EXPECT_THROW(ProxyRef::from_value(proxy(Value::tuple({"PYRO:o@h:1"}))), SerializeError);
  Value bad_uri = Value::tuple(
      {"nope", Value::tuple(), Value::tuple(), Value::tuple(), 0.0, nullptr, nullptr, 0, nullptr});
  EXPECT_THROW(ProxyRef::from_value(proxy(bad_uri)), PyroError);
  Value bad_hmac = Value::tuple({"PYRO:o@h:1", Value::tuple(), Value::tuple(), Value::tuple(), 0.0,
                                 "secret", nullptr, 0, nullptr});
  EXPECT_THROW(ProxyRef::from_value(proxy(bad_hmac)), ProtocolError);
}

// ---- class dicts ----------------------------------------------------------------------------

std::string load_error(const Value& v, SerializerId id) {
  try {
    check_class_dicts(v, class_dict_options(id));
  } catch (const PyroError& e) {
    return std::string(e.pyro_class()) + ": " + e.what();
  }
  return "ok";
}

TEST(ClassDictsTest, RefusesWhatPyro4Refuses) {
  int n = 0;
  for (const auto& v : index_json()["vectors"]) {
    std::string error = v.value("pyro_loads_error", v.value("body_pyro_error", ""));
    if (error.find("unsupported serialized class") == std::string::npos) continue;
    std::string name = v["name"];
    SCOPED_TRACE(name);
    const auto& ser = *find_serializer(v.value("serializer", v.value("body_serializer", "")));
    std::string bytes = read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/" + name + ".bin");
    Value value = ser.decode(v["kind"] == "message" ? payload_of(bytes) : bytes);
    EXPECT_EQ(load_error(value, ser.id()), "Pyro4.errors." + error);
    ++n;
  }
  EXPECT_GE(n, 8);
}

TEST(ClassDictsTest, AcceptsWhatPyro4Accepts) {
  for (const auto& v : index_json()["vectors"]) {
    if (v["kind"] != "value" || v.contains("pyro_loads_error")) continue;
    std::string name = v["name"];
    SCOPED_TRACE(name);
    Value value = vector_value(name);
    EXPECT_EQ(load_error(value, find_serializer(std::string(v["serializer"]))->id()), "ok");
  }
}

TEST(ClassDictsTest, SecurityAndNesting) {
  auto cls = [](const char* name) { return make_dict({{"__class__", name}}); };
  EXPECT_EQ(load_error(Value::list({1, cls("__main__.Evil")}), SerializerId::json),
            "Pyro4.errors.SecurityError: refused to deserialize types with double underscores in "
            "their name: __main__.Evil");
  EXPECT_EQ(load_error(make_dict({{"a", make_dict({{"b", cls("x.Y")}})}}), SerializerId::marshal),
            "Pyro4.errors.SerializeError: unsupported serialized class: x.Y");
  // Inside a class dict only msgpack (which converts every map bottom-up) looks.
  Value uri = make_dict({{"__class__", "Pyro4.core.URI"},
                         {"state", Value::list({"PYRO", cls("x.Y"), nullptr, "h", 1})}});
  EXPECT_EQ(load_error(uri, SerializerId::json), "ok");
  EXPECT_EQ(load_error(uri, SerializerId::msgpack),
            "Pyro4.errors.SerializeError: unsupported serialized class: x.Y");
  // The NaN marker is serpent's only.
  Value nan = make_dict({{"__class__", "float"}, {"value", "nan"}});
  EXPECT_EQ(load_error(nan, SerializerId::serpent), "ok");
  EXPECT_EQ(load_error(nan, SerializerId::json),
            "Pyro4.errors.SerializeError: unsupported serialized class: float");
  // An application's registered class is left alone, even with "__" in its name.
  ClassDictOptions options;
  options.registered = [](std::string_view name) { return name == "app.__Thing"; };
  EXPECT_NO_THROW(check_class_dicts(Value::list({cls("app.__Thing")}), options));
  // Exceptions need __exception__ unless they are Pyro4's.
  EXPECT_EQ(load_error(cls("builtins.ValueError"), SerializerId::json),
            "Pyro4.errors.SerializeError: unsupported serialized class: builtins.ValueError");
  EXPECT_EQ(
      load_error(make_dict({{"__class__", "Pyro4.errors.NamingError"}, {"args", Value::tuple()}}),
                 SerializerId::json),
      "ok");
  EXPECT_EQ(load_error(cls("Pyro4.errors.NoSuchError"), SerializerId::json),
            "Pyro4.errors.SerializeError: unsupported serialized class: Pyro4.errors.NoSuchError");
}

TEST(ClassDictsTest, RewritesAsPyro4DumpsWhatItLoaded) {
  auto recreate = [](Value v, SerializerId id) {
    recreate_class_dicts(v, class_dict_options(id));
    return v;
  };
  Value bare =
      make_dict({{"__class__", "ValueError"}, {"__exception__", true}, {"args", Value::list({1})}});
  EXPECT_EQ(recreate(bare, SerializerId::json), make_dict({{"__class__", "builtins.ValueError"},
                                                           {"__exception__", true},
                                                           {"args", Value::tuple({1})},
                                                           {"attributes", make_dict({})}}));
  Value timeout =
      make_dict({{"__class__", "TimeoutError"}, {"__exception__", 1}, {"args", Value::tuple()}});
  EXPECT_EQ(*recreate(timeout, SerializerId::json).as_dict().find("__class__"),
            Value("Pyro4.errors.TimeoutError"));
  Value proxy = vector_value("serpent_value_proxy_special");
  Value rewritten = recreate(proxy, SerializerId::serpent);
  const auto& state = rewritten.as_dict().find("state")->as_tuple();
  EXPECT_EQ(state[4], Value(0.0));  // timeout and retries: the receiver's own
  EXPECT_EQ(state[7], Value(0));
  EXPECT_EQ(state[5], Value("b64:c2VjcmV0"));
  Value nan = Value::list({make_dict({{"__class__", "float"}, {"value", "nan"}})});
  EXPECT_TRUE(std::isnan(recreate(nan, SerializerId::serpent).as_list()[0].as_float()));
  Value inf = make_dict({{"__class__", "float"}, {"value", "-Infinity"}});
  EXPECT_EQ(recreate(inf, SerializerId::serpent), Value(-HUGE_VAL));

  EXPECT_EQ(canonical_exception_class("IOError"), "builtins.OSError");
  EXPECT_EQ(canonical_exception_class("exceptions.KeyError"), "builtins.KeyError");
  EXPECT_EQ(canonical_exception_class("sqlite3.OperationalError"), "sqlite3.OperationalError");
  EXPECT_EQ(canonical_exception_class("builtins.TimeoutError"), "builtins.TimeoutError");
  EXPECT_FALSE(canonical_exception_class("builtins.print"));
  EXPECT_FALSE(canonical_exception_class("example.CustomError"));
}

TEST(PyroCodecTest, MarshalDumpsObjectsOnlyAtTheTopLevel) {
  std::string uri = read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/json_value_uri_pyro.bin");
  EXPECT_EQ(marshal().decode(convert(uri, json(), marshal())),
            Uri::pyro("obj_123", "localhost", 9999).to_value());
  std::string nested = "[" + uri + "]";
  EXPECT_NO_THROW(convert(nested, json(), serpent()));
  try {
    convert(nested, json(), marshal());
    ADD_FAILURE() << "converted";
  } catch (const SerializeError& e) {
    EXPECT_NE(std::string(e.what()).find("unmarshallable object"), std::string::npos);
  }
  EXPECT_THROW(pyro_dumps(marshal(), pyro_loads(json(), nested)), SerializeError);
  // A batch result: the exception inside a top-level wrapper is fine.
  Value wrapper = vector_value("json_value_exception_wrapper");
  EXPECT_NO_THROW(convert(json().encode(wrapper), json(), marshal()));
}

}  // namespace
}  // namespace remoto::serial
