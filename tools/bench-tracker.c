/*
 * bench-tracker: memory per holding and the cost of announce, query and
 * withdraw of the mesh tracker (sim/mesh/tracker.c).
 *
 *   bench-tracker [PEERS [PER_PEER [CATALOGUE [QUERIES [K]]]]]
 *
 * Defaults: 1,000,000 peers each holding 64 distinct objects drawn from
 * Zipf(0.9) over 10,000 objects (the reference model's catalogue), in 500
 * networks of 50 countries (network n in country n mod 50). Prints the
 * tracker's own byte count per holding, the process's resident-set growth
 * per holding, and the best of 3 timings of each operation. K: query
 * only with that k (default: k = 1, then k = 8), e.g. for callgrind.
 */
#define _POSIX_C_SOURCE 200809L
#include "mesh/tracker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t splitmix(void *state) {
  uint64_t *s = state;
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static double *cdf;
static int catalogue;

static uint64_t zipf(MeshRng *rng) {
  double u = mesh_rng_unit(rng) * cdf[catalogue - 1];
  int lo = 0, hi = catalogue - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return (uint64_t)lo;
}

int main(int argc, char **argv) {
  uint32_t peers = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
  int per = argc > 2 ? atoi(argv[2]) : 64;
  catalogue = argc > 3 ? atoi(argv[3]) : 10000;
  long queries = argc > 4 ? atol(argv[4]) : 2000000;
  cdf = malloc((size_t)catalogue * sizeof *cdf);
  double s = 0;
  for (int i = 0; i < catalogue; i++) cdf[i] = (s += pow(i + 1.0, -0.9));

  uint64_t st = 1;
  MeshRng rng = {splitmix, &st};
  long rss0 = rss_kb();
  MeshTracker *t = mesh_tracker_new(NULL);
  double t0 = now_s();
  for (uint32_t p = 0; p < peers; p++) {
    uint32_t n = (uint32_t)mesh_rng_below(&rng, 500);
    if (mesh_tracker_join(t, p, n, n % 50) != MESH_OK) return 1;
    for (int h = 0; h < per;) {
      MeshStatus r = mesh_tracker_announce(t, p, zipf(&rng), 0);
      if (r == MESH_OK) h++;
      else if (r != MESH_EXISTS) return 1;
    }
  }
  double fill = now_s() - t0;
  size_t holdings = mesh_tracker_holdings(t);
  long rss1 = rss_kb();
  printf("holdings %zu (%u peers x %d objects of %d)\n", holdings, peers, per, catalogue);
  printf("memory: %.2f bytes/holding counted by the tracker, %.2f bytes/holding of RSS growth\n",
         (double)mesh_tracker_memory_bytes(t) / (double)holdings,
         (double)(rss1 - rss0) * 1024.0 / (double)holdings);
  printf("fill (join + announce incl. Zipf draws and duplicates): %.1f ns/holding\n",
         fill * 1e9 / (double)holdings);

  /* Queries: a random online requester's own place; k = 1 and k = 8. */
  uint32_t out[8];
  size_t ks[2] = {1, 8};
  int nks = 2;
  if (argc > 5) {
    ks[0] = (size_t)atoi(argv[5]);
    nks = 1;
  }
  if (ks[0] < 1 || ks[0] > 8) return 2;
  for (int ki = 0; ki < nks; ki++) {
    double best = 1e300;
    size_t found = 0;
    for (int rep = 0; rep < 3; rep++) {
      uint64_t qs = 7;
      MeshRng qr = {splitmix, &qs};
      double a = now_s();
      for (long i = 0; i < queries; i++) {
        uint32_t req = (uint32_t)mesh_rng_below(&qr, peers);
        uint32_t n = (uint32_t)mesh_rng_below(&qr, 500);
        found += mesh_tracker_query(t, zipf(&qr), 0, req, n, n % 50, ks[ki], &qr, out, NULL);
      }
      double d = now_s() - a;
      if (d < best) best = d;
    }
    printf("query k=%zu: %.1f ns/query (best of 3, %ld queries, incl. a Zipf draw), %.2f found\n",
           ks[ki], best * 1e9 / (double)queries, queries, (double)found / 3.0 / (double)queries);
  }
  /* Withdraw + announce of random holdings (the cache's evict + insert). */
  double best = 1e300;
  for (int rep = 0; rep < 3; rep++) {
    uint64_t qs = 11 + (uint64_t)rep;
    MeshRng qr = {splitmix, &qs};
    long ops = 0;
    double a = now_s();
    for (long i = 0; i < queries; i++) {
      uint32_t p = (uint32_t)mesh_rng_below(&qr, peers);
      uint64_t obj = zipf(&qr);
      if (mesh_tracker_holds(t, p, obj, 0)) {
        mesh_tracker_withdraw(t, p, obj, 0);
        mesh_tracker_announce(t, p, obj, 0);
        ops += 2;
      } else if (mesh_tracker_announce(t, p, obj, 0) == MESH_OK) {
        mesh_tracker_withdraw(t, p, obj, 0);
        ops += 2;
      }
    }
    double d = now_s() - a;
    if (d / (double)ops < best) best = d / (double)ops;
  }
  printf("announce/withdraw pair halves: %.1f ns/op (best of 3, incl. holds() and a Zipf draw)\n",
         best * 1e9);
  double lv = now_s();
  for (uint32_t p = 0; p < peers; p++) mesh_tracker_leave(t, p);
  printf("leave: %.1f ns/holding dropped\n", (now_s() - lv) * 1e9 / (double)holdings);
  mesh_tracker_free(t);
  free(cdf);
  return 0;
}
