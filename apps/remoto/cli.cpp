#include "cli.hpp"

#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace remoto::cli {

namespace {

// CLI11 leaves the footer without a final newline.
std::string with_newline(std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace

std::optional<int> parse(CLI::App& app, const Args& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::cout << with_newline(app.help());
    return exit_ok;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << with_newline(app.help("", CLI::AppFormatMode::All));
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\n\n" << with_newline(app.help());
    return exit_usage;
  }
  return std::nullopt;
}

void print_listening(std::string_view host, unsigned short port) {
  bool v6 = host.find(':') != std::string_view::npos;
  std::printf("listening on %s%.*s%s:%u\n", v6 ? "[" : "", static_cast<int>(host.size()),
              host.data(), v6 ? "]" : "", static_cast<unsigned>(port));
  std::fflush(stdout);
}

StopSignals::StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &saved_);
}

StopSignals::~StopSignals() {
  pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

int StopSignals::wait() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace remoto::cli
