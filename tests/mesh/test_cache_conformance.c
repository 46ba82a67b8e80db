/*
 * test_cache_conformance.c: every cache policy against the same contract.
 *
 *  - random operation streams (lookup, insert, request, remove, contains,
 *    version bumps) checked against a shadow of what must be cached, kept
 *    only from the API's answers and the eviction callback: capacity never
 *    exceeded, bytes accounted exactly, a stale version never served,
 *    mesh_cache_check() after every operation, in byte and object mode;
 *  - lru and fifo against naive array models: identical hits and evictions;
 *  - golden tiny traces with hit counts derived by hand in the comments.
 * Seeds come from g_test_rand_int(), so `--seed` replays a failure.
 */
#include "mesh/cache.h"

#include <glib.h>
#include <string.h>

#define UNIVERSE 48

typedef struct Shadow {
  bool present[UNIVERSE];
  uint32_t version[UNIVERSE];
  uint64_t size[UNIVERSE];
  uint64_t evicted_weight;
  unsigned evictions;
  bool objects;          /* object mode */
  uint64_t log[64];      /* last evictions (for the reference models) */
  unsigned nlog;
} Shadow;

static void shadow_evict(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  Shadow *s = ud;
  g_assert_cmpuint(obj, <, UNIVERSE);
  g_assert_true(s->present[obj]);
  g_assert_cmpuint(s->version[obj], ==, version);
  g_assert_cmpuint(s->size[obj], ==, size);
  s->present[obj] = false;
  s->evicted_weight += s->objects ? 1 : size;
  s->evictions++;
  if (s->nlog < G_N_ELEMENTS(s->log)) s->log[s->nlog++] = obj;
}

static void check_against_shadow(MeshCache *c, const Shadow *s) {
  g_assert_true(mesh_cache_check(c));
  uint64_t w = 0;
  size_t n = 0;
  for (unsigned i = 0; i < UNIVERSE; i++) {
    uint32_t v = 0;
    bool in = mesh_cache_contains(c, i, &v);
    g_assert_cmpint(in, ==, s->present[i]);
    if (in) {
      g_assert_cmpuint(v, ==, s->version[i]);
      w += s->objects ? 1 : s->size[i];
      n++;
    }
  }
  g_assert_cmpuint(mesh_cache_used(c), ==, w);
  g_assert_cmpuint(mesh_cache_count(c), ==, n);
  g_assert_cmpuint(mesh_cache_used(c), <=, mesh_cache_capacity(c));
}

static void foreach_count(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  (void)obj, (void)version, (void)size;
  (*(size_t *)ud)++;
}

static void run_stream(const char *policy, MeshCacheUnit unit, unsigned ops) {
  Shadow s = {.objects = unit == MESH_CACHE_OBJECTS};
  MeshCacheConfig cfg = {
    .policy = mesh_cache_policy_find(policy),
    .capacity = unit == MESH_CACHE_OBJECTS ? 10 : 120,
    .unit = unit,
    .on_evict = shadow_evict,
    .on_evict_ud = &s,
  };
  g_assert_nonnull(cfg.policy);
  MeshCache *c = mesh_cache_new(&cfg, NULL);
  g_assert_nonnull(c);
  uint32_t current[UNIVERSE] = {0};   /* the "origin's" version of each object */
  uint64_t inserted = 0, removed = 0;
  for (unsigned k = 0; k < ops; k++) {
    /* skewed object choice so that hits happen */
    unsigned a = (unsigned)g_test_rand_int_range(0, UNIVERSE);
    unsigned b = (unsigned)g_test_rand_int_range(0, UNIVERSE);
    unsigned o = MIN(a, b);
    MeshTime now = (MeshTime)k * 1000;
    int op = g_test_rand_int_range(0, 100);
    uint64_t size = (uint64_t)g_test_rand_int_range(0, 40);
    bool was = s.present[o];
    uint32_t was_v = s.version[o];
    if (op < 35) {                                   /* lookup of current */
      bool hit = mesh_cache_lookup(c, o, current[o], now);
      g_assert_cmpint(hit, ==, was && was_v == current[o]);
      if (was && was_v < current[o]) g_assert_false(s.present[o]);   /* invalidated */
    } else if (op < 45) {                            /* lookup of an old version */
      if (current[o] == 0) continue;
      bool hit = mesh_cache_lookup(c, o, current[o] - 1, now);
      g_assert_cmpint(hit, ==, was && was_v == current[o] - 1);
    } else if (op < 75) {                            /* insert current */
      MeshStatus st = mesh_cache_insert(c, o, current[o], size, now);
      uint64_t w = s.objects ? 1 : size;
      if (was && was_v == current[o]) {
        g_assert_cmpint(st, ==, MESH_OK);            /* hit: size unchanged */
      } else if (w > cfg.capacity) {
        g_assert_cmpint(st, ==, MESH_TOOBIG);
      } else {
        g_assert_cmpint(st, ==, MESH_OK);
        g_assert_false(s.present[o]);                /* old version reported */
        s.present[o] = true;
        s.version[o] = current[o];
        s.size[o] = size;
        inserted += w;
      }
    } else if (op < 85) {                            /* remove */
      MeshStatus st = mesh_cache_remove(c, o);
      g_assert_cmpint(st, ==, was ? MESH_OK : MESH_NOTFOUND);
      if (was) removed += s.objects ? 1 : s.size[o];
      s.present[o] = false;
    } else if (op < 92) {                            /* the origin updates */
      current[o]++;
    } else {                                         /* insert of an older version */
      if (!was || was_v == 0) continue;
      MeshStatus st = mesh_cache_insert(c, o, was_v - 1, size, now);
      g_assert_cmpint(st, ==, MESH_EXISTS);
    }
    check_against_shadow(c, &s);
    g_assert_cmpuint(inserted, ==, mesh_cache_used(c) + s.evicted_weight + removed);
  }
  size_t n = 0;
  mesh_cache_foreach(c, foreach_count, &n);
  g_assert_cmpuint(n, ==, mesh_cache_count(c));
  g_assert_cmpuint(s.evictions, >, 0);
  mesh_cache_free(c);
}

