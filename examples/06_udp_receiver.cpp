// Lesson 6: receiving UDP. There is no connection and no stream: each receive_from returns one
// whole datagram, as it was sent, and the address of whoever sent it. This receiver binds
// 127.0.0.1 (the port from the command line; 0, the default, picks a free one), prints the
// port, receives a fixed number of datagrams (default 3) and exits.
// Usage: example_06_udp_receiver [PORT [COUNT]]   then: example_07_udp_sender 127.0.0.1 PORT
#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <iostream>
#include <string_view>

using asio::ip::udp;

int main(int argc, char** argv) {
  try {
    auto port = static_cast<unsigned short>(argc > 1 ? std::stoi(argv[1]) : 0);
    int count = argc > 2 ? std::stoi(argv[2]) : 3;
    asio::io_context io;
    udp::socket socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::cout << "listening on 127.0.0.1:" << socket.local_endpoint().port() << std::endl;

    std::array<char, 65536> data;  // room for the largest datagram: a longer one is cut short
    for (int i = 1; i <= count; ++i) {
      udp::endpoint sender;
      std::size_t length = socket.receive_from(asio::buffer(data), sender);  // blocks
      std::cout << "datagram " << i << " from " << sender << ": "
                << std::string_view(data.data(), length) << std::endl;
    }
    std::cout << "received " << count << " datagrams; receiver done" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}
