// The TCP echo server: a session that answers every byte with itself.
#include "remoto/services/tcp_echo_server.hpp"

#include <memory>

namespace remoto::services {

namespace {

class EchoSession final : public net::StreamSession {
 public:
  net::FeedResult feed(std::string_view input, std::string& out) override {
    // TODO(perf): the driver could write the read buffer back without this copy.
    out.append(input);
    return {input.size(), false, true};
  }
};

}  // namespace

TcpEchoServer::TcpEchoServer(net::ServerOptions options)
    : server_(std::move(options), [] { return std::make_unique<EchoSession>(); }) {}

}  // namespace remoto::services
