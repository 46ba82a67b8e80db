/*
 * cache_lfu.c: least frequently used, O(1) (Shah, Mitra, Matani 2010).
 *
 * Frequency = requests since the object's insertion (1 at insert); no
 * history is kept for evicted objects. Entries sit in one bucket per
 * distinct frequency; buckets form a list in increasing frequency. Ties are
 * broken first in, first out: within a bucket, the entry that reached that
 * frequency first is evicted first. The victim is the oldest entry of the
 * lowest bucket. Buckets are nodes of a policy-owned array (32-bit indices,
 * entry->meta = index + 1); at each insert the array is grown to hold
 * count + 1 nodes, so a hit never allocates (buckets in use <= count).
 */
#include "mesh/cache-private.h"

typedef struct LfuNode {
  uint64_t freq;
  CacheList list;        /* head = newest in this frequency */
  uint32_t prev, next;   /* neighbouring buckets, index+1; 0 = none */
} LfuNode;

typedef struct LfuState {
  LfuNode *nodes;
  uint32_t cap;          /* nodes allocated */
  uint32_t hwm;          /* nodes ever used */
  uint32_t free;         /* free node list via next, index+1 */
  uint32_t first;        /* lowest-frequency bucket, index+1 */
} LfuState;

static inline LfuNode *nd(LfuState *s, uint32_t i) { return &s->nodes[i - 1]; }

static uint32_t node_get(LfuState *s, uint64_t freq, uint32_t prev, uint32_t next) {
  uint32_t i = s->free;
  if (i) s->free = nd(s, i)->next;
  else {
    assert(s->hwm < s->cap);
    i = ++s->hwm;
  }
  LfuNode *n = nd(s, i);
  n->freq = freq;
  n->list.head = n->list.tail = NULL;
  n->prev = prev;
  n->next = next;
  if (prev) nd(s, prev)->next = i;
  else s->first = i;
  if (next) nd(s, next)->prev = i;
  return i;
}

static void node_put_if_empty(LfuState *s, uint32_t i) {
  LfuNode *n = nd(s, i);
  if (n->list.head) return;
  if (n->prev) nd(s, n->prev)->next = n->next;
  else s->first = n->next;
  if (n->next) nd(s, n->next)->prev = n->prev;
  n->next = s->free;
  s->free = i;
}

static void lfu_clear(MeshCache *c) {
  LfuState *s = cache_state(c);
  mesh_free(c->alloc, s->nodes, (size_t)s->cap * sizeof *s->nodes);
}

static MeshStatus lfu_insert(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  LfuState *s = cache_state(c);
  if (c->count + 1 > s->cap) {
    uint32_t ncap = s->cap ? s->cap * 2 : 8;
    while (ncap < c->count + 1) ncap *= 2;
    LfuNode *nn = mesh_realloc(c->alloc, s->nodes, (size_t)s->cap * sizeof *nn,
                               (size_t)ncap * sizeof *nn);
    if (!nn) return MESH_NOMEM;
    s->nodes = nn;
    s->cap = ncap;
  }
  uint32_t i = s->first;
  if (!i || nd(s, i)->freq != 1) i = node_get(s, 1, 0, s->first);
  e->meta = i;
  list_push_head(&nd(s, i)->list, e);
  return MESH_OK;
}

static void lfu_hit(MeshCache *c, MeshCacheEntry *e, MeshTime now) {
  (void)now;
  LfuState *s = cache_state(c);
  uint32_t i = e->meta;
  LfuNode *n = nd(s, i);
  uint64_t f = n->freq + 1;
  uint32_t nx = n->next;
  if (nx && nd(s, nx)->freq == f) {
    list_unlink(&n->list, e);
    list_push_head(&nd(s, nx)->list, e);
    e->meta = nx;
    node_put_if_empty(s, i);
  } else if (n->list.head == e && n->list.tail == e) {
    n->freq = f;             /* alone: the bucket itself moves up */
  } else {
    list_unlink(&n->list, e);
    uint32_t j = node_get(s, f, i, nx);
    list_push_head(&nd(s, j)->list, e);
    e->meta = j;
  }
}

static void lfu_remove(MeshCache *c, MeshCacheEntry *e) {
  LfuState *s = cache_state(c);
  list_unlink(&nd(s, e->meta)->list, e);
  node_put_if_empty(s, e->meta);
}

static MeshCacheEntry *lfu_victim(MeshCache *c, MeshTime now) {
  (void)now;
  LfuState *s = cache_state(c);
  MeshCacheEntry *e = nd(s, s->first)->list.tail;
  lfu_remove(c, e);
  return e;
}

static bool lfu_check(const MeshCache *c) {
  LfuState *s = cache_state(c);
  long total = 0;
  uint64_t last = 0;
  uint32_t prev = 0;
  for (uint32_t i = s->first; i; i = nd(s, i)->next) {
    LfuNode *n = nd(s, i);
    if (i > s->hwm || n->prev != prev || n->freq <= last) return false;
    long k = cache_list_check(c, &n->list, NULL);
    if (k <= 0) return false;
    for (const MeshCacheEntry *e = n->list.head; e; e = e->next)
      if (e->meta != i) return false;
    total += k;
    if (total > (long)c->count) return false;
    last = n->freq;
    prev = i;
  }
  return total == (long)c->count;
}

static size_t lfu_memory(const MeshCache *c) {
  return (size_t)((const LfuState *)cache_state(c))->cap * sizeof(LfuNode);
}

const MeshCachePolicy mesh_cache_policy_lfu = {
  .name = "lfu",
  .abi_version = MESH_CACHE_POLICY_ABI,
  .state_size = sizeof(LfuState),
  .clear = lfu_clear,
  .on_insert = lfu_insert,
  .on_hit = lfu_hit,
  .on_remove = lfu_remove,
  .victim = lfu_victim,
  .check = lfu_check,
  .memory = lfu_memory,
};
