// Plain POSIX helpers shared by both connection models: opening a listening TCP socket and
// reading back its port. No Asio here; the event model adopts the descriptor into an acceptor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace remoto::net::detail {

/// A listening TCP socket on the first address `host` resolves to, with SO_REUSEADDR (and
/// SO_REUSEPORT when asked, so several sockets, one per I/O thread, share the port and the
/// kernel spreads the connections). Returns the descriptor (close-on-exec). Throws
/// UnknownHostError, or CommunicationError naming the address
/// ("listen 127.0.0.1:80: Permission denied").
int open_listener(std::string_view host, std::uint16_t port, bool reuse_port, int backlog = 4096);

/// Throws, as open_listener would, if HOST:PORT is taken. SO_REUSEPORT lets every socket that
/// sets it share a port, even another process's; binding once without it first keeps a second
/// server from silently sharing the port with the first.
void check_port_free(std::string_view host, std::uint16_t port);

/// The local port a socket is bound to. Throws CommunicationError.
std::uint16_t local_port(int fd);

/// The I/O threads an event-model server runs for `requested` (0: one per hardware thread).
unsigned io_thread_count(unsigned requested) noexcept;

/// One SO_REUSEPORT listener per I/O thread on host:port (port 0: the first gets a free port
/// and the others join it), after checking that a given port is free. On failure, closes what
/// it opened and throws as open_listener does.
std::vector<int> open_listeners(std::string_view host, std::uint16_t port, unsigned count);

/// "127.0.0.1:80", "[::1]:80": the form errors and logs use.
std::string host_port(std::string_view host, std::uint16_t port);

}  // namespace remoto::net::detail
