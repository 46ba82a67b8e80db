/*
 * test_cache_theory.c: lru and fifo hit ratios under the independent
 * reference model (IRM) against their characteristic-time approximations.
 *
 * 10^5 equal-size objects, Zipf(alpha) popularity p_i ~ 1 / i^alpha,
 * capacities 1%, 5%, 20% of the catalogue (object mode).
 *   lru (Che, Tung, Wang 2002): T solves sum_i (1 - exp(-p_i T)) = C,
 *        hit ratio = sum_i p_i (1 - exp(-p_i T));
 *   fifo (Dan and Towsley 1990 / Martina et al. 2014): T solves
 *        sum_i p_i T / (1 + p_i T) = C, h_i = p_i T / (1 + p_i T).
 * The simulated hit ratio must be within 0.5 percentage points. Requests:
 * a warm-up of 3 T + 10^5 requests, then 6 * 10^5 measured (standard error
 * of the estimate below 0.1 point). Requests are drawn with GSL's alias
 * sampler from a generator seeded by g_test_rand_int() (--seed replays).
 */
#include "mesh/cache.h"

#include <glib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#define N_OBJ 100000
#define MEASURE 600000

typedef struct Case {
  const char *policy;
  double alpha;
  double share;
} Case;

static double solve_T(const double *p, double C, bool lru) {
  double lo = 0, hi = 1;
  for (;;) {   /* grow hi until occupancy(hi) >= C */
    double occ = 0;
    for (int i = 0; i < N_OBJ; i++) occ += lru ? -expm1(-p[i] * hi) : p[i] * hi / (1 + p[i] * hi);
    if (occ >= C) break;
    lo = hi;
    hi *= 2;
  }
  for (int it = 0; it < 100; it++) {
    double mid = 0.5 * (lo + hi), occ = 0;
    for (int i = 0; i < N_OBJ; i++) occ += lru ? -expm1(-p[i] * mid) : p[i] * mid / (1 + p[i] * mid);
    if (occ < C) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

static void test_theory(gconstpointer data) {
  const Case *k = data;
  bool lru = g_str_equal(k->policy, "lru");
  double *p = g_new(double, N_OBJ), norm = 0;
  for (int i = 0; i < N_OBJ; i++) norm += p[i] = pow(i + 1, -k->alpha);
  for (int i = 0; i < N_OBJ; i++) p[i] /= norm;
  double C = floor(N_OBJ * k->share);
  double T = solve_T(p, C, lru), theory = 0;
  for (int i = 0; i < N_OBJ; i++)
    theory += p[i] * (lru ? -expm1(-p[i] * T) : p[i] * T / (1 + p[i] * T));

  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, (unsigned long)(uint32_t)g_test_rand_int() + 1);
  gsl_ran_discrete_t *zipf = gsl_ran_discrete_preproc(N_OBJ, p);
  MeshCacheConfig cfg = {.policy = mesh_cache_policy_find(k->policy),
                         .capacity = (uint64_t)C, .unit = MESH_CACHE_OBJECTS};
  MeshCache *c = mesh_cache_new(&cfg, NULL);
  long warm = (long)(3 * T) + 100000, hits = 0;
  for (long i = 0; i < warm; i++) mesh_cache_request(c, gsl_ran_discrete(r, zipf), 1, i);
  for (long i = 0; i < MEASURE; i++) hits += mesh_cache_request(c, gsl_ran_discrete(r, zipf), 1, i);
  g_assert_true(mesh_cache_check(c));
  g_assert_cmpuint(mesh_cache_count(c), ==, (uint64_t)C);
  double sim = (double)hits / MEASURE;
  g_test_message("%s alpha %.1f C %.0f: T %.0f, theory %.4f, simulated %.4f", k->policy,
                 k->alpha, C, T, theory, sim);
  g_assert_cmpfloat(fabs(sim - theory), <, 0.005);
  mesh_cache_free(c);
  gsl_ran_discrete_free(zipf);
  gsl_rng_free(r);
  g_free(p);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  static Case cases[12];
  static const char *const pols[] = {"lru", "fifo"};
  static const double alphas[] = {0.8, 1.0}, shares[] = {0.01, 0.05, 0.20};
  int n = 0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int s = 0; s < 3; s++) {
        cases[n] = (Case){pols[a], alphas[b], shares[s]};
        char *path = g_strdup_printf("/cache/theory/%s/zipf%.1f/%g%%", pols[a], alphas[b],
                                     shares[s] * 100);
        g_test_add_data_func(path, &cases[n], test_theory);
        g_free(path);
        n++;
      }
  return g_test_run();
}
