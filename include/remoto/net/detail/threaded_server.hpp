// The thread-per-connection model: an acceptor thread and one std::jthread per client, all
// doing blocking calls. Every wait is a poll() on the client socket plus the server's stop
// descriptor, which gives the idle deadline and lets stop() wake every thread at once without
// touching sockets that other threads own. The number of clients is bounded; one over the
// bound gets the busy reply and is closed at once instead of waiting in the backlog.
// Generic: the handler is any blocking function of a BlockingConnection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "remoto/net/server_options.hpp"

namespace remoto::net::detail {

enum class IoStatus : std::uint8_t { ok, eof, timeout, stopped, error };

/// A connected client socket in the thread model, with its idle deadline.
/// Resource type, owned by the client's thread; closes the socket on destruction.
class BlockingConnection {
 public:
  BlockingConnection(int fd, int stop_fd, std::chrono::milliseconds idle_timeout) noexcept;
  ~BlockingConnection();
  BlockingConnection(const BlockingConnection&) = delete;
  BlockingConnection& operator=(const BlockingConnection&) = delete;

  int native_handle() const noexcept { return fd_; }
  /// The deadline is now + the idle timeout (none if that is zero).
  void arm() noexcept;
  void arm(std::chrono::milliseconds timeout) noexcept;
  void disarm() noexcept { armed_ = false; }

  /// Waits until data arrives, then reads at most `size` bytes into `data`. `ok` with n > 0,
  /// `eof`, `timeout` (deadline passed), `stopped` (server stopping) or `error`.
  IoStatus read_some(char* data, std::size_t size, std::size_t& n) noexcept;
  /// Writes all of `data`, waiting for room; gives up after an idle timeout without progress.
  IoStatus write_all(std::string_view data) noexcept;
  /// Sends FIN: the peer reads EOF after what was written.
  void shutdown_send() noexcept;

 private:
  IoStatus wait(short events, int timeout_ms) noexcept;
  int fd_;
  int stop_fd_;
  std::chrono::milliseconds idle_timeout_;
  std::chrono::steady_clock::time_point deadline_{};
  bool armed_ = false;
};

/// Resource type. start() and stop() from one controlling thread.
class ThreadedServer {
 public:
  /// Runs on the client's own thread; the connection closes when it returns.
  using Handler = std::function<void(BlockingConnection&)>;

  ThreadedServer(ServerOptions options, Handler handler, std::string busy_reply);
  ~ThreadedServer();
  ThreadedServer(const ThreadedServer&) = delete;
  ThreadedServer& operator=(const ThreadedServer&) = delete;

  std::uint16_t start();
  /// Wakes every thread, joins them all (clients' sockets close as their threads end).
  void stop();
  std::uint16_t port() const noexcept { return port_; }
  const ServerOptions& options() const noexcept { return options_; }

 private:
  void accept_loop();
  void reject(int fd);
  void reap();

  ServerOptions options_;
  Handler handler_;
  std::string busy_reply_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: readable once stop() begins, wakes every poll()
  std::uint16_t port_ = 0;
  std::jthread acceptor_;
  // Rejected clients being closed gracefully (busy reply sent, waiting for their EOF so the
  // reply is not lost to a reset); only the acceptor thread touches it.
  struct Lingering {
    int fd;
    std::chrono::steady_clock::time_point until;
  };
  std::vector<Lingering> lingering_;

  std::mutex mutex_;  // guards sessions_ and finished_
  std::list<std::jthread> sessions_;
  std::vector<std::list<std::jthread>::iterator> finished_;  // threads at their end, to join
};

}  // namespace remoto::net::detail
