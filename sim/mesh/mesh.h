/*
 * mesh.h: what every part of sim/mesh shares.
 *
 * sim/mesh is the code that would ship in a real mesh client or supernode:
 * sans-I/O and C standard library only. It knows no engine, no clock, no
 * global RNG and prints nothing.
 *   - time comes in as a MeshTime argument (int64 nanoseconds);
 *   - randomness through a caller-owned MeshRng (a 64-bit generator);
 *   - memory through a MeshAllocator (NULL means the C library's);
 *   - failures come back as MeshStatus codes.
 */
#ifndef MESH_MESH_H
#define MESH_MESH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Time in nanoseconds; same unit as the simulator's SimTime. */
typedef int64_t MeshTime;

#define MESH_NS_PER_US INT64_C(1000)
#define MESH_NS_PER_MS INT64_C(1000000)
#define MESH_NS_PER_S  INT64_C(1000000000)

/* Status codes of sim/mesh (X-macro, as libuv's UV_ERRNO_MAP). */
#define MESH_STATUS_MAP(X)                                  \
  X(OK, "ok")                                               \
  X(NOMEM, "out of memory")                                 \
  X(INVAL, "invalid argument")                              \
  X(NOTFOUND, "not found")                                  \
  X(EXISTS, "already exists")                               \
  X(TOOBIG, "larger than the whole cache")                  \
  X(FULL, "no free slot")

typedef enum MeshStatus {
#define MESH_STATUS_ENUM(name, msg) MESH_##name,
  MESH_STATUS_MAP(MESH_STATUS_ENUM)
#undef MESH_STATUS_ENUM
} MeshStatus;

const char *mesh_status_str(MeshStatus s);

/* A caller-owned random generator: next() returns 64 uniform bits. */
typedef struct MeshRng {
  uint64_t (*next)(void *state);
  void *state;
} MeshRng;

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, unbiased). */
uint64_t mesh_rng_below(MeshRng *rng, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double mesh_rng_unit(MeshRng *rng);

/* Memory hook (libuv's uv_replace_allocator, SQLite's sqlite3_mem_methods).
 * Pass NULL wherever an allocator is taken to use malloc/realloc/free. */
typedef struct MeshAllocator {
  void *(*alloc)(void *ud, size_t size);                /* NULL on failure */
  void *(*realloc)(void *ud, void *p, size_t old_size, size_t new_size);
  void (*free)(void *ud, void *p, size_t size);
  void *ud;
} MeshAllocator;

void *mesh_alloc(const MeshAllocator *a, size_t size);
void *mesh_alloc0(const MeshAllocator *a, size_t size);
void *mesh_realloc(const MeshAllocator *a, void *p, size_t old_size, size_t new_size);
void mesh_free(const MeshAllocator *a, void *p, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* MESH_MESH_H */
