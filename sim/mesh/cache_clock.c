/*
 * cache_clock.c: CLOCK (second chance) with a counter of clock_bits bits.
 *
 * Parameter: clock_bits (1..8, default 1): a hit raises the entry's counter
 * by one, saturating at 2^bits - 1 (1 bit: the classic reference bit).
 * The ring is kept as a list, head = newest; the hand is at the tail (the
 * oldest). To evict, the hand looks at the tail: a non-zero counter is
 * decremented and the entry goes behind the hand (to the head); the first
 * entry found at zero is the victim. New entries start at 0. O(1)
 * amortised (each decrement pays for one earlier hit).
 */
#include "mesh/cache-private.h"

typedef struct ClockState {
  CacheList list;
  uint32_t max;   /* 2^bits - 1 */
} ClockState;

static MeshStatus clock_init(MeshCache *c, const MeshCacheConfig *cfg) {
  uint32_t bits = cfg->params.clock_bits ? cfg->params.clock_bits : 1;
  if (bits > 8) return MESH_INVAL;
  ((ClockState *)cache_state(c))->max = (1u << bits) - 1u;
  return MESH_OK;
}

static MeshStatus clock_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  list_push_head(&((ClockState *)cache_state(c))->list, e);
  return MESH_OK;
}

static void clock_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  if (e->meta < ((ClockState *)cache_state(c))->max) e->meta++;
}

static void clock_remove(MeshCache *c, MeshCacheEntry *e) {
  list_unlink(&((ClockState *)cache_state(c))->list, e);
}

static MeshCacheEntry *clock_victim(MeshCache *c, MeshTime now) {
  (void)now;
  ClockState *s = cache_state(c);
  for (;;) {
    MeshCacheEntry *e = s->list.tail;
    list_unlink(&s->list, e);
    if (e->meta == 0) return e;
    e->meta--;
    list_push_head(&s->list, e);
  }
}

static bool clock_check(const MeshCache *c) {
  const ClockState *s = cache_state(c);
  if (cache_list_check(c, &s->list, NULL) != (long)c->count) return false;
  for (const MeshCacheEntry *e = s->list.head; e; e = e->next)
    if (e->meta > s->max) return false;
  return true;
}

const MeshCachePolicy mesh_cache_policy_clock = {
  .name = "clock",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(ClockState),
  .init = clock_init,
  .on_insert = clock_insert,
  .on_hit = clock_hit,
  .on_remove = clock_remove,
  .victim = clock_victim,
  .check = clock_check,
};
