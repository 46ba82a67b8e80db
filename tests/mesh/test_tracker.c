/*
 * test_tracker.c: the tracker against a naive model (random operation
 * streams), the fairness of its sampling (chi-square against the uniform
 * law), its failure paths under an allocator that runs out, and its memory
 * per holding.
 */
#include "mesh/tracker.h"

#include <glib.h>
#include <math.h>
#include <string.h>

static uint64_t splitmix(void *state) {
  uint64_t *s = state;
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* ---- naive model ------------------------------------------------------ */

enum { NP = 48, NNET = 9, NOBJ = 10, NVER = 2, NKEY = NOBJ * NVER, KMAX = 8 };

typedef struct Model {
  bool online[NP];
  uint32_t net[NP], cty[NP];
  bool holds[NP][NKEY];
} Model;

static uint32_t country_of_net(uint32_t n) { return n % 3; }

static MeshTier model_tier(const Model *m, uint32_t q, uint32_t rn, uint32_t rc) {
  if (m->net[q] == rn) return MESH_TIER_SAME_NETWORK;
  if (m->cty[q] == rc) return MESH_TIER_SAME_COUNTRY;
  return MESH_TIER_OTHER;
}

static void check_query(MeshTracker *t, const Model *m, MeshRng *rng, uint32_t req, uint32_t rn,
                        uint32_t rc, int key, size_t k) {
  uint32_t out[KMAX + 1];
  MeshTier tiers[KMAX + 1];
  size_t n = mesh_tracker_query(t, (uint64_t)(key / NVER) * 1000003u, (uint32_t)(key % NVER), req,
                                rn, rc, k, rng, out, tiers);
  size_t avail[3] = {0, 0, 0};
  for (uint32_t q = 0; q < NP; q++)
    if (m->online[q] && m->holds[q][key] && q != req) avail[model_tier(m, q, rn, rc)]++;
  size_t expect[3], left = k, total = 0;
  for (int i = 0; i < 3; i++) {
    expect[i] = MIN(left, avail[i]);
    left -= expect[i];
    total += expect[i];
  }
  g_assert_cmpuint(n, ==, total);
  size_t got[3] = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    uint32_t q = out[i];
    g_assert_cmpuint(q, <, NP);
    g_assert_cmpuint(q, !=, req);
    g_assert_true(m->online[q] && m->holds[q][key]);
    g_assert_cmpint(tiers[i], ==, model_tier(m, q, rn, rc));
    if (i > 0) g_assert_cmpint(tiers[i - 1], <=, tiers[i]);
    for (size_t j = 0; j < i; j++) g_assert_cmpuint(out[j], !=, q);
    got[tiers[i]]++;
  }
  for (int i = 0; i < 3; i++) g_assert_cmpuint(got[i], ==, expect[i]);
}

