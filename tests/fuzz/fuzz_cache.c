/*
 * fuzz_cache.c: libFuzzer target for the caches of sim/mesh (every policy).
 *
 * Input: a header (policy, unit, capacity, policy parameters, the allocation
 * that fails) and then 3-byte operations on objects 0..47 at versions 0..3:
 * lookup, insert, remove and request (trace replay), each after parking the
 * cache (mesh_cache_park) when its object byte is 240 or more, so that the
 * operations also meet a parked index. After each operation
 * mesh_cache_check() must hold, and the cache must agree with a shadow map
 * kept from the operations' results and the eviction callbacks: the same
 * objects at the same versions and sizes, usage equal to their weight and
 * within capacity. Everything the cache allocated is freed (the allocator
 * counts bytes). Any disagreement aborts.
 */
#include <string.h>

#include "fuzz_common.h"
#include "mesh/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOBJ 48

typedef struct Shadow {
  bool present[NOBJ];
  uint32_t version[NOBJ];
  uint64_t size[NOBJ];
  size_t evictions;
} Shadow;

static void on_evict(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  Shadow *s = ud;
  FUZZ_CHECK(obj < NOBJ);
  FUZZ_CHECK(s->present[obj]);
  FUZZ_CHECK(s->version[obj] == version);
  FUZZ_CHECK(s->size[obj] == size);
  s->present[obj] = false;
  s->evictions++;
}

typedef struct Seen {
  const Shadow *s;
  size_t n;
} Seen;

static void seen_one(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  Seen *seen = ud;
  FUZZ_CHECK(obj < NOBJ);
  FUZZ_CHECK(seen->s->present[obj]);
  FUZZ_CHECK(seen->s->version[obj] == version);
  FUZZ_CHECK(seen->s->size[obj] == size);
  seen->n++;
}

