// The json serializer against the golden vectors that Pyro4 made (spec/vectors), Python's
// json dialect (NaN, Infinity, big ints, escapes, surrogates), and hostile input.
#include "remoto/serial/serializer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "remoto/value/float_repr.hpp"
#include "remoto/value/repr.hpp"
#include "spec_vectors.hpp"

namespace remoto::serial {
namespace {

using namespace std::string_literals;

const Serializer& ser = json();

using test::index_json;
using test::read_file;
using test::vector_bytes;
using test::vector_named;
using test::vectors;

// The payload of a wire message: 24-byte header, then annotations (size in header bytes 18-19,
// big-endian), then the data (size in bytes 12-15).
std::string payload_of(const std::string& message) {
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(message[i]));
  };
  std::uint32_t data_size = byte(12) << 24 | byte(13) << 16 | byte(14) << 8 | byte(15);
  std::uint32_t ann_size = byte(18) << 8 | byte(19);
  return message.substr(24 + ann_size, data_size);
}

// The message's (decompressed) payload: index.json records it for compressed ones.
std::string message_payload(const nlohmann::json& v) {
  if (v["header"]["flags"].get<int>() & 0x0002) return v["body_text"].get<std::string>();
  return payload_of(vector_bytes(v));
}

TEST(JsonTest, EveryGoldenValueDecodesToWhatPythonsJsonLoadsGives) {
  auto all = vectors("json_value_", "value");
  ASSERT_GE(all.size(), 60u);
  for (const auto& v : all) {
    SCOPED_TRACE(v["name"].get<std::string>());
    Value value = ser.decode(vector_bytes(v));
    EXPECT_EQ(python_repr(value), v["raw_decoded_repr"].get<std::string>());
  }
}

TEST(JsonTest, EveryGoldenValueReencodesByteIdentically) {
  for (const auto& v : vectors("json_value_", "value")) {
    SCOPED_TRACE(v["name"].get<std::string>());
    std::string bytes = vector_bytes(v);
    EXPECT_EQ(ser.encode(ser.decode(bytes)), bytes);
    EXPECT_EQ(bytes, v["text"].get<std::string>());
  }
}

TEST(JsonTest, GoldenValuesDecodeToTheExpectedValues) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::map<std::string, Value> expected = {
      {"none", Value()},
      {"true", Value(true)},
      {"false", Value(false)},
      {"int_zero", Value(0)},
      {"int_negative", Value(-7)},
      {"int_i64min", Value(std::numeric_limits<std::int64_t>::min())},
      {"int_u64max", Value(std::numeric_limits<std::uint64_t>::max())},
      {"int_big", Value(*BigInt::parse("1267650600228229401496703205376"))},
      {"int_bigneg", Value(*BigInt::parse("-1267650600228229401496703205377"))},
      {"float_pi", Value(3.141592653589793)},
      {"float_negzero", Value(-0.0)},
      {"float_small", Value(1e-07)},
      {"float_large", Value(1e16)},
      {"float_inf", Value(inf)},
      {"float_neginf", Value(-inf)},
      {"float_nan", Value(std::nan(""))},
      {"str_empty", Value("")},
      {"str_escapes", Value("tab\tnl\ncr\rnul\0bs\\bell\x07"
                            "esc\x1b"
                            "del\x7f"s)},
      {"str_unicode", Value("\u00fc\u00f1\u00ed\u00a9\u20ac \u65e5\u672c")},
      {"str_astral", Value("\U0001F600")},
      {"tuple", Value::list({1, "two", 3.0})},
      {"tuple_empty", Value::list()},
      {"list_nested", Value::list({1, Value::list({2, 3}), Value::list({"x", Value::list()})})},
      {"dict_str",
       make_dict({{"a", 1}, {"b", Value::list({true, nullptr})}, {"c", make_dict({{"d", "e"}})}})},
      {"dict_intkeys", make_dict({{"1", "one"}, {"2", "two"}})},
      {"set_int", Value::list({1, 2, 3})},
      {"nested", make_dict({{"list", Value::list({1, Value::list({2, 3}), Value::list({4})})},
                            {"tuple", Value::list({Value::list(), Value::list({nullptr})})},
                            {"float", -2.5}})},
      {"ordereddict", make_dict({{"b", 1}, {"a", 2}})},
      {"uri_pyro",
       make_dict({{"__class__", "Pyro4.core.URI"},
                  {"state", Value::list({"PYRO", "obj_123", nullptr, "localhost", 9999})}})},
      {"exception", make_dict({{"__class__", "builtins.ValueError"},
                               {"__exception__", true},
                               {"args", Value::list({"invalid", 42})},
                               {"attributes", make_dict({})}})},
  };
  for (const auto& [name, value] : expected) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ser.decode(vector_bytes(vector_named("json_value_" + name))), value);
  }
}

