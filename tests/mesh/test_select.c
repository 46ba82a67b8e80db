/*
 * test_select.c: peer-selection strategies. One conformance test every
 * strategy passes (valid, distinct, usable indexes; count = min(k, usable);
 * deterministic given the RNG), then each strategy's documented behaviour,
 * with distributions checked by chi-square against the theory.
 */
#include "mesh/select.h"

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

static const char *const NAMES[] = {"random", "locality", "rtt", "bandwidth", "least-loaded",
                                    "two-choices"};

static MeshSelector *make(const char *name) {
  const MeshSelectStrategy *s = mesh_select_find(name);
  g_assert_nonnull(s);
  MeshSelector *sel = mesh_selector_new(s, NULL, NULL);
  g_assert_nonnull(sel);
  return sel;
}

/* Upper 0.1 % point of chi-square (Wilson-Hilferty). */
static double chi_square_crit(double df) {
  double z = 3.090, a = 2.0 / (9.0 * df);
  double c = 1.0 - a + z * sqrt(a);
  return df * c * c * c;
}

/* Chi-square of first-choice counts against probabilities prob[]. */
static void assert_first_pick_law(const char *name, const MeshCandidate *c, size_t n,
                                  const double *prob, unsigned draws) {
  MeshSelector *sel = make(name);
  MeshRequester req = {1000, 0, 0};
  uint64_t st = 17;
  MeshRng rng = {splitmix, &st};
  unsigned counts[32] = {0};
  for (unsigned i = 0; i < draws; i++) {
    uint32_t out[32];
    size_t m = mesh_selector_choose(sel, &req, c, n, 1, &rng, out);
    g_assert_cmpuint(m, ==, 1);
    counts[out[0]]++;
  }
  double x = 0;
  int df = -1;
  for (size_t i = 0; i < n; i++) {
    if (prob[i] == 0) {
      g_assert_cmpuint(counts[i], ==, 0);
      continue;
    }
    double e = prob[i] * draws;
    x += (counts[i] - e) * (counts[i] - e) / e;
    df++;
  }
  if (df > 0) g_assert_cmpfloat(x, <, chi_square_crit(df));
  mesh_selector_free(sel);
}

static MeshCandidate cand(uint32_t peer, uint32_t net, uint32_t cty) {
  return (MeshCandidate){.peer = peer, .network = net, .country = cty, .rtt_ns = 0,
                         .throughput_bps = 0, .active_uploads = 0, .upload_slots = 4,
                         .nat_compatible = true, .recent_failures = 0};
}

/* ---- registry and parameters ---------------------------------------- */

static void test_registry(void) {
  g_assert_cmpuint(mesh_select_count(), ==, G_N_ELEMENTS(NAMES));
  for (size_t i = 0; i < G_N_ELEMENTS(NAMES); i++) {
    const MeshSelectStrategy *s = mesh_select_find(NAMES[i]);
    g_assert_nonnull(s);
    g_assert_cmpstr(s->name, ==, NAMES[i]);
    g_assert_cmpuint(s->abi_version, ==, MESH_SELECT_ABI);
    g_assert_true(mesh_select_at(i) == s);
  }
  g_assert_null(mesh_select_find("nearest"));
  g_assert_null(mesh_select_at(G_N_ELEMENTS(NAMES)));
  MeshSelectStrategy bad = *mesh_select_find("random");
  bad.abi_version = MESH_SELECT_ABI + 1;
  g_assert_null(mesh_selector_new(&bad, NULL, NULL));
}

static void test_params(void) {
  MeshSelectParams p;
  mesh_select_params_default(&p);
  g_assert_cmpuint(p.max_failures, ==, 3);
  g_assert_cmpfloat(p.failure_penalty, ==, 0.5);
  g_assert_cmpfloat(p.exploration_floor, ==, 0.1);
  g_assert_cmpint(p.unknown_rtt_ns, ==, 100 * MESH_NS_PER_MS);
  g_assert_cmpint(mesh_select_params_check(&p), ==, MESH_OK);
  MeshSelectParams q = p;
  q.failure_penalty = 0;
  g_assert_cmpint(mesh_select_params_check(&q), ==, MESH_INVAL);
  g_assert_null(mesh_selector_new(mesh_select_find("rtt"), &q, NULL));
  q = p;
  q.exploration_floor = 1.5;
  g_assert_cmpint(mesh_select_params_check(&q), ==, MESH_INVAL);
  q = p;
  q.unknown_rtt_ns = 0;
  g_assert_cmpint(mesh_select_params_check(&q), ==, MESH_INVAL);
  /* max_failures = 0 keeps often-failing candidates usable */
  q = p;
  q.max_failures = 0;
  MeshCandidate c = cand(1, 0, 0);
  c.recent_failures = 50;
  g_assert_false(mesh_select_usable(&p, &c));
  g_assert_true(mesh_select_usable(&q, &c));
}

