#include "remoto/serial/serpent.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include <unistd.h>

#include "remoto/value/repr.hpp"
#include "remoto/value/unicode.hpp"

namespace remoto::serial {
namespace {

using namespace std::string_literals;
using json = nlohmann::json;

constexpr double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();
const std::string header = "# serpent utf-8 python3.2\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const json& index() {
  static const json j = json::parse(read_file(REMOTO_SPEC_DIR "/vectors/index.json"));
  return j;
}

std::string vector_bytes(const json& v) {
  return read_file(REMOTO_SPEC_DIR "/vectors/" + v["file"].get<std::string>());
}

Value decode(std::string_view text, const Limits& limits = {}) {
  return serpent().decode(text, limits);
}
Value decode_expr(const std::string& expr) {
  return decode(header + expr);
}
std::string encode(const Value& v) {
  return serpent().encode(v);
}
std::string encode_expr(const Value& v) {
  std::string s = encode(v);
  EXPECT_EQ(s.substr(0, header.size()), header);
  return s.substr(header.size());
}

Value big(const char* text) {
  return Value(*BigInt::parse(text));
}
Value str_of(std::initializer_list<char32_t> cps) {
  std::string s;
  for (char32_t cp : cps) unicode::append(s, cp);
  return Value(Str{s});
}

// The message decoding fails with a SerializeError whose text contains every one of `parts`.
void expect_error(std::string_view text, std::initializer_list<std::string_view> parts,
                  const Limits& limits = {}) {
  try {
    Value v = decode(text, limits);
    ADD_FAILURE() << "decoded " << python_repr(v) << " from " << text.substr(0, 80);
  } catch (const SerializeError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("serpent: ", 0), 0u) << what;
    EXPECT_NE(what.find(" at offset "), std::string::npos) << what;
    for (auto part : parts) EXPECT_NE(what.find(part), std::string::npos) << what;
  }
}

// ---- golden value vectors ---------------------------------------------------------------

std::map<std::string, Value> expected_values() {
  using C = Value::Complex;
  auto bytes_dict = [](const char* b64) {
    return make_dict({{"data", b64}, {"encoding", "base64"}});
  };
  return {
      {"none", Value()},
      {"true", true},
      {"false", false},
      {"int_zero", 0},
      {"int_small", 42},
      {"int_negative", -7},
      {"int_i32max", 2147483647},
      {"int_i32over", 2147483648LL},
      {"int_i64min", INT64_MIN},
      {"int_u64max", UINT64_MAX},
      {"int_big", big("1267650600228229401496703205376")},
      {"int_bigneg", big("-1267650600228229401496703205377")},
      {"float_one", 1.0},
      {"float_pi", 3.141592653589793},
      {"float_negzero", -0.0},
      {"float_small", 1e-07},
      {"float_large", 1e16},
      {"float_inf", inf},
      {"float_neginf", -inf},
      {"float_nan", nan},  // Pyro4 turns the NaN class dict back into NaN
      {"complex", C(1, 2)},
      {"complex_neg", C(-1.5, -0.5)},
      {"str_empty", ""},
      {"str_ascii", "hello world"},
      {"str_single_quote", "it's"},
      {"str_double_quote", "say \"hi\""},
      {"str_both_quotes", "both ' and \""},
      {"str_escapes",
       "tab\tnl\ncr\rnul\0bs\\bell\aesc\x1b"
       "del\x7f"s},
      {"str_unicode", "üñí©€ 日本"},
      {"str_astral", "😀"},
      {"str_nonprintable", str_of({0x200B, 0x2028, 0xA0, 0xAD, 0xE0001})},
      {"bytes_empty", bytes_dict("")},
      {"bytes", bytes_dict("AAH/YWJj")},
      {"bytearray", bytes_dict("eHk=")},
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
      {"set_empty", Value::tuple()},  // serpent writes an empty set as ()
      {"set_int", make_set({1, 2, 3})},
      {"set_str", make_set({"a", "b", "c"})},
      {"frozenset", make_set({"x"})},
      {"nested", make_dict({{"list", Value::list({1, Value::tuple({2, 3}), make_set({4})})},
                            {"tuple", Value::tuple({Value::tuple(), Value::tuple({nullptr})})},
                            {"float", -2.5}})},
      {"timedelta", 86402.000003},
      {"array_int", Value::list({1, 2, 3})},
      {"uri_pyrometa", make_dict({{"__class__", "Pyro4.core.URI"},
                                  {"state", Value::tuple({"PYROMETA", make_set({"red", "green"}),
                                                          nullptr, "nshost", 9090})}})},
      {"proxy",
       make_dict({{"__class__", "Pyro4.core.Proxy"},
                  {"state", Value::tuple({"PYRO:obj_123@localhost:9999", Value::tuple({"ping"}),
                                          Value::tuple({"ping", "echo"}), Value::tuple({"value"}),
                                          0.0, nullptr, "hello", 0, nullptr})}})},
      {"exception_attrs", make_dict({{"__class__", "builtins.ValueError"},
                                     {"__exception__", true},
                                     {"args", Value::tuple({"bad value", 42})},
                                     {"attributes", make_dict({{"code", "E42"}})}})},
  };
}