static void test_stream_bytes(gconstpointer data) { run_stream(data, MESH_CACHE_BYTES, 20000); }
static void test_stream_objects(gconstpointer data) { run_stream(data, MESH_CACHE_OBJECTS, 20000); }

/* Trace replay: capacity never exceeded with big, small and too-big sizes. */
static void test_request_toobig(gconstpointer data) {
  MeshCacheConfig cfg = {.policy = mesh_cache_policy_find(data), .capacity = 100};
  MeshCache *c = mesh_cache_new(&cfg, NULL);
  g_assert_false(mesh_cache_request(c, 1, 101, 0));
  g_assert_false(mesh_cache_contains(c, 1, NULL));
  g_assert_cmpint(mesh_cache_insert(c, 1, 0, 101, 0), ==, MESH_TOOBIG);
  g_assert_false(mesh_cache_request(c, 2, 100, 0));
  g_assert_true(mesh_cache_request(c, 2, 100, 1));
  g_assert_false(mesh_cache_request(c, 3, 1, 2));   /* evicts 2 */
  g_assert_false(mesh_cache_contains(c, 2, NULL));
  g_assert_cmpuint(mesh_cache_used(c), ==, 1);
  g_assert_true(mesh_cache_request(c, 3, 50, 3));   /* hit keeps size 1 */
  g_assert_cmpuint(mesh_cache_used(c), ==, 1);
  g_assert_true(mesh_cache_check(c));
  /* grow far beyond the first slab and the first index */
  MeshCacheConfig big = {.policy = cfg.policy, .capacity = 5000, .unit = MESH_CACHE_OBJECTS};
  MeshCache *d = mesh_cache_new(&big, NULL);
  for (uint64_t i = 0; i < 20000; i++) mesh_cache_request(d, i * 7919, 1, (MeshTime)i);
  g_assert_cmpuint(mesh_cache_count(d), ==, 5000);
  g_assert_true(mesh_cache_check(d));
  g_assert_cmpuint(mesh_cache_memory(d), <, 5000 * 160);
  mesh_cache_free(d);
  mesh_cache_free(c);
}

/* ---- reference models -------------------------------------------------- */

typedef struct RefEntry {
  uint64_t obj, size;
  uint32_t version;
} RefEntry;

typedef struct Ref {
  RefEntry e[UNIVERSE];   /* e[0] = next victim */
  unsigned n;
  uint64_t used, cap;
  bool lru;
  uint64_t log[64];
  unsigned nlog;
} Ref;

static int ref_find(const Ref *r, uint64_t obj) {
  for (unsigned i = 0; i < r->n; i++)
    if (r->e[i].obj == obj) return (int)i;
  return -1;
}

