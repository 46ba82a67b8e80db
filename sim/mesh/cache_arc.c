/*
 * cache_arc.c: ARC (Megiddo and Modha, FAST 2003), with weights.
 *
 * T1 (seen once recently) and T2 (seen at least twice) hold cached entries
 * (meta 1 or 2), LRU order, head = most recent; B1 and B2 are ghost lists of
 * ids evicted from T1 and T2. p is the adaptive target weight of T1. Counts
 * of the paper become weights (bytes, or 1 per object in object mode):
 *   miss on an id in B1: p += w * max(1, |B2|/|B1|) (at most c), into T2;
 *   miss on an id in B2: p -= w * max(1, |B1|/|B2|) (at least 0), into T2;
 *   other miss: into T1.   Hit: to the head of T2.
 * REPLACE (the victim): T1's LRU if T1 is not empty and (|T1| > p, or the
 * miss came from B2 and |T1| = p, or T2 is empty), and its id goes to B1;
 * else T2's LRU, its id to B2. Ghosts are trimmed (oldest first) so that
 * |T1| + |B1| <= c and |T1| + |T2| + |B1| + |B2| <= 2c. No parameters.
 * O(1) per operation.
 */
#include "mesh/cache-private.h"

enum { IN_T1 = 1, IN_T2 = 2 };

typedef struct ArcState {
  CacheList t1, t2;
  uint64_t t1_w, t2_w;
  uint64_t p;             /* target weight of T1 */
  uint64_t pending_obj;   /* the object being inserted after a ghost hit */
  uint32_t pending;       /* 0 none, 1 from B1, 2 from B2 */
  uint32_t pad_;
  CacheGhost b1, b2;
} ArcState;

static void arc_clear(MeshCache *c) {
  ArcState *s = cache_state(c);
  ghost_clear(&s->b1, c->alloc);
  ghost_clear(&s->b2, c->alloc);
}

static void trim_ghosts(MeshCache *c, ArcState *s) {
  while (s->b1.count && s->t1_w + s->b1.weight > c->capacity) ghost_pop_oldest(&s->b1);
  while (s->b2.count &&
         s->t1_w + s->t2_w + s->b1.weight + s->b2.weight > 2 * c->capacity)
    ghost_pop_oldest(&s->b2);
}

static void arc_before_insert(MeshCache *c, uint64_t obj, uint64_t w) {
  ArcState *s = cache_state(c);
  uint64_t gw;
  s->pending = 0;
  s->pending_obj = obj;
  if (ghost_take(&s->b1, obj, &gw)) {
    uint64_t b1 = s->b1.weight + gw, b2 = s->b2.weight;
    uint64_t d = w * (b2 > b1 ? b2 / (b1 ? b1 : 1) : 1);   /* zero-size ghosts */
    s->p = (s->p + d > c->capacity || s->p + d < s->p) ? c->capacity : s->p + d;
    s->pending = 1;
  } else if (ghost_take(&s->b2, obj, &gw)) {
    uint64_t b2 = s->b2.weight + gw, b1 = s->b1.weight;
    uint64_t d = w * (b1 > b2 ? b1 / (b2 ? b2 : 1) : 1);
    s->p = d > s->p ? 0 : s->p - d;
    s->pending = 2;
  }
}

static MeshStatus arc_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  ArcState *s = cache_state(c);
  if (s->pending && s->pending_obj == e->obj) {
    e->meta = IN_T2;
    list_push_head(&s->t2, e);
    s->t2_w += cache_weight(c, e);
  } else {
    e->meta = IN_T1;
    list_push_head(&s->t1, e);
    s->t1_w += cache_weight(c, e);
  }
  s->pending = 0;
  trim_ghosts(c, s);
  return MESH_OK;
}

static void arc_remove(MeshCache *c, MeshCacheEntry *e) {
  ArcState *s = cache_state(c);
  if (e->meta == IN_T1) {
    list_unlink(&s->t1, e);
    s->t1_w -= cache_weight(c, e);
  } else {
    list_unlink(&s->t2, e);
    s->t2_w -= cache_weight(c, e);
  }
}

static void arc_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  ArcState *s = cache_state(c);
  arc_remove(c, e);
  e->meta = IN_T2;
  list_push_head(&s->t2, e);
  s->t2_w += cache_weight(c, e);
}

static MeshCacheEntry *arc_victim(MeshCache *c, MeshTime now) {
  (void)now;
  ArcState *s = cache_state(c);
  MeshCacheEntry *e;
  bool from_t1 = s->t1.tail &&
                 (s->t1_w > s->p || (s->pending == 2 && s->t1_w == s->p) || !s->t2.tail);
  if (from_t1) {
    e = s->t1.tail;
    arc_remove(c, e);
    ghost_push(&s->b1, c->alloc, e->obj, cache_weight(c, e));
  } else {
    e = s->t2.tail;
    arc_remove(c, e);
    ghost_push(&s->b2, c->alloc, e->obj, cache_weight(c, e));
  }
  trim_ghosts(c, s);
  return e;
}

static bool arc_check(const MeshCache *c) {
  const ArcState *s = cache_state(c);
  uint64_t w1, w2;
  long n1 = cache_list_check(c, &s->t1, &w1), n2 = cache_list_check(c, &s->t2, &w2);
  if (n1 < 0 || n2 < 0 || n1 + n2 != (long)c->count) return false;
  if (w1 != s->t1_w || w2 != s->t2_w || w1 + w2 != c->used) return false;
  for (const MeshCacheEntry *e = s->t1.head; e; e = e->next)
    if (e->meta != IN_T1) return false;
  for (const MeshCacheEntry *e = s->t2.head; e; e = e->next)
    if (e->meta != IN_T2) return false;
  if (s->p > c->capacity || !ghost_check(&s->b1) || !ghost_check(&s->b2)) return false;
  if (s->b1.count && s->t1_w + s->b1.weight > c->capacity) return false;
  if (s->b2.count && w1 + w2 + s->b1.weight + s->b2.weight > 2 * c->capacity) return false;
  return true;
}

static size_t arc_memory(const MeshCache *c) {
  const ArcState *s = cache_state(c);
  return ghost_memory(&s->b1) + ghost_memory(&s->b2);
}

const MeshCachePolicy mesh_cache_policy_arc = {
  .name = "arc",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(ArcState),
  .clear = arc_clear,
  .before_insert = arc_before_insert,
  .on_insert = arc_insert,
  .on_hit = arc_hit,
  .on_remove = arc_remove,
  .victim = arc_victim,
  .check = arc_check,
  .memory = arc_memory,
};
