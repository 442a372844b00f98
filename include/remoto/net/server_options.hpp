// The options every TCP server in remoto takes: where to listen, which connection model runs
// the connections, and the limits that keep one client from holding the server (DESIGN:
// "limits on ... idle time everywhere input is read").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace remoto::net {

/// How a server runs its connections. Both are taught by the course and both are kept:
/// `thread`: blocking calls, one std::jthread per client, at most max_clients at a time;
/// `event`: a few I/O threads, each with its own SO_REUSEPORT listener and its own event loop
/// (an io_uring or an Asio io_context, see EventBackend), so threads share nothing on the hot
/// path.
enum class ConnectionModel : std::uint8_t { thread, event };

/// "thread" / "event" -> the model; nullopt for any other text.
std::optional<ConnectionModel> parse_connection_model(std::string_view text) noexcept;
std::string_view to_string(ConnectionModel model) noexcept;

/// Which driver runs the event model's connections. `uring`: one io_uring per I/O thread,
/// one system call per round of the loop for all its connections (detail/uring_server.hpp);
/// `asio`: Asio's reactor (epoll), a system call per recv and per send; `automatic`: uring
/// where the kernel has what it needs, else asio. Only TcpServer has both; the servers that
/// run their own coroutines (chat) always use Asio.
enum class EventBackend : std::uint8_t { automatic, uring, asio };

/// "auto" / "uring" / "asio" -> the backend; nullopt for any other text.
std::optional<EventBackend> parse_event_backend(std::string_view text) noexcept;
std::string_view to_string(EventBackend backend) noexcept;

/// Value type.
struct ServerOptions {
  /// A numeric address or a host name; the first address it resolves to is bound.
  std::string host = "127.0.0.1";
  /// 0 picks a free port; the server reports the one it got.
  std::uint16_t port = 0;
  ConnectionModel model = ConnectionModel::event;
  /// I/O threads of the event model; 0 means one per hardware thread. Unused by `thread`.
  unsigned threads = 0;
  /// Event model only.
  EventBackend backend = EventBackend::automatic;
  /// Thread model only: clients served at once. One more is accepted, told "busy" (the
  /// server's busy reply, e.g. an HTTP 503) and closed, instead of waiting in the backlog.
  std::size_t max_clients = 1024;
  /// A connection that sends nothing, or stays in the middle of a message, for this long is
  /// closed (slowloris). Zero: never.
  std::chrono::milliseconds idle_timeout{10'000};
};

}  // namespace remoto::net
