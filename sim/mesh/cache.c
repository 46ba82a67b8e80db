/*
 * cache.c: the cache core: index, slabs, accounting, admission, the
 * evict-until-it-fits loop, the policy registry and the ghost lists.
 *
 * Invariants (checked by mesh_cache_check):
 *   (1) every cached entry is in exactly one index chain, the one its obj
 *       hashes to, and no two entries share an obj;
 *   (2) used == sum of weights of cached entries <= capacity;
 *   (3) every slab slot is either cached (count) or on the free list;
 *   (4) the policy's structures hold exactly the cached entries.
 * Ownership: entries belong to the cache's slabs (freed in bulk by
 * mesh_cache_free); the policy only links them.
 * Index: chained hash, multiplicative (Fibonacci) hashing, 8 buckets at the
 * first insert, doubled when count would exceed the bucket count; it never
 * shrinks (the slabs do not either): memory follows the peak occupancy.
 * Parked (mesh_cache_park): the bucket array is freed and the chains kept
 * as one list through hnext, in index order (bucket by bucket, each chain in
 * its order), so that the list alone gives back the same chains: unpark
 * allocates buckets of the same size and cuts the list where the bucket
 * changes. A parked cache answers as an unparked one, in the same order,
 * since its chains are the same; the operations that need the index unpark
 * it first, and if that allocation fails they work on the list (linear).
 * Not here: eviction order (cache_<policy>.c).
 */
#include "mesh/cache-private.h"

#include <string.h>

#define SLAB_MIN 16u
#define SLAB_MAX 4096u
#define DEBUG_CHECK_MAX 256u

#if defined(MESH_CACHE_DEBUG) || !defined(__OPTIMIZE__)
#define DEBUG_CHECK(c)                                         \
  do {                                                         \
    if ((c)->count <= DEBUG_CHECK_MAX) assert(mesh_cache_check(c)); \
  } while (0)
#else
#define DEBUG_CHECK(c) ((void)0)
#endif

struct MeshCacheSlab {
  MeshCacheSlab *next;
  uint32_t slots;
  uint32_t pad_;
  /* followed by `slots` entries of entry_size bytes */
};

/* ---- registry ---------------------------------------------------------- */

static const MeshCachePolicy *const policies[] = {
  &mesh_cache_policy_lru,   &mesh_cache_policy_fifo,  &mesh_cache_policy_clock,
  &mesh_cache_policy_lfu,   &mesh_cache_policy_arc,   &mesh_cache_policy_sieve,
  &mesh_cache_policy_s3fifo, &mesh_cache_policy_gdsf,
};
#define N_POLICIES (sizeof policies / sizeof policies[0])

static const char *const policy_names[N_POLICIES + 1] = {
  "lru", "fifo", "clock", "lfu", "arc", "sieve", "s3fifo", "gdsf", NULL,
};

const MeshCachePolicy *mesh_cache_policy_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < N_POLICIES; i++)
    if (strcmp(policies[i]->name, name) == 0) return policies[i];
  return NULL;
}

const char *const *mesh_cache_policy_names(void) { return policy_names; }

const char *mesh_cache_policy_name(const MeshCachePolicy *p) { return p ? p->name : NULL; }

/* ---- index ------------------------------------------------------------- */

static inline size_t bucket_of(uint64_t obj, unsigned log2) {
  return (size_t)((obj * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - log2));
}

static inline MeshCacheEntry *find(const MeshCache *c, uint64_t obj) {
  if (!c->log2_buckets) return NULL;
  MeshCacheEntry *e = c->is_parked ? c->ix.parked : c->ix.buckets[bucket_of(obj, c->log2_buckets)];
  while (e && e->obj != obj) e = e->hnext;
  return e;
}

/* Starts loading every slab of a parked cache: its list is one chain of
 * dependent loads, and a cache that waited while its peer was offline is
 * cold; the slabs' lines load in parallel, then the walk hits. */
static void prefetch_slabs(const MeshCache *c) {
#if defined(__GNUC__)
  for (const MeshCacheSlab *s = c->slabs; s; s = s->next) {
    const char *p = (const char *)(s + 1), *end = p + (size_t)s->slots * c->entry_size;
    for (; p < end; p += 64) __builtin_prefetch(p);
  }
#else
  (void)c;
#endif
}

