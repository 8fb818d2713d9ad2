// exec_argc0 PROGRAM: execs PROGRAM with an empty argv (argc == 0), the way
// an attacker would start a setuid program. Used by the integration tests.
#include <cstdio>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: exec_argc0 PROGRAM\n");
    return 2;
  }
  char* empty_argv[] = {nullptr};
  execve(argv[1], empty_argv, environ);
  std::perror("exec_argc0: execve");
  return 127;
}
