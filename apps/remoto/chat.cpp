// `remoto chat`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int chat_main(const Args&) {
  std::fprintf(stderr, "remoto chat: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