static void test_against_model(void) {
  for (uint64_t seed = 1; seed <= 12; seed++) {
    uint64_t st = seed;
    MeshRng rng = {splitmix, &st};
    MeshTracker *t = mesh_tracker_new(NULL);
    g_assert_nonnull(t);
    Model m;
    memset(&m, 0, sizeof m);
    for (int op = 0; op < 6000; op++) {
      uint32_t p = (uint32_t)mesh_rng_below(&rng, NP);
      int key = (int)mesh_rng_below(&rng, NKEY);
      uint64_t obj = (uint64_t)(key / NVER) * 1000003u;
      uint32_t ver = (uint32_t)(key % NVER);
      uint64_t r = mesh_rng_below(&rng, 100);
      if (r < 10) {
        uint32_t n = (uint32_t)mesh_rng_below(&rng, NNET);
        MeshStatus s = mesh_tracker_join(t, p, n, country_of_net(n));
        g_assert_cmpint(s, ==, m.online[p] ? MESH_EXISTS : MESH_OK);
        if (!m.online[p]) {
          m.online[p] = true;
          m.net[p] = n;
          m.cty[p] = country_of_net(n);
        }
        /* a network never changes country */
        if (s == MESH_OK)
          g_assert_cmpint(mesh_tracker_join(t, NP + 1, n, country_of_net(n) + 1), ==, MESH_INVAL);
      } else if (r < 16) {
        mesh_tracker_leave(t, p);
        m.online[p] = false;
        memset(m.holds[p], 0, sizeof m.holds[p]);
      } else if (r < 50) {
        MeshStatus s = mesh_tracker_announce(t, p, obj, ver);
        g_assert_cmpint(s, ==, !m.online[p] ? MESH_INVAL : m.holds[p][key] ? MESH_EXISTS : MESH_OK);
        if (s == MESH_OK) m.holds[p][key] = true;
      } else if (r < 70) {
        mesh_tracker_withdraw(t, p, obj, ver);
        m.holds[p][key] = false;
      } else {
        size_t k = (size_t)mesh_rng_below(&rng, KMAX + 1);
        uint32_t rn, rc;
        uint64_t how = mesh_rng_below(&rng, 10);
        if (how < 7 && m.online[p]) { /* its own place */
          rn = m.net[p];
          rc = m.cty[p];
        } else if (how < 9) { /* another consistent place, or a new network */
          rn = (uint32_t)mesh_rng_below(&rng, NNET + 2);
          rc = country_of_net(rn);
        } else { /* a network the caller places in another country */
          rn = (uint32_t)mesh_rng_below(&rng, NNET);
          rc = (country_of_net(rn) + 1) % 3;
        }
        mesh_tracker_prefetch(t, obj, ver, rn, rc); /* hints: change nothing */
        mesh_tracker_prefetch_key(t, obj, ver, p);
        mesh_tracker_prefetch_holding(t, obj, ver, p);
        check_query(t, &m, &rng, p, rn, rc, key, k);
      }
      size_t holdings = 0, holders = 0;
      for (uint32_t q = 0; q < NP; q++)
        for (int j = 0; j < NKEY; j++) {
          holdings += m.holds[q][j];
          holders += m.holds[q][j] && j == key;
        }
      g_assert_cmpuint(mesh_tracker_holdings(t), ==, holdings);
      g_assert_cmpuint(mesh_tracker_holders(t, obj, ver), ==, holders);
      g_assert_cmpint(mesh_tracker_holds(t, p, obj, ver), ==, m.holds[p][key]);
      g_assert_cmpint(mesh_tracker_online(t, p), ==, m.online[p]);
      g_assert_true(mesh_tracker_check(t));
    }
    mesh_tracker_free(t);
  }
}

/* ---- fairness ---------------------------------------------------------- */

/* Chi-square statistic of counts against equal expectations. */
static double chi_square(const unsigned *counts, size_t n, unsigned draws) {
  double e = (double)draws / (double)n, x = 0;
  for (size_t i = 0; i < n; i++) x += ((double)counts[i] - e) * ((double)counts[i] - e) / e;
  return x;
}

/* Upper 0.1 % point of chi-square with df degrees of freedom
 * (Wilson-Hilferty; accurate to a few percent for df >= 3). */
static double chi_square_crit(double df) {
  double z = 3.090, a = 2.0 / (9.0 * df);
  double c = 1.0 - a + z * sqrt(a);
  return df * c * c * c;
}

/* Peers 0..4 in network 0 (country 0), 5..11 in network 3 (country 0),
 * 12..31 in networks 1, 2, 4, 5 (countries 1, 2). */
static MeshTracker *fair_setup(void) {
  MeshTracker *t = mesh_tracker_new(NULL);
  for (uint32_t p = 0; p < 32; p++) {
    uint32_t n = p < 5 ? 0 : p < 12 ? 3 : (uint32_t[]){1, 2, 4, 5}[p % 4];
    g_assert_cmpint(mesh_tracker_join(t, p, n, n % 3), ==, MESH_OK);
    g_assert_cmpint(mesh_tracker_announce(t, p, 77, 1), ==, MESH_OK);
    g_assert_cmpint(mesh_tracker_announce(t, p, 78, 1), ==, MESH_OK); /* noise */
  }
  return t;
}

