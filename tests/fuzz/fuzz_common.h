/*
 * fuzz_common.h: a byte reader and a failing allocator for the op-stream
 * fuzz targets (tests/fuzz).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mesh/mesh.h"

typedef struct FuzzBytes {
  const uint8_t *p;
  size_t n;
} FuzzBytes;

/* The next byte, 0 once the input is used up. */
static inline uint8_t fuzz_u8(FuzzBytes *b) {
  if (!b->n) return 0;
  b->n--;
  return *b->p++;
}

static inline uint16_t fuzz_u16(FuzzBytes *b) {
  uint16_t lo = fuzz_u8(b);
  return (uint16_t)(lo | (uint16_t)(fuzz_u8(b) << 8));
}

/* An allocator that fails the fail_at-th allocation or reallocation
 * (1-based; 0 never), and every later one while `sticky`. Memory is
 * accounted, so that a leak or a wrong size shows. */
typedef struct FuzzAlloc {
  uint64_t calls, fail_at;
  int sticky;
  size_t live;
} FuzzAlloc;

static inline int fuzz_alloc_fails(FuzzAlloc *a) {
  a->calls++;
  return a->fail_at && (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at));
}

static inline void *fuzz_alloc(void *ud, size_t size) {
  FuzzAlloc *a = ud;
  if (fuzz_alloc_fails(a)) return NULL;
  void *p = malloc(size ? size : 1);
  if (p) a->live += size;
  return p;
}

static inline void *fuzz_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  FuzzAlloc *a = ud;
  if (fuzz_alloc_fails(a)) return NULL;
  void *q = realloc(p, new_size ? new_size : 1);
  if (q) a->live = a->live - old_size + new_size;
  return q;
}

static inline void fuzz_free(void *ud, void *p, size_t size) {
  FuzzAlloc *a = ud;
  if (p) {
    if (size > a->live) {
      fprintf(stderr, "allocator: freeing %zu bytes with %zu live\n", size, a->live);
      abort();
    }
    a->live -= size;
  }
  free(p);
}

static inline MeshAllocator fuzz_allocator(FuzzAlloc *a) {
  MeshAllocator m = {fuzz_alloc, fuzz_realloc, fuzz_free, a};
  return m;
}

#define FUZZ_CHECK(cond)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
      abort();                                                                  \
    }                                                                           \
  } while (0)

#endif /* FUZZ_COMMON_H */
