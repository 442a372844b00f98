// `remoto tcp`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int tcp_main(const Args&) {
  std::fprintf(stderr, "remoto tcp: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
