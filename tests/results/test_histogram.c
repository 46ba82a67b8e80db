/*
 * test_histogram.c: log-bucketed histograms against exact order statistics.
 *
 * The reference is the sorted sample: the nearest-rank quantile of rank
 * max(1, ceil(q n)). Samples come from GSL generators with fixed seeds, so a
 * failure replays.
 */
#include "results/histogram.h"

#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

/* Bound promised by histogram.h: half a sub-bucket, 2^-(SUB_BITS+1). */
#define REL_BOUND (1.0 / (double)(2u << HISTOGRAM_SUB_BITS))

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double exact_quantile(const double *sorted, size_t n, double q) {
  double r = ceil(q * (double)n);
  size_t rank = r < 1.0 ? 1 : (r > (double)n ? n : (size_t)r);
  return sorted[rank - 1];
}

typedef enum { D_EXP, D_LOGNORMAL, D_LOGNORMAL_WIDE, D_UNIFORM, D_CONSTANT,
               D_ZEROS_EXP, D_BYTES } Dist;

static double draw(gsl_rng *r, Dist d) {
  switch (d) {
  case D_EXP: return gsl_ran_exponential(r, 0.217);              /* mean 0.217 s */
  case D_LOGNORMAL: return gsl_ran_lognormal(r, log(0.05), 1.0);
  case D_LOGNORMAL_WIDE: return gsl_ran_lognormal(r, 0.0, 6.0);  /* ~30 decades */
  case D_UNIFORM: return gsl_ran_flat(r, 1e-3, 2.0);
  case D_CONSTANT: return 0.217;
  case D_ZEROS_EXP: return gsl_rng_uniform(r) < 0.3 ? 0.0 : gsl_ran_exponential(r, 1e6);
  case D_BYTES: return floor(gsl_ran_pareto(r, 1.2, 1000.0));    /* object sizes */
  }
  g_assert_not_reached();
}

static void check_distribution(Dist d, size_t n) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12345u + (unsigned long)d);
  double *v = g_new(double, n);
  g_autoptr(Histogram) h = histogram_new();
  long double exact_sum = 0.0L;
  for (size_t i = 0; i < n; i++) {
    v[i] = draw(r, d);
    histogram_add(h, v[i]);
    exact_sum += v[i];
  }
  qsort(v, n, sizeof *v, cmp_double);
  g_assert_cmpuint(histogram_count(h), ==, n);
  g_assert_cmpfloat(histogram_min(h), ==, v[0]);
  g_assert_cmpfloat(histogram_max(h), ==, v[n - 1]);
  double mean = (double)(exact_sum / (long double)n);
  g_assert_cmpfloat_with_epsilon(histogram_mean(h), mean, 1e-9 * fabs(mean) + 1e-300);

  static const double qs[] = {0.0, 1e-4, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5,
                              0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0};
  double worst = 0.0;
  for (size_t i = 0; i < G_N_ELEMENTS(qs) + 2000; i++) {
    double q = i < G_N_ELEMENTS(qs) ? qs[i] : gsl_rng_uniform(r);
    double ex = exact_quantile(v, n, q);
    double got = histogram_quantile(h, q);
    if (ex == 0.0) {
      g_assert_cmpfloat(got, ==, 0.0);
      continue;
    }
    double rel = fabs(got - ex) / ex;
    if (rel > worst) worst = rel;
    if (rel > REL_BOUND * (1 + 1e-9))
      g_error("dist %d q=%.6f exact=%.17g got=%.17g rel=%.5f%%", d, q, ex, got, 100 * rel);
  }
  g_assert_cmpfloat(worst, <=, 0.01);                       /* the requirement */
  g_test_message("dist %d: n=%zu buckets=%zu worst relative error %.4f%%", d, n,
                 histogram_bucket_count(h), 100 * worst);
  g_free(v);
  gsl_rng_free(r);
}

