/*
 * cache_sieve.c: SIEVE (Zhang et al., NSDI 2024).
 *
 * One list, head = newest; new entries go to the head, unvisited. A hit sets
 * the entry's visited bit (meta) and moves nothing. The hand walks from the
 * tail towards the head: visited entries are cleared and passed over, the
 * first unvisited one is the victim, and the hand stays where it stopped
 * (on the victim's newer neighbour; past the head it wraps to the tail).
 * O(1) amortised: each clear pays for one earlier hit.
 */
#include "mesh/cache-private.h"

typedef struct SieveState {
  CacheList list;
  MeshCacheEntry *hand;   /* next entry to examine; NULL = the tail */
} SieveState;

static MeshStatus sieve_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  list_push_head(&((SieveState *)cache_state(c))->list, e);
  return MESH_OK;
}

static void sieve_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)c, (void)now;
  e->meta = 1;
}

static void sieve_remove(MeshCache *c, MeshCacheEntry *e) {
  SieveState *s = cache_state(c);
  if (s->hand == e) s->hand = e->prev;
  list_unlink(&s->list, e);
}

static MeshCacheEntry *sieve_victim(MeshCache *c, MeshTime now) {
  (void)now;
  SieveState *s = cache_state(c);
  MeshCacheEntry *o = s->hand ? s->hand : s->list.tail;
  while (o->meta) {
    o->meta = 0;
    o = o->prev ? o->prev : s->list.tail;
  }
  s->hand = o->prev;
  list_unlink(&s->list, o);
  return o;
}

static bool sieve_check(const MeshCache *c) {
  const SieveState *s = cache_state(c);
  if (cache_list_check(c, &s->list, NULL) != (long)c->count) return false;
  if (s->hand && !cache_indexed(c, s->hand)) return false;
  for (const MeshCacheEntry *e = s->list.head; e; e = e->next)
    if (e->meta > 1) return false;
  return true;
}

const MeshCachePolicy mesh_cache_policy_sieve = {
  .name = "sieve",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(SieveState),
  .on_insert = sieve_insert,
  .on_hit = sieve_hit,
  .on_remove = sieve_remove,
  .victim = sieve_victim,
  .check = sieve_check,
};