std::vector<json> serpent_value_vectors() {
  std::vector<json> out;
  for (const auto& v : index()["vectors"])
    if (v["kind"] == "value" && v["serializer"] == "serpent") out.push_back(v);
  return out;
}

TEST(SerpentTest, ValueVectorsDecodeToExpectedValues) {
  auto expected = expected_values();
  std::size_t checked = 0;
  for (const auto& v : serpent_value_vectors()) {
    std::string name = v["name"].get<std::string>().substr(std::string("serpent_value_").size());
    Value decoded = decode(vector_bytes(v));
    auto it = expected.find(name);
    if (it != expected.end()) {
      EXPECT_EQ(decoded, it->second) << name << ": " << python_repr(decoded);
      ++checked;
    }
    // The Python repr of what we decode is what Python printed for its own decoding (bare
    // serpent, or Pyro4's which turns the NaN dict into nan).
    std::string repr = python_repr(decoded);
    std::string raw = v["raw_decoded_repr"];
    std::string pyro = v.value("pyro_decoded_repr", "");
    EXPECT_TRUE(repr == raw || repr == pyro) << name << ": " << repr << " vs " << raw;
  }
  EXPECT_EQ(checked, expected.size());
}

TEST(SerpentTest, ValueVectorsReencodeByteIdentically) {
  auto vectors = serpent_value_vectors();
  ASSERT_EQ(vectors.size(), 70u);
  for (const auto& v : vectors) {
    std::string bytes = vector_bytes(v);
    ASSERT_EQ(bytes, v["text"].get<std::string>());
    Value decoded = decode(bytes);
    std::string again = encode(decoded);
    EXPECT_EQ(again, bytes) << v["name"];
    EXPECT_EQ(decode(again), decoded) << v["name"];
  }
}

// ---- golden message vectors -------------------------------------------------------------

struct Payload {
  std::string name;
  std::string data;
  const json* meta;
};

std::vector<Payload> serpent_payloads() {
  std::vector<Payload> out;
  for (const auto& v : index()["vectors"]) {
    if (v["kind"] != "message" || v.value("body_serializer", "") != "serpent") continue;
    std::string msg = vector_bytes(v);
    EXPECT_GE(msg.size(), 24u);
    auto u16 = [&](std::size_t at) {
      return static_cast<std::size_t>(static_cast<unsigned char>(msg[at]) << 8 |
                                      static_cast<unsigned char>(msg[at + 1]));
    };
    std::size_t flags = u16(8);
    std::size_t data_size = u16(12) << 16 | u16(14);
    std::size_t ann_size = u16(18);
    std::string body = msg.substr(24 + ann_size, data_size);
    if (flags & 0x0002) {
      body = v["body_text"];  // compressed on the wire; index.json has the inflated text
    } else {
      EXPECT_EQ(body, v["body_text"].get<std::string>()) << v["name"];
    }
    out.push_back({v["name"], body, &v});
  }
  return out;
}

