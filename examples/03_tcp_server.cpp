// Lesson 3: a TCP server with blocking sockets, serving a single client. It binds 127.0.0.1
// (the port from the command line; 0, the default, lets the system pick a free one), prints
// the port, accepts one connection, sends every line it receives back to the client, and
// exits when the client closes the connection. A second client would have to wait until the
// first is done: lesson 5 fixes that.
// Usage: example_03_tcp_server [PORT]   then: example_04_tcp_client 127.0.0.1 PORT
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <string>

using asio::ip::tcp;

int main(int argc, char** argv) {
  try {
    auto port = static_cast<unsigned short>(argc > 1 ? std::stoi(argv[1]) : 0);
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;

    tcp::socket client = acceptor.accept();  // blocks until a client connects
    std::cout << "client connected from " << client.remote_endpoint() << std::endl;

    std::string buffer;
    asio::error_code ec;
    for (;;) {
      // Blocks until a whole line is in (TCP is a byte stream: one read may hold half a line
      // or three lines), or the client closes (ec == asio::error::eof).
      std::size_t length = asio::read_until(client, asio::dynamic_buffer(buffer), '\n', ec);
      if (ec) break;
      std::string line = buffer.substr(0, length);
      buffer.erase(0, length);
      std::cout << "received: " << line << std::flush;
      asio::write(client, asio::buffer(line));
    }
    if (ec != asio::error::eof) std::cout << "connection error: " << ec.message() << '\n';
    std::cout << "client closed the connection; server done" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}