static void assert_uniform_pick(MeshTracker *t, uint32_t req, uint32_t rn, uint32_t rc,
                                uint32_t lo, uint32_t hi, MeshTier tier, size_t k) {
  uint64_t st = 99;
  MeshRng rng = {splitmix, &st};
  unsigned counts[32] = {0};
  const unsigned draws = 40000;
  for (unsigned i = 0; i < draws; i++) {
    uint32_t out[8];
    MeshTier tiers[8];
    size_t n = mesh_tracker_query(t, 77, 1, req, rn, rc, k, &rng, out, tiers);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpint(tiers[0], ==, tier);
    g_assert_cmpuint(out[0], >=, lo);
    g_assert_cmpuint(out[0], <, hi);
    counts[out[0] - lo]++;
  }
  size_t cats = hi - lo;
  if (req >= lo && req < hi) {
    g_assert_cmpuint(counts[req - lo], ==, 0);
    memmove(&counts[req - lo], &counts[req - lo + 1], (hi - req - 1) * sizeof counts[0]);
    cats--;
  }
  double x = chi_square(counts, cats, draws);
  g_assert_cmpfloat(x, <, chi_square_crit((double)cats - 1));
}

static void test_fair_k1(void) {
  MeshTracker *t = fair_setup();
  /* a requester in network 0 (a holder itself): uniform over peers 1..4 */
  assert_uniform_pick(t, 0, 0, 0, 0, 5, MESH_TIER_SAME_NETWORK, 1);
  /* a requester from outside in network 0 */
  assert_uniform_pick(t, 500, 0, 0, 0, 5, MESH_TIER_SAME_NETWORK, 1);
  /* in network 6 of country 0, no holder there: uniform over the country */
  assert_uniform_pick(t, 500, 6, 0, 0, 12, MESH_TIER_SAME_COUNTRY, 1);
  /* country 7, nobody near: uniform over all 32 */
  assert_uniform_pick(t, 500, 7, 7, 0, 32, MESH_TIER_OTHER, 1);
  /* the first of several picks is uniform too, whether the tier is taken
   * whole (k = 6 > 5 holders) or sampled (k = 3) */
  assert_uniform_pick(t, 500, 0, 0, 0, 5, MESH_TIER_SAME_NETWORK, 6);
  assert_uniform_pick(t, 500, 6, 0, 0, 12, MESH_TIER_SAME_COUNTRY, 3);
  /* after peers leave, the pick stays uniform over who remains */
  mesh_tracker_leave(t, 0);
  mesh_tracker_leave(t, 1);
  mesh_tracker_withdraw(t, 2, 77, 1);
  mesh_tracker_withdraw(t, 3, 77, 1);
  assert_uniform_pick(t, 500, 7, 7, 4, 32, MESH_TIER_OTHER, 1); /* would fail if 0..3 */
  /* the country group now has 4 holes among its 12 slots: sampled and
   * taken-whole picks skip them and stay uniform */
  assert_uniform_pick(t, 500, 6, 0, 4, 12, MESH_TIER_SAME_COUNTRY, 1);
  assert_uniform_pick(t, 500, 6, 0, 4, 12, MESH_TIER_SAME_COUNTRY, 8);
  g_assert_true(mesh_tracker_check(t));
  mesh_tracker_free(t);
}

static void test_fair_inclusion(void) {
  /* k = 4 of the 20 holders of tier OTHER: each is included with
   * probability 4/20; counts within 5 standard deviations. */
  MeshTracker *t = fair_setup();
  uint64_t st = 5;
  MeshRng rng = {splitmix, &st};
  unsigned counts[32] = {0};
  const unsigned draws = 20000;
  for (unsigned i = 0; i < draws; i++) {
    /* country 0 holds 12: a requester there with k = 16 takes all 12 and
     * samples 4 of the 20 others */
    uint32_t big[16];
    size_t n = mesh_tracker_query(t, 77, 1, 500, 0, 0, 16, &rng, big, NULL);
    g_assert_cmpuint(n, ==, 16);
    for (size_t j = 12; j < 16; j++) counts[big[j]]++;
    for (size_t j = 0; j < 12; j++) g_assert_cmpuint(big[j], <, 12);
  }
  double p = 4.0 / 20.0, e = draws * p, sd = sqrt(draws * p * (1 - p));
  for (uint32_t q = 12; q < 32; q++) {
    g_assert_cmpfloat(fabs(counts[q] - e), <, 5 * sd);
  }
  mesh_tracker_free(t);
}

/* ---- failure paths ----------------------------------------------------- */