// The call as the 4-tuple Python decodes; Pyro4 itself sends args as a list for some calls
// (Pyro.Daemon methods, batches), which Call does not record.
Value call_as_tuple(const Call& call, bool args_list) {
  return Value::tuple({call.object, call.method,
                       args_list ? Value::list(call.args) : Value::tuple(call.args),
                       call.kwargs ? Value(*call.kwargs) : Value()});
}

TEST(SerpentTest, MessageVectorPayloadsDecode) {
  auto payloads = serpent_payloads();
  ASSERT_GE(payloads.size(), 120u);
  std::size_t calls = 0;
  for (const auto& p : payloads) {
    const json& meta = *p.meta;
    std::string raw_repr = meta.value("body_raw_repr", "");
    std::string pyro_repr = meta.value("body_repr", "");
    if (raw_repr.rfind("ERROR", 0) == 0) {  // Python cannot parse it either
      EXPECT_THROW(decode(p.data), SerializeError) << p.name;
      EXPECT_THROW(serpent().decode_call(p.data), SerializeError) << p.name;
      calls += meta["body_kind"] == "call";
      continue;
    }
    Value value = decode(p.data);
    std::string repr = python_repr(value);
    EXPECT_TRUE(repr == raw_repr || repr == pyro_repr) << p.name << "\n"
                                                       << repr << "\n"
                                                       << raw_repr;
    if (meta["body_kind"] == "call") {
      Call call = serpent().decode_call(p.data);
      bool args_list = value.as_tuple().at(2).is_list();
      Value as_tuple = call_as_tuple(call, args_list);
      std::string call_repr = python_repr(as_tuple);
      EXPECT_TRUE(call_repr == raw_repr || call_repr == pyro_repr) << p.name << ": " << call_repr;
      EXPECT_EQ(as_tuple, value) << p.name;
      if (!args_list) {
        EXPECT_EQ(serpent().encode_call(call), p.data) << p.name;
      }
      ++calls;
    } else {
      EXPECT_EQ(encode(value), p.data) << p.name;
    }
  }
  EXPECT_EQ(calls, 48u);
}

TEST(SerpentTest, InvokeVectorFields) {
  for (const auto& p : serpent_payloads()) {
    if (p.name != "serpent_basic_03_invoke") continue;
    Call call = serpent().decode_call(p.data);
    EXPECT_EQ(call.object, "test.echoserver");
    EXPECT_EQ(call.method, "echo");
    ASSERT_EQ(call.args.size(), 1u);
    EXPECT_EQ(call.args[0], Value::list({1, "two", 3.5, nullptr, true,
                                         make_dict({{"k", Value::tuple({1, 2})}})}));
    ASSERT_TRUE(call.kwargs);
    EXPECT_TRUE(call.kwargs->empty());
    return;
  }
  FAIL() << "vector serpent_basic_03_invoke missing";
}

// ---- reading: the grammar beyond Python's own output --------------------------------------

