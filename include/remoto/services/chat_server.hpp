// The chat server: many TCP clients, one room, the line protocol of chat_protocol.hpp.
//
// Event-driven: one I/O thread runs every connection as Asio C++20 coroutines, and the room
// (chat_room.hpp) lives on that thread, so its state needs no locks. Chat is light on CPU
// and heavy on fan-out; one thread keeps the order of lines the same for every reader.
// Each connection has a reader (bytes -> lines -> ChatRoom) and a writer draining its own
// output queue with gathered writes. A slow or dead client never blocks the others: its
// queue is bounded (Options::max_queue_bytes) and a client over it is dropped (and announced
// as left).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace remoto::services {

/// A chat server. start() binds and returns; the chat runs on its own thread until stop()
/// (or destruction).
/// Resource type. Thread safety: start() and stop() from one thread; port(), host() and
/// connections() from any thread between them.
class ChatServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  ///< a numeric address or a name; the first address wins
    std::uint16_t port = 0;          ///< 0 picks a free port
    std::size_t max_clients = 1024;  ///< connections at once; more get "error: server full"
    /// Bytes waiting to be sent to one client; a client that lets more pile up is dropped.
    std::size_t max_queue_bytes = 1 << 20;
    /// Time allowed for the first line (the nick).
    std::chrono::milliseconds nick_timeout = std::chrono::seconds(30);
    /// After "* bye" or an error that closes: how long to wait for the client to close its
    /// side before closing ours (so the last lines are not lost to a reset).
    std::chrono::milliseconds linger = std::chrono::seconds(2);
  };

  explicit ChatServer(Options options);
  ~ChatServer();
  ChatServer(const ChatServer&) = delete;
  ChatServer& operator=(const ChatServer&) = delete;

  /// Binds, listens and starts the I/O thread. Throws CommunicationError if the address does
  /// not resolve or cannot be bound.
  void start();
  /// Closes the listener and every connection at once, and joins the thread. Idempotent.
  void stop();

  /// The bound port (the chosen one when Options::port was 0).
  std::uint16_t port() const;
  /// The bound address as text ("127.0.0.1", "::1").
  std::string host() const;
  /// Open connections, joined or not.
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace remoto::services