static void compare(const MeshCache *c, const Shadow *s, MeshCacheUnit unit) {
  FUZZ_CHECK(mesh_cache_check(c));
  uint64_t weight = 0;
  size_t count = 0;
  for (uint64_t o = 0; o < NOBJ; o++) {
    uint32_t v = UINT32_MAX;
    bool in = mesh_cache_contains(c, o, &v);
    FUZZ_CHECK(in == s->present[o]);
    if (in) {
      FUZZ_CHECK(v == s->version[o]);
      weight += unit == MESH_CACHE_BYTES ? s->size[o] : 1;
      count++;
    }
  }
  FUZZ_CHECK(mesh_cache_count(c) == count);
  FUZZ_CHECK(mesh_cache_used(c) == weight);
  FUZZ_CHECK(weight <= mesh_cache_capacity(c));
  Seen seen = {s, 0};
  mesh_cache_foreach(c, seen_one, &seen);
  FUZZ_CHECK(seen.n == count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzBytes in = {data, size};
  const char *const *names = mesh_cache_policy_names();
  size_t n_policies = 0;
  while (names[n_policies]) n_policies++;

  const char *policy = names[fuzz_u8(&in) % n_policies];
  uint8_t flags = fuzz_u8(&in);
  MeshCacheUnit unit = (flags & 1) ? MESH_CACHE_OBJECTS : MESH_CACHE_BYTES;
  uint16_t cap = fuzz_u16(&in);
  MeshCacheConfig cfg = {
    .policy = mesh_cache_policy_find(policy),
    .capacity = unit == MESH_CACHE_OBJECTS ? cap % 40u : cap % 2048u,
    .unit = unit,
    .params = {
      .s3fifo_small_ratio = (fuzz_u8(&in) % 13) / 10.0,   /* 1.1, 1.2 are invalid */
      .s3fifo_ghost_ratio = (fuzz_u8(&in) % 13) / 10.0,
      .s3fifo_move_threshold = fuzz_u8(&in) % 5,
      .clock_bits = fuzz_u8(&in) % 10,                    /* 9 is invalid */
    },
  };
  FUZZ_CHECK(cfg.policy != NULL);
  FuzzAlloc fa = {.fail_at = (flags & 2) ? fuzz_u8(&in) : 0, .sticky = (flags & 4) != 0};
  MeshAllocator alloc = fuzz_allocator(&fa);
  Shadow shadow;
  memset(&shadow, 0, sizeof shadow);
  cfg.on_evict = on_evict;
  cfg.on_evict_ud = &shadow;

  MeshCache *c = mesh_cache_new(&cfg, &alloc);
  if (!c) {
    FUZZ_CHECK(fa.live == 0);
    return 0;
  }
  FUZZ_CHECK(strcmp(mesh_cache_policy_name(cfg.policy), policy) == 0);
  MeshTime now = 0;
  while (in.n) {
    uint8_t op = fuzz_u8(&in), a = fuzz_u8(&in), b = fuzz_u8(&in);
    uint64_t obj = a % NOBJ;
    uint32_t version = (uint32_t)(op >> 2) & 3;
    uint64_t osize = b;   /* 0 is a legal size */
    uint64_t w = unit == MESH_CACHE_BYTES ? osize : 1;
    now += op >> 4;
    if (a >= 240) {
      size_t before = mesh_cache_memory(c);
      mesh_cache_park(c);
      FUZZ_CHECK(mesh_cache_memory(c) <= before);
      FUZZ_CHECK(mesh_cache_check(c));
    }
    switch (op & 3) {
      case 0: {   /* lookup */
        bool expect = shadow.present[obj] && shadow.version[obj] == version;
        bool hit = mesh_cache_lookup(c, obj, version, now);
        FUZZ_CHECK(hit == expect);
        break;
      }
      case 1: {   /* insert */
        bool had_same = shadow.present[obj] && shadow.version[obj] == version;
        bool had_newer = shadow.present[obj] && shadow.version[obj] > version;
        MeshStatus st = mesh_cache_insert(c, obj, version, osize, now);
        switch (st) {
          case MESH_OK:
            if (!had_same) {
              FUZZ_CHECK(!shadow.present[obj]);   /* an older one was invalidated */
              shadow.present[obj] = true;
              shadow.version[obj] = version;
              shadow.size[obj] = osize;
            }
            break;
          case MESH_EXISTS: FUZZ_CHECK(had_newer); break;
          case MESH_TOOBIG: FUZZ_CHECK(!had_same && !had_newer && w > cfg.capacity); break;
          case MESH_NOMEM:
            FUZZ_CHECK(fa.fail_at != 0);
            FUZZ_CHECK(!shadow.present[obj] || shadow.version[obj] != version);
            break;
          case MESH_INVAL:
          case MESH_NOTFOUND:
          case MESH_FULL:
            FUZZ_CHECK(!"unexpected status from mesh_cache_insert");
        }
        break;
      }
      case 2: {   /* remove */
        bool had = shadow.present[obj];
        size_t ev = shadow.evictions;
        MeshStatus st = mesh_cache_remove(c, obj);
        FUZZ_CHECK(shadow.evictions == ev);   /* no on_evict for remove */
        FUZZ_CHECK(st == (had ? MESH_OK : MESH_NOTFOUND));
        shadow.present[obj] = false;
        break;
      }
      case 3: {   /* request: trace replay at version 0 */
        bool expect = shadow.present[obj] && shadow.version[obj] == 0;
        bool hit = mesh_cache_request(c, obj, osize, now);
        FUZZ_CHECK(hit == expect);
        uint32_t v;
        if (!hit && mesh_cache_contains(c, obj, &v) && !shadow.present[obj]) {
          FUZZ_CHECK(v == 0);
          shadow.present[obj] = true;
          shadow.version[obj] = 0;
          shadow.size[obj] = osize;
        }
        break;
      }
    }
    compare(c, &shadow, unit);
  }
  mesh_cache_free(c);
  FUZZ_CHECK(fa.live == 0);
  return 0;
}