/* Rebuilds the bucket array of a parked cache (same size, same chains).
 * On MESH_NOMEM it stays parked. */
static MeshStatus unpark(MeshCache *c) {
  if (!c->is_parked) return MESH_OK;
  prefetch_slabs(c);
  size_t nb = (size_t)1 << c->log2_buckets;
  MeshCacheEntry **bk = mesh_alloc0(c->alloc, nb * sizeof *bk);
  if (!bk) return MESH_NOMEM;
  MeshCacheEntry *e = c->ix.parked;
  while (e) {
    size_t b = bucket_of(e->obj, c->log2_buckets);
    if (!bk[b]) bk[b] = e;
    MeshCacheEntry *nx = e->hnext;
    if (nx && bucket_of(nx->obj, c->log2_buckets) != b) e->hnext = NULL;
    e = nx;
  }
  c->ix.buckets = bk;
  c->is_parked = 0;
  return MESH_OK;
}

/* find() for an operation that may use or change the entry: a parked
 * cache gets its index back first (on failure the list still answers). */
static inline MeshCacheEntry *find_for_use(MeshCache *c, uint64_t obj) {
  if (c->is_parked) (void)unpark(c);
  return find(c, obj);
}

/* Only on an unparked cache (insert_new unparks first). */
static void index_add(MeshCache *c, MeshCacheEntry *e) {
  assert(!c->is_parked);
  MeshCacheEntry **b = &c->ix.buckets[bucket_of(e->obj, c->log2_buckets)];
  e->hnext = *b;
  *b = e;
}

/* Parked too (the link to e is then in the list): leaving e out of the
 * list leaves every chain as it would be. */
static void index_del(MeshCache *c, MeshCacheEntry *e) {
  MeshCacheEntry **p = c->is_parked ? &c->ix.parked
                                    : &c->ix.buckets[bucket_of(e->obj, c->log2_buckets)];
  while (*p != e) {
    assert(*p);
    p = &(*p)->hnext;
  }
  *p = e->hnext;
  e->hnext = NULL;
}

/* Make room in the index for one more entry. Fails only if there is no
 * index at all; a failed doubling keeps the old table (longer chains). */
static MeshStatus index_reserve(MeshCache *c) {
  assert(!c->is_parked);
  size_t nb = c->log2_buckets ? (size_t)1 << c->log2_buckets : 0;
  if ((size_t)c->count + 1 <= nb) return MESH_OK;
  unsigned nlog2 = c->log2_buckets ? c->log2_buckets + 1u : 3u;
  if (nlog2 > 40) return MESH_OK;
  size_t nnb = (size_t)1 << nlog2;
  MeshCacheEntry **nbk = mesh_alloc0(c->alloc, nnb * sizeof *nbk);
  if (!nbk) return c->log2_buckets ? MESH_OK : MESH_NOMEM;
  for (size_t i = 0; i < nb; i++) {
    MeshCacheEntry *e = c->ix.buckets[i];
    while (e) {
      MeshCacheEntry *nx = e->hnext;
      size_t b = bucket_of(e->obj, nlog2);
      e->hnext = nbk[b];
      nbk[b] = e;
      e = nx;
    }
  }
  mesh_free(c->alloc, c->ix.buckets, nb * sizeof *c->ix.buckets);
  c->ix.buckets = nbk;
  c->log2_buckets = (uint8_t)nlog2;
  return MESH_OK;
}

/* ---- slabs ------------------------------------------------------------- */

static MeshStatus slab_reserve(MeshCache *c) {
  if (c->free) return MESH_OK;
  uint32_t n = c->slab_slots / 2;
  if (n < SLAB_MIN) n = SLAB_MIN;
  if (n > SLAB_MAX) n = SLAB_MAX;
  /* A cache counted in objects never holds more than its capacity: no
   * slot beyond it (64-object caches: 64 slots, not 72). */
  if (c->unit == MESH_CACHE_OBJECTS && c->capacity > c->slab_slots &&
      c->capacity - c->slab_slots < n)
    n = (uint32_t)(c->capacity - c->slab_slots);
  size_t bytes = sizeof(MeshCacheSlab) + (size_t)n * c->entry_size;
  MeshCacheSlab *s = mesh_alloc(c->alloc, bytes);
  if (!s) return MESH_NOMEM;
  s->slots = n;
  s->next = c->slabs;
  c->slabs = s;
  char *base = (char *)(s + 1);
  for (uint32_t i = n; i-- > 0;) {
    MeshCacheEntry *e = (MeshCacheEntry *)(base + (size_t)i * c->entry_size);
    e->hnext = c->free;
    c->free = e;
  }
  c->slab_slots += n;
  return MESH_OK;
}

