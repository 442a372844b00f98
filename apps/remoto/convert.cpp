// `remoto convert -f FORMAT -t FORMAT [FILE]`: reads one serialized value (FILE or stdin) and
// writes it in another format to stdout. The value is what Pyro4's FROM serializer's loads()
// makes of the input, the output what the TO serializer's dumps() makes of that value
// (serial::convert); `repr` and `pretty` print it as Python would show it, for people.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "remoto/serial/pyro_codec.hpp"
#include "remoto/value/repr.hpp"

namespace remoto::cli {

namespace {

constexpr const char* prog = "remoto convert";

// The whole of a FILE ("-": stdin), in binary; nullopt after printing why not.
std::optional<std::string> read_input(const std::string& path) {
  std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!in) {
    std::cerr << prog << ": cannot open " << path << ": " << std::strerror(errno) << '\n';
    return std::nullopt;
  }
  std::string data;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) data.append(buf, n);
  bool failed = std::ferror(in);
  if (in != stdin) std::fclose(in);
  if (failed) {
    std::cerr << prog << ": cannot read " << path << '\n';
    return std::nullopt;
  }
  return data;
}

}  // namespace

int convert_main(const Args& args) {
  CLI::App app{
      "Converts one value between Pyro4's serializers: the value is what Pyro4's FROM serializer "
      "loads from the input (FILE, or stdin), the output is what the TO serializer dumps for it, "
      "on stdout.",
      prog};
  app.footer(
      "Formats: serpent, json, marshal, msgpack; for output also repr (Python's repr() and a "
      "newline) and pretty (an indented form for people).\n"
      "Exit status: 0 on success; 1 if the input cannot be decoded or the value cannot be "
      "written in the output format (a message on stderr says what and where); 2 on a usage "
      "error.");
  std::string from;
  std::string to;
  std::string file = "-";
  app.add_option("-f,--from", from, "format of the input")
      ->required()
      ->check(CLI::IsMember({"serpent", "json", "marshal", "msgpack"}));
  app.add_option("-t,--to", to, "format of the output")
      ->required()
      ->check(CLI::IsMember({"serpent", "json", "marshal", "msgpack", "repr", "pretty"}));
  app.add_option("FILE", file, "input file; - or none for stdin");
  if (auto code = parse(app, args)) return *code;

  auto input = read_input(file);
  if (!input) return exit_failure;
  std::string output;
  try {
    const auto& source = *serial::find_serializer(from);
    if (to == "repr" || to == "pretty") {
      Value value = serial::pyro_loads(source, *input);
      output = to == "repr" ? python_repr(value) : pretty(value);
      output += '\n';
    } else {
      output = serial::convert(*input, source, *serial::find_serializer(to));
    }
  } catch (const std::exception& e) {
    std::cerr << prog << ": " << e.what() << '\n';
    return exit_failure;
  }
  std::fwrite(output.data(), 1, output.size(), stdout);
  std::fflush(stdout);
  return exit_ok;
}

}  // namespace remoto::cli
