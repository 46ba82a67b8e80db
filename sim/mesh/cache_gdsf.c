/*
 * cache_gdsf.c: GreedyDual-Size-Frequency (Cherkasova 1998), cost 1.
 *
 * Priority H = L + frequency / size, where L is the clock: the priority of
 * the last victim (starts at 0). Frequency = requests since insertion (1 at
 * insert; no history after eviction). size is the object's weight: bytes, or
 * 1 in object mode (then GDSF is LFU with aging); a size of 0 counts as 1.
 * The victim is the lowest H; ties go to the entry whose priority was set
 * earliest (a per-cache stamp). A binary min-heap of entry pointers, each
 * entry keeping its heap slot: O(log n) per insert, hit and eviction. The
 * heap array is grown at insert time (doubling), so hits never allocate.
 */
#include "mesh/cache-private.h"

typedef struct GdsfExtra {
  double pri;
  uint64_t stamp;
  uint32_t slot;
  uint32_t pad_;
} GdsfExtra;

typedef struct GdsfState {
  MeshCacheEntry **heap;
  uint32_t cap, n;
  double clock;      /* L */
  uint64_t stamp;
} GdsfState;

static inline GdsfExtra *gx(const MeshCacheEntry *e) { return (GdsfExtra *)(uintptr_t)(e + 1); }

static inline bool before(const MeshCacheEntry *a, const MeshCacheEntry *b) {
  const GdsfExtra *x = gx(a), *y = gx(b);
  return x->pri < y->pri || (x->pri == y->pri && x->stamp < y->stamp);
}

static void place(GdsfState *s, uint32_t i, MeshCacheEntry *e) {
  s->heap[i] = e;
  gx(e)->slot = i;
}

static void sift_up(GdsfState *s, uint32_t i) {
  MeshCacheEntry *e = s->heap[i];
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (!before(e, s->heap[p])) break;
    place(s, i, s->heap[p]);
    i = p;
  }
  place(s, i, e);
}

static void sift_down(GdsfState *s, uint32_t i) {
  MeshCacheEntry *e = s->heap[i];
  for (;;) {
    uint32_t l = 2 * i + 1, m = i;
    const MeshCacheEntry *best = e;
    if (l < s->n && before(s->heap[l], best)) m = l, best = s->heap[l];
    if (l + 1 < s->n && before(s->heap[l + 1], best)) m = l + 1;
    if (m == i) break;
    place(s, i, s->heap[m]);
    i = m;
  }
  place(s, i, e);
}

static double prio(const MeshCache *c, const GdsfState *s, const MeshCacheEntry *e) {
  uint64_t w = cache_weight(c, e);
  return s->clock + (double)e->meta / (double)(w ? w : 1);
}

static void gdsf_clear(MeshCache *c) {
  GdsfState *s = cache_state(c);
  mesh_free(c->alloc, s->heap, (size_t)s->cap * sizeof *s->heap);
}

static MeshStatus gdsf_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  GdsfState *s = cache_state(c);
  if (s->n == s->cap) {
    uint32_t ncap = s->cap ? s->cap * 2 : 8;
    MeshCacheEntry **nh = mesh_realloc(c->alloc, s->heap, (size_t)s->cap * sizeof *nh,
                                       (size_t)ncap * sizeof *nh);
    if (!nh) return MESH_NOMEM;
    s->heap = nh;
    s->cap = ncap;
  }
  e->meta = 1;
  gx(e)->pri = prio(c, s, e);
  gx(e)->stamp = ++s->stamp;
  s->heap[s->n] = e;
  gx(e)->slot = s->n++;
  sift_up(s, s->n - 1);
  return MESH_OK;
}

static void gdsf_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  GdsfState *s = cache_state(c);
  if (e->meta < UINT32_MAX) e->meta++;
  gx(e)->pri = prio(c, s, e);
  gx(e)->stamp = ++s->stamp;
  sift_down(s, gx(e)->slot);   /* H only grows: L never decreases */
}

static void gdsf_remove(MeshCache *c, MeshCacheEntry *e) {
  GdsfState *s = cache_state(c);
  uint32_t i = gx(e)->slot;
  MeshCacheEntry *last = s->heap[--s->n];
  if (i == s->n) return;
  place(s, i, last);
  sift_up(s, i);
  sift_down(s, gx(last)->slot);
}

static MeshCacheEntry *gdsf_victim(MeshCache *c, MeshTime now) {
  (void)now;
  GdsfState *s = cache_state(c);
  MeshCacheEntry *e = s->heap[0];
  s->clock = gx(e)->pri;
  gdsf_remove(c, e);
  return e;
}

static bool gdsf_check(const MeshCache *c) {
  const GdsfState *s = cache_state(c);
  if (s->n != c->count) return false;
  for (uint32_t i = 0; i < s->n; i++) {
    const MeshCacheEntry *e = s->heap[i];
    if (gx(e)->slot != i || !cache_indexed(c, e) || e->meta == 0) return false;
    if (i > 0 && before(e, s->heap[(i - 1) / 2])) return false;
    if (gx(e)->pri < s->clock) return false;
  }
  return true;
}

static size_t gdsf_memory(const MeshCache *c) {
  return (size_t)((const GdsfState *)cache_state(c))->cap * sizeof(MeshCacheEntry *);
}

const MeshCachePolicy mesh_cache_policy_gdsf = {
  .name = "gdsf",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(GdsfState),
  .entry_extra = sizeof(GdsfExtra),
  .clear = gdsf_clear,
  .on_insert = gdsf_insert,
  .on_hit = gdsf_hit,
  .on_remove = gdsf_remove,
  .victim = gdsf_victim,
  .check = gdsf_check,
  .memory = gdsf_memory,
};