static void test_exponential(void) { check_distribution(D_EXP, 200000); }
static void test_lognormal(void) { check_distribution(D_LOGNORMAL, 200000); }
static void test_lognormal_wide(void) { check_distribution(D_LOGNORMAL_WIDE, 100000); }
static void test_uniform(void) { check_distribution(D_UNIFORM, 200000); }
static void test_zeros(void) { check_distribution(D_ZEROS_EXP, 200000); }
static void test_bytes(void) { check_distribution(D_BYTES, 100000); }

static void test_constant(void) {
  check_distribution(D_CONSTANT, 1000);
  g_autoptr(Histogram) h = histogram_new();
  histogram_add_n(h, 0.217, 1000);
  for (double q = 0.0; q <= 1.0; q += 0.125)
    g_assert_cmpfloat(histogram_quantile(h, q), ==, 0.217);   /* clamped to min=max */
  g_assert_cmpfloat(histogram_mean(h), ==, 0.217);
  g_assert_cmpuint(histogram_bucket_count(h), ==, 1);
}

static void test_all_zeros(void) {
  g_autoptr(Histogram) h = histogram_new();
  for (int i = 0; i < 10; i++) histogram_add(h, 0.0);
  g_assert_cmpuint(histogram_count(h), ==, 10);
  g_assert_cmpfloat(histogram_quantile(h, 0.0), ==, 0.0);
  g_assert_cmpfloat(histogram_quantile(h, 0.5), ==, 0.0);
  g_assert_cmpfloat(histogram_quantile(h, 1.0), ==, 0.0);
  g_assert_cmpfloat(histogram_mean(h), ==, 0.0);
  HistogramIter it;
  double lo, hi;
  uint64_t n;
  histogram_iter_init(&it, h);
  g_assert_true(histogram_iter_next(&it, &lo, &hi, &n));
  g_assert_cmpfloat(lo, ==, 0.0);
  g_assert_cmpfloat(hi, ==, 0.0);
  g_assert_cmpuint(n, ==, 10);
  g_assert_false(histogram_iter_next(&it, &lo, &hi, &n));
}

static void test_empty(void) {
  g_autoptr(Histogram) h = histogram_new();
  g_assert_cmpuint(histogram_count(h), ==, 0);
  g_assert_cmpfloat(histogram_sum(h), ==, 0.0);
  g_assert_true(isnan(histogram_mean(h)));
  g_assert_true(isnan(histogram_min(h)));
  g_assert_true(isnan(histogram_max(h)));
  g_assert_true(isnan(histogram_quantile(h, 0.0)));
  g_assert_true(isnan(histogram_quantile(h, 0.5)));
  g_assert_true(isnan(histogram_quantile(h, 1.0)));
  g_assert_cmpuint(histogram_bucket_count(h), ==, 0);
  HistogramIter it;
  double lo, hi;
  uint64_t n;
  histogram_iter_init(&it, h);
  g_assert_false(histogram_iter_next(&it, &lo, &hi, &n));
  /* add_n with n = 0 changes nothing */
  histogram_add_n(h, 5.0, 0);
  g_assert_cmpuint(histogram_count(h), ==, 0);
  g_assert_true(isnan(histogram_min(h)));
}

