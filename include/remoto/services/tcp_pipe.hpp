// The netcat-like TCP client (`remoto tcp connect`): copies one descriptor (stdin) to a TCP
// connection and the connection to another descriptor (stdout) until the server closes.
#pragma once

#include <cstdint>
#include <string_view>

namespace remoto::services {

/// Connects to HOST:PORT and pipes: `in` to the socket, the socket to `out`. At EOF on `in`
/// it sends FIN (shutdown SHUT_WR) and keeps copying until the server closes; when the server
/// closes first, it returns at once. Blocks the calling thread. Throws UnknownHostError or
/// CommunicationError with the address ("connect 127.0.0.1:9: Connection refused").
void pipe_tcp(std::string_view host, std::uint16_t port, int in = 0, int out = 1);

}  // namespace remoto::services
