#include "remoto/serial/serializer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

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

std::string vector_bytes(const std::string& name) {
  return read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/" + name + ".bin");
}

const nlohmann::json& index_json() {
  static const nlohmann::json index =
      nlohmann::json::parse(read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/index.json"));
  return index;
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// The payload of a wire message: after the 24-byte header and the annotations.
std::string payload_of(const std::string& message) {
  auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(message[at]) << 8 |
                                    static_cast<unsigned char>(message[at + 1]));
  };
  std::size_t size = u16(12) << 16 | u16(14);
  return message.substr(24 + u16(18), size);
}

Value big(const char* text) {
  return Value(*BigInt::parse(text));
}

Value str(const char* utf8) {
  return Value(Str{utf8});
}

const Serializer& m = marshal();

// Python prints a set in hash order, which the wire order need not match after a reload.
bool has_unordered_set(const Value& v) {
  if (v.is_set()) return v.as_set().size() > 1;
  if (v.is_list() || v.is_tuple()) {
    for (const auto& item : v.as_sequence())
      if (has_unordered_set(item)) return true;
  }
  if (v.is_dict()) {
    for (const auto& [k, x] : v.as_dict())
      if (has_unordered_set(k) || has_unordered_set(x)) return true;
  }
  return false;
}

TEST(MarshalTest, DecodesValueVectorsToTheirValues) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::pair<const char*, Value> cases[] = {
      {"none", Value()},
      {"true", Value(true)},
      {"false", Value(false)},
      {"int_zero", Value(0)},
      {"int_small", Value(42)},
      {"int_negative", Value(-7)},
      {"int_i32max", Value(2147483647)},
      {"int_i32over", Value(2147483648LL)},
      {"int_i64min", Value(std::numeric_limits<std::int64_t>::min())},
      {"int_u64max", big("18446744073709551615")},
      {"int_big", big("1267650600228229401496703205376")},
      {"int_bigneg", big("-1267650600228229401496703205377")},
      {"float_one", Value(1.0)},
      {"float_pi", Value(3.141592653589793)},
      {"float_negzero", Value(-0.0)},
      {"float_small", Value(1e-07)},
      {"float_large", Value(1e16)},
      {"float_inf", Value(inf)},
      {"float_neginf", Value(-inf)},
      {"float_nan", Value(std::nan(""))},
      {"complex", Value(Value::Complex(1, 2))},
      {"complex_neg", Value(Value::Complex(-1.5, -0.5))},
      {"str_empty", str("")},
      {"str_ascii", str("hello world")},
      {"str_both_quotes", str("both ' and \"")},
      {"str_escapes", Value(std::string("tab\tnl\ncr\rnul\0bs\\bell\aesc\x1b"
                                        "del\x7f",
                                        30))},
      {"str_unicode", str("üñí©€ 日本")},
      {"str_astral", str("😀")},
      {"str_nonprintable", str("\u200b\u2028\u00a0\u00ad\U000e0001")},
      {"bytes_empty", Value::bytes("")},
      {"bytes", Value::bytes(std::string_view("\x00\x01\xff"
                                              "abc",
                                              6))},
      {"bytearray", Value::bytes("xy")},
      {"tuple_empty", Value::tuple()},
      {"tuple_one", Value::tuple({1})},
      {"tuple", Value::tuple({1, "two", 3.0})},
      {"list_empty", Value::list()},
      {"list_nested", Value::list({1, Value::list({2, 3}), Value::list({"x", Value::list()})})},
      {"dict_empty", make_dict({})},
      {"dict_str",
       make_dict({{"a", 1}, {"b", Value::list({true, nullptr})}, {"c", make_dict({{"d", "e"}})}})},
      {"dict_intkeys", make_dict({{1, "one"}, {2, "two"}})},
      {"dict_tuplekey", make_dict({{Value::tuple({1, 2}), "x"}})},
      {"set_empty", Value(Set())},
      {"set_int", make_set({1, 2, 3})},
      {"set_str", make_set({"a", "b", "c"})},
      {"frozenset", make_set({"x"})},
      {"nested", make_dict({{"list", Value::list({1, Value::tuple({2, 3}), make_set({4})})},
                            {"tuple", Value::tuple({Value::tuple(), Value::tuple({nullptr})})},
                            {"float", -2.5}})},
      {"uri_pyrometa", make_dict({{"__class__", "Pyro4.core.URI"},
                                  {"state", Value::tuple({"PYROMETA", make_set({"red", "green"}),
                                                          nullptr, "nshost", 9090})}})},
      {"exception_attrs", make_dict({{"__class__", "builtins.ValueError"},
                                     {"__exception__", true},
                                     {"args", Value::tuple({"bad value", 42})},
                                     {"attributes", make_dict({{"code", "E42"}})}})},
  };
  for (const auto& [name, expected] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(m.decode(vector_bytes(std::string("marshal_value_") + name)), expected);
  }
}

