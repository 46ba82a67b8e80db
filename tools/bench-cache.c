/*
 * bench-cache.c: replay speed of the cache policies (a benchmark, never a
 * test). A Zipf(alpha) stream over N objects (the synthetic stream of
 * `meshsim cache`, same seed convention) is generated into memory first,
 * then replayed through each policy; only the replay is timed (wall clock,
 * best of R runs). Capacity: a share of N objects (object mode) or of the
 * catalogue's bytes (byte mode, sizes as in `meshsim cache`).
 *   bench-cache [ALPHA N REQUESTS SHARE BYTES(0|1) REPEAT POLICY...]
 */
#include "cli/trace.h"
#include "mesh/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now_s(void) { return 1e-6 * (double)g_get_monotonic_time(); }

int main(int argc, char **argv) {
  double alpha = argc > 1 ? atof(argv[1]) : 0.9;
  uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
  uint64_t m = argc > 3 ? strtoull(argv[3], NULL, 10) : 10000000;
  double share = argc > 4 ? atof(argv[4]) : 0.10;
  int bytes = argc > 5 ? atoi(argv[5]) : 0;
  int repeat = argc > 6 ? atoi(argv[6]) : 3;
  const char *const *names = mesh_cache_policy_names();
  const char *const *pols = argc > 7 ? (const char *const *)argv + 7 : names;
  TraceZipf z;
  trace_zipf_init(&z, alpha, n, 1);
  uint32_t *ids = malloc(m * sizeof *ids), *sizes = malloc(n * sizeof *sizes);
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; i++) total += sizes[i] = (uint32_t)trace_zipf_size(&z, i);
  RngXoshiro r;
  trace_rng_seed(&r, 1);
  for (uint64_t i = 0; i < m; i++) ids[i] = (uint32_t)trace_zipf_draw(&z, &r);
  uint64_t cap = (uint64_t)((double)(bytes ? total : n) * share);
  printf("zipf %.2f, %llu objects, %llu requests, capacity %llu %s\n", alpha,
         (unsigned long long)n, (unsigned long long)m, (unsigned long long)cap,
         bytes ? "bytes" : "objects");
  for (; *pols; pols++) {
    double best = 1e30;
    uint64_t misses = 0;
    size_t mem = 0, count = 0;
    for (int k = 0; k < repeat; k++) {
      MeshCacheConfig cfg = {.policy = mesh_cache_policy_find(*pols), .capacity = cap,
                             .unit = bytes ? MESH_CACHE_BYTES : MESH_CACHE_OBJECTS};
      if (!cfg.policy) {
        fprintf(stderr, "unknown policy %s\n", *pols);
        return 2;
      }
      MeshCache *c = mesh_cache_new(&cfg, NULL);
      misses = 0;
      double t0 = now_s();
      for (uint64_t i = 0; i < m; i++)
        misses += !mesh_cache_request(c, ids[i], sizes[ids[i]], (MeshTime)i);
      double dt = now_s() - t0;
      if (dt < best) best = dt;
      mem = mesh_cache_memory(c);
      count = mesh_cache_count(c);
      mesh_cache_free(c);
    }
    printf("%-7s %7.2f M req/s  miss ratio %.4f  cached %zu objects, cache memory %.1f MB (%.0f B/object)\n",
           *pols, (double)m / best / 1e6, (double)misses / (double)m, count, (double)mem / 1e6,
           (double)mem / (double)count);
  }
  free(ids);
  free(sizes);
  trace_zipf_clear(&z);
  return 0;
}