static void test_edges(void) {
  g_autoptr(Histogram) h = histogram_new();
  double vals[] = {3.3, 0.001234, 17.0, 0.5, 1e-7, 2.5e9};
  for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) histogram_add(h, vals[i]);
  g_assert_cmpfloat(histogram_quantile(h, 0.0), ==, 1e-7);       /* exact min */
  g_assert_cmpfloat(histogram_quantile(h, 1.0), ==, 2.5e9);      /* exact max */
  g_assert_cmpfloat(histogram_quantile(h, -0.5), ==, 1e-7);      /* clamped */
  g_assert_cmpfloat(histogram_quantile(h, 7.0), ==, 2.5e9);
  g_assert_cmpfloat(histogram_quantile(h, NAN), ==, 1e-7);
  /* one value: every quantile is that value */
  g_autoptr(Histogram) one = histogram_new();
  histogram_add(one, 42.0);
  g_assert_cmpfloat(histogram_quantile(one, 0.0), ==, 42.0);
  g_assert_cmpfloat(histogram_quantile(one, 0.3), ==, 42.0);
  g_assert_cmpfloat(histogram_quantile(one, 1.0), ==, 42.0);
  /* extremes of the double range */
  g_autoptr(Histogram) x = histogram_new();
  histogram_add(x, DBL_MAX);
  histogram_add(x, DBL_MIN);
  histogram_add(x, 1.0);
  g_assert_cmpfloat(histogram_quantile(x, 0.5), >=, 1.0 * (1 - REL_BOUND));
  g_assert_cmpfloat(histogram_quantile(x, 0.5), <=, 1.0 * (1 + REL_BOUND));
  g_assert_cmpfloat(histogram_quantile(x, 1.0), ==, DBL_MAX);
}

static void test_bucket_bounds(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  for (int i = 0; i < 100000; i++) {
    double v = gsl_ran_lognormal(r, 0.0, 20.0);
    double lo, hi;
    histogram_bucket_bounds(v, &lo, &hi);
    g_assert_cmpfloat(lo, <=, v);
    g_assert_cmpfloat(v, <, hi);
    g_assert_cmpfloat((hi - lo) / lo, <=, 2 * REL_BOUND * (1 + 1e-12));
  }
  double lo, hi;
  histogram_bucket_bounds(1.0, &lo, &hi);
  g_assert_cmpfloat(lo, ==, 1.0);
  g_assert_cmpfloat(hi, ==, 1.0 + 1.0 / (1u << HISTOGRAM_SUB_BITS));
  gsl_rng_free(r);
}

static void assert_same(const Histogram *a, const Histogram *b) {
  g_assert_cmpuint(histogram_count(a), ==, histogram_count(b));
  g_assert_cmpfloat(histogram_min(a), ==, histogram_min(b));
  g_assert_cmpfloat(histogram_max(a), ==, histogram_max(b));
  g_assert_cmpfloat_with_epsilon(histogram_sum(a), histogram_sum(b),
                                 1e-12 * histogram_sum(b));
  g_assert_cmpuint(histogram_bucket_count(a), ==, histogram_bucket_count(b));
  HistogramIter ia, ib;
  histogram_iter_init(&ia, a);
  histogram_iter_init(&ib, b);
  double la, ha, lb, hb;
  uint64_t na, nb;
  while (histogram_iter_next(&ia, &la, &ha, &na)) {
    g_assert_true(histogram_iter_next(&ib, &lb, &hb, &nb));
    g_assert_cmpfloat(la, ==, lb);
    g_assert_cmpfloat(ha, ==, hb);
    g_assert_cmpuint(na, ==, nb);
  }
  g_assert_false(histogram_iter_next(&ib, &lb, &hb, &nb));
  for (double q = 0.0; q <= 1.0; q += 0.01)
    g_assert_cmpfloat(histogram_quantile(a, q), ==, histogram_quantile(b, q));
}

static void test_merge(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 99);
  g_autoptr(Histogram) all = histogram_new();
  Histogram *parts[4];
  for (int i = 0; i < 4; i++) parts[i] = histogram_new();
  for (int i = 0; i < 50000; i++) {
    /* parts see different ranges, so merging must grow dst on both sides */
    int p = (int)gsl_rng_uniform_int(r, 4);
    double v = p == 0 ? 0.0 : gsl_ran_lognormal(r, 4.0 * (p - 2), 1.5);
    histogram_add(all, v);
    histogram_add(parts[p], v);
  }
  g_autoptr(Histogram) m = histogram_new();
  for (int i = 3; i >= 0; i--) histogram_merge(m, parts[i]);
  assert_same(m, all);
  /* merging an empty histogram changes nothing; merging into empty copies */
  g_autoptr(Histogram) empty = histogram_new();
  histogram_merge(m, empty);
  assert_same(m, all);
  g_autoptr(Histogram) m2 = histogram_new();
  histogram_merge(m2, all);
  assert_same(m2, all);
  /* copy and reset */
  g_autoptr(Histogram) c = histogram_copy(all);
  assert_same(c, all);
  histogram_reset(c);
  g_assert_cmpuint(histogram_count(c), ==, 0);
  g_assert_cmpuint(histogram_bucket_count(c), ==, 0);
  for (int i = 0; i < 4; i++) histogram_free(parts[i]);
  gsl_rng_free(r);
}