TEST(MarshalTest, EveryValueVectorRoundTripsAndPrintsAsPythonDoes) {
  int n = 0;
  for (const auto& v : index_json()["vectors"]) {
    if (v["kind"] != "value" || v["serializer"] != "marshal") continue;
    std::string name = v["name"];
    SCOPED_TRACE(name);
    Value decoded = m.decode(vector_bytes(name));
    EXPECT_EQ(m.decode(m.encode(decoded)), decoded);
    // Value has no frozenset: it becomes a set.
    if (!has_unordered_set(decoded) && name != "marshal_value_frozenset") {
      EXPECT_EQ(python_repr(decoded), v["raw_decoded_repr"].get<std::string>());
    }
    ++n;
  }
  EXPECT_GE(n, 60);
}

TEST(MarshalTest, DecodesEveryMarshalMessagePayloadIncludingReferences) {
  int n = 0;
  for (const auto& v : index_json()["vectors"]) {
    if (v["kind"] != "message" || v.value("body_serializer", "") != "marshal") continue;
    std::string name = v["name"];
    SCOPED_TRACE(name);
    std::string payload = unhex(v["body_hex"].get<std::string>());  // decompressed
    if ((v["header"]["flags"].get<int>() & 2) == 0) {
      EXPECT_EQ(payload_of(vector_bytes(name)), payload);
    }
    Value decoded = m.decode(payload);
    if (!has_unordered_set(decoded)) {
      EXPECT_EQ(python_repr(decoded), v["body_raw_repr"].get<std::string>());
    }
    EXPECT_EQ(m.decode(m.encode(decoded)), decoded);
    if (v["body_kind"] == "call") {
      Call call = m.decode_call(payload);
      EXPECT_EQ(m.decode_call(m.encode_call(call)), call);
    }
    ++n;
  }
  EXPECT_GE(n, 40);
}