TEST(JsonTest, MessagePayloadsDecodeAndReencodeByteIdentically) {
  auto all = vectors("json_", "message");
  ASSERT_GE(all.size(), 70u);
  int invokes = 0;
  for (const auto& v : all) {
    if (v["body_kind"] == "raw") continue;  // PING bodies are not serialized
    SCOPED_TRACE(v["name"].get<std::string>());
    std::string payload = message_payload(v);
    EXPECT_EQ(payload, v["body_text"].get<std::string>());
    Value value = ser.decode(payload);
    EXPECT_EQ(python_repr(value), v["body_raw_repr"].get<std::string>());
    EXPECT_EQ(ser.encode(value), payload);
    if (v["header"]["type_name"] == "INVOKE") {
      ++invokes;
      Call call = ser.decode_call(payload);
      // body_repr is Pyro4's loadsCall result: (object, method, vargs, kwargs).
      Value as_tuple = Value::tuple({call.object, call.method, Value::list(call.args),
                                     call.kwargs ? Value(*call.kwargs) : Value()});
      EXPECT_EQ(python_repr(as_tuple), v["body_repr"].get<std::string>());
      EXPECT_EQ(ser.encode_call(call), payload);
    }
  }
  EXPECT_GE(invokes, 25);
}

TEST(JsonTest, RefusesWhatPyro4sJsonSerializerRefuses) {
  std::vector<std::string> refused;
  for (const auto& u : index_json()["unsupported_values"])
    if (u["serializer"] == "json") refused.push_back(u["name"].get<std::string>());
  // The ones Value can express; frozenset, time and timedelta have no Value equivalent.
  const std::map<std::string, Value> equivalents = {
      {"complex", Value(Value::Complex(1, 2))},
      {"complex_neg", Value(Value::Complex(-1.5, -0.5))},
      {"bytes_empty", Value::bytes("")},
      {"bytes", Value::bytes(std::string("\x00\x01\xff"
                                         "abc",
                                         6))},
      {"bytearray", Value::bytes("xy")},
      {"dict_tuplekey", make_dict({{Value::tuple({1, 2}), "x"}})},
  };
  int checked = 0;
  for (const auto& name : refused) {
    auto it = equivalents.find(name);
    if (it == equivalents.end()) continue;
    SCOPED_TRACE(name);
    EXPECT_THROW(ser.encode(it->second), SerializeError);
    EXPECT_THROW(ser.encode(Value::list({1, it->second})), SerializeError);
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(JsonTest, EncodeErrorsSayWhatAndWhere) {
  try {
    ser.encode(Value::list({1, make_dict({{"data", Value::bytes("x")}})}));
    FAIL() << "no exception";
  } catch (const SerializeError& e) {
    EXPECT_STREQ(e.what(),
                 "json: cannot serialize bytes (Pyro4's json serializer refuses it) at "
                 "[1][\"data\"]");
  }
  try {
    ser.encode(make_dict({{Value::bytes("k"), 1}}));
    FAIL() << "no exception";
  } catch (const SerializeError& e) {
    EXPECT_STREQ(e.what(), "json: keys must be str, int, float, bool or None, not bytes");
  }
}

TEST(JsonTest, WritesPythonsTextForScalars) {
  EXPECT_EQ(ser.encode(Value()), "null");
  EXPECT_EQ(ser.encode(Value(true)), "true");
  EXPECT_EQ(ser.encode(Value(-42)), "-42");
  EXPECT_EQ(ser.encode(Value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(ser.encode(Value(*BigInt::parse("-123456789012345678901234567890"))),
            "-123456789012345678901234567890");
  EXPECT_EQ(ser.encode(Value(1.0)), "1.0");
  EXPECT_EQ(ser.encode(Value(1e22)), "1e+22");
  EXPECT_EQ(ser.encode(Value(1e-5)), "1e-05");
  EXPECT_EQ(ser.encode(Value(0.1)), "0.1");
  EXPECT_EQ(ser.encode(Value(std::nan(""))), "NaN");
  EXPECT_EQ(ser.encode(Value(-std::numeric_limits<double>::infinity())), "-Infinity");
}

TEST(JsonTest, FloatsAreWrittenAsPythonsReprAndReadBackExactly) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    std::string text = ser.encode(Value(d));
    ASSERT_EQ(text, python_float_repr(d));
    ASSERT_EQ(ser.decode(text), Value(d)) << text;
  }
}

TEST(JsonTest, EscapesStringsLikeEnsureAsciiFalse) {
  std::string s = "\"\\/\b\f\n\r\t\x01\x1f\x7f\u00e9\u2028\U0001F600";
  EXPECT_EQ(ser.encode(Value(s)),
            "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\u00e9\u2028\U0001F600\"");
  EXPECT_EQ(ser.encode(Value(std::string("\0", 1))), "\"\\u0000\"");
}

TEST(JsonTest, ContainersUsePythonsSeparatorsAndOrder) {
  EXPECT_EQ(ser.encode(Value::list()), "[]");
  EXPECT_EQ(ser.encode(make_dict({})), "{}");
  EXPECT_EQ(ser.encode(Value::tuple({1, Value::list({2}), make_dict({{"z", 1}, {"a", 2}})})),
            "[1, [2], {\"z\": 1, \"a\": 2}]");
  EXPECT_EQ(ser.encode(make_set({"b", "a"})), "[\"b\", \"a\"]");
}

TEST(JsonTest, ConvertsDictKeysToStringsLikePython) {
  Value d = make_dict({{1, "a"},
                       {true, "b"},
                       {false, "c"},
                       {nullptr, "d"},
                       {1.5, "e"},
                       {std::nan(""), "f"},
                       {Value(*BigInt::parse("100000000000000000000")), "g"},
                       {-std::numeric_limits<double>::infinity(), "h"}});
  EXPECT_EQ(ser.encode(d),
            "{\"1\": \"a\", \"true\": \"b\", \"false\": \"c\", \"null\": \"d\", \"1.5\": \"e\", "
            "\"NaN\": \"f\", \"100000000000000000000\": \"g\", \"-Infinity\": \"h\"}");
}

TEST(JsonTest, RefusesLoneSurrogatesAndInvalidUtf8WhenEncoding) {
  std::string lone = "a\xED\xA0\x80";  // U+D800, surrogatepass
  EXPECT_THROW(ser.encode(Value(lone)), SerializeError);
  EXPECT_THROW(ser.encode(make_dict({{lone, 1}})), SerializeError);
  EXPECT_THROW(ser.encode(Value(std::string("\xff"))), SerializeError);
  try {
    ser.encode(Value::list({Value(lone)}));
    FAIL() << "no exception";
  } catch (const SerializeError& e) {
    EXPECT_STREQ(e.what(), "json: cannot encode a lone surrogate in str to UTF-8 at [0]");
  }
}

TEST(JsonTest, ReadsPythonsExtensionsAndNumbers) {
  EXPECT_EQ(ser.decode("NaN"), Value(std::nan("")));
  EXPECT_EQ(ser.decode("[Infinity, -Infinity]"),
            Value::list({std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}));
  EXPECT_EQ(ser.decode("-0"), Value(0));
  EXPECT_EQ(ser.decode("-0.0"), Value(-0.0));
  EXPECT_EQ(ser.decode("1E+2"), Value(100.0));
  EXPECT_EQ(ser.decode("1e400"), Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(ser.decode("-1e400"), Value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(ser.decode("1e-400"), Value(0.0));
  EXPECT_EQ(ser.decode("-0.000001e-400"), Value(-0.0));
  EXPECT_EQ(ser.decode("123456789012345678"), Value(123456789012345678));
  EXPECT_EQ(ser.decode("9223372036854775807"), Value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(ser.decode("9223372036854775808"), Value(std::uint64_t{9223372036854775808ULL}));
  EXPECT_EQ(ser.decode("-99999999999999999999999"),
            Value(*BigInt::parse("-99999999999999999999999")));
  EXPECT_EQ(ser.decode(" \t\r\n[ 1 , {\"a\" : null} ]\n "),
            Value::list({1, make_dict({{"a", nullptr}})}));
}

TEST(JsonTest, ReadsEscapesAndSurrogatesLikePython) {
  EXPECT_EQ(ser.decode(R"("\"\\\/\b\f\n\r\t\u00e9\u00E9")"), Value("\"\\/\b\f\n\r\t\u00e9\u00e9"));
  EXPECT_EQ(ser.decode(R"("\ud83d\ude00")"), Value("\U0001F600"));
  // Lone surrogates stay lone (surrogatepass UTF-8 in Str), as in Python.
  EXPECT_EQ(ser.decode(R"("\ud800")").as_str(), "\xED\xA0\x80");
  EXPECT_EQ(ser.decode(R"("\ud83dA")").as_str(),
            "\xED\xA0\xBD"
            "A");
  EXPECT_EQ(ser.decode(R"("\ud83d\u0041")").as_str(),
            "\xED\xA0\xBD"
            "A");
  EXPECT_EQ(ser.decode(R"("\udc00\ud800")").as_str(), "\xED\xB0\x80\xED\xA0\x80");
  EXPECT_EQ(ser.decode("\"\x7f\u00e9\""), Value("\x7f\u00e9"));
}

TEST(JsonTest, RepeatedKeysKeepFirstPositionAndLastValue) {
  EXPECT_EQ(ser.encode(ser.decode(R"({"a": 1, "b": 2, "a": 3})")), R"({"a": 3, "b": 2})");
}

void expect_error(std::string_view input, const std::string& message) {
  try {
    ser.decode(input);
    ADD_FAILURE() << "no exception for " << input.substr(0, 32);
  } catch (const SerializeError& e) {
    EXPECT_EQ(e.what(), message) << "input: " << input.substr(0, 32);
  }
}

TEST(JsonTest, BadInputGetsAClearErrorWithTheByteOffset) {
  expect_error("", "json: expecting value at byte 0");
  expect_error("   ", "json: expecting value at byte 3");
  expect_error("[1, 2", "json: unterminated array starting at byte 0");
  expect_error("[1,]", "json: expecting value at byte 3");
  expect_error("[1 2]", "json: expecting ',' delimiter at byte 3");
  expect_error("{\"a\" 1}", "json: expecting ':' delimiter at byte 5");
  expect_error("{1: 2}", "json: expecting property name enclosed in double quotes at byte 1");
  expect_error("{\"a\": 1", "json: unterminated object starting at byte 0");
  expect_error("\"abc", "json: unterminated string starting at byte 0");
  expect_error("\"a\x01\"", "json: invalid control character at byte 2");
  expect_error("\"\\x\"", "json: invalid \\escape at byte 1");
  expect_error("\"\\u12g4\"", "json: invalid \\uXXXX escape at byte 1");
  expect_error("\"\\u12\"", "json: invalid \\uXXXX escape at byte 1");
  expect_error("\"\\ud800\\uzzzz\"", "json: invalid \\uXXXX escape at byte 7");
  expect_error("\"ab\xff\"", "json: invalid UTF-8 at byte 3");
  expect_error("\"\xED\xA0\x80\"", "json: invalid UTF-8 at byte 1");  // encoded surrogate
  expect_error("\"\xC3\"", "json: invalid UTF-8 at byte 1");
  expect_error(
      "\xEF\xBB\xBF"
      "1",
      "json: expecting value at byte 0");  // BOM, as Python
  expect_error("1 2", "json: extra data at byte 2");
  expect_error("01", "json: extra data at byte 1");
  expect_error("1.", "json: extra data at byte 1");
  expect_error("1e", "json: extra data at byte 1");
  expect_error(".5", "json: expecting value at byte 0");
  expect_error("-", "json: expecting value at byte 0");
  expect_error("-NaN", "json: expecting value at byte 0");
  expect_error("nan", "json: expecting value at byte 0");
  expect_error("True", "json: expecting value at byte 0");
  expect_error("nul", "json: expecting value at byte 0");
  expect_error(std::string_view("[\0]", 3), "json: expecting value at byte 1");
}

TEST(JsonTest, DeepNestingFailsCleanlyAtTheLimit) {
  auto start = std::chrono::steady_clock::now();
  std::string deep(100000, '[');
  expect_error(deep, "json: nesting deeper than 1000 levels at byte 1000");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\": ";
  expect_error(objects, "json: nesting deeper than 1000 levels at byte 6000");
  // Exactly at the limit is fine.
  std::string ok = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_NO_THROW(ser.decode(ok));
  Limits tight;
  tight.max_depth = 3;
  EXPECT_NO_THROW(ser.decode("[[[]]]", tight));
  EXPECT_THROW(ser.decode("[[[[]]]]", tight), SerializeError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(JsonTest, RefusesInputBeyondTheSizeLimit) {
  Limits small;
  small.max_input = 8;
  EXPECT_NO_THROW(ser.decode("[1, 2]", small));
  try {
    ser.decode("[1, 2, 3, 4]", small);
    FAIL() << "no exception";
  } catch (const SerializeError& e) {
    EXPECT_STREQ(e.what(), "json: input of 12 bytes exceeds the limit of 8");
  }
}

TEST(JsonTest, CallHasPyro4sShape) {
  Call call{"test.echoserver", "echo", {1, "two"}, Dict{{"k", Value::tuple({1, 2})}}};
  EXPECT_EQ(ser.encode_call(call),
            R"({"object": "test.echoserver", "method": "echo", "params": [1, "two"], )"
            R"("kwargs": {"k": [1, 2]}})");
  Call attr{"example.thing", "__getattr__", {"name"}, std::nullopt};
  std::string text = ser.encode_call(attr);
  EXPECT_EQ(text, R"({"object": "example.thing", "method": "__getattr__", "params": ["name"], )"
                  R"("kwargs": null})");
  EXPECT_EQ(ser.decode_call(text), attr);
}

TEST(JsonTest, DecodeCallReadsByKeyInAnyOrder) {
  Call call = ser.decode_call(
      R"({"kwargs": {"b": 2}, "params": [1], "method": "add", "extra": 0, "object": "x"})");
  EXPECT_EQ(call, (Call{"x", "add", {1}, Dict{{"b", 2}}}));
}

TEST(JsonTest, DecodeCallNamesWhatIsWrong) {
  auto error_of = [](std::string_view text) {
    try {
      ser.decode_call(text);
    } catch (const SerializeError& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_EQ(error_of("[1, 2]"), "json call: expected an object, got list");
  EXPECT_EQ(error_of(R"({"method": "m", "params": [], "kwargs": {}})"),
            "json call: missing key \"object\"");
  EXPECT_EQ(error_of(R"({"object": "o", "params": [], "kwargs": {}})"),
            "json call: missing key \"method\"");
  EXPECT_EQ(error_of(R"({"object": "o", "method": "m", "kwargs": {}})"),
            "json call: missing key \"params\"");
  EXPECT_EQ(error_of(R"({"object": "o", "method": "m", "params": []})"),
            "json call: missing key \"kwargs\"");
  EXPECT_EQ(error_of(R"({"object": 1, "method": "m", "params": [], "kwargs": {}})"),
            "json call: \"object\" must be a string, got int");
  EXPECT_EQ(error_of(R"({"object": "o", "method": "m", "params": {}, "kwargs": {}})"),
            "json call: \"params\" must be an array, got dict");
  EXPECT_EQ(error_of(R"({"object": "o", "method": "m", "params": [], "kwargs": []})"),
            "json call: \"kwargs\" must be an object or null, got list");
  EXPECT_EQ(error_of(R"({"object": "o")"), "json: unterminated object starting at byte 0");
}

TEST(JsonTest, EncodeCallRefusesUnsupportedArguments) {
  Call call{"o", "m", {1, Value::bytes("x")}, Dict{}};
  try {
    ser.encode_call(call);
    FAIL() << "no exception";
  } catch (const SerializeError& e) {
    EXPECT_STREQ(e.what(),
                 "json: cannot serialize bytes (Pyro4's json serializer refuses it) at params[1]");
  }
}

}  // namespace
}  // namespace remoto::serial
