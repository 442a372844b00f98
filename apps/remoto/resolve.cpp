// `remoto resolve`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int resolve_main(const Args&) {
  std::fprintf(stderr, "remoto resolve: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