/* ---- conformance: every strategy ------------------------------------ */

static void random_candidates(MeshRng *rng, MeshCandidate *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    c[i] = cand((uint32_t)(100 + i), (uint32_t)mesh_rng_below(rng, 4),
                (uint32_t)mesh_rng_below(rng, 2));
    if (mesh_rng_below(rng, 4)) c[i].rtt_ns = (MeshTime)(1 + mesh_rng_below(rng, 200)) * MESH_NS_PER_MS;
    if (mesh_rng_below(rng, 3)) c[i].throughput_bps = (double)mesh_rng_below(rng, 50) * 1e6;
    c[i].upload_slots = (uint32_t)mesh_rng_below(rng, 5);
    c[i].active_uploads = (uint32_t)mesh_rng_below(rng, 6);
    c[i].nat_compatible = mesh_rng_below(rng, 5) != 0;
    c[i].recent_failures = (uint32_t)mesh_rng_below(rng, 5);
  }
}

static void test_conformance(void) {
  MeshSelectParams p;
  mesh_select_params_default(&p);
  for (size_t s = 0; s < G_N_ELEMENTS(NAMES); s++) {
    MeshSelector *sel = make(NAMES[s]);
    uint64_t st = 1234;
    MeshRng rng = {splitmix, &st};
    for (int round = 0; round < 3000; round++) {
      MeshCandidate c[24];
      size_t n = (size_t)mesh_rng_below(&rng, 25);
      random_candidates(&rng, c, n);
      size_t k = (size_t)mesh_rng_below(&rng, 27);
      MeshRequester req = {7, (uint32_t)mesh_rng_below(&rng, 4), (uint32_t)mesh_rng_below(&rng, 2)};
      size_t usable = 0;
      for (size_t i = 0; i < n; i++)
        usable += c[i].nat_compatible && c[i].recent_failures < p.max_failures;
      uint32_t out[32], again[32];
      uint64_t saved = st;
      size_t m = mesh_selector_choose(sel, &req, c, n, k, &rng, out);
      g_assert_cmpuint(m, ==, MIN(k, usable));
      for (size_t i = 0; i < m; i++) {
        g_assert_cmpuint(out[i], <, n);
        g_assert_true(c[out[i]].nat_compatible);
        g_assert_cmpuint(c[out[i]].recent_failures, <, p.max_failures);
        for (size_t j = 0; j < i; j++) g_assert_cmpuint(out[j], !=, out[i]);
      }
      /* deterministic given the RNG: replay the same draws */
      uint64_t after = st;
      st = saved;
      size_t m2 = mesh_selector_choose(sel, &req, c, n, k, &rng, again);
      g_assert_cmpuint(m2, ==, m);
      g_assert_cmpmem(out, m * sizeof out[0], again, m2 * sizeof again[0]);
      g_assert_cmpuint(st, ==, after);
    }
    mesh_selector_free(sel);
  }
}

/* ---- each strategy --------------------------------------------------- */

static void test_random(void) {
  MeshCandidate c[6];
  for (uint32_t i = 0; i < 6; i++) c[i] = cand(i, i, i);
  c[2].nat_compatible = false;
  c[4].active_uploads = 9; /* load is no concern of random */
  double prob[6] = {0.2, 0.2, 0, 0.2, 0.2, 0.2};
  assert_first_pick_law("random", c, 6, prob, 30000);
}