TEST(MarshalTest, ResolvesReferencesInConnectOk) {
  // 72 06 00 00 00 repeats 'oneway_echo' inside the oneway list.
  Value v = m.decode(payload_of(vector_bytes("marshal_basic_02_connectok")));
  const Value* meta = v.as_dict().find("meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(*meta->as_dict().find("oneway"), Value::list({"oneway_echo", "oneway_slow"}));
}

TEST(MarshalTest, ConnectFailReasonsAreMarshalStrings) {
  const std::pair<const char*, const char*> cases[] = {
      {"serpent_garbage_02_connectfail", "invalid data or unsupported protocol version"},
      {"serpent_badser_02_connectfail", "message used serializer that is not accepted: 4"},
      {"serpent_pingfirst_02_connectfail", "invalid msg type 6 received"},
      {"marshal_connectfail_02_connectfail", "unknown object"},
  };
  for (const auto& [name, reason] : cases) {
    SCOPED_TRACE(name);
    std::string message = vector_bytes(name);
    ASSERT_EQ(message[17], 3);  // serializer id
    EXPECT_EQ(m.decode(payload_of(message)), Value(reason));
  }
}

TEST(MarshalTest, DecodesCalls) {
  Call call = m.decode_call(payload_of(vector_bytes("marshal_basic_05_invoke")));
  EXPECT_EQ(call.object, "test.echoserver");
  EXPECT_EQ(call.method, "echo");
  EXPECT_TRUE(call.args.empty());
  ASSERT_TRUE(call.kwargs);
  EXPECT_EQ(Value(*call.kwargs), make_dict({{"message", make_dict({{"x", 1}})}}));

  Call batch = m.decode_call(payload_of(vector_bytes("marshal_handbuilt_03_invoke")));
  EXPECT_EQ(batch.method, "<batch>");
  ASSERT_EQ(batch.args.size(), 2u);
  EXPECT_EQ(batch.args[1], Value::tuple({"echo", Value::tuple({"two"}), make_dict({})}));

  // Args may come as a tuple; kwargs may be None.
  Call loose = m.decode_call(m.encode(Value::tuple({"o", "m", Value::tuple({1}), nullptr})));
  EXPECT_EQ(loose.args, std::vector<Value>{1});
  EXPECT_FALSE(loose.kwargs);
}

TEST(MarshalTest, EncodesCallsAsPyro4Does) {
  Call call{"test.echoserver", "echo", {42}, Dict{}};
  // (objectId, method, vargs LIST, kwargs dict)
  using namespace std::string_literals;
  EXPECT_EQ(m.encode_call(call),
            ")\x04z\x0ftest.echoserverz\x04"
            "echo[\x01\x00\x00\x00i*\x00\x00\x00{0"s);
  Call attr{"o", "__getattr__", {"verbose"}, std::nullopt};  // None is written as {}
  EXPECT_EQ(m.decode_call(m.encode_call(attr)).kwargs, Dict{});
}

TEST(MarshalTest, DecodeCallTakesAListOrAFlaggedTupleButNoSelfReference) {
  using namespace std::string_literals;
  Call want{"o", "m", {1}, Dict{}};
  // A list of 4, and a flagged small tuple whose slot number 0 the items count after.
  EXPECT_EQ(m.decode_call("[\x04\x00\x00\x00\xfa\x01o\xfa\x01m[\x01\x00\x00\x00i\x01"
                          "\x00\x00\x00{0"s),
            want);
  Call again = m.decode_call("\xa9\x04\xfa\x01or\x01\x00\x00\x00)\x00{0"s);
  EXPECT_EQ(again.method, "o");  // a reference to slot 1, the object id
  EXPECT_TRUE(again.args.empty());
  // ... but its own slot (0) is unfinished while its items are read.
  EXPECT_THROW(m.decode_call("\xa9\x04\xfa\x01or\x00\x00\x00\x00)\x00{0"s), SerializeError);
  EXPECT_THROW(m.decode_call(")\x04\xfa\x01o"s), SerializeError);  // truncated
}

TEST(MarshalTest, RejectsBadCalls) {
  for (const Value& bad :
       {Value(1), Value::tuple({"o", "m", Value::list()}),
        Value::tuple({"o", 1, Value::list(), make_dict({})}),
        Value::tuple({"o", "m", 1, make_dict({})}), Value::tuple({"o", "m", Value::list(), 1}),
        Value::tuple({"o", "m", Value::list(), make_dict({{1, 2}})})}) {
    SCOPED_TRACE(python_repr(bad));
    EXPECT_THROW(m.decode_call(m.encode(bad)), SerializeError);
  }
}

TEST(MarshalTest, WritesWhatPythonWritesWithoutReferences) {
  using namespace std::string_literals;
  EXPECT_EQ(m.encode(Value()), "N");
  EXPECT_EQ(m.encode(true), "T");
  EXPECT_EQ(m.encode(1), "i\x01\x00\x00\x00"s);
  EXPECT_EQ(m.encode(-2), "i\xfe\xff\xff\xff"s);
  EXPECT_EQ(m.encode(2147483648LL), "l\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00"s);
  EXPECT_EQ(m.encode(big("9223372036854775808")),
            "l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"s);
  EXPECT_EQ(m.encode(std::numeric_limits<std::int64_t>::min()),
            "l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"s);
  EXPECT_EQ(m.encode(1.0), "g\x00\x00\x00\x00\x00\x00\xf0\x3f"s);
  EXPECT_EQ(m.encode("x"), "z\x01x"s);
  EXPECT_EQ(m.encode("é"), "u\x02\x00\x00\x00\xc3\xa9"s);
  EXPECT_EQ(m.encode(Value(std::string(300, 'a'))), "a\x2c\x01\x00\x00"s + std::string(300, 'a'));
  EXPECT_EQ(m.encode(Value::tuple({1})), ")\x01i\x01\x00\x00\x00"s);
  EXPECT_EQ(m.encode(make_dict({})), "{0"s);
  EXPECT_EQ(m.encode(Value::bytes("ab")),
            "s\x02\x00\x00\x00"
            "ab"s);
  EXPECT_EQ(m.encode(make_set({1})), "<\x01\x00\x00\x00i\x01\x00\x00\x00"s);
  EXPECT_EQ(m.encode(Value::list({})), "[\x00\x00\x00\x00"s);
}

TEST(MarshalTest, KeepsLoneSurrogatesAndLatin1AsciiCodes) {
  using namespace std::string_literals;
  Value lone(
      Str{"a\xed\xa0\x80"
          "b"});  // 'a\ud800b'
  EXPECT_EQ(m.encode(lone),
            "u\x05\x00\x00\x00"
            "a\xed\xa0\x80"
            "b"s);
  EXPECT_EQ(m.decode(m.encode(lone)), lone);
  // CPython builds 'a'/'z' strings as Latin-1.
  EXPECT_EQ(m.decode("z\x02\xe9x"s), Value("éx"));
  EXPECT_EQ(m.decode("A\x01\x00\x00\x00\xff"s), Value("ÿ"));
  EXPECT_THROW(m.decode("u\x01\x00\x00\x00\xff"s), SerializeError);
  EXPECT_THROW(m.encode(Value(Str{"\xff"})), SerializeError);
}

TEST(MarshalTest, ReadsOldAndInternedCodes) {
  using namespace std::string_literals;
  EXPECT_EQ(m.decode("f\x03"
                     "1.5"s),
            Value(1.5));
  EXPECT_EQ(m.decode("f\x04-inf"s), Value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(m.decode("f\x06"
                     "1e9999"s),
            Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(m.decode("x\x01"
                     "1\x02-2"s),
            Value(Value::Complex(1, -2)));
  EXPECT_EQ(m.decode("t\x02\x00\x00\x00hi"s), Value("hi"));
  EXPECT_EQ(m.decode("Z\x02hi"s), Value("hi"));
  EXPECT_EQ(m.decode("I\x00\x00\x00\x00\x01\x00\x00\x00"s), Value(std::int64_t{1} << 32));
  EXPECT_EQ(m.decode("(\x02\x00\x00\x00NT"s), Value::tuple({nullptr, true}));
  EXPECT_EQ(m.decode(">\x01\x00\x00\x00N"s), make_set({nullptr}));
  EXPECT_THROW(m.decode("f\x03"
                        "1.x"s),
               SerializeError);
}

TEST(MarshalTest, FollowsReferencesAndIgnoresTrailingBytes) {
  using namespace std::string_literals;
  // [x, x] where x = 'ab' flagged: slot 0 is the list, slot 1 the str.
  EXPECT_EQ(m.decode("\xdb\x02\x00\x00\x00\xda\x02"
                     "abr\x01\x00\x00\x00"s),
            Value::list({"ab", "ab"}));
  // A reference to a finished container repeats it whole, nested references included.
  EXPECT_EQ(m.decode("[\x02\x00\x00\x00\xa9\x02\xda\x01xr\x01\x00\x00\x00r\x00\x00\x00\x00"s),
            Value::list({Value::tuple({"x", "x"}), Value::tuple({"x", "x"})}));
  EXPECT_EQ(m.decode("NNN garbage"s), Value());
  // As in CPython, a flagged None, True or False takes no slot: r 1 is 'a', not None.
  EXPECT_EQ(m.decode("\xdb\x03\x00\x00\x00\xce\xda\x01"
                     "ar\x01\x00\x00\x00"s),
            Value::list({nullptr, "a", "a"}));
  // Big ints behind references.
  Value b = big("-1267650600228229401496703205377");
  std::string enc = m.encode(b);
  enc[0] = static_cast<char>(0xEC);
  EXPECT_EQ(m.decode("[\x02\x00\x00\x00"s + enc + "r\x00\x00\x00\x00"s), Value::list({b, b}));
}

void expect_error(std::string_view data, std::string_view what) {
  try {
    (void)m.decode(data);
    ADD_FAILURE() << "no error for " << python_repr(Value::bytes(data));
  } catch (const SerializeError& e) {
    EXPECT_NE(std::string_view(e.what()).find(what), std::string_view::npos)
        << e.what() << " does not contain " << what;
  }
}

TEST(MarshalTest, RejectsHostileInputWithClearErrors) {
  using namespace std::string_literals;
  expect_error("", "unexpected end of data at offset 0");
  expect_error("i\x01\x00"s, "unexpected end of data");
  expect_error("[\x05\x00\x00\x00NN"s, "claims 5 items");
  expect_error("[\xff\xff\xff\x7f"s, "claims 2147483647 items");
  expect_error("s\xff\xff\xff\xff"s, "unexpected end of data");
  expect_error("u\xff\xff\xff\x7f"s, "unexpected end of data");
  expect_error("l\xff\xff\xff\x7f"s, "too large");
  expect_error("l\x02\x00\x00\x00\x01\x00\x00\x00"s, "unnormalized");
  expect_error("l\x01\x00\x00\x00\x00\x80"s, "digit out of range");
  expect_error("r\x00\x00\x00\x00"s, "reference to object #0 but only 0");
  expect_error("\xdb\x01\x00\x00\x00r\x00\x00\x00\x00"s, "unfinished container");
  expect_error("c"s, "code objects are not supported");
  expect_error("S"s, "StopIteration");
  expect_error("0"s, "NULL");
  expect_error("\x01"s, "unknown type code 0x01 at offset 0");
  expect_error("{[\x00\x00\x00\x00N0"s, "unhashable dict key: list at offset 1");
  expect_error("<\x01\x00\x00\x00{0"s, "unhashable set element: dict");
  expect_error("{)\x01[\x00\x00\x00\x00N0"s, "unhashable dict key: tuple");
  expect_error("{N0"s, "dict key without a value");
  expect_error("{NN"s, "unexpected end of data");
}

TEST(MarshalTest, DeepNestingFailsCleanly) {
  std::string deep(100000, ')');
  for (std::size_t i = 1; i < deep.size(); i += 2) deep[i] = '\x01';
  deep += 'N';
  expect_error(deep, "nesting deeper than 1000 levels");
  std::string ok;
  for (int i = 0; i < 1000; ++i) ok += std::string_view("[\x01\x00\x00\x00", 5);
  ok += 'N';
  EXPECT_NO_THROW(m.decode(ok));
  EXPECT_THROW(m.decode(ok, Limits{.max_depth = 999}), SerializeError);
  // The writer refuses what Python's would: deeper than 2000.
  Value v;
  for (int i = 0; i < 2001; ++i) v = Value::list({std::move(v)});
  EXPECT_THROW(m.encode(v), SerializeError);
}

TEST(MarshalTest, ReferencesCannotBlowUpMemory) {
  using namespace std::string_literals;
  // Each level is a flagged list of 100 references to the level below: 100**k values from
  // about 500*k bytes. The budget stops it long before memory runs out.
  std::string data;
  data += "\xdb";  // slot 0: outer list of levels
  data.append("\x10\x00\x00\x00", 4);
  data += "\xda\x01x";  // slot 1: 'x'
  std::uint32_t next = 2, below = 1;
  for (int level = 0; level < 15; ++level) {
    data += "\xdb";
    data.append("\x64\x00\x00\x00", 4);
    std::uint32_t mine = next++;
    for (int i = 0; i < 100; ++i) {
      data += 'r';
      for (int b = 0; b < 4; ++b) data += static_cast<char>(below >> (8 * b));
    }
    below = mine;
  }
  expect_error(data, "too many references");
  // What Python writes for many small dicts, separate or one shared, stays within the budget.
  std::string separate = "[\xa0\x86\x01\x00"s;  // 100000 items
  for (int i = 0; i < 100000; ++i) separate += "{NN0";
  EXPECT_EQ(m.decode(separate).as_list().size(), 100000u);
  std::string shared = "[\xa0\x86\x01\x00\xfbNN0"s;  // slot 0: the dict
  for (int i = 1; i < 100000; ++i) shared += "r\x00\x00\x00\x00"s;
  EXPECT_EQ(m.decode(shared).as_list().back(), make_dict({{nullptr, nullptr}}));
  // The input limit is checked first.
  EXPECT_THROW(m.decode(std::string(100, 'N'), Limits{.max_input = 10}), SerializeError);
}

TEST(MarshalTest, BigIntsMatchPython) {
  for (const char* text :
       {"32768", "-32768", "1073741824", "9223372036854775807", "-9223372036854775809",
        "18446744073709551616", "340282366920938463463374607431768211455"}) {
    SCOPED_TRACE(text);
    Value v = big(text);
    EXPECT_EQ(m.decode(m.encode(v)), v);
  }
  // 2**64 as CPython writes it: five digits.
  using namespace std::string_literals;
  EXPECT_EQ(m.encode(big("18446744073709551616")),
            "l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00"s);
  std::string huge(20000, '7');
  EXPECT_THROW(m.encode(big(huge.c_str())), SerializeError);
  std::string nines(9000, '9');
  EXPECT_EQ(m.decode(m.encode(big(nines.c_str()))), big(nines.c_str()));
}

}  // namespace
}  // namespace remoto::serial