typedef struct Budget {
  long left;
} Budget;

static void *budget_alloc(void *ud, size_t size) {
  Budget *b = ud;
  if (b->left-- <= 0) return NULL;
  return g_malloc(size);
}

static void *budget_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  (void)old_size;
  Budget *b = ud;
  if (b->left-- <= 0) return NULL;
  return g_realloc(p, new_size);
}

static void budget_free(void *ud, void *p, size_t size) {
  (void)ud;
  (void)size;
  g_free(p);
}

static void test_out_of_memory(void) {
  /* With every allocation budget from 0 to 400, a stream of joins and
   * announces either succeeds or fails with MESH_NOMEM leaving a consistent
   * tracker without the failed holding. */
  for (long budget = 0; budget < 400; budget += 7) {
    Budget b = {1 + budget};
    MeshAllocator a = {budget_alloc, budget_realloc, budget_free, &b};
    MeshTracker *t = mesh_tracker_new(&a);
    g_assert_nonnull(t);
    uint64_t st = (uint64_t)budget;
    MeshRng rng = {splitmix, &st};
    for (int i = 0; i < 300; i++) {
      uint32_t p = (uint32_t)mesh_rng_below(&rng, 40);
      uint32_t n = (uint32_t)mesh_rng_below(&rng, 6);
      MeshStatus s = mesh_tracker_join(t, p, n, n % 2);
      g_assert_true(s == MESH_OK || s == MESH_EXISTS || s == MESH_NOMEM);
      uint64_t obj = mesh_rng_below(&rng, 30);
      s = mesh_tracker_announce(t, p, obj, 0);
      g_assert_true(s == MESH_OK || s == MESH_EXISTS || s == MESH_INVAL || s == MESH_NOMEM);
      if (s == MESH_NOMEM) g_assert_false(mesh_tracker_holds(t, p, obj, 0));
      if (s == MESH_OK) g_assert_true(mesh_tracker_holds(t, p, obj, 0));
      if (i % 5 == 0) mesh_tracker_leave(t, (uint32_t)mesh_rng_below(&rng, 40));
      g_assert_true(mesh_tracker_check(t));
    }
    mesh_tracker_free(t);
  }
}

static void test_edges(void) {
  MeshTracker *t = mesh_tracker_new(NULL);
  uint64_t st = 1;
  MeshRng rng = {splitmix, &st};
  uint32_t out[4];
  /* the prefetch hint is harmless on an empty tracker, for any tag */
  mesh_tracker_prefetch(t, 1, 0, 0, 0);
  mesh_tracker_prefetch(t, 1, 0, UINT32_MAX, UINT32_MAX);
  mesh_tracker_prefetch_key(t, 1, 0, 0);
  mesh_tracker_prefetch_key(t, 1, 0, UINT32_MAX);
  mesh_tracker_prefetch_holding(t, 1, 0, 0);
  mesh_tracker_prefetch_holding(t, 1, 0, UINT32_MAX);
  g_assert_true(mesh_tracker_check(t));
  g_assert_cmpuint(mesh_tracker_query(t, 1, 0, 0, 0, 0, 4, &rng, out, NULL), ==, 0);
  g_assert_cmpint(mesh_tracker_announce(t, 3, 1, 0), ==, MESH_INVAL); /* not online */
  g_assert_cmpint(mesh_tracker_join(t, UINT32_MAX, 0, 0), ==, MESH_INVAL);
  g_assert_cmpint(mesh_tracker_join(t, UINT32_C(0x80000000), 0, 0), ==, MESH_INVAL);
  g_assert_cmpint(mesh_tracker_join(t, 100000, 7, 1), ==, MESH_OK); /* sparse id grows */
  g_assert_cmpint(mesh_tracker_announce(t, 100000, UINT64_MAX, UINT32_MAX), ==, MESH_OK);
  /* the only holder asking for its own object finds nobody */
  g_assert_cmpuint(mesh_tracker_query(t, UINT64_MAX, UINT32_MAX, 100000, 7, 1, 4, &rng, out, NULL),
                   ==, 0);
  g_assert_cmpuint(mesh_tracker_query(t, UINT64_MAX, UINT32_MAX, 5, 7, 1, 0, &rng, out, NULL), ==,
                   0);
  g_assert_cmpuint(mesh_tracker_query(t, UINT64_MAX, UINT32_MAX, 5, 7, 1, 4, &rng, out, NULL), ==,
                   1);
  g_assert_cmpuint(mesh_tracker_query(t, UINT64_MAX, 0, 5, 7, 1, 4, &rng, out, NULL), ==, 0);
  /* leave and rejoin elsewhere: the holdings are gone */
  mesh_tracker_leave(t, 100000);
  mesh_tracker_leave(t, 100000);
  g_assert_cmpuint(mesh_tracker_holdings(t), ==, 0);
  g_assert_cmpint(mesh_tracker_join(t, 100000, 8, 2), ==, MESH_OK);
  g_assert_false(mesh_tracker_holds(t, 100000, UINT64_MAX, UINT32_MAX));
  g_assert_cmpuint(mesh_tracker_online_count(t), ==, 1);
  g_assert_true(mesh_tracker_check(t));
  mesh_tracker_free(t);
}

