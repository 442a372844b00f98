// Lesson 4: a TCP client with blocking sockets: it connects to a server, sends a few lines,
// reads the answer to each, and closes. Given no server to talk to, it first starts a tiny
// echo server of its own on a thread (lesson 3's, in short), so it also runs alone.
// Usage: example_04_tcp_client [HOST PORT [LINE...]]
#include <array>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using asio::ip::tcp;

// The stand-in server: echoes one client's bytes until it closes.
void echo_one_client(tcp::acceptor& acceptor) {
  tcp::socket client = acceptor.accept();
  std::array<char, 1024> data;
  asio::error_code ec;
  while (!ec) {
    std::size_t length = client.read_some(asio::buffer(data), ec);
    if (!ec) asio::write(client, asio::buffer(data, length), ec);
  }
}

int main(int argc, char** argv) {
  try {
    asio::io_context io;
    std::string host = "127.0.0.1";
    std::string port;
    std::vector<std::string> lines = {"hello, server", "how are you?", "bye"};
    tcp::acceptor acceptor(io);
    std::jthread demo_server;  // declared after acceptor: joined before the acceptor goes
    if (argc >= 3) {
      host = argv[1];
      port = argv[2];
      if (argc > 3) lines.assign(argv + 3, argv + argc);
    } else {
      acceptor = tcp::acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      port = std::to_string(acceptor.local_endpoint().port());
      std::cout << "no server given: started an echo server on 127.0.0.1:" << port << std::endl;
      demo_server = std::jthread([&acceptor] { echo_one_client(acceptor); });
    }

    // The resolver turns the name and port into endpoints; connect() tries each in turn.
    tcp::resolver resolver(io);
    tcp::socket socket(io);
    asio::connect(socket, resolver.resolve(host, port));
    std::cout << "connected to " << socket.remote_endpoint() << " from " << socket.local_endpoint()
              << std::endl;

    std::string buffer;
    for (const auto& line : lines) {
      asio::write(socket, asio::buffer(line + '\n'));
      std::size_t length = asio::read_until(socket, asio::dynamic_buffer(buffer), '\n');
      std::cout << "sent: " << line << " | got back: " << buffer.substr(0, length - 1) << std::endl;
      buffer.erase(0, length);
    }
    // Shutting down our sending half tells the server we are done: its read sees end of file.
    socket.shutdown(tcp::socket::shutdown_send);
    socket.close();
    std::cout << "connection closed" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}