static void entry_release(MeshCache *c, MeshCacheEntry *e) {
  e->hnext = c->free;
  c->free = e;
}

/* ---- lifecycle --------------------------------------------------------- */

MeshCache *mesh_cache_new(const MeshCacheConfig *cfg, const MeshAllocator *alloc) {
  if (!cfg || !cfg->policy || cfg->policy->abi_version != MESH_CACHE_POLICY_ABI) return NULL;
  if (cfg->unit != MESH_CACHE_BYTES && cfg->unit != MESH_CACHE_OBJECTS) return NULL;
  const MeshCachePolicy *p = cfg->policy;
  if (p->entry_extra % 8 != 0) return NULL;
  size_t state = (p->state_size + 7u) & ~(size_t)7u;
  MeshCache *c = mesh_alloc0(alloc, sizeof(MeshCache) + state);
  if (!c) return NULL;
  c->policy = p;
  c->alloc = alloc;
  c->on_evict = cfg->on_evict;
  c->on_evict_ud = cfg->on_evict_ud;
  c->capacity = cfg->capacity;
  c->unit = (uint8_t)cfg->unit;
  c->entry_size = (uint16_t)(sizeof(MeshCacheEntry) + p->entry_extra);
  if (p->init && p->init(c, cfg) != MESH_OK) {
    if (p->clear) p->clear(c);
    mesh_free(alloc, c, sizeof(MeshCache) + state);
    return NULL;
  }
  return c;
}

void mesh_cache_free(MeshCache *c) {
  if (!c) return;
  if (c->policy->clear) c->policy->clear(c);
  if (c->log2_buckets && !c->is_parked)
    mesh_free(c->alloc, c->ix.buckets, ((size_t)1 << c->log2_buckets) * sizeof *c->ix.buckets);
  MeshCacheSlab *s = c->slabs;
  while (s) {
    MeshCacheSlab *nx = s->next;
    mesh_free(c->alloc, s, sizeof *s + (size_t)s->slots * c->entry_size);
    s = nx;
  }
  size_t state = (c->policy->state_size + 7u) & ~(size_t)7u;
  mesh_free(c->alloc, c, sizeof(MeshCache) + state);
}

/* ---- operations -------------------------------------------------------- */

/* Take a cached entry out of the index and the accounting and free it;
 * the policy has already unlinked it. */
static void drop(MeshCache *c, MeshCacheEntry *e, bool report) {
  uint64_t obj = e->obj, size = e->size;
  uint32_t version = e->version;
  index_del(c, e);
  c->used -= cache_weight(c, e);
  c->count--;
  entry_release(c, e);
  if (report && c->on_evict) c->on_evict(c->on_evict_ud, obj, version, size);
}

static void invalidate(MeshCache *c, MeshCacheEntry *e) {
  c->policy->on_remove(c, e);
  drop(c, e, true);
}

bool mesh_cache_lookup(MeshCache *c, uint64_t obj, uint32_t version, MeshTime now) {
  MeshCacheEntry *e = find_for_use(c, obj);
  if (!e) return false;
  if (e->version == version) {
    c->policy->on_hit(c, e, now);
    DEBUG_CHECK(c);
    return true;
  }
  if (e->version < version) {
    invalidate(c, e);
    DEBUG_CHECK(c);
  }
  return false;
}

