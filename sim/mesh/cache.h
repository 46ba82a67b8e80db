/*
 * cache.h: the object cache of a mesh client (sim/mesh, C library only).
 *
 * One cache core (index, byte accounting, admission, the evict-until-it-fits
 * loop) and eviction policies plugged in through a static const ops table,
 * selected by name: lru fifo clock lfu arc sieve s3fifo gdsf.
 *
 * Capacity is counted in bytes (MESH_CACHE_BYTES: an object weighs its size)
 * or in objects (MESH_CACHE_OBJECTS: every object weighs 1, sizes are only
 * carried along and reported).
 *
 * Versions: an entry stores one version of an object. A lookup hits only on
 * the exact version; a stored OLDER version is invalidated on sight (removed,
 * reported through on_evict) and the lookup misses; a stored NEWER version is
 * kept and the lookup misses. So a stale version is never served.
 *
 * Trace-simulation convention (mesh_cache_request): a request that misses
 * inserts the object unless it is larger than the whole cache, evicting until
 * it fits; a hit does not change the stored size.
 *
 * Cost: O(1) per operation (amortised: the index doubles when it fills),
 * except gdsf, O(log n). No allocation on a hit. Entries come from slabs
 * owned by each cache (first slab 16 entries, then half of what the cache
 * already has, at most 4096, never beyond the capacity of a cache counted
 * in objects), so memory follows the peak number of cached
 * objects; the index starts at 8 buckets and doubles at load factor 1.
 * Header: 88 bytes plus the policy's state (lru: 16 bytes); measured with
 * the index and slabs, lru holds about 60 bytes per cached object.
 * Entry: 48 bytes for lru, fifo, clock, sieve, s3fifo, lfu and arc; gdsf
 * adds 24 bytes (priority, tie-break stamp, heap slot).
 */
#ifndef MESH_CACHE_H
#define MESH_CACHE_H

#include "mesh/mesh.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MeshCache MeshCache;
typedef struct MeshCachePolicy MeshCachePolicy;   /* see cache-private.h */

/* A cached object. Public so that policies (one file each) can link it into
 * their lists; callers of the API never see one. */
typedef struct MeshCacheEntry MeshCacheEntry;
struct MeshCacheEntry {
  uint64_t obj;            /* object id */
  uint64_t size;           /* bytes, as first inserted */
  MeshCacheEntry *hnext;   /* index chain; free-list link while free */
  MeshCacheEntry *prev;    /* policy list links (owned by the policy) */
  MeshCacheEntry *next;
  uint32_t version;        /* object version stored */
  uint32_t meta;           /* policy scratch: bits, frequency, queue id */
  /* followed by policy->entry_extra bytes (8-aligned) */
};

typedef enum MeshCacheUnit {
  MESH_CACHE_BYTES = 0,    /* capacity and usage in bytes */
  MESH_CACHE_OBJECTS,      /* capacity and usage in objects */
} MeshCacheUnit;

/* Policy parameters. Zero means "the default" for every field. */
typedef struct MeshCacheParams {
  double s3fifo_small_ratio;     /* small queue share of capacity; 0.10 */
  double s3fifo_ghost_ratio;     /* ghost remembers this share of capacity
                                    (of evicted objects' weight); 0.90 */
  uint32_t s3fifo_move_threshold;/* hits while in small to be promoted to
                                    main; 2 (frequency counter caps at 3) */
  uint32_t clock_bits;           /* bits of the clock counter, 1..8; 1 */
} MeshCacheParams;

typedef void (*MeshCacheEvictFn)(void *ud, uint64_t obj, uint32_t version,
                                 uint64_t size);

typedef struct MeshCacheConfig {
  const MeshCachePolicy *policy; /* from mesh_cache_policy_find() */
  uint64_t capacity;             /* in bytes or objects, per unit */
  MeshCacheUnit unit;
  MeshCacheParams params;
  MeshCacheEvictFn on_evict;     /* may be NULL; called for every object that
                                    leaves by eviction or invalidation, not
                                    for mesh_cache_remove() */
  void *on_evict_ud;
} MeshCacheConfig;

