/*
 * cache_s3fifo.c: S3-FIFO (Yang et al., SOSP 2023): small FIFO S, main FIFO M
 * (with a 2-bit frequency, as a clock), ghost FIFO G of evicted ids.
 *
 * Parameters (MeshCacheParams; 0 = default):
 *   s3fifo_small_ratio    0.10  S's target share of the capacity
 *   s3fifo_ghost_ratio    0.90  G remembers evicted objects up to this share
 *                               of the capacity (their weights: bytes or 1)
 *   s3fifo_move_threshold 2     hits while in S needed to move to M
 * Frequency (meta bits 0..7) counts hits, capped at 3; bit 8 = in M.
 * Insert: into M if the id is in G (taken out of G), else into S.
 * Victim: while S is not empty and (S holds >= its target or M is empty),
 * look at S's oldest: with freq >= threshold it moves to M's head with its
 * frequency cleared, else it is the victim and its id goes to G (G then drops
 * its oldest ids while over budget). Otherwise look at M's oldest: freq > 0
 * is decremented and the entry reinserted at M's head, freq 0 is the victim.
 * The original (paper) variant: a miss goes to S even while the cache is not
 * yet full. O(1) amortised per operation.
 */
#include "mesh/cache-private.h"

#define IN_MAIN 0x100u
#define FREQ_MASK 0xffu
#define FREQ_MAX 3u

typedef struct S3State {
  CacheList small, main;
  uint64_t small_w, main_w;   /* weights held by S and M */
  uint64_t small_cap;         /* floor(capacity * small_ratio) */
  uint64_t ghost_cap;         /* floor(capacity * ghost_ratio) */
  uint32_t threshold;
  uint32_t pad_;
  CacheGhost ghost;
} S3State;

static MeshStatus s3_init(MeshCache *c, const MeshCacheConfig *cfg) {
  S3State *s = cache_state(c);
  double sr = cfg->params.s3fifo_small_ratio, gr = cfg->params.s3fifo_ghost_ratio;
  if (sr == 0) sr = 0.10;
  if (gr == 0) gr = 0.90;
  if (!(sr > 0 && sr <= 1) || !(gr > 0 && gr <= 1)) return MESH_INVAL;
  s->small_cap = (uint64_t)((double)c->capacity * sr);
  s->ghost_cap = (uint64_t)((double)c->capacity * gr);
  s->threshold = cfg->params.s3fifo_move_threshold ? cfg->params.s3fifo_move_threshold : 2;
  if (s->threshold > FREQ_MAX) return MESH_INVAL;
  return MESH_OK;
}

static void s3_clear(MeshCache *c) {
  ghost_clear(&((S3State *)cache_state(c))->ghost, c->alloc);
}

static MeshStatus s3_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  S3State *s = cache_state(c);
  uint64_t w = cache_weight(c, e);
  if (ghost_take(&s->ghost, e->obj, NULL)) {
    e->meta = IN_MAIN;
    list_push_head(&s->main, e);
    s->main_w += w;
  } else {
    e->meta = 0;
    list_push_head(&s->small, e);
    s->small_w += w;
  }
  return MESH_OK;
}

static void s3_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)c, (void)now;
  if ((e->meta & FREQ_MASK) < FREQ_MAX) e->meta++;
}

static void s3_remove(MeshCache *c, MeshCacheEntry *e) {
  S3State *s = cache_state(c);
  if (e->meta & IN_MAIN) {
    list_unlink(&s->main, e);
    s->main_w -= cache_weight(c, e);
  } else {
    list_unlink(&s->small, e);
    s->small_w -= cache_weight(c, e);
  }
}

static MeshCacheEntry *s3_victim(MeshCache *c, MeshTime now) {
  (void)now;
  S3State *s = cache_state(c);
  for (;;) {
    if (s->small.tail && (s->small_w >= s->small_cap || !s->main.tail)) {
      MeshCacheEntry *e = s->small.tail;
      uint64_t w = cache_weight(c, e);
      list_unlink(&s->small, e);
      s->small_w -= w;
      if ((e->meta & FREQ_MASK) >= s->threshold) {
        e->meta = IN_MAIN;
        list_push_head(&s->main, e);
        s->main_w += w;
        continue;
      }
      ghost_push(&s->ghost, c->alloc, e->obj, w);
      while (s->ghost.weight > s->ghost_cap) ghost_pop_oldest(&s->ghost);
      return e;
    }
    MeshCacheEntry *e = s->main.tail;
    list_unlink(&s->main, e);
    if ((e->meta & FREQ_MASK) == 0) {
      s->main_w -= cache_weight(c, e);
      return e;
    }
    e->meta--;
    list_push_head(&s->main, e);
  }
}

static bool s3_check(const MeshCache *c) {
  const S3State *s = cache_state(c);
  uint64_t sw, mw;
  long ns = cache_list_check(c, &s->small, &sw);
  long nm = cache_list_check(c, &s->main, &mw);
  if (ns < 0 || nm < 0 || ns + nm != (long)c->count) return false;
  if (sw != s->small_w || mw != s->main_w || sw + mw != c->used) return false;
  for (const MeshCacheEntry *e = s->small.head; e; e = e->next)
    if ((e->meta & ~FREQ_MASK) || (e->meta & FREQ_MASK) > FREQ_MAX) return false;
  for (const MeshCacheEntry *e = s->main.head; e; e = e->next)
    if ((e->meta & ~FREQ_MASK) != IN_MAIN || (e->meta & FREQ_MASK) > FREQ_MAX) return false;
  if (!ghost_check(&s->ghost) || s->ghost.weight > s->ghost_cap) return false;
  return true;
}

static size_t s3_memory(const MeshCache *c) {
  return ghost_memory(&((const S3State *)cache_state(c))->ghost);
}

const MeshCachePolicy mesh_cache_policy_s3fifo = {
  .name = "s3fifo",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(S3State),
  .init = s3_init,
  .clear = s3_clear,
  .on_insert = s3_insert,
  .on_hit = s3_hit,
  .on_remove = s3_remove,
  .victim = s3_victim,
  .check = s3_check,
  .memory = s3_memory,
};
