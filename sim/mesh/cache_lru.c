/*
 * cache_lru.c: least recently used.
 *
 * One list, head = most recently used. Insert and hit move to the head; the
 * victim is the tail. O(1), no per-entry state beyond the list links.
 */
#include "mesh/cache-private.h"

typedef struct LruState {
  CacheList list;
} LruState;

static MeshStatus lru_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  list_push_head(&((LruState *)cache_state(c))->list, e);
  return MESH_OK;
}

static void lru_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  LruState *s = cache_state(c);
  if (s->list.head == e) return;
  list_unlink(&s->list, e);
  list_push_head(&s->list, e);
}

static void lru_remove(MeshCache *c, MeshCacheEntry *e) {
  list_unlink(&((LruState *)cache_state(c))->list, e);
}

static MeshCacheEntry *lru_victim(MeshCache *c, MeshTime now) {
  (void)now;
  LruState *s = cache_state(c);
  MeshCacheEntry *e = s->list.tail;
  list_unlink(&s->list, e);
  return e;
}

static bool lru_check(const MeshCache *c) {
  const LruState *s = cache_state(c);
  return cache_list_check(c, &s->list, NULL) == (long)c->count;
}

const MeshCachePolicy mesh_cache_policy_lru = {
  .name = "lru",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(LruState),
  .on_insert = lru_insert,
  .on_hit = lru_hit,
  .on_remove = lru_remove,
  .victim = lru_victim,
  .check = lru_check,
};
