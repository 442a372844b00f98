// `remoto resolve`: the InetAddress lessons on the command line. Each argument is looked up in
// turn: names to every address (getaddrinfo), with --reverse addresses to their host name
// (getnameinfo), with --bytes raw bytes in hex to the address they make. An argument that
// fails gets one line on stderr and nothing on stdout, and the others still run.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "remoto/net/address.hpp"
#include "remoto/net/resolver.hpp"

namespace remoto::cli {

namespace {

constexpr const char* prog = "remoto resolve";
// As the issue asks, an argument that names no address exits 2, like a usage error: in both
// cases the input was at fault, not the machine.
constexpr int exit_unknown_host = 2;

void fail(std::string_view argument, std::string_view reason) {
  std::cerr << prog << ": " << argument << ": " << reason << '\n';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 8 or 32 hex digits -> the address of those 4 or 16 bytes; false after printing why not.
bool print_from_hex(const std::string& hex) {
  for (char c : hex) {
    if (hex_digit(c) < 0) {
      fail(hex, "not a hex digit: '" + std::string(1, c) + "'");
      return false;
    }
  }
  if (hex.size() != 8 && hex.size() != 32) {
    fail(hex, std::to_string(hex.size()) +
                  " hex digits; an address is 8 (IPv4, 4 bytes) or 32 (IPv6, 16 bytes)");
    return false;
  }
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<std::uint8_t>(hex_digit(hex[i]) * 16 + hex_digit(hex[i + 1])));
  }
  std::cout << net::Address::from_bytes(bytes) << '\n';
  return true;
}

bool print_host_name(const std::string& text) {
  auto address = net::Address::parse(text);
  if (!address) {
    fail(text, "not an IP address");
    return false;
  }
  std::error_code ec;
  auto name = net::reverse_lookup(*address, ec);
  if (ec) {
    fail(text, ec.message());
    return false;
  }
  std::cout << name << '\n';
  return true;
}

bool print_addresses(const std::string& name) {
  std::error_code ec;
  auto addresses = net::resolve_all(name, ec);
  if (ec) {
    fail(name, ec.message());
    return false;
  }
  for (const auto& address : addresses) std::cout << address << '\n';
  return true;
}

}  // namespace

int resolve_main(const Args& args) {
  CLI::App app{
      "Looks up host names and addresses, one argument after the other: by default every "
      "address (IPv4 and IPv6) of each NAME, one per line.",
      prog};
  app.footer(
      "Exit status: 0 if every argument gave an answer; 2 if any did not (unknown host, address "
      "without a name, bad hex: a message on stderr names it, the other arguments still run) "
      "or on a usage error.");
  std::vector<std::string> inputs;
  bool reverse = false;
  bool from_bytes = false;
  bool local = false;
  app.add_option("NAME", inputs, "host names (with -r: IP addresses; with -b: hex bytes)");
  auto* reverse_flag =
      app.add_flag("-r,--reverse", reverse, "print the host name of each IP address (NI_NAMEREQD)");
  auto* bytes_flag = app.add_flag(
      "-b,--bytes", from_bytes,
      "print the address made of each 4 or 16 raw bytes, in hex (8 or 32 digits: C0A80001)");
  app.add_flag("-l,--local", local, "print this machine's host name first");
  reverse_flag->excludes(bytes_flag);
  if (auto code = parse(app, args)) return *code;
  if (inputs.empty() && !local) {
    std::cerr << prog << ": nothing to look up: give at least one argument\n\n" << app.help();
    return exit_usage;
  }

  bool all_ok = true;
  if (local) {
    std::error_code ec;
    auto name = net::local_host_name(ec);
    if (ec) {
      fail("local host name", ec.message());
      all_ok = false;
    } else {
      std::cout << name << '\n';
    }
  }
  for (const auto& input : inputs) {
    bool ok = reverse      ? print_host_name(input)
              : from_bytes ? print_from_hex(input)
                           : print_addresses(input);
    all_ok = all_ok && ok;
  }
  std::cout.flush();
  return all_ok ? exit_ok : exit_unknown_host;
}

}  // namespace remoto::cli