static void test_locality(void) {
  /* requester in network 0 of country 0 */
  MeshCandidate c[9];
  uint32_t net[9] = {5, 0, 3, 0, 5, 3, 0, 9, 3}, cty[9] = {2, 0, 0, 0, 2, 0, 0, 1, 0};
  for (uint32_t i = 0; i < 9; i++) c[i] = cand(i, net[i], cty[i]);
  c[6].recent_failures = 1; /* a same-network peer that failed once */
  MeshSelector *sel = make("locality");
  MeshRequester req = {99, 0, 0};
  uint64_t st = 3;
  MeshRng rng = {splitmix, &st};
  for (int r = 0; r < 500; r++) {
    uint32_t out[9];
    size_t m = mesh_selector_choose(sel, &req, c, 9, 9, &rng, out);
    g_assert_cmpuint(m, ==, 9);
    int last_tier = 0;
    uint32_t last_fail = 0;
    for (size_t i = 0; i < m; i++) {
      const MeshCandidate *x = &c[out[i]];
      int tier = x->network == 0 ? 0 : x->country == 0 ? 1 : 2;
      g_assert_cmpint(tier, >=, last_tier);
      if (tier == last_tier && i > 0) g_assert_cmpuint(x->recent_failures, >=, last_fail);
      last_tier = tier;
      last_fail = x->recent_failures;
    }
    g_assert_cmpuint(out[2], ==, 6); /* the failing same-network peer is the last of its tier */
  }
  mesh_selector_free(sel);
  /* the first choice is uniform within the best tier */
  c[6].recent_failures = 0;
  double prob[9] = {0, 1.0 / 3, 0, 1.0 / 3, 0, 0, 1.0 / 3, 0, 0};
  assert_first_pick_law("locality", c, 9, prob, 30000);
  /* no one in the network: uniform over the country */
  c[1].network = c[3].network = c[6].network = 7;
  c[1].country = c[3].country = c[6].country = 1;
  double prob2[9] = {0, 0, 1.0 / 3, 0, 0, 1.0 / 3, 0, 0, 1.0 / 3};
  assert_first_pick_law("locality", c, 9, prob2, 30000);
}

static void test_rtt(void) {
  MeshCandidate c[7];
  MeshTime rtt_ms[7] = {40, 10, 0 /* unknown: 100 */, 30, 10, 120, 45};
  for (uint32_t i = 0; i < 7; i++) {
    c[i] = cand(i, i, 0);
    c[i].rtt_ns = rtt_ms[i] * MESH_NS_PER_MS;
  }
  c[3].recent_failures = 1; /* 30 ms, one failure: counts as 60 */
  c[6].recent_failures = 2; /* 45 ms, two: counts as 180 */
  MeshSelector *sel = make("rtt");
  MeshRequester req = {99, 0, 0};
  uint64_t st = 3;
  MeshRng rng = {splitmix, &st};
  unsigned first1 = 0;
  for (int r = 0; r < 2000; r++) {
    uint32_t out[7];
    g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 7, 7, &rng, out), ==, 7);
    /* 10, 10 (random order), 40, 60, 100, 120, 180 */
    g_assert_true((out[0] == 1 && out[1] == 4) || (out[0] == 4 && out[1] == 1));
    first1 += out[0] == 1;
    uint32_t rest[5] = {0, 3, 2, 5, 6};
    for (int i = 0; i < 5; i++) g_assert_cmpuint(out[2 + i], ==, rest[i]);
  }
  /* ties broken fairly: 1000 +- 5 sd of Binomial(2000, 1/2) */
  g_assert_cmpfloat(fabs((double)first1 - 1000.0), <, 5 * sqrt(500.0));
  mesh_selector_free(sel);
}

static void test_bandwidth(void) {
  /* measured 10, 20, 30, 40 Mbit/s, one unmeasured, one 40 with a failure:
   * mean measured 28 (10+20+30+40+40)/5, floor 2.8; weights 10, 20, 30, 40,
   * 2.8, 20 */
  MeshCandidate c[6];
  double tp[6] = {10e6, 20e6, 30e6, 40e6, 0, 40e6};
  for (uint32_t i = 0; i < 6; i++) {
    c[i] = cand(i, i, 0);
    c[i].throughput_bps = tp[i];
  }
  c[5].recent_failures = 1;
  double w[6] = {10, 20, 30, 40, 2.8, 20}, sum = 0, prob[6];
  for (int i = 0; i < 6; i++) sum += w[i];
  for (int i = 0; i < 6; i++) prob[i] = w[i] / sum;
  assert_first_pick_law("bandwidth", c, 6, prob, 60000);
  /* nobody measured: uniform */
  for (int i = 0; i < 6; i++) c[i].throughput_bps = 0;
  c[5].recent_failures = 0;
  for (int i = 0; i < 6; i++) prob[i] = 1.0 / 6;
  assert_first_pick_law("bandwidth", c, 6, prob, 30000);
  /* second choice: P(second = j | first = i) = w_j / (sum - w_i); check
   * for the heaviest first with two candidates left over three */
  MeshCandidate d[3];
  double tw[3] = {60e6, 30e6, 10e6};
  for (uint32_t i = 0; i < 3; i++) {
    d[i] = cand(i, i, 0);
    d[i].throughput_bps = tw[i];
  }
  MeshSelector *sel = make("bandwidth");
  MeshRequester req = {99, 0, 0};
  uint64_t st = 8;
  MeshRng rng = {splitmix, &st};
  unsigned first0 = 0, second1 = 0;
  for (int r = 0; r < 40000; r++) {
    uint32_t out[3];
    g_assert_cmpuint(mesh_selector_choose(sel, &req, d, 3, 3, &rng, out), ==, 3);
    if (out[0] == 0) {
      first0++;
      second1 += out[1] == 1;
    }
  }
  double p2 = 30.0 / 40.0, sd = sqrt(first0 * p2 * (1 - p2));
  g_assert_cmpfloat(fabs(second1 - first0 * p2), <, 5 * sd);
  mesh_selector_free(sel);
}

