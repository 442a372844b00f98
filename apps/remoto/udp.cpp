// `remoto udp`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int udp_main(const Args&) {
  std::fprintf(stderr, "remoto udp: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