static MeshStatus insert_new(MeshCache *c, uint64_t obj, uint32_t version,
                             uint64_t size, MeshTime now) {
  uint64_t w = c->unit == MESH_CACHE_OBJECTS ? 1 : size;
  if (w > c->capacity) return MESH_TOOBIG;
  if (unpark(c) != MESH_OK) return MESH_NOMEM;
  /* Reserve before evicting, so that a failure changes nothing; a full
   * cache counted in objects evicts one and reuses its slot and index room
   * (reserving first would grow a 64-object cache to 96 slots and 128
   * buckets that it never fills). */
  bool reuse = c->unit == MESH_CACHE_OBJECTS && c->count >= c->capacity;
  if (!reuse && (slab_reserve(c) != MESH_OK || index_reserve(c) != MESH_OK)) return MESH_NOMEM;
  const MeshCachePolicy *p = c->policy;
  if (p->before_insert) p->before_insert(c, obj, w);
  while (c->capacity - c->used < w) {
    MeshCacheEntry *v = p->victim(c, now);
    assert(v);
    drop(c, v, true);
  }
  MeshCacheEntry *e = c->free;
  c->free = e->hnext;
  e->obj = obj;
  e->size = size;
  e->version = version;
  e->meta = 0;
  e->prev = e->next = NULL;
  if (p->entry_extra) memset(e + 1, 0, p->entry_extra);
  index_add(c, e);
  c->used += w;
  c->count++;
  MeshStatus st = p->on_insert(c, e, now);
  if (st != MESH_OK) drop(c, e, false);
  DEBUG_CHECK(c);
  return st;
}

MeshStatus mesh_cache_insert(MeshCache *c, uint64_t obj, uint32_t version,
                             uint64_t size, MeshTime now) {
  MeshCacheEntry *e = find_for_use(c, obj);
  if (e) {
    if (e->version == version) {
      c->policy->on_hit(c, e, now);
      DEBUG_CHECK(c);
      return MESH_OK;
    }
    if (e->version > version) return MESH_EXISTS;
    invalidate(c, e);
  }
  return insert_new(c, obj, version, size, now);
}

bool mesh_cache_request(MeshCache *c, uint64_t obj, uint64_t size, MeshTime now) {
  MeshCacheEntry *e = find_for_use(c, obj);
  if (e && e->version == 0) {
    c->policy->on_hit(c, e, now);
    DEBUG_CHECK(c);
    return true;
  }
  if (e) return false;   /* a newer version is stored: kept, not served */
  (void)insert_new(c, obj, 0, size, now);
  return false;
}

bool mesh_cache_contains(const MeshCache *c, uint64_t obj, uint32_t *version_out) {
  MeshCacheEntry *e = find(c, obj);
  if (e && version_out) *version_out = e->version;
  return e != NULL;
}

void mesh_cache_prefetch(const MeshCache *c, uint64_t obj, bool deep) {
#if defined(__GNUC__)
  if (!c->log2_buckets || c->is_parked) return;
  MeshCacheEntry *const *slot = &c->ix.buckets[bucket_of(obj, c->log2_buckets)];
  if (!deep) {
    __builtin_prefetch(slot);
    return;
  }
  const MeshCacheEntry *e = *slot;
  if (e) __builtin_prefetch(e);
#else
  (void)c;
  (void)obj;
  (void)deep;
#endif
}

MeshStatus mesh_cache_remove(MeshCache *c, uint64_t obj) {
  MeshCacheEntry *e = find_for_use(c, obj);
  if (!e) return MESH_NOTFOUND;
  c->policy->on_remove(c, e);
  drop(c, e, false);
  DEBUG_CHECK(c);
  return MESH_OK;
}

void mesh_cache_foreach(const MeshCache *c,
                        void (*fn)(void *ud, uint64_t obj, uint32_t version, uint64_t size),
                        void *ud) {
  if (c->is_parked) { /* the list is the chains in index order */
    prefetch_slabs(c);
    for (const MeshCacheEntry *e = c->ix.parked; e; e = e->hnext)
      fn(ud, e->obj, e->version, e->size);
    return;
  }
  if (!c->log2_buckets) return;
  size_t nb = (size_t)1 << c->log2_buckets;
  for (size_t i = 0; i < nb; i++)
    for (MeshCacheEntry *e = c->ix.buckets[i]; e; e = e->hnext) fn(ud, e->obj, e->version, e->size);
}

void mesh_cache_park(MeshCache *c) {
  if (c->is_parked || !c->log2_buckets) return;
  MeshCacheEntry *head = NULL, **tail = &head;
  size_t nb = (size_t)1 << c->log2_buckets;
  for (size_t i = 0; i < nb; i++) /* concatenate the chains in index order */
    if (c->ix.buckets[i]) {
      *tail = c->ix.buckets[i];
      while (*tail) tail = &(*tail)->hnext;
    }
  mesh_free(c->alloc, c->ix.buckets, nb * sizeof *c->ix.buckets);
  c->ix.parked = head;
  c->is_parked = 1;
}

