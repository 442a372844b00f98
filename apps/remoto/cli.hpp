// The `remoto` tool's subcommands: one function each, taking the arguments after the
// subcommand's name and returning the process exit code, so tests can call them in-process.
// The files here parse and print; the logic lives in the library.
#pragma once

#include <signal.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace remoto::cli {

using Args = std::vector<std::string>;

int resolve_main(const Args& args);
int hello_main(const Args& args);
int tcp_main(const Args& args);
int udp_main(const Args& args);
int chat_main(const Args& args);
int convert_main(const Args& args);
int serve_main(const Args& args);

/// Exit codes: 0 success, 1 runtime failure, 2 usage error.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

/// Parses `args` into `app`. Returns nullopt when the command should run, otherwise the exit
/// code to return: 0 after printing --help to stdout, 2 after printing the error and the usage
/// to stderr.
std::optional<int> parse(CLI::App& app, const Args& args);

/// Prints "listening on HOST:PORT" (IPv6 hosts in brackets) and flushes at once, so a parent
/// reading a pipe sees it.
void print_listening(std::string_view host, unsigned short port);

/// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so
/// that wait() can take them synchronously. Construct it first thing in a server subcommand.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  /// Waits for SIGINT or SIGTERM and returns its number.
  int wait();

 private:
  sigset_t saved_;  // the mask before construction, restored on destruction
};

}  // namespace remoto::cli
