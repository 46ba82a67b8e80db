/*
 * test_mesh_alone.c: sim/mesh links alone (no GLib, GSL or SQLite) and its
 * shared helpers behave. This binary links sim_mesh and the C library only,
 * so it cannot use GTest: it prints a TAP stream itself.
 */
#include "mesh/mesh.h"

#include <stdio.h>
#include <stdlib.h>

static int failures, tests;

static void ok(int cond, const char *what) {
  tests++;
  if (!cond) failures++;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", tests, what);
}

static uint64_t splitmix(void *state) {
  uint64_t *s = state;
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

int main(void) {
  uint64_t st = 42;
  MeshRng rng = {splitmix, &st};
  unsigned counts[7] = {0};
  int in_range = 1;
  for (int i = 0; i < 70000; i++) {
    uint64_t v = mesh_rng_below(&rng, 7);
    if (v >= 7) in_range = 0;
    else counts[v]++;
  }
  ok(in_range, "mesh_rng_below stays in [0, n)");
  int flat = 1;
  for (int i = 0; i < 7; i++)
    if (counts[i] < 9500 || counts[i] > 10500) flat = 0;
  ok(flat, "mesh_rng_below is roughly uniform over 7 values");
  double u = mesh_rng_unit(&rng);
  ok(u >= 0.0 && u < 1.0, "mesh_rng_unit in [0, 1)");
  ok(mesh_status_str(MESH_TOOBIG)[0] != '\0', "status strings exist");
  void *p = mesh_alloc0(NULL, 64);
  ok(p != NULL && ((unsigned char *)p)[63] == 0, "default allocator zero-fills");
  mesh_free(NULL, p, 64);
  printf("1..%d\n", tests);
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
