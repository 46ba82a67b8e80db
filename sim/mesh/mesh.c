/*
 * mesh.c: status strings, RNG helpers and the allocator hook of sim/mesh.
 */
#include "mesh/mesh.h"

#include <stdlib.h>
#include <string.h>

const char *mesh_status_str(MeshStatus s) {
  switch (s) {
#define MESH_STATUS_CASE(name, msg) case MESH_##name: return msg;
    MESH_STATUS_MAP(MESH_STATUS_CASE)
#undef MESH_STATUS_CASE
  }
  return "unknown status";
}

uint64_t mesh_rng_below(MeshRng *rng, uint64_t n) {
  /* Lemire, "Fast random integer generation in an interval" (2019). */
  uint64_t x = rng->next(rng->state);
  __uint128_t m = (__uint128_t)x * n;
  uint64_t l = (uint64_t)m;
  if (l < n) {
    uint64_t t = (0 - n) % n;
    while (l < t) {
      x = rng->next(rng->state);
      m = (__uint128_t)x * n;
      l = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double mesh_rng_unit(MeshRng *rng) {
  return (double)(rng->next(rng->state) >> 11) * 0x1.0p-53;
}

void *mesh_alloc(const MeshAllocator *a, size_t size) {
  return a ? a->alloc(a->ud, size) : malloc(size);
}

void *mesh_alloc0(const MeshAllocator *a, size_t size) {
  void *p = mesh_alloc(a, size);
  if (p) memset(p, 0, size);
  return p;
}

void *mesh_realloc(const MeshAllocator *a, void *p, size_t old_size, size_t new_size) {
  return a ? a->realloc(a->ud, p, old_size, new_size) : realloc(p, new_size);
}

void mesh_free(const MeshAllocator *a, void *p, size_t size) {
  if (!p) return;
  if (a) a->free(a->ud, p, size);
  else free(p);
}