static void ref_del(Ref *r, unsigned i) {
  r->used -= r->e[i].size;
  memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof r->e[0]);
  r->n--;
}

static void ref_touch(Ref *r, unsigned i) {
  if (!r->lru) return;
  RefEntry t = r->e[i];
  memmove(&r->e[i], &r->e[i + 1], (r->n - i - 1) * sizeof r->e[0]);
  r->e[r->n - 1] = t;
}

static bool ref_lookup(Ref *r, uint64_t obj, uint32_t v) {
  int i = ref_find(r, obj);
  if (i < 0) return false;
  if (r->e[i].version == v) {
    ref_touch(r, (unsigned)i);
    return true;
  }
  if (r->e[i].version < v) {
    if (r->nlog < 64) r->log[r->nlog++] = obj;
    ref_del(r, (unsigned)i);
  }
  return false;
}

static MeshStatus ref_insert(Ref *r, uint64_t obj, uint32_t v, uint64_t size) {
  int i = ref_find(r, obj);
  if (i >= 0) {
    if (r->e[i].version == v) {
      ref_touch(r, (unsigned)i);
      return MESH_OK;
    }
    if (r->e[i].version > v) return MESH_EXISTS;
    if (r->nlog < 64) r->log[r->nlog++] = obj;
    ref_del(r, (unsigned)i);
  }
  if (size > r->cap) return MESH_TOOBIG;
  while (r->used + size > r->cap) {
    if (r->nlog < 64) r->log[r->nlog++] = r->e[0].obj;
    ref_del(r, 0);
  }
  r->e[r->n++] = (RefEntry){obj, size, v};
  r->used += size;
  return MESH_OK;
}

static void test_reference(gconstpointer data) {
  bool lru = strcmp(data, "lru") == 0;
  for (int round = 0; round < 20; round++) {
    Shadow s = {0};
    Ref r = {.cap = (uint64_t)g_test_rand_int_range(20, 200), .lru = lru};
    MeshCacheConfig cfg = {.policy = mesh_cache_policy_find(data), .capacity = r.cap,
                           .on_evict = shadow_evict, .on_evict_ud = &s};
    MeshCache *c = mesh_cache_new(&cfg, NULL);
    uint32_t current[UNIVERSE] = {0};
    for (int k = 0; k < 3000; k++) {
      unsigned o = (unsigned)MIN(g_test_rand_int_range(0, UNIVERSE), g_test_rand_int_range(0, UNIVERSE));
      uint64_t size = (uint64_t)g_test_rand_int_range(1, 50);
      int op = g_test_rand_int_range(0, 100);
      s.nlog = r.nlog = 0;
      /* a prefetch hint (any object, either depth) must change nothing the
       * reference does not also see: it runs before every operation */
      mesh_cache_prefetch(c, (uint64_t)g_test_rand_int_range(0, UNIVERSE), k & 1);
      if (op < 40) {
        g_assert_cmpint(mesh_cache_lookup(c, o, current[o], k), ==, ref_lookup(&r, o, current[o]));
      } else if (op < 50) {
        bool hit = mesh_cache_request(c, o, size, k);
        bool rhit = ref_lookup(&r, o, 0);
        if (!rhit && ref_find(&r, o) < 0) (void)ref_insert(&r, o, 0, size);
        g_assert_cmpint(hit, ==, rhit);
      } else if (op < 85) {
        g_assert_cmpint(mesh_cache_insert(c, o, current[o], size, k), ==,
                        ref_insert(&r, o, current[o], size));
      } else if (op < 92) {
        int i = ref_find(&r, o);
        g_assert_cmpint(mesh_cache_remove(c, o), ==, i >= 0 ? MESH_OK : MESH_NOTFOUND);
        if (i >= 0) ref_del(&r, (unsigned)i);
        s.present[o] = false;
      } else {
        current[o]++;
      }
      uint32_t v;
      if (mesh_cache_contains(c, o, &v)) {   /* keep the shadow for the callback */
        int i = ref_find(&r, o);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpuint(r.e[i].version, ==, v);
        s.present[o] = true;
        s.version[o] = v;
        s.size[o] = r.e[i].size;
      }
      g_assert_cmpuint(s.nlog, ==, r.nlog);
      for (unsigned j = 0; j < s.nlog; j++) g_assert_cmpuint(s.log[j], ==, r.log[j]);
      g_assert_cmpuint(mesh_cache_used(c), ==, r.used);
      g_assert_cmpuint(mesh_cache_count(c), ==, r.n);
      g_assert_true(mesh_cache_check(c));
    }
    mesh_cache_free(c);
  }
}

