/*
 * cache_fifo.c: first in, first out.
 *
 * One list, head = newest. Hits change nothing; the victim is the oldest
 * insert (the tail). O(1).
 */
#include "mesh/cache-private.h"

typedef struct FifoState {
  CacheList list;
} FifoState;

static MeshStatus fifo_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  list_push_head(&((FifoState *)cache_state(c))->list, e);
  return MESH_OK;
}

static void fifo_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)c, (void)e, (void)now;
}

static void fifo_remove(MeshCache *c, MeshCacheEntry *e) {
  list_unlink(&((FifoState *)cache_state(c))->list, e);
}

static MeshCacheEntry *fifo_victim(MeshCache *c, MeshTime now) {
  (void)now;
  FifoState *s = cache_state(c);
  MeshCacheEntry *e = s->list.tail;
  list_unlink(&s->list, e);
  return e;
}

static bool fifo_check(const MeshCache *c) {
  const FifoState *s = cache_state(c);
  return cache_list_check(c, &s->list, NULL) == (long)c->count;
}

const MeshCachePolicy mesh_cache_policy_fifo = {
  .name = "fifo",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(FifoState),
  .on_insert = fifo_insert,
  .on_hit = fifo_hit,
  .on_remove = fifo_remove,
  .victim = fifo_victim,
  .check = fifo_check,
};
