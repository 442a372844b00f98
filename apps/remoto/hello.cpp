// `remoto hello`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int hello_main(const Args&) {
  std::fprintf(stderr, "remoto hello: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