TEST(SerpentTest, ReadsPythonLiteralSyntax) {
  using C = Value::Complex;
  const std::pair<std::string, Value> cases[] = {
      {"  # comment\n [1, # inner\n 2 ,\t\f3,]  \n# tail", Value::list({1, 2, 3})},
      {"(1)", 1},
      {"((1,))", Value::tuple({1})},
      {"(1,2,)", Value::tuple({1, 2})},
      {"{1,}", make_set({1})},
      {"{1:2,}", make_dict({{1, 2}})},
      {"{'a':1,'a':2,'b':3}", make_dict({{"a", 2}, {"b", 3}})},
      {"set()", Value(Set())},
      {"[1,\\\n2]", Value::list({1, 2})},
      {"'a' \"b\" '''c''' \"\"\"d\"\"\"", "abcd"},
      {"'''x\r\ny\rz'''", "x\ny\nz"},
      {"'a\\\nb'", "ab"},
      {"u'x'", "x"},
      {"r'\\n\\''", "\\n\\'"},
      {"R\"\\x\"", "\\x"},
      {"'\\a\\b\\f\\v\\0\\12\\x7f\\'\\\"'", "\a\b\f\v\0\n\x7f'\""s},
      {"'\\777'", str_of({0777})},
      {"'\\u00e9\\U0001F600'", "é😀"},
      {"'\\ud83d\\ude00'", str_of({0xD83D, 0xDE00})},  // not combined, as in Python
      {"'\\q'", "\\q"},
      {"b'abc'", Value::bytes("abc")},
      {"B'\\x00\\xff\\777'", Value::bytes("\0\xff\xff"s)},
      {"rb'\\x'", Value::bytes("\\x")},
      {"b'a' b'b'", Value::bytes("ab")},
      {"b'\\u0041'", Value::bytes("\\u0041")},
      {"0", 0},
      {"00", 0},
      {"0_0", 0},
      {"1_000", 1000},
      {"0x_1f", 31},
      {"0XFF", 255},
      {"0o17", 15},
      {"0b1_0", 2},
      {"0x" + std::string(40, 'f'), big("1461501637330902918203684832716283019655932542975")},
      {"-9223372036854775808", INT64_MIN},
      {"-9223372036854775809", big("-9223372036854775809")},
      {"-(9223372036854775808)", INT64_MIN},
      {"- -1", 1},
      {"+-+1", -1},
      {"-0", 0},
      {"1.e5", 1e5},
      {".5", 0.5},
      {"1.", 1.0},
      {"007.5", 7.5},
      {"1_000.5", 1000.5},
      {"1e30000", inf},
      {"-1e30000", -inf},
      {"1e-30000", 0.0},
      {"0.000001e-400", 0.0},
      {"0e999999", 0.0},
      {"1.7976931348623159e308", inf},
      {"2.5e-324", 5e-324},
      {"1e5j", C(0, 1e5)},
      {"01j", C(0, 1)},
      {"1.5J", C(0, 1.5)},
      {"-2j", C(-0.0, -2)},
      {"1+2j", C(1, 2)},
      {"[1 -2j]", Value::list({C(1, -2)})},
      {"( 1.5 + 2J )", C(1.5, 2)},
      {"(1.0-0.0j)", C(1, -0.0)},
      {"(-0.0+1.0j)", C(-0.0, 1)},
      {"(1e30000-1e30000j)", C(inf, -inf)},
      {"-(1+2j)", C(-1, -2)},
      {"{'__class__':'float','value':'nan'}", nan},
      {"{'value':'-Infinity','__class__':'float'}", -inf},
      {"{'__class__':'float','value':'1.5'}", 1.5},
      {"{'__class__':'float','value':'abc'}",
       make_dict({{"__class__", "float"}, {"value", "abc"}})},
      {"[{'__class__':'float','value':'nan'}]", Value::list({nan})},
      {"{'__class__':'Other','value':'nan'}",
       make_dict({{"__class__", "Other"}, {"value", "nan"}})},
  };
  for (const auto& [text, expected] : cases) {
    try {
      Value v = decode(text);
      EXPECT_EQ(v, expected) << text << " -> " << python_repr(v);
    } catch (const SerializeError& e) {
      ADD_FAILURE() << text << ": " << e.what();
    }
  }
}

TEST(SerpentTest, BigIntegersUpToCPythonsDigitLimit) {
  std::string digits(4300, '7');
  Value v = decode(digits);
  ASSERT_TRUE(v.is_big_int());
  EXPECT_EQ(v.as_big_int().str(), digits);
  EXPECT_EQ(encode_expr(v), digits);
  expect_error(digits + "7", {"4301 digits", "4300"});
  expect_error(std::string(1'000'000, '9'), {"digits"});
  expect_error("0x" + std::string(4000, 'f'), {"4300"});
}

