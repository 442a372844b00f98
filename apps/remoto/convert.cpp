// `remoto convert`: placeholder until its issue lands.
#include <cstdio>

#include "cli.hpp"

namespace remoto::cli {

int convert_main(const Args&) {
  std::fprintf(stderr, "remoto convert: not built yet\n");
  return exit_failure;
}

}  // namespace remoto::cli
