// `remoto serve`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int serve_main(const Args&) {
  std::fprintf(stderr, "remoto serve: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