bool mesh_cache_parked(const MeshCache *c) { return c->is_parked; }

uint64_t mesh_cache_used(const MeshCache *c) { return c->used; }
size_t mesh_cache_count(const MeshCache *c) { return c->count; }
uint64_t mesh_cache_capacity(const MeshCache *c) { return c->capacity; }
MeshCacheUnit mesh_cache_unit(const MeshCache *c) { return (MeshCacheUnit)c->unit; }

size_t mesh_cache_memory(const MeshCache *c) {
  size_t m = sizeof(MeshCache) + ((c->policy->state_size + 7u) & ~(size_t)7u);
  if (c->log2_buckets && !c->is_parked) m += ((size_t)1 << c->log2_buckets) * sizeof *c->ix.buckets;
  for (const MeshCacheSlab *s = c->slabs; s; s = s->next)
    m += sizeof *s + (size_t)s->slots * c->entry_size;
  if (c->policy->memory) m += c->policy->memory(c);
  return m;
}

/* ---- checks ------------------------------------------------------------ */

bool cache_indexed(const MeshCache *c, const MeshCacheEntry *e) {
  return find(c, e->obj) == e;
}

long cache_list_check(const MeshCache *c, const CacheList *l, uint64_t *weight) {
  long n = 0;
  uint64_t w = 0;
  const MeshCacheEntry *prev = NULL;
  for (const MeshCacheEntry *e = l->head; e; e = e->next) {
    if (e->prev != prev) return -1;
    if (!cache_indexed(c, e)) return -1;
    if (++n > (long)c->count) return -1;
    w += cache_weight(c, e);
    prev = e;
  }
  if (l->tail != prev) return -1;
  if (weight) *weight = w;
  return n;
}

/* An entry met walking the index: the one find() gives for its object (no
 * duplicate), and counted with its weight. */
static bool check_indexed(const MeshCache *c, const MeshCacheEntry *e, uint64_t *n, uint64_t *w) {
  if (find(c, e->obj) != e || ++*n > c->count) return false;
  *w += cache_weight(c, e);
  return true;
}

bool mesh_cache_check(const MeshCache *c) {
  if (!c) return false;
  uint64_t n = 0, w = 0;
  if (c->is_parked) { /* the chains, one after the other in bucket order */
    if (!c->log2_buckets) return false;
    size_t last = 0;
    for (const MeshCacheEntry *e = c->ix.parked; e; e = e->hnext) {
      size_t b = bucket_of(e->obj, c->log2_buckets);
      if (b < last || !check_indexed(c, e, &n, &w)) return false;
      last = b;
    }
  } else if (c->log2_buckets) {
    size_t nb = (size_t)1 << c->log2_buckets;
    for (size_t i = 0; i < nb; i++)
      for (const MeshCacheEntry *e = c->ix.buckets[i]; e; e = e->hnext)
        if (bucket_of(e->obj, c->log2_buckets) != i || !check_indexed(c, e, &n, &w))
          return false;
  } else if (c->ix.buckets) {
    return false;
  }
  if (n != c->count || w != c->used || c->used > c->capacity) return false;
  uint64_t nfree = 0;
  for (const MeshCacheEntry *e = c->free; e; e = e->hnext)
    if (++nfree > c->slab_slots) return false;
  if (nfree + c->count != c->slab_slots) return false;
  uint64_t slots = 0;
  for (const MeshCacheSlab *s = c->slabs; s; s = s->next) slots += s->slots;
  if (slots != c->slab_slots) return false;
  return c->policy->check ? c->policy->check(c) : true;
}

/* ---- ghost lists ------------------------------------------------------- */

struct GhostNode {
  uint64_t obj;
  uint64_t weight;
  uint32_t prev, next;   /* index+1; head is newest */
  uint32_t hnext;        /* chain (index+1); free-list link while free */
  uint32_t pad_;
};

static inline struct GhostNode *gn(const CacheGhost *g, uint32_t i) { return &g->nodes[i - 1]; }

static uint32_t *ghost_chain(const CacheGhost *g, uint64_t obj) {
  return &g->buckets[bucket_of(obj, g->log2_buckets)];
}