static void test_least_loaded(void) {
  MeshCandidate c[6];
  uint32_t act[6] = {3, 1, 0, 4, 2, 0}, slots[6] = {4, 4, 4, 4, 8, 0};
  for (uint32_t i = 0; i < 6; i++) {
    c[i] = cand(i, i, 0);
    c[i].active_uploads = act[i];
    c[i].upload_slots = slots[i];
  }
  /* loads 0.75, 0.25, 0, 1 (full), 0.25, inf (no slots) */
  c[1].recent_failures = 1; /* ties with 4 at 0.25: 4 first */
  MeshSelector *sel = make("least-loaded");
  MeshRequester req = {99, 0, 0};
  uint64_t st = 3;
  MeshRng rng = {splitmix, &st};
  uint32_t out[6], want[6] = {2, 4, 1, 0, 3, 5};
  g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 6, 6, &rng, out), ==, 6);
  g_assert_cmpmem(out, sizeof out, want, sizeof want);
  g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 6, 2, &rng, out), ==, 2);
  g_assert_cmpuint(out[0], ==, 2);
  mesh_selector_free(sel);
  /* equal loads: uniform */
  for (int i = 0; i < 6; i++) {
    c[i].active_uploads = 1;
    c[i].upload_slots = 2;
    c[i].recent_failures = 0;
  }
  double prob[6] = {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6};
  assert_first_pick_law("least-loaded", c, 6, prob, 30000);
}

static void test_two_choices(void) {
  /* distinct loads; candidate i has load rank r(i) */
  enum { N = 6 };
  MeshCandidate c[N];
  uint32_t act[N] = {5, 0, 3, 1, 4, 2}; /* ranks equal to act */
  double prob[N];
  for (uint32_t i = 0; i < N; i++) {
    c[i] = cand(i, i, 0);
    c[i].active_uploads = act[i];
    c[i].upload_slots = 8;
    prob[i] = 2.0 * (N - 1 - act[i]) / (N * (N - 1.0));
  }
  /* the most loaded is never first (prob 0) */
  assert_first_pick_law("two-choices", c, N, prob, 60000);
  /* one candidate: taken; k beyond n: all, each once */
  MeshSelector *sel = make("two-choices");
  MeshRequester req = {99, 0, 0};
  uint64_t st = 3;
  MeshRng rng = {splitmix, &st};
  uint32_t out[8];
  g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 1, 3, &rng, out), ==, 1);
  g_assert_cmpuint(out[0], ==, 0);
  mesh_selector_free(sel);
}

static void test_nothing_usable(void) {
  MeshCandidate c[3];
  for (uint32_t i = 0; i < 3; i++) {
    c[i] = cand(i, 0, 0);
    c[i].nat_compatible = i != 1;
    c[i].recent_failures = i == 1 ? 0 : 3;
  }
  for (size_t s = 0; s < G_N_ELEMENTS(NAMES); s++) {
    MeshSelector *sel = make(NAMES[s]);
    MeshRequester req = {99, 0, 0};
    uint64_t st = 3;
    MeshRng rng = {splitmix, &st};
    uint32_t out[3];
    g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 3, 3, &rng, out), ==, 0);
    g_assert_cmpuint(mesh_selector_choose(sel, &req, c, 0, 3, &rng, out), ==, 0);
    g_assert_cmpuint(st, ==, 3); /* no draw when there is nothing to choose */
    mesh_selector_free(sel);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/select/registry", test_registry);
  g_test_add_func("/select/params", test_params);
  g_test_add_func("/select/conformance", test_conformance);
  g_test_add_func("/select/random", test_random);
  g_test_add_func("/select/locality", test_locality);
  g_test_add_func("/select/rtt", test_rtt);
  g_test_add_func("/select/bandwidth", test_bandwidth);
  g_test_add_func("/select/least-loaded", test_least_loaded);
  g_test_add_func("/select/two-choices", test_two_choices);
  g_test_add_func("/select/nothing-usable", test_nothing_usable);
  return g_test_run();
}
