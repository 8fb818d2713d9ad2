/* Links the program makes in its --allow-write directory ALLOWED_DIR to the
 * secret: a symlink to it, to its directory, a relative one, a hard link,
 * and a symlink swapped in while another thread opens the name. Reads and
 * writes through each must not reach the secret. Prints "main: ran" last. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"

#ifndef ALLOWED_DIR
#error "compile with -DALLOWED_DIR=\"...\""
#endif

static void try_read(const char* what, const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("%s: read: %s\n", what, strerror(errno));
    return;
  }
  char buf[256] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n > 0) buf[strcspn(buf, "\n")] = '\0';
  printf("%s: read: LEAK %s\n", what, n > 0 ? buf : "");
}

static void try_write(const char* what, const char* path) {
  int fd = open(path, O_WRONLY | O_APPEND);
  if (fd < 0) {
    printf("%s: write: %s\n", what, strerror(errno));
  } else {
    ssize_t n = write(fd, "PWNED\n", 6);
    close(fd);
    printf("%s: write: %s\n", what, n == 6 ? "WROTE" : "failed");
  }
  fd = open(path, O_WRONLY | O_TRUNC);
  printf("%s: truncate: %s\n", what, fd >= 0 ? "TRUNCATED" : strerror(errno));
  if (fd >= 0) close(fd);
}

static void report(const char* what, int rc) { printf("%s: %s\n", what, rc == 0 ? "made" : strerror(errno)); }

static volatile int stop;
static long leaked;

static void* flipper(void* arg) {
  (void)arg;
  /* Two names prepared, renamed in turn over "race": a file that may be
   * read, then a symlink to the secret. */
  while (!stop) {
    rename(ALLOWED_DIR "/race-file", ALLOWED_DIR "/race");
    int fd = open(ALLOWED_DIR "/race-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      if (write(fd, "harmless\n", 9) != 9) {}
      close(fd);
    }
    rename(ALLOWED_DIR "/race-link", ALLOWED_DIR "/race");
    symlink(SECRET_PATH, ALLOWED_DIR "/race-link");
  }
  return NULL;
}

int main(void) {
  char secret_dir[256], secret_name[256];
  strcpy(secret_dir, SECRET_PATH);
  *strrchr(secret_dir, '/') = '\0';
  strcpy(secret_name, strrchr(SECRET_PATH, '/') + 1);
  hx_attack("main");

  report("symlink to the secret", symlink(SECRET_PATH, ALLOWED_DIR "/link"));
  try_read("through the symlink", ALLOWED_DIR "/link");
  try_write("through the symlink", ALLOWED_DIR "/link");

  report("symlink to its directory", symlink(secret_dir, ALLOWED_DIR "/dirlink"));
  char via_dir[600];
  snprintf(via_dir, sizeof(via_dir), "%s/dirlink/%s", ALLOWED_DIR, secret_name);
  try_read("through the directory symlink", via_dir);
  try_write("through the directory symlink", via_dir);

  /* The same, relative to the link's own directory. */
  char relative[600] = "";
  for (const char* p = ALLOWED_DIR; *p; ++p)
    if (*p == '/') strcat(relative, "../");
  strcat(relative, SECRET_PATH + 1);
  report("relative symlink", symlink(relative, ALLOWED_DIR "/rellink"));
  try_read("through the relative symlink", ALLOWED_DIR "/rellink");

  report("hard link to the secret", link(SECRET_PATH, ALLOWED_DIR "/hard"));
  try_read("through the hard link", ALLOWED_DIR "/hard");
  try_write("through the hard link", ALLOWED_DIR "/hard");

  /* chdir into the allowed directory, then a relative open through it. */
  if (chdir(ALLOWED_DIR) == 0) try_read("relative through the directory symlink", via_dir + strlen(ALLOWED_DIR) + 1);

  /* The race: one thread swaps "race" between a file and the symlink to
   * the secret, the main thread opens "race" 20,000 times. */
  symlink(SECRET_PATH, ALLOWED_DIR "/race-link");
  int fd = open(ALLOWED_DIR "/race-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
  pthread_t t;
  int opened = 0;
  if (pthread_create(&t, NULL, flipper, NULL) == 0) {
    for (int i = 0; i < 20000; ++i) {
      int f = open(ALLOWED_DIR "/race", O_RDONLY);
      if (f < 0) continue;
      char buf[256] = {0};
      ssize_t n = read(f, buf, sizeof(buf) - 1);
      close(f);
      ++opened;
      if (n > 0 && strncmp(buf, "harmless", 8) != 0) {
        buf[strcspn(buf, "\n")] = '\0';
        printf("race: read: LEAK %s\n", buf);
        ++leaked;
        break;
      }
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("race: %d opens, %ld leaked\n", opened, leaked);
  } else {
    printf("race: no thread: %s\n", strerror(errno));
  }
  printf("main: ran\n");
  return 0;
}
