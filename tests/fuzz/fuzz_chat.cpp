// libFuzzer target for the chat's input side: the bytes four clients send go through
// ChatLineReader and ChatRoom as the server would drive them. The input is a script of
// records: one op byte (client = op & 3, action = op >> 2), then for "data" a length byte and
// that many bytes. Checks that nothing crashes and that every line sent is one bounded line
// addressed to a connected client.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "remoto/services/chat_line_reader.hpp"
#include "remoto/services/chat_protocol.hpp"
#include "remoto/services/chat_room.hpp"

using remoto::services::ChatClientId;
using remoto::services::ChatLineReader;
using remoto::services::ChatRoom;

namespace {

constexpr int clients = 4;

struct Client {
  bool connected = false;
  ChatLineReader reader{64};  // a small limit so the fuzzer reaches it
};

void check(bool ok) {
  if (!ok) std::abort();
}

void apply(const ChatRoom::Actions& actions, Client (&c)[clients]) {
  for (const auto& m : actions.messages) {
    check(m.line.find('\n') == std::string::npos);
    // Longest line: "NICK (private): " + a full line, or "* users: " with every nick.
    check(m.line.size() <= remoto::services::chat_max_line + 64 ||
          m.line.size() <= 16 + clients * (remoto::services::chat_max_nick + 2));
    for (auto id : m.to) check(id < clients && c[id].connected);
  }
  for (auto id : actions.close) {
    check(id < clients);
    c[id].connected = false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ChatRoom room(ChatRoom::Options{3});  // fewer than the clients: "server full" is reachable
  Client c[clients];
  std::size_t i = 0;
  while (i < size) {
    std::uint8_t op = data[i++];
    ChatClientId id = op & 3;
    Client& client = c[id];
    switch ((op >> 2) % 5) {
      case 0:  // connect (a new connection under the same id after a close)
        if (!client.connected) {
          client = Client{};
          client.connected = true;
          apply(room.connect(id), c);
        }
        break;
      case 1: {  // data
        if (i >= size) return 0;
        std::size_t n = data[i++];
        if (n > size - i) n = size - i;
        std::string_view bytes(reinterpret_cast<const char*>(data + i), n);
        i += n;
        if (!client.connected) break;
        client.reader.feed(bytes);
        while (client.connected) {
          auto event = client.reader.next();
          if (!event) break;
          if (event->kind == ChatLineReader::Event::Kind::line) {
            check(event->line.size() <= 64 && event->line.find('\n') == std::string_view::npos);
            apply(room.receive(id, event->line), c);
          } else {
            apply(room.line_too_long(id), c);
          }
        }
        break;
      }
      case 2:  // end of stream
        if (client.connected) {
          if (auto event = client.reader.finish()) {
            apply(event->kind == ChatLineReader::Event::Kind::line ? room.receive(id, event->line)
                                                                   : room.line_too_long(id),
                  c);
          }
          apply(room.disconnect(id), c);
          client.connected = false;
        }
        break;
      case 3:
        apply(room.nick_timeout(id), c);
        break;
      case 4: {  // the parser alone, on the rest of the input
        auto command = remoto::services::parse_chat_command(
            std::string_view(reinterpret_cast<const char*>(data + i), size - i));
        check(command.text.size() <= size - i + 200);
        return 0;
      }
    }
  }
  check(room.connections() <= clients);
  return 0;
}
