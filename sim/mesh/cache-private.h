/*
 * cache-private.h: what the cache core shares with its policies.
 *
 * A policy is a static const MeshCachePolicy: hooks over the policy's own
 * state (state_size bytes, zero-filled, laid out right after the cache
 * header) and its own entry tail (entry_extra bytes after MeshCacheEntry).
 * The core owns the index, the accounting and the evict-until-it-fits loop;
 * policies only order entries (prev/next/meta) and never touch the index.
 *
 * Hook contract (c is the cache; cache_state(c) the policy state):
 *   init(c, cfg)            after the core is set up; may allocate
 *   clear(c)                free what init/on_insert allocated
 *   before_insert(c, obj, w) a miss of obj (weight w) is about to insert it:
 *                           called before any eviction for it (arc adapts)
 *   on_insert(c, e, now)    link the new entry; may fail with MESH_NOMEM
 *                           (the core then drops the entry, nothing changed)
 *   on_hit(c, e, now)       must not allocate
 *   on_remove(c, e)         unlink e (explicit remove or invalidation)
 *   victim(c, now)          choose AND unlink the entry to evict; the cache
 *                           is not empty; never NULL
 *   check(c)                the policy's invariants, O(n)
 */
#ifndef MESH_CACHE_PRIVATE_H
#define MESH_CACHE_PRIVATE_H

#include "mesh/cache.h"

#include <assert.h>

#define MESH_CACHE_POLICY_ABI 1

struct MeshCachePolicy {
  const char *name;        /* value of policy= */
  unsigned abi_version;    /* MESH_CACHE_POLICY_ABI */
  size_t state_size;       /* per-cache private state, zero-filled */
  size_t entry_extra;      /* bytes after MeshCacheEntry, multiple of 8 */
  MeshStatus (*init)(MeshCache *c, const MeshCacheConfig *cfg);   /* optional */
  void (*clear)(MeshCache *c);                                     /* optional */
  void (*before_insert)(MeshCache *c, uint64_t obj, uint64_t weight); /* optional */
  MeshStatus (*on_insert)(MeshCache *c, MeshCacheEntry *e, MeshTime now);
  void (*on_hit)(MeshCache *c, MeshCacheEntry *e, MeshTime now);
  void (*on_remove)(MeshCache *c, MeshCacheEntry *e);
  MeshCacheEntry *(*victim)(MeshCache *c, MeshTime now);
  bool (*check)(const MeshCache *c);                               /* optional */
  size_t (*memory)(const MeshCache *c);  /* optional: bytes allocated by the policy */
};

typedef struct MeshCacheSlab MeshCacheSlab;

struct MeshCache {
  const MeshCachePolicy *policy;
  const MeshAllocator *alloc;   /* NULL: C library */
  MeshCacheEvictFn on_evict;
  void *on_evict_ud;
  uint64_t capacity;            /* bytes or objects */
  uint64_t used;                /* sum of weights of cached entries */
  union {
    MeshCacheEntry **buckets;   /* index: 1 << log2_buckets chains */
    MeshCacheEntry *parked;     /* parked: the chains in index order, one list */
  } ix;
  MeshCacheEntry *free;         /* free entries (linked by hnext) */
  MeshCacheSlab *slabs;         /* all slabs, freed at mesh_cache_free */
  uint32_t count;               /* cached objects */
  uint32_t slab_slots;          /* entries in all slabs */
  uint16_t entry_size;          /* sizeof(MeshCacheEntry) + entry_extra */
  uint8_t log2_buckets;         /* 0: no index allocated yet */
  uint8_t unit;                 /* MeshCacheUnit */
  uint8_t is_parked;            /* ix.parked, not ix.buckets (mesh_cache_park) */
  uint8_t pad_[3];
  /* followed by the policy state, 8-aligned */
};

static inline void *cache_state(const MeshCache *c) {
  return (void *)((char *)(uintptr_t)c + sizeof(MeshCache));
}
/* Weight of an entry against the capacity. */
static inline uint64_t cache_weight(const MeshCache *c, const MeshCacheEntry *e) {
  return c->unit == MESH_CACHE_OBJECTS ? 1 : e->size;
}
static inline void *entry_extra(MeshCacheEntry *e) { return e + 1; }

/* Intrusive doubly linked list of entries: head is most recent. */
typedef struct CacheList {
  MeshCacheEntry *head, *tail;
} CacheList;

static inline void list_push_head(CacheList *l, MeshCacheEntry *e) {
  e->prev = NULL;
  e->next = l->head;
  if (l->head) l->head->prev = e;
  else l->tail = e;
  l->head = e;
}
static inline void list_push_tail(CacheList *l, MeshCacheEntry *e) {
  e->next = NULL;
  e->prev = l->tail;
  if (l->tail) l->tail->next = e;
  else l->head = e;
  l->tail = e;
}
static inline void list_unlink(CacheList *l, MeshCacheEntry *e) {
  if (e->prev) e->prev->next = e->next;
  else l->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else l->tail = e->prev;
  e->prev = e->next = NULL;
}
/* Walks a list checking links; returns its length or -1 if broken. Sets
 * *weight to the sum of weights when weight is not NULL. */
long cache_list_check(const MeshCache *c, const CacheList *l, uint64_t *weight);
/* True if e is the entry indexed under e->obj. */
bool cache_indexed(const MeshCache *c, const MeshCacheEntry *e);

/* A ghost list (s3fifo, arc): ids and weights of evicted objects, FIFO order
 * (head newest), with a hash index of its own; no data. Nodes live in one
 * growable array addressed by 32-bit indices. Growth failing (NOMEM) just
 * forgets the ghost: a ghost is a hint. */
typedef struct CacheGhost {
  struct GhostNode *nodes;
  uint32_t *buckets;
  uint32_t cap;         /* nodes allocated */
  uint32_t used_nodes;  /* high-water mark in nodes */
  uint32_t free;        /* free node list (index+1, 0 = none) */
  uint32_t head, tail;  /* index+1, 0 = none */
  uint32_t count;
  uint32_t log2_buckets;
  uint64_t weight;      /* sum of weights */
} CacheGhost;

void ghost_clear(CacheGhost *g, const MeshAllocator *a);
/* Add obj at the head (newest). */
void ghost_push(CacheGhost *g, const MeshAllocator *a, uint64_t obj, uint64_t weight);
/* Remove obj if present; returns true and its weight. */
bool ghost_take(CacheGhost *g, uint64_t obj, uint64_t *weight);
/* Drop the oldest; false if empty. */
bool ghost_pop_oldest(CacheGhost *g);
bool ghost_check(const CacheGhost *g);
size_t ghost_memory(const CacheGhost *g);

extern const MeshCachePolicy mesh_cache_policy_lru;
extern const MeshCachePolicy mesh_cache_policy_fifo;
extern const MeshCachePolicy mesh_cache_policy_clock;
extern const MeshCachePolicy mesh_cache_policy_lfu;
extern const MeshCachePolicy mesh_cache_policy_arc;
extern const MeshCachePolicy mesh_cache_policy_sieve;
extern const MeshCachePolicy mesh_cache_policy_s3fifo;
extern const MeshCachePolicy mesh_cache_policy_gdsf;

#endif /* MESH_CACHE_PRIVATE_H */