void ghost_clear(CacheGhost *g, const MeshAllocator *a) {
  mesh_free(a, g->nodes, (size_t)g->cap * sizeof *g->nodes);
  if (g->buckets) mesh_free(a, g->buckets, ((size_t)1 << g->log2_buckets) * sizeof *g->buckets);
  memset(g, 0, sizeof *g);
}

static void ghost_unlink(CacheGhost *g, uint32_t i) {
  struct GhostNode *n = gn(g, i);
  uint32_t *p = ghost_chain(g, n->obj);
  while (*p != i) p = &gn(g, *p)->hnext;
  *p = n->hnext;
  if (n->prev) gn(g, n->prev)->next = n->next;
  else g->head = n->next;
  if (n->next) gn(g, n->next)->prev = n->prev;
  else g->tail = n->prev;
  g->count--;
  g->weight -= n->weight;
  n->hnext = g->free;
  g->free = i;
}

void ghost_push(CacheGhost *g, const MeshAllocator *a, uint64_t obj, uint64_t weight) {
  size_t nb = g->log2_buckets ? (size_t)1 << g->log2_buckets : 0;
  if ((size_t)g->count + 1 > nb) {
    unsigned nlog2 = g->log2_buckets ? g->log2_buckets + 1u : 3u;
    size_t nnb = (size_t)1 << nlog2;
    uint32_t *nbk = nlog2 <= 31 ? mesh_alloc0(a, nnb * sizeof *nbk) : NULL;
    if (nbk) {
      for (size_t b = 0; b < nb; b++) {
        uint32_t i = g->buckets[b];
        while (i) {
          uint32_t nx = gn(g, i)->hnext;
          size_t nbi = bucket_of(gn(g, i)->obj, nlog2);
          gn(g, i)->hnext = nbk[nbi];
          nbk[nbi] = i;
          i = nx;
        }
      }
      if (g->buckets) mesh_free(a, g->buckets, nb * sizeof *g->buckets);
      g->buckets = nbk;
      g->log2_buckets = nlog2;
    } else if (!g->buckets) {
      return;   /* no index at all: forget this ghost */
    }
  }
  uint32_t i = g->free;
  if (i) {
    g->free = gn(g, i)->hnext;
  } else {
    if (g->used_nodes == g->cap) {
      uint32_t ncap = g->cap ? g->cap * 2 : 8;
      if (ncap < g->cap) return;
      struct GhostNode *nn = mesh_realloc(a, g->nodes, (size_t)g->cap * sizeof *nn,
                                          (size_t)ncap * sizeof *nn);
      if (!nn) return;
      g->nodes = nn;
      g->cap = ncap;
    }
    i = ++g->used_nodes;
  }
  struct GhostNode *n = gn(g, i);
  n->obj = obj;
  n->weight = weight;
  n->prev = 0;
  n->next = g->head;
  if (g->head) gn(g, g->head)->prev = i;
  else g->tail = i;
  g->head = i;
  uint32_t *ch = ghost_chain(g, obj);
  n->hnext = *ch;
  *ch = i;
  g->count++;
  g->weight += weight;
}

bool ghost_take(CacheGhost *g, uint64_t obj, uint64_t *weight) {
  if (!g->count) return false;
  uint32_t i = *ghost_chain(g, obj);
  while (i && gn(g, i)->obj != obj) i = gn(g, i)->hnext;
  if (!i) return false;
  if (weight) *weight = gn(g, i)->weight;
  ghost_unlink(g, i);
  return true;
}

bool ghost_pop_oldest(CacheGhost *g) {
  if (!g->tail) return false;
  ghost_unlink(g, g->tail);
  return true;
}

bool ghost_check(const CacheGhost *g) {
  uint64_t n = 0, w = 0;
  uint32_t prev = 0;
  for (uint32_t i = g->head; i; i = gn(g, i)->next) {
    if (i > g->used_nodes || gn(g, i)->prev != prev) return false;
    if (++n > g->count) return false;
    w += gn(g, i)->weight;
    uint32_t j = *ghost_chain(g, gn(g, i)->obj);
    while (j && j != i) j = gn(g, j)->hnext;
    if (!j) return false;
    prev = i;
  }
  return prev == g->tail && n == g->count && w == g->weight;
}

size_t ghost_memory(const CacheGhost *g) {
  return (size_t)g->cap * sizeof *g->nodes +
         (g->buckets ? ((size_t)1 << g->log2_buckets) * sizeof *g->buckets : 0);
}