/* After mesh_tracker_reserve(n) the peer's next n announces allocate
 * nothing: with the allocator exhausted they still succeed where the keys
 * and their groups have room (here: four holders in groups of five
 * slots), and fail without the reservation. */
static void test_reserve(void) {
  enum { NK = 20 };
  for (int reserve = 0; reserve < 2; reserve++) {
    Budget b = {100000};
    MeshAllocator a = {budget_alloc, budget_realloc, budget_free, &b};
    MeshTracker *t = mesh_tracker_new(&a);
    g_assert_cmpint(mesh_tracker_reserve(t, 9, 4), ==, MESH_INVAL); /* not online */
    for (uint32_t p = 0; p < 5; p++) g_assert_cmpint(mesh_tracker_join(t, p, 0, 0), ==, MESH_OK);
    for (uint32_t p = 0; p < 4; p++)
      for (uint64_t k = 0; k < NK; k++)
        g_assert_cmpint(mesh_tracker_announce(t, p, k, 0), ==, MESH_OK);
    if (reserve) g_assert_cmpint(mesh_tracker_reserve(t, 4, NK), ==, MESH_OK);
    b.left = 0;
    MeshStatus want = reserve ? MESH_OK : MESH_NOMEM;
    g_assert_cmpint(mesh_tracker_announce(t, 4, 0, 0), ==, want);
    for (uint64_t k = 1; reserve && k < NK; k++)
      g_assert_cmpint(mesh_tracker_announce(t, 4, k, 0), ==, MESH_OK);
    g_assert_cmpuint(mesh_tracker_holdings(t), ==, 4 * NK + (reserve ? NK : 0));
    g_assert_true(mesh_tracker_check(t));
    mesh_tracker_free(t);
  }
}

/* A key's first holder lives in the key (solo) until a second arrives:
 * queries give it its tier without groups, a promotion that runs out of
 * memory leaves the key solo and the newcomer out, and a promoted key
 * answers as if it had had groups all along. */
