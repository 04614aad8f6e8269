/* A tiny test harness for the C API tests: CHECK macros, a pass/fail tally whose
 * summary line is "N passed, N failed", and a JSON-lines child process (the real
 * socketcluster-client@20 monitor from tests/reference/peers.mjs). */
#ifndef REMOTEDEV_TEST_HARNESS_H
#define REMOTEDEV_TEST_HARNESS_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int h_passed = 0, h_failed = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (cond) {                                                                       \
      h_passed++;                                                                     \
    } else {                                                                          \
      h_failed++;                                                                     \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
    }                                                                                 \
  } while (0)

/* A status check that prints the library's error text when it fails. */
#define CHECK_STATUS(call, want)                                                      \
  do {                                                                                \
    remotedev_status h_st = (call);                                                   \
    if (h_st == (want)) {                                                             \
      h_passed++;                                                                     \
    } else {                                                                          \
      h_failed++;                                                                     \
      fprintf(stderr, "FAIL %s:%d: %s = %d (%s), want %s\n", __FILE__, __LINE__,      \
              #call, (int)h_st, remotedev_last_error(), #want);                       \
    }                                                                                 \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, REMOTEDEV_STATUS_OK)

#define CHECK_STR(a, b)                                                               \
  do {                                                                                \
    const char *h_a = (a), *h_b = (b);                                                \
    if (h_a && h_b && strcmp(h_a, h_b) == 0) {                                        \
      h_passed++;                                                                     \
    } else {                                                                          \
      h_failed++;                                                                     \
      fprintf(stderr, "FAIL %s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__,   \
              #a, h_a ? h_a : "(null)", h_b ? h_b : "(null)");                        \
    }                                                                                 \
  } while (0)

static int h_summary(void) {
  printf("%d passed, %d failed\n", h_passed, h_failed);
  return h_failed == 0 ? 0 : 1;
}

static long long h_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port nothing listens on: bound once, then released. */
static int dead_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
    if (fd >= 0) close(fd);
    return 9;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

/* A child process spoken to in JSON lines. */
typedef struct {
  pid_t pid;
  int in;  /* its stdin (we write) */
  int out; /* its stdout (we read) */
  char buf[65536];
  size_t len;
} peer;

/* Starts `node tests/reference/peers.mjs monitor --gen 20 --url URL` (run from the
 * repository root). Returns 0 on success. */
static int peer_start_monitor(peer *p, const char *url) {
  int to_child[2], from_child[2];
  memset(p, 0, sizeof *p);
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return -1;
  p->pid = fork();
  if (p->pid < 0) return -1;
  if (p->pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execlp("node", "node", "tests/reference/peers.mjs", "monitor", "--gen", "20", "--url", url,
           (char *)NULL);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  p->in = to_child[1];
  p->out = from_child[0];
  return 0;
}

/* Reads one line (without the newline) into `line`, waiting up to `timeout_ms`.
 * Returns 0 on success, -1 on timeout or end of output. */
static int peer_readline(peer *p, char *line, size_t size, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  for (;;) {
    char *nl = memchr(p->buf, '\n', p->len);
    if (nl) {
      size_t n = (size_t)(nl - p->buf);
      size_t copy = n < size - 1 ? n : size - 1;
      memcpy(line, p->buf, copy);
      line[copy] = 0;
      memmove(p->buf, nl + 1, p->len - n - 1);
      p->len -= n + 1;
      return 0;
    }
    long long left = deadline - h_now_ms();
    if (left <= 0 || p->len == sizeof p->buf) return -1;
    struct pollfd pfd = {p->out, POLLIN, 0};
    int r = poll(&pfd, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t got = read(p->out, p->buf + p->len, sizeof p->buf - p->len);
    if (got <= 0) return -1;
    p->len += (size_t)got;
  }
}

/* Reads lines until one contains `needle` (copied to `line`). */
static int peer_wait_for(peer *p, const char *needle, char *line, size_t size, int timeout_ms) {
  long long deadline = h_now_ms() + timeout_ms;
  while (h_now_ms() < deadline) {
    if (peer_readline(p, line, size, (int)(deadline - h_now_ms())) != 0) return -1;
    if (strstr(line, needle)) return 0;
  }
  return -1;
}

static int peer_writeline(peer *p, const char *line) {
  size_t n = strlen(line);
  if (write(p->in, line, n) != (ssize_t)n) return -1;
  return write(p->in, "\n", 1) == 1 ? 0 : -1;
}

static void peer_stop(peer *p) {
  if (p->pid <= 0) return;
  close(p->in);
  kill(p->pid, SIGTERM);
  waitpid(p->pid, NULL, 0);
  close(p->out);
  p->pid = 0;
}

#endif
