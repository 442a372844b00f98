// Lesson 5: a thread per client. The accept loop stays in main; each accepted connection moves
// into a thread of its own, which owns it and echoes its lines, so an idle or slow client no
// longer holds up the others (compare lesson 3). To end on its own, this one serves a fixed
// number of clients (default 3), then waits for their threads and exits.
// Usage: example_05_thread_per_client [PORT [CLIENTS]]
//   then, in other terminals at once: example_04_tcp_client 127.0.0.1 PORT
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <iostream>
#include <string>
#include <syncstream>
#include <thread>
#include <vector>

using asio::ip::tcp;

// Runs on the client's own thread, which owns the socket (moved in): blocking here blocks
// nobody else.
void serve(tcp::socket client, int number) {
  std::string buffer;
  asio::error_code ec;
  for (;;) {
    std::size_t length = asio::read_until(client, asio::dynamic_buffer(buffer), '\n', ec);
    if (ec) break;  // end of file: the client is done
    std::string line = buffer.substr(0, length);
    buffer.erase(0, length);
    std::osyncstream(std::cout) << "client " << number << " (thread " << std::this_thread::get_id()
                                << "): " << line << std::flush;
    asio::write(client, asio::buffer(line), ec);
    if (ec) break;
  }
  std::osyncstream(std::cout) << "client " << number << " disconnected" << std::endl;
}

int main(int argc, char** argv) {
  try {
    auto port = static_cast<unsigned short>(argc > 1 ? std::stoi(argv[1]) : 0);
    int clients = argc > 2 ? std::stoi(argv[2]) : 3;
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;

    std::vector<std::jthread> threads;
    for (int number = 1; number <= clients; ++number) {
      tcp::socket client = acceptor.accept();
      std::osyncstream(std::cout) << "client " << number << " connected from "
                                  << client.remote_endpoint() << std::endl;
      threads.emplace_back(serve, std::move(client), number);
    }
    threads.clear();  // a jthread joins when destroyed: this waits for every client to finish
    std::cout << "served " << clients << " clients; server done" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
}
