// Lesson 7: sending UDP. No connect and no listen: every send_to names its destination, and
// nothing tells the sender whether the datagram arrived. Given no receiver to send to, it
// first starts one of its own on a thread (lesson 6's, in short), so it also runs alone.
// Usage: example_07_udp_sender [HOST PORT [MESSAGE...]]
#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <syncstream>
#include <thread>
#include <vector>

using asio::ip::udp;

// The stand-in receiver: prints `count` datagrams.
void receive(udp::socket& socket, std::size_t count) {
  std::array<char, 65536> data;
  for (std::size_t i = 0; i < count; ++i) {
    udp::endpoint sender;
    std::size_t length = socket.receive_from(asio::buffer(data), sender);
    std::osyncstream(std::cout) << "receiver got from " << sender << ": "
                                << std::string_view(data.data(), length) << std::endl;
  }
}

int main(int argc, char** argv) {
  try {
    asio::io_context io;
    std::string host = "127.0.0.1";
    std::string port;
    std::vector<std::string> messages = {"first datagram", "second datagram", "third datagram"};
    udp::socket demo_socket(io);
    std::jthread demo_receiver;  // declared after demo_socket: joined before the socket goes
    if (argc >= 3) {
      host = argv[1];
      port = argv[2];
      if (argc > 3) messages.assign(argv + 3, argv + argc);
    } else {
      // Bound before anything is sent, so no datagram can arrive before the socket exists.
      demo_socket = udp::socket(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      port = std::to_string(demo_socket.local_endpoint().port());
      std::cout << "no receiver given: started one on 127.0.0.1:" << port << std::endl;
      demo_receiver =
          std::jthread([&demo_socket, n = messages.size()] { receive(demo_socket, n); });
    }

    udp::resolver resolver(io);
    udp::endpoint destination = *resolver.resolve(host, port).begin();
    udp::socket socket(io, destination.protocol());  // unbound: the system picks our port
    for (const auto& message : messages) {
      socket.send_to(asio::buffer(message), destination);
      std::osyncstream(std::cout) << "sent to " << destination << ": " << message << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}