static void test_solo(void) {
  Budget b = {1000};
  MeshAllocator a = {budget_alloc, budget_realloc, budget_free, &b};
  MeshTracker *t = mesh_tracker_new(&a);
  uint64_t st = 5;
  MeshRng rng = {splitmix, &st};
  uint32_t out[4];
  MeshTier tiers[4];
  g_assert_cmpint(mesh_tracker_join(t, 1, 10, 1), ==, MESH_OK);
  g_assert_cmpint(mesh_tracker_join(t, 2, 11, 1), ==, MESH_OK);
  g_assert_cmpint(mesh_tracker_join(t, 3, 20, 2), ==, MESH_OK);
  g_assert_cmpint(mesh_tracker_announce(t, 1, 77, 0), ==, MESH_OK);
  size_t mem_solo = mesh_tracker_memory_bytes(t);
  g_assert_true(mesh_tracker_check(t));
  /* its own query finds nobody; each tier from where the asker sits */
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 1, 10, 1, 4, &rng, out, tiers), ==, 0);
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 9, 10, 1, 4, &rng, out, tiers), ==, 1);
  g_assert_true(out[0] == 1 && tiers[0] == MESH_TIER_SAME_NETWORK);
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 2, 11, 1, 4, &rng, out, tiers), ==, 1);
  g_assert_true(out[0] == 1 && tiers[0] == MESH_TIER_SAME_COUNTRY);
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 3, 20, 2, 4, &rng, out, tiers), ==, 1);
  g_assert_true(out[0] == 1 && tiers[0] == MESH_TIER_OTHER);
  /* the promotion's first group allocation fails (2's holding table has
   * room already, from a key of its own): still solo, 2 left out */
  g_assert_cmpint(mesh_tracker_announce(t, 2, 90, 0), ==, MESH_OK);
  b.left = 0;
  g_assert_cmpint(mesh_tracker_announce(t, 2, 77, 0), ==, MESH_NOMEM);
  g_assert_true(mesh_tracker_check(t));
  g_assert_false(mesh_tracker_holds(t, 2, 77, 0));
  g_assert_cmpuint(mesh_tracker_holders(t, 77, 0), ==, 1);
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 3, 20, 2, 4, &rng, out, tiers), ==, 1);
  g_assert_cmpuint(out[0], ==, 1);
  /* with memory, the second holder promotes the key: both in their tiers */
  b.left = 1000;
  g_assert_cmpint(mesh_tracker_announce(t, 2, 77, 0), ==, MESH_OK);
  g_assert_true(mesh_tracker_check(t));
  g_assert_cmpuint(mesh_tracker_memory_bytes(t), >, mem_solo);
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 9, 10, 1, 4, &rng, out, tiers), ==, 2);
  g_assert_true(out[0] == 1 && tiers[0] == MESH_TIER_SAME_NETWORK);
  g_assert_true(out[1] == 2 && tiers[1] == MESH_TIER_SAME_COUNTRY);
  /* back to one holder the key keeps its groups; at none it is gone */
  mesh_tracker_withdraw(t, 1, 77, 0);
  g_assert_true(mesh_tracker_check(t));
  g_assert_cmpuint(mesh_tracker_query(t, 77, 0, 3, 20, 2, 4, &rng, out, tiers), ==, 1);
  g_assert_true(out[0] == 2 && tiers[0] == MESH_TIER_OTHER);
  mesh_tracker_leave(t, 2);
  g_assert_cmpuint(mesh_tracker_holders(t, 77, 0), ==, 0);
  /* a solo key dies with its holder's leave too */
  g_assert_cmpint(mesh_tracker_announce(t, 3, 78, 0), ==, MESH_OK);
  mesh_tracker_leave(t, 3);
  g_assert_cmpuint(mesh_tracker_holders(t, 78, 0), ==, 0);
  g_assert_cmpuint(mesh_tracker_holdings(t), ==, 0);
  g_assert_true(mesh_tracker_check(t));
  mesh_tracker_free(t);
}

/* A key held in more countries than a country group can name its entry
 * for (65,535): the groups past that find theirs by a scan. Withdrawals
 * from both ends and the middle move the last entry into the hole, and
 * queries still see every holder in the right tier. */
