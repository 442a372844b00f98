// `remoto serve`: the main job. One process that starts a whole node on localhost — the HTTP
// hello server, TCP echo, UDP echo and chat — and prints what to try. Later issues add the name
// server and the Pyro echo server here.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>
#include <exception>
#include <string>

#include "cli.hpp"
#include "remoto/services/chat_server.hpp"
#include "remoto/services/hello_server.hpp"
#include "remoto/services/tcp_echo_server.hpp"
#include "remoto/services/udp_echo_server.hpp"

namespace remoto::cli {

namespace {

/// The path of this executable, so the printed commands can be pasted as they are.
std::string self_path() {
  std::array<char, 4096> buf{};
  auto n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string("remoto");
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int serve_main(const Args& args) {
  CLI::App app("Start a whole remoto node on this host and print what to try.", "remoto serve");
  std::string host = "127.0.0.1";
  std::uint16_t http_port = 8080;
  std::uint16_t echo_port = 7007;
  std::uint16_t udp_port = 7007;
  std::uint16_t chat_port = 7070;
  app.add_option("-H,--host", host, "address to listen on")->capture_default_str();
  app.add_option("--http-port", http_port, "HTTP hello server port (0: any free port)")
      ->capture_default_str();
  app.add_option("--echo-port", echo_port, "TCP echo server port (0: any free port)")
      ->capture_default_str();
  app.add_option("--udp-port", udp_port, "UDP echo server port (0: any free port)")
      ->capture_default_str();
  app.add_option("--chat-port", chat_port, "chat server port (0: any free port)")
      ->capture_default_str();
  if (auto code = parse(app, args)) return *code;

  StopSignals signals;  // first: every server thread inherits the blocked signals
  try {
    net::ServerOptions http_options;
    http_options.host = host;
    http_options.port = http_port;
    services::HelloServer hello(http_options);

    net::ServerOptions echo_options;
    echo_options.host = host;
    echo_options.port = echo_port;
    services::TcpEchoServer echo(echo_options);

    services::UdpEchoServer::Options udp_options;
    udp_options.host = host;
    udp_options.port = udp_port;
    services::UdpEchoServer udp(udp_options);

    services::ChatServer::Options chat_options;
    chat_options.host = host;
    chat_options.port = chat_port;
    services::ChatServer chat(chat_options);

    hello.start();
    echo.start();
    udp.start();
    chat.start();

    const std::string self = self_path();
    const std::string h = url_host(host);
    std::printf("remoto node on %s (stop with Ctrl-C)\n", host.c_str());
    std::printf("  http hello  listening on %s:%u\n", h.c_str(), unsigned{hello.port()});
    std::printf("              try: curl http://%s:%u/\n", h.c_str(), unsigned{hello.port()});
    std::printf("  tcp echo    listening on %s:%u\n", h.c_str(), unsigned{echo.port()});
    std::printf("              try: echo hola | %s tcp connect %s %u\n", self.c_str(), host.c_str(),
                unsigned{echo.port()});
    std::printf("  udp echo    listening on %s:%u\n", h.c_str(), unsigned{udp.port()});
    std::printf("              try: %s udp send %s %u hola\n", self.c_str(), host.c_str(),
                unsigned{udp.port()});
    std::printf("  chat        listening on %s:%u\n", h.c_str(), unsigned{chat.port()});
    std::printf("              try: %s chat join %s %u alice\n", self.c_str(), host.c_str(),
                unsigned{chat.port()});
    std::fflush(stdout);

    signals.wait();
    chat.stop();
    udp.stop();
    echo.stop();
    hello.stop();
    std::printf("remoto node stopped\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "remoto serve: %s\n", e.what());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace remoto::cli