// ---- reading: errors --------------------------------------------------------------------

TEST(SerpentTest, MalformedInputFailsWithWhatAndWhere) {
  expect_error("", {"no value", "offset 0"});
  expect_error("# just a comment\n", {"no value"});
  expect_error("[1,2", {"expected ',' or ']'", "end of input", "offset 4"});
  expect_error("(1,2", {"expected ',' or ')'"});
  expect_error("{1:", {"end of input"});
  expect_error("{1:2, 3}", {"expected ':'"});
  expect_error("{1, 2:3}", {"expected ',' or '}'"});
  expect_error("'abc", {"unterminated string", "offset 0"});
  expect_error("x = 'abc", {"unknown name 'x'"});
  expect_error("[1, 'ab\ncd']", {"unterminated string", "offset 4"});
  expect_error("'''abc''", {"unterminated string"});
  expect_error("1 2", {"after the value", "offset 2", "line 1, column 3"});
  expect_error("[1,\n 2]\n3", {"after the value", "line 3, column 1"});
  expect_error("[,]", {"expected a value"});
  expect_error("007", {"leading zeros"});
  expect_error("1__0", {"invalid number"});
  expect_error("1_", {"invalid number"});
  expect_error("1e", {"exponent"});
  expect_error("0x", {"no digits"});
  expect_error("0b2", {"no digits"});
  expect_error("1abc", {"invalid number"});
  expect_error("1+2", {"imaginary"});
  expect_error("1j+2j", {"after the value"});
  expect_error("-True", {"unary sign", "bool"});
  expect_error("+'a'", {"unary sign", "str"});
  expect_error("none", {"unknown name 'none'"});
  expect_error("__import__('os')", {"unknown name '__import__'"});
  expect_error("f'x'", {"f-strings"});
  expect_error("ur'x'", {"string prefix"});
  expect_error("'a' b'b'", {"cannot mix bytes and str"});
  expect_error("b'\xc3\xa9'", {"non-ASCII"});
  expect_error("'\\x4'", {"\\xXX"});
  expect_error("'\\u12'", {"\\uXXXX"});
  expect_error("'\\U00110000'", {"illegal Unicode"});
  expect_error("'\\N{BULLET}'", {"\\N{...}"});
  expect_error("{[1]}", {"unhashable list inside a dict key or set element", "offset 1"});
  expect_error("{(1,[2]):3}", {"unhashable list", "offset 4"});
  expect_error("{{}:1}", {"unhashable dict or set"});
  expect_error("{1:2,set():3}", {"unhashable set"});
  expect_error("{{'__class__':'float','value':'nan'}}", {"unhashable dict"});
  expect_error(
      "\xef\xbb\xbf"
      "1",
      {"byte 0xef"});
  expect_error("1\x0b", {"byte 0x0b"});
}

TEST(SerpentTest, RejectsInvalidUtf8AndNul) {
  expect_error("'ab\xff'", {"invalid UTF-8", "offset 3"});
  expect_error("'\xed\xa0\x80'", {"invalid UTF-8"});  // an encoded surrogate is not UTF-8
  expect_error("'\xc3'", {"invalid UTF-8"});
  expect_error("# comment \xff\n1", {"invalid UTF-8", "offset 10"});
  expect_error("'a\0b'"s, {"NUL", "offset 2"});
  expect_error("# c\0\n1"s, {"NUL"});
  expect_error("1\0"s, {"byte 0x00"});
  expect_error("\xff", {"byte 0xff"});
}

TEST(SerpentTest, TruncatedInputNeverCrashes) {
  for (const auto& v : serpent_value_vectors()) {
    std::string bytes = vector_bytes(v);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      try {
        decode(std::string_view(bytes).substr(0, n));
      } catch (const SerializeError& e) {
        EXPECT_NE(std::string(e.what()).find(" at offset "), std::string::npos) << e.what();
      }
    }
  }
}