/* ---- golden traces ----------------------------------------------------- */

/* Trace 1 2 3 1 4 2 5 1 3 6 1 2, capacity 3 objects. Hand derivations:
 * lru:   hits at 1(t4), 1(t11)                                      = 2
 * fifo:  [1 2 3] 1h, 4 evicts 1, 2h, 5 ev 2, 1 ev 3, 3 ev 4, 6 ev 5, 1h,
 *        2 ev 1                                                    = 3
 * clock: 1 gets its bit at t4; t5: 1 second chance, 2 evicted; 3, 1, 4, 2
 *        and 5 evicted in turn by 2 5 1 3 6; t11 1h sets the bit; t12: 1
 *        spared, 3 evicted                                           = 2
 * sieve: t5 hand passes 1 (clears), evicts 2, hand on 3; t6 evicts 3; t7
 *        evicts 4; t8 1h; t9 evicts 2; t10 evicts 5; t11 1h; t12 evicts 3
 *                                                                    = 3
 * lfu:   1 reaches 2 at t4; evictions 2 3 4 2 5 3 (oldest at freq 1);
 *        1 hits at t4 t8 t11                                         = 3
 * s3fifo: small target floor(0.3) = 0, ghost 2 objects: t5 evicts 1 (one
 *        hit < 2) to G; t6 2h; t7 evicts 2; t8 evicts 3, G drops 1, 1 into
 *        S; t9 evicts 4 (G drops 2), 3 found in G goes to M; t10 evicts 5;
 *        t11 1h; t12 evicts 1 (1 hit)                                = 3
 * gdsf:  object mode: H = L + freq; t5 evicts 2 (L=1); t6 3; t7 1 (H 2,
 *        oldest); t8 4 (L=2); t9 2; t10 5 (L=3); t11 1h; t12 3       = 2
 * arc:   t4 1h (to T2); t5 2 to B1; t6 2 from B1 (p=1) into T2, 3 to
 *        B1; t7 1 to B2; t8 1 from B2 (p=0), 4 to B1; t9 3 from B1 (p=1),
 *        2 to B2; t10 1 to B2; t11 1 from B2 (p=0), 5 to B1; t12 2 from
 *        B2, 6 to B1: the only hit is t4                             = 1 */
static void test_golden(void) {
  static const uint64_t trace[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 6, 1, 2};
  static const struct { const char *policy; unsigned hits; } want[] = {
    {"lru", 2}, {"fifo", 3}, {"clock", 2}, {"sieve", 3},
    {"lfu", 3}, {"s3fifo", 3}, {"gdsf", 2}, {"arc", 1},
  };
  for (size_t p = 0; p < G_N_ELEMENTS(want); p++) {
    MeshCacheConfig cfg = {.policy = mesh_cache_policy_find(want[p].policy),
                           .capacity = 3, .unit = MESH_CACHE_OBJECTS};
    MeshCache *c = mesh_cache_new(&cfg, NULL);
    unsigned hits = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(trace); i++) {
      hits += mesh_cache_request(c, trace[i], 100, (MeshTime)i);
      g_assert_true(mesh_cache_check(c));
    }
    if (hits != want[p].hits) g_test_message("policy %s: %u hits", want[p].policy, hits);
    g_assert_cmpuint(hits, ==, want[p].hits);
    mesh_cache_free(c);
  }
}

/* Byte-mode golden for s3fifo with a real small queue: capacity 10, unit
 * sizes, small target 1, ghost 9. Trace: 1 1 1 2..10 11 1 12 2.
 * 1 gets 2 hits in S; 2..10 fill the cache (10 objects, S holds all).
 * 11: S's oldest is 1 with 2 hits -> moves to M; then 2 (0 hits) is evicted
 * into G. 1 (t14) hits in M. 12: S (8 objects >= 1) evicts 3. 2 (t16) is
 * in G, goes to M after evicting 4 from S. Hits: t2 t3 t14 = 3; 2 in M. */
