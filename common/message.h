// A failure said in one line on stderr, "PREFIX: WHAT: REASON", written with
// one write(2) from a stack buffer: no allocation, and lines of different
// processes do not interleave. For the first stage and the trusted process
// (the setuid helper keeps its own, so that its story reads in one file).
#pragma once

#include <unistd.h>

#include <cstdio>

namespace sbx {

inline void print_failure(const char* prefix, const char* what, const char* reason) {
  char line[768];
  const int n = std::snprintf(line, sizeof(line), "%s: %s: %s\n", prefix, what, reason);
  if (n > 0) {
    ssize_t ignored =
        write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof(line) ? static_cast<size_t>(n) : sizeof(line) - 1);
    (void)ignored;
  }
}

}  // namespace sbx
