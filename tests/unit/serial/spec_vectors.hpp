// Access to the golden vectors of spec/vectors/ (made by the real Pyro4) for the serializer
// tests: index.json and the raw bytes of each vector.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace remoto::serial::test {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline const nlohmann::json& index_json() {
  static const nlohmann::json index =
      nlohmann::json::parse(read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/index.json"));
  return index;
}

/// The vectors of one kind ("value", "message", ...) whose name starts with `prefix`.
inline std::vector<nlohmann::json> vectors(const std::string& prefix, const std::string& kind) {
  std::vector<nlohmann::json> out;
  for (const auto& v : index_json()["vectors"])
    if (v["kind"] == kind && v["name"].get<std::string>().rfind(prefix, 0) == 0) out.push_back(v);
  return out;
}

inline const nlohmann::json& vector_named(const std::string& name) {
  for (const auto& v : index_json()["vectors"])
    if (v["name"] == name) return v;
  throw std::runtime_error("no vector " + name);
}

inline std::string vector_bytes(const nlohmann::json& v) {
  return read_file(std::string(REMOTO_SPEC_DIR) + "/vectors/" + v["file"].get<std::string>());
}

}  // namespace remoto::serial::test