static void test_golden_s3fifo(void) {
  static const uint64_t trace[] = {1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 12, 2};
  MeshCacheConfig cfg = {.policy = mesh_cache_policy_find("s3fifo"), .capacity = 10};
  MeshCache *c = mesh_cache_new(&cfg, NULL);
  unsigned hits = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(trace); i++) {
    hits += mesh_cache_request(c, trace[i], 1, (MeshTime)i);
    g_assert_true(mesh_cache_check(c));
  }
  g_assert_cmpuint(hits, ==, 3);
  g_assert_true(mesh_cache_contains(c, 1, NULL));
  g_assert_true(mesh_cache_contains(c, 2, NULL));
  g_assert_false(mesh_cache_contains(c, 3, NULL));
  g_assert_false(mesh_cache_contains(c, 4, NULL));
  /* the next misses evict from S (5, 6 ...) not 1 or 2 in M */
  mesh_cache_request(c, 13, 1, 20);
  g_assert_false(mesh_cache_contains(c, 5, NULL));
  g_assert_true(mesh_cache_contains(c, 2, NULL));
  mesh_cache_free(c);
}

static void test_registry(void) {
  const char *const *names = mesh_cache_policy_names();
  unsigned n = 0;
  for (; names[n]; n++) {
    const MeshCachePolicy *p = mesh_cache_policy_find(names[n]);
    g_assert_nonnull(p);
    g_assert_cmpstr(mesh_cache_policy_name(p), ==, names[n]);
  }
  g_assert_cmpuint(n, ==, 8);
  g_assert_null(mesh_cache_policy_find("nope"));
  MeshCacheConfig bad = {.policy = mesh_cache_policy_find("clock"), .capacity = 1,
                         .params = {.clock_bits = 9}};
  g_assert_null(mesh_cache_new(&bad, NULL));
  bad.params.clock_bits = 2;
  MeshCache *c = mesh_cache_new(&bad, NULL);
  g_assert_nonnull(c);
  mesh_cache_free(c);
}

/* ---- parking -------------------------------------------------------- */

/* What a cache did, as seen from outside: evictions and foreach orders. */
typedef struct Trail {
  uint64_t log[1 << 14];
  unsigned n;
} Trail;

static void trail_add(Trail *t, uint64_t x) {
  if (t->n < G_N_ELEMENTS(t->log)) t->log[t->n++] = x;
}
static void trail_evict(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  trail_add(ud, obj << 40 ^ (uint64_t)version << 20 ^ size);
}
static void trail_each(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  trail_add(ud, UINT64_C(1) << 63 ^ obj << 40 ^ (uint64_t)version << 20 ^ size);
}

/* An allocator that fails while *fail is set (to park a cache that then
 * cannot rebuild its index). */
static void *flaky_alloc(void *ud, size_t size) { return *(bool *)ud ? NULL : g_malloc(size); }
static void *flaky_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  (void)old_size;
  return *(bool *)ud ? NULL : g_realloc(p, new_size);
}
static void flaky_free(void *ud, void *p, size_t size) {
  (void)ud, (void)size;
  g_free(p);
}

/* A cache parked at random moments against its twin that never is: the
 * same answers, evictions and foreach order after every operation, the
 * index given back while parked, and (flaky) parked caches whose rebuild
 * fails still answer lookups and removals from the list, while inserts
 * fail with MESH_NOMEM. */