TEST(SerpentTest, DeepNestingFailsCleanly) {
  for (std::string open : {"[", "(", "-(", "{1:", "{1:[", "{1:(("}) {
    std::string text;
    for (int i = 0; i < 100'000; ++i) text += open;
    expect_error(text, {"nesting deeper than 1000 levels"});
  }
  expect_error("{" + std::string(100'000, '('), {"nesting deeper than 1000 levels"});
  // Exactly at the limit is fine.
  Limits limits;
  limits.max_depth = 10;
  EXPECT_NO_THROW(decode(std::string(10, '[') + std::string(10, ']'), limits));
  expect_error(std::string(11, '[') + std::string(11, ']'), {"deeper than 10", "offset 10"},
               limits);
}

TEST(SerpentTest, ManySignsAndStringsDoNotRecurse) {
  EXPECT_EQ(decode(std::string(1'000'000, '-') + "1"), 1);
  std::string many;
  for (int i = 0; i < 100'000; ++i) many += "'ab' ";
  EXPECT_EQ(decode(many).as_str().size(), 200'000u);
}

TEST(SerpentTest, InputSizeLimit) {
  Limits limits;
  limits.max_input = 10;
  EXPECT_EQ(decode("[1,2,3,45]", limits), Value::list({1, 2, 3, 45}));
  try {
    decode("[1,2,3,456]", limits);
    ADD_FAILURE();
  } catch (const SerializeError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the limit of 10"), std::string::npos);
  }
}

// ---- calls ------------------------------------------------------------------------------

TEST(SerpentTest, CallRoundTrip) {
  Call call{"test.echoserver", "echo", {1, "two", Value::tuple({3})}, Dict{{"k", 1.5}}};
  std::string text = serpent().encode_call(call);
  EXPECT_EQ(text, header + "('test.echoserver','echo',(1,'two',(3,)),{'k':1.5})");
  EXPECT_EQ(serpent().decode_call(text), call);

  Call attr{"obj", "__getattr__", {"name"}, std::nullopt};
  text = serpent().encode_call(attr);
  EXPECT_EQ(text, header + "('obj','__getattr__',('name',),None)");
  EXPECT_EQ(serpent().decode_call(text), attr);

  Call none{"o", "m", {}, Dict{}};
  EXPECT_EQ(serpent().encode_call(none), header + "('o','m',(),{})");
}

TEST(SerpentTest, DecodeCallAcceptsListsAndNone) {
  Call call = serpent().decode_call("['o','m',[1,2],None]");
  EXPECT_EQ(call.object, "o");
  EXPECT_EQ(call.method, "m");
  EXPECT_EQ(call.args, (std::vector<Value>{1, 2}));
  EXPECT_FALSE(call.kwargs);
}

TEST(SerpentTest, DecodeCallRejectsWrongShapes) {
  auto expect_call_error = [](std::string_view text, std::string_view part) {
    try {
      serpent().decode_call(text);
      ADD_FAILURE() << text;
    } catch (const SerializeError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_call_error("42", "expected a tuple (object, method, args, kwargs), got int");
  expect_call_error("('o','m',())", "expected 4 items");
  expect_call_error("(1,'m',(),{})", "object id must be a str, got int");
  expect_call_error("('o',None,(),{})", "method name must be a str, got NoneType");
  expect_call_error("('o','m',1,{})", "args must be a tuple or list, got int");
  expect_call_error("('o','m',(),[])", "kwargs must be a dict or None, got list");
  expect_call_error("('o','m',(),{1:2})", "kwargs keys must be str, got int");
  expect_call_error("('o','m',(", "at offset");
}

// ---- writing ----------------------------------------------------------------------------

TEST(SerpentTest, WritesPythonsForms) {
  using C = Value::Complex;
  const std::pair<Value, std::string> cases[] = {
      {Value(), "None"},
      {INT64_MIN, "-9223372036854775808"},
      {big("-1267650600228229401496703205377"), "-1267650600228229401496703205377"},
      {0.1, "0.1"},
      {-0.0, "-0.0"},
      {1e22, "1e+22"},
      {inf, "1e30000"},
      {-inf, "-1e30000"},
      {nan, "{'__class__':'float','value':'nan'}"},
      {C(1, 2), "(1.0+2.0j)"},
      {C(0, -1), "(0.0-1.0j)"},
      {C(1, -0.0), "(1.0-0.0j)"},  // Python's serpent writes "+-0.0j", which it cannot read
      {C(inf, -inf), "(1e30000-1e30000j)"},
      {str_of({0xD800, 'x'}), "'\\ud800x'"},
      {"it's", "\"it's\""},
      {Value::bytes("\0\x01\xff"
                    "abc"s),
       "{'data': 'AAH/YWJj', 'encoding': 'base64'}"},
      {Value::bytes("xy"), "{'data': 'eHk=', 'encoding': 'base64'}"},
      {Value::tuple({1}), "(1,)"},
      {Value::tuple(), "()"},
      {Value(Set()), "()"},
      {make_set({3, 1, 2}), "{3,1,2}"},  // insertion order
      {make_dict({{"b", 1}, {"a", Value::list({true, nullptr})}}), "{'b':1,'a':[True,None]}"},
      {make_dict({{Value::bytes("k"), 1}}), "{b'k':1}"},  // a dict cannot be a key
      {make_set({Value::tuple({Value::bytes("\n"), 1})}), "{(b'\\n',1)}"},
      {make_dict({{Value::tuple({1, inf}), C(0.5, 0)}}), "{(1,1e30000):(0.5+0.0j)}"},
  };
  for (const auto& [value, text] : cases) {
    EXPECT_EQ(encode_expr(value), text);
    if (!value.is_bytes() && !(value.is_set() && value.as_set().empty())) {
      EXPECT_EQ(decode_expr(text), value) << text;
    }
  }
}

TEST(SerpentTest, BytesReprOption) {
  SerpentOptions options;
  options.bytes_repr = true;
  EXPECT_EQ(serpent_encode(Value::list({Value::bytes("a'\x01")}), options),
            header + "[b\"a'\\x01\"]");
}

TEST(SerpentTest, RefusesWhatPythonCannotRead) {
  auto expect_encode_error = [](const Value& v, std::string_view part) {
    try {
      std::string s = encode(v);
      ADD_FAILURE() << s;
    } catch (const SerializeError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  Dict list_key;
  list_key.insert_or_assign(Value::list({1}), 1);
  expect_encode_error(Value(list_key), "cannot write a list inside a dict key");
  Dict tuple_dict_key;
  tuple_dict_key.insert_or_assign(Value::tuple({make_dict({})}), 1);
  expect_encode_error(Value(tuple_dict_key), "cannot write a dict inside a dict key");
  expect_encode_error(make_set({nan}), "NaN inside a dict key");
  expect_encode_error(Value(Value::Complex(nan, 1)), "complex with a NaN part");
  expect_encode_error(Value(Str{"bad \xff utf-8"}), "not valid UTF-8");
  Value deep = 1;
  for (int i = 0; i < 1001; ++i) deep = Value::list({std::move(deep)});
  expect_encode_error(deep, "nested deeper than 1000");
  SerpentOptions options;
  options.max_depth = 2;
  EXPECT_NO_THROW(serpent_encode(Value::list({Value::list()}), options));
  EXPECT_THROW(serpent_encode(Value::list({Value::list({Value::list()})}), options),
               SerializeError);
}

// Everything remoto writes, Python's serpent reads back as the equal value. Runs the real
// serpent 1.41 once over all samples (skipped when Python or serpent is missing).
TEST(SerpentTest, PythonReadsWhatWeWrite) {
  if (std::system("/usr/bin/python3 -c 'import serpent' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 with serpent not available";
  using C = Value::Complex;
  // value, and Python's repr of what serpent.loads() returns for our text
  const std::pair<Value, std::string> cases[] = {
      {make_dict({{"a", Value::list({1, 2.5, nullptr, true})}, {"b", Value::tuple({"x"})}}),
       "{'a': [1, 2.5, None, True], 'b': ('x',)}"},
      {big("-123456789012345678901234567890"), "-123456789012345678901234567890"},
      {Value::list({inf, -inf, -0.0, 5e-324, 1e300}), "[inf, -inf, -0.0, 5e-324, 1e+300]"},
      {Value::list({C(1, -0.0), C(-1.5, 2), C(inf, 1)}), "[(1+0j), (-1.5+2j), (inf+1j)]"},
      {str_of({0xD800, 0xDC00, 0x200B, 'q', 0x1F600, '\'', '"', '\\', 0, 0x7F, 0xA0}),
       R"('\ud800\udc00\u200bq😀\'"\\\x00\x7f\xa0')"},
      {"\r\n\t", R"('\r\n\t')"},
      {Value::bytes("\xff\x00"s), "{'data': '/wA=', 'encoding': 'base64'}"},
      {make_dict({{Value::bytes("k"), make_set({Value::tuple({1, Value::bytes("v")})})}}),
       "{b'k': {(1, b'v')}}"},
      {Value(Set()), "()"},
      {make_set({"only"}), "{'only'}"},
      {nan, "{'__class__': 'float', 'value': 'nan'}"},
      {Value::tuple({Value::tuple({1})}), "((1,),)"},
  };
  // Per process: the same test may run concurrently from several build trees.
  std::string dir = testing::TempDir() + "/serpent_py_" + std::to_string(::getpid());
  ASSERT_EQ(std::system(("mkdir -p " + dir).c_str()), 0);
  std::string list_file = dir + "/serpent_py_files.txt";
  std::ofstream list(list_file);
  int i = 0;
  for (const auto& [value, repr] : cases) {
    std::string path = dir + "/serpent_py_" + std::to_string(i++) + ".bin";
    std::ofstream(path, std::ios::binary) << encode(value);
    list << path << "\n";
  }
  list.close();
  std::string out_file = dir + "/serpent_py_out.txt";
  std::string cmd =
      "/usr/bin/python3 -c 'import serpent,sys\n"
      "for p in open(sys.argv[1]).read().split():\n"
      "    "
      "sys.stdout.buffer.write(repr(serpent.loads(open(p,\"rb\").read())).encode()+b\"\\n\")' " +
      list_file + " > " + out_file;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream out(out_file, std::ios::binary);
  std::string line;
  for (const auto& [value, repr] : cases) {
    ASSERT_TRUE(std::getline(out, line));
    EXPECT_EQ(line, repr) << python_repr(value);
  }
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace remoto::serial

namespace remoto::serial {
namespace {

// The writer copies plain printable ASCII a word at a time: a character that needs escaping
// (or a non-ASCII one) must be caught at every position of an 8-byte word and in the tail, and
// the result must be Python's repr exactly.
TEST(SerpentTest, StrReprAtEveryPositionOfAWord) {
  const std::string specials[] = {"'", "\\", "\n", "\x7f", "\x1f", "\xc3\xa9", "\"", " ", "~"};
  for (const std::string& special : specials) {
    for (std::size_t len = 0; len < 20; ++len) {
      for (std::size_t at = 0; at <= len; ++at) {
        std::string text(len, 'a');
        text.insert(at, special);
        std::string expected;
        remoto::append_str_repr(expected, text);
        EXPECT_EQ(encode_expr(Value(text)), expected) << "len " << len << " at " << at;
        EXPECT_EQ(decode_expr(expected), Value(text));
      }
    }
  }
}

}  // namespace
}  // namespace remoto::serial
