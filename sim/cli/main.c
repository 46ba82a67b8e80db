/*
 * main.c: the meshsim command; dispatches to sim/cli's commands.
 *
 * Transparent huge pages. Large runs are bound by memory latency (caches,
 * tracker groups, event nodes touched at random), and on this kind of
 * virtual machine a TLB miss costs about as much as the cache miss behind
 * it: the reference model at 1M peers spends a third less CPU with its
 * heap on 2 MiB pages (README, Performance). glibc (2.35 and later) puts
 * the heap there when the tunable glibc.malloc.hugetlb=1 is set at process
 * start, which only the environment can do, so main re-executes itself
 * once with it set. It does not when MESHSIM_THP=0, when the tunable is
 * already given (glibc.malloc.hugetlb=0 turns it off), when the kernel
 * has THP disabled, under the sanitizers (their allocator ignores it) or
 * under valgrind (which would run the new image unchecked). Results do not
 * depend on it: only where the allocator's pages come from.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define THP_TUNABLE "glibc.malloc.hugetlb=1"

static int thp_kernel_enabled(void) {
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f) return 0;
  char buf[128] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strstr(buf, "[never]") == NULL;
}

static void reexec_with_huge_pages(char **argv) {
  if (SANITIZED) return;
  const char *opt = getenv("MESHSIM_THP");
  if (opt && strcmp(opt, "0") == 0) return;
  const char *tun = getenv("GLIBC_TUNABLES");
  if (tun && strstr(tun, "glibc.malloc.hugetlb")) return;
  const char *pre = getenv("LD_PRELOAD");
  if (pre && strstr(pre, "vgpreload")) return;
  if (!thp_kernel_enabled()) return;
  size_t len = (tun ? strlen(tun) + 1 : 0) + sizeof THP_TUNABLE;
  char *val = malloc(len);
  if (!val) return;
  snprintf(val, len, "%s%s%s", tun ? tun : "", tun && *tun ? ":" : "", THP_TUNABLE);
  if (setenv("GLIBC_TUNABLES", val, 1) == 0) execv("/proc/self/exe", argv);
  /* the exec failed: run as we are, without huge pages */
  if (tun) setenv("GLIBC_TUNABLES", tun, 1);
  else unsetenv("GLIBC_TUNABLES");
  free(val);
}

int main(int argc, char **argv) {
  reexec_with_huge_pages(argv);
  return cli_main(argc, argv);
}