static void test_add_n(void) {
  g_autoptr(Histogram) a = histogram_new();
  g_autoptr(Histogram) b = histogram_new();
  double vals[] = {0.0, 1e-3, 0.25, 7.0, 1e12};
  for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
    histogram_add_n(a, vals[i], i + 3);
    for (size_t k = 0; k < i + 3; k++) histogram_add(b, vals[i]);
  }
  assert_same(a, b);
}

static void test_iter_and_restore(void) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 5);
  g_autoptr(Histogram) h = histogram_new();
  for (int i = 0; i < 20000; i++)
    histogram_add(h, i % 10 == 0 ? 0.0 : gsl_ran_exponential(r, 3.0));
  HistogramIter it;
  double lo, hi, prev_hi = -1.0;
  uint64_t n, total = 0;
  g_autoptr(Histogram) back = histogram_new();
  histogram_iter_init(&it, h);
  while (histogram_iter_next(&it, &lo, &hi, &n)) {
    g_assert_cmpuint(n, >, 0);
    g_assert_cmpfloat(lo, >=, prev_hi);                 /* ascending, disjoint */
    prev_hi = hi;
    total += n;
    histogram_add_n(back, lo, n);
  }
  g_assert_cmpuint(total, ==, histogram_count(h));
  g_assert_false(histogram_restore_summary(back, 1.0, 5.0, 1.0));   /* min > max */
  g_assert_false(histogram_restore_summary(back, histogram_sum(h), 1.0,
                                           histogram_max(h)));      /* min not in first bucket */
  g_assert_true(histogram_restore_summary(back, histogram_sum(h), histogram_min(h),
                                          histogram_max(h)));
  assert_same(back, h);
  g_assert_cmpfloat(histogram_mean(back), ==, histogram_mean(h));
  gsl_rng_free(r);
}

static void test_bad_value_aborts(void) {
  if (g_test_subprocess()) {
    g_autoptr(Histogram) h = histogram_new();
    histogram_add(h, -1.0);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*not finite and >= 0*");
}

static void test_nan_aborts(void) {
  if (g_test_subprocess()) {
    g_autoptr(Histogram) h = histogram_new();
    histogram_add(h, NAN);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/histogram/exponential", test_exponential);
  g_test_add_func("/histogram/lognormal", test_lognormal);
  g_test_add_func("/histogram/lognormal-wide", test_lognormal_wide);
  g_test_add_func("/histogram/uniform", test_uniform);
  g_test_add_func("/histogram/zeros", test_zeros);
  g_test_add_func("/histogram/bytes", test_bytes);
  g_test_add_func("/histogram/constant", test_constant);
  g_test_add_func("/histogram/all-zeros", test_all_zeros);
  g_test_add_func("/histogram/empty", test_empty);
  g_test_add_func("/histogram/edges", test_edges);
  g_test_add_func("/histogram/bucket-bounds", test_bucket_bounds);
  g_test_add_func("/histogram/merge", test_merge);
  g_test_add_func("/histogram/add-n", test_add_n);
  g_test_add_func("/histogram/iter-restore", test_iter_and_restore);
  g_test_add_func("/histogram/bad-value-aborts", test_bad_value_aborts);
  g_test_add_func("/histogram/nan-aborts", test_nan_aborts);
  return g_test_run();
}