static void run_park(const char *policy, MeshCacheUnit unit, bool flaky) {
  static Trail ta, tb; /* 128 KB each: not on the stack */
  ta.n = tb.n = 0;
  bool fail = false;
  MeshAllocator fa = {flaky_alloc, flaky_realloc, flaky_free, &fail};
  MeshCacheConfig cfg = {
    .policy = mesh_cache_policy_find(policy),
    .capacity = unit == MESH_CACHE_OBJECTS ? 24 : 300,
    .unit = unit,
    .on_evict = trail_evict,
  };
  g_assert_nonnull(cfg.policy);
  cfg.on_evict_ud = &ta;
  MeshCache *a = mesh_cache_new(&cfg, NULL);
  cfg.on_evict_ud = &tb;
  MeshCache *b = mesh_cache_new(&cfg, flaky ? &fa : NULL);
  g_assert_nonnull(a);
  g_assert_nonnull(b);
  uint32_t current[UNIVERSE] = {0};
  unsigned parks = 0, parked_ops = 0;
  for (unsigned k = 0; k < 20000; k++) {
    unsigned o = MIN((unsigned)g_test_rand_int_range(0, UNIVERSE),
                     (unsigned)g_test_rand_int_range(0, UNIVERSE));
    MeshTime now = (MeshTime)k * 1000;
    int op = g_test_rand_int_range(0, 100);
    uint64_t size = (uint64_t)g_test_rand_int_range(1, 40);
    if (op < 4) {
      size_t before = mesh_cache_memory(b);
      bool had_index = mesh_cache_count(b) > 0 && !mesh_cache_parked(b);
      mesh_cache_park(b);
      if (had_index) {
        g_assert_cmpuint(mesh_cache_memory(b), <, before);
        parks++;
      }
      fail = flaky && g_test_rand_bit();
      continue;
    }
    if (!mesh_cache_parked(b)) fail = false; /* only a parked cache's rebuild fails */
    if (mesh_cache_parked(b)) parked_ops++;
    if (op < 40) {
      g_assert_cmpint(mesh_cache_lookup(a, o, current[o], now), ==,
                      mesh_cache_lookup(b, o, current[o], now));
    } else if (op < 70) {
      uint32_t v = 0;
      bool hit = mesh_cache_contains(a, o, &v) && v == current[o];
      if (fail && !hit) {
        /* b cannot rebuild its index: an older version is invalidated
         * (reported), then the insert fails; a lookup does the former */
        g_assert_cmpint(mesh_cache_insert(b, o, current[o], size, now), ==, MESH_NOMEM);
        g_assert_false(mesh_cache_lookup(a, o, current[o], now));
        g_assert_true(mesh_cache_parked(b));
      } else {
        g_assert_cmpint(mesh_cache_insert(a, o, current[o], size, now), ==,
                        mesh_cache_insert(b, o, current[o], size, now));
      }
    } else if (op < 80) {
      g_assert_cmpint(mesh_cache_remove(a, o), ==, mesh_cache_remove(b, o));
    } else if (op < 88) {
      uint32_t va = 0, vb = 0;
      g_assert_cmpint(mesh_cache_contains(a, o, &va), ==, mesh_cache_contains(b, o, &vb));
      g_assert_cmpuint(va, ==, vb);
    } else if (op < 95) {
      mesh_cache_foreach(a, trail_each, &ta);
      mesh_cache_foreach(b, trail_each, &tb);
    } else {
      current[o]++;
    }
    g_assert_true(mesh_cache_check(b));
    g_assert_cmpuint(mesh_cache_count(a), ==, mesh_cache_count(b));
    g_assert_cmpuint(mesh_cache_used(a), ==, mesh_cache_used(b));
    g_assert_cmpuint(ta.n, ==, tb.n);
    g_assert_cmpmem(ta.log, ta.n * sizeof ta.log[0], tb.log, tb.n * sizeof tb.log[0]);
    if (ta.n > G_N_ELEMENTS(ta.log) / 2) ta.n = tb.n = 0;
  }
  g_assert_cmpuint(parks, >, 100);
  g_assert_cmpuint(parked_ops, >, 500);
  fail = false;
  mesh_cache_free(a);
  mesh_cache_free(b);
}

static void test_park_bytes(gconstpointer data) { run_park(data, MESH_CACHE_BYTES, false); }
static void test_park_objects(gconstpointer data) { run_park(data, MESH_CACHE_OBJECTS, false); }
static void test_park_nomem(gconstpointer data) { run_park(data, MESH_CACHE_OBJECTS, true); }

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache/registry", test_registry);
  g_test_add_func("/cache/golden", test_golden);
  g_test_add_func("/cache/golden-s3fifo", test_golden_s3fifo);
  /* every policy runs every contract test */
  static const struct {
    const char *name;
    GTestDataFunc fn;
  } per_policy[] = {
      {"stream-bytes", test_stream_bytes},   {"stream-objects", test_stream_objects},
      {"park-bytes", test_park_bytes},       {"park-objects", test_park_objects},
      {"park-nomem", test_park_nomem},       {"toobig-and-growth", test_request_toobig},
  };
  for (const char *const *n = mesh_cache_policy_names(); *n; n++)
    for (size_t t = 0; t < G_N_ELEMENTS(per_policy); t++) {
      char *p = g_strdup_printf("/cache/%s/%s", *n, per_policy[t].name);
      g_test_add_data_func(p, *n, per_policy[t].fn);
      g_free(p);
    }
  g_test_add_data_func("/cache/lru/reference", "lru", test_reference);
  g_test_add_data_func("/cache/fifo/reference", "fifo", test_reference);
  return g_test_run();
}