static void test_many_countries(void) {
  enum { P = 65535 + 64 };
  MeshTracker *t = mesh_tracker_new(NULL);
  uint64_t st = 9;
  MeshRng rng = {splitmix, &st};
  for (uint32_t p = 0; p < P; p++) {
    g_assert_cmpint(mesh_tracker_join(t, p, p, p), ==, MESH_OK);
    g_assert_cmpint(mesh_tracker_announce(t, p, 42, 1), ==, MESH_OK);
  }
  g_assert_true(mesh_tracker_check(t));
  bool *held = g_new(bool, P);
  for (uint32_t p = 0; p < P; p++) held[p] = true;
  uint32_t gone[] = {0, 1, 777, 65533, 65534, 65535, 65536, P - 1, 40000, P - 2};
  for (size_t i = 0; i < G_N_ELEMENTS(gone); i++) {
    mesh_tracker_withdraw(t, gone[i], 42, 1);
    held[gone[i]] = false;
  }
  for (uint32_t p = 65500; p < 65570; p += 3) {
    mesh_tracker_leave(t, p);
    held[p] = false;
  }
  g_assert_true(mesh_tracker_check(t));
  size_t left = 0;
  for (uint32_t p = 0; p < P; p++) left += held[p];
  g_free(held);
  g_assert_cmpuint(mesh_tracker_holders(t, 42, 1), ==, left);
  /* A newcomer in a new network of country 65561, whose entry stayed at
   * index 65561 (past CI_NONE: only the entries above the new count
   * moved), then a query from that network. */
  g_assert_cmpint(mesh_tracker_join(t, P, P + 1, 65561), ==, MESH_OK);
  g_assert_cmpint(mesh_tracker_announce(t, P, 42, 1), ==, MESH_OK);
  g_assert_true(mesh_tracker_check(t));
  uint32_t out[3];
  MeshTier tiers[3];
  g_assert_cmpuint(mesh_tracker_query(t, 42, 1, P + 7, P + 1, 65561, 3, &rng, out, tiers), ==, 3);
  g_assert_cmpuint(out[0], ==, P);
  g_assert_cmpint(tiers[0], ==, MESH_TIER_SAME_NETWORK);
  g_assert_cmpuint(out[1], ==, 65561);
  g_assert_cmpint(tiers[1], ==, MESH_TIER_SAME_COUNTRY);
  g_assert_cmpint(tiers[2], ==, MESH_TIER_OTHER);
  for (uint32_t p = 0; p <= P; p++) mesh_tracker_leave(t, p);
  g_assert_cmpuint(mesh_tracker_holdings(t), ==, 0);
  g_assert_true(mesh_tracker_check(t));
  mesh_tracker_free(t);
}

/* ---- memory ------------------------------------------------------------ */

static void test_memory_per_holding(void) {
  /* The budget is 40 bytes per holding with 1M peers x 64 objects
   * (tools/bench-tracker.c measures exactly that: 1M peers in 500 networks
   * of 50 countries, 64 distinct objects each, Zipf(0.9) over 10,000).
   * Here the same world scaled down 40 times for the CI budget, keeping
   * about the peers per network (2,000) and the catalogue: 25,000 peers
   * in 12 networks of 4 countries. All indexes included. */
  enum { P = 25000, H = 64, OBJ = 10000, NETS = 12, CTYS = 4 };
  double *cdf = g_new(double, OBJ);
  double s = 0;
  for (int i = 0; i < OBJ; i++) cdf[i] = (s += pow(i + 1.0, -0.9));
  MeshTracker *t = mesh_tracker_new(NULL);
  uint64_t st = 3;
  MeshRng rng = {splitmix, &st};
  for (uint32_t p = 0; p < P; p++) {
    uint32_t n = (uint32_t)mesh_rng_below(&rng, NETS);
    g_assert_cmpint(mesh_tracker_join(t, p, n, n % CTYS), ==, MESH_OK);
    for (int h = 0; h < H;) {
      double u = mesh_rng_unit(&rng) * s;
      int lo = 0, hi = OBJ - 1;
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      if (mesh_tracker_announce(t, p, (uint64_t)lo, 0) == MESH_OK) h++;
    }
  }
  g_assert_cmpuint(mesh_tracker_holdings(t), ==, (size_t)P * H);
  double per = (double)mesh_tracker_memory_bytes(t) / (double)mesh_tracker_holdings(t);
  g_test_message("tracker: %.2f bytes per holding (%d peers x %d objects)", per, P, H);
  g_assert_cmpfloat(per, <=, 40.0);
  for (uint32_t p = 0; p < P; p++) mesh_tracker_leave(t, p);
  g_assert_cmpuint(mesh_tracker_holdings(t), ==, 0);
  g_assert_true(mesh_tracker_check(t));
  mesh_tracker_free(t);
  g_free(cdf);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tracker/against-model", test_against_model);
  g_test_add_func("/tracker/fair-k1", test_fair_k1);
  g_test_add_func("/tracker/fair-inclusion", test_fair_inclusion);
  g_test_add_func("/tracker/out-of-memory", test_out_of_memory);
  g_test_add_func("/tracker/edges", test_edges);
  g_test_add_func("/tracker/many-countries", test_many_countries);
  g_test_add_func("/tracker/solo", test_solo);
  g_test_add_func("/tracker/reserve", test_reserve);
  g_test_add_func("/tracker/memory-per-holding", test_memory_per_holding);
  return g_test_run();
}