/* (transfer none) The policy named `name`, or NULL if unknown. */
const MeshCachePolicy *mesh_cache_policy_find(const char *name);
/* (transfer none) NULL-terminated list of policy names. */
const char *const *mesh_cache_policy_names(void);
/* (transfer none) The name of a policy. */
const char *mesh_cache_policy_name(const MeshCachePolicy *p);

/* (transfer full) A new empty cache, or NULL on bad config (no policy, clock
 * bits out of 1..8, ratios outside [0,1]) or out of memory. `alloc` may be
 * NULL (C library); if not, it must outlive the cache (only the pointer is
 * kept, so that a million caches can share one). */
MeshCache *mesh_cache_new(const MeshCacheConfig *cfg, const MeshAllocator *alloc);
void mesh_cache_free(MeshCache *c);

/* True if `obj` at exactly `version` is cached (a hit: the policy's hit hook
 * runs). A stored older version is invalidated (on_evict) and it misses. */
bool mesh_cache_lookup(MeshCache *c, uint64_t obj, uint32_t version, MeshTime now);

/* Insert `obj` at `version`, evicting until it fits.
 * MESH_OK: inserted, or already present at that version (hit semantics: hit
 * hook, size unchanged). A stored older version is invalidated first.
 * MESH_EXISTS: a newer version is stored; nothing changes.
 * MESH_TOOBIG: the object weighs more than the capacity; nothing changes.
 * MESH_NOMEM: allocation failed; the object is not cached (if the policy's
 * own allocation failed, objects evicted to make room stay evicted). */
MeshStatus mesh_cache_insert(MeshCache *c, uint64_t obj, uint32_t version,
                             uint64_t size, MeshTime now);

/* True if `obj` is cached (any version, written to *version_out if not
 * NULL). No policy side effect. */
bool mesh_cache_contains(const MeshCache *c, uint64_t obj, uint32_t *version_out);

/* A hint that `obj` will be looked up soon: starts bringing the memory a
 * lookup reads into the CPU caches (deep: also the first entry of its index
 * chain, which reads the index slot now). Changes nothing in the cache; a
 * hint about an object that is not cached is harmless. */
void mesh_cache_prefetch(const MeshCache *c, uint64_t obj, bool deep);

/* Remove `obj` (no on_evict call, no ghost history). MESH_NOTFOUND if absent. */
MeshStatus mesh_cache_remove(MeshCache *c, uint64_t obj);

/* Calls fn for each cached object, in index order (not defined; do not let
 * it affect simulation results without sorting). Parking does not change
 * it. */
void mesh_cache_foreach(const MeshCache *c,
                        void (*fn)(void *ud, uint64_t obj, uint32_t version, uint64_t size),
                        void *ud);

/* The cache will not be used for a while (an offline peer's): frees its
 * index, keeping what it needs to rebuild it (the same size, the same
 * chains) in O(count) at the next lookup, insert, request or removal.
 * Contents, policy order, every answer and mesh_cache_foreach's order stay
 * what they would have been; mesh_cache_memory counts no index while
 * parked. If the rebuild cannot allocate, lookups and removals still work,
 * on a linear list, and an insert fails with MESH_NOMEM as when its own
 * allocation fails. */
void mesh_cache_park(MeshCache *c);
bool mesh_cache_parked(const MeshCache *c);

uint64_t mesh_cache_used(const MeshCache *c);      /* bytes or objects */
size_t mesh_cache_count(const MeshCache *c);       /* objects */
uint64_t mesh_cache_capacity(const MeshCache *c);  /* bytes or objects */
MeshCacheUnit mesh_cache_unit(const MeshCache *c);
/* Bytes of memory the cache holds (header, index, slabs, policy state). */
size_t mesh_cache_memory(const MeshCache *c);

/* Trace replay at version 0: lookup, insert on a miss. Returns true on a hit. */
bool mesh_cache_request(MeshCache *c, uint64_t obj, uint64_t size, MeshTime now);

/* Full structure check (index, accounting, the policy's own invariants).
 * O(n); tests call it after every operation. Debug builds (unoptimised, or
 * MESH_CACHE_DEBUG defined) also run it after each mutating operation of
 * caches holding at most 256 objects. */
bool mesh_cache_check(const MeshCache *c);

#ifdef __cplusplus
}
#endif
#endif /* MESH_CACHE_H */
