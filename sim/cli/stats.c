/*
 * stats.c: replication statistics (see stats.h). Two-pass mean and
 * variance (no cancellation for the near-constant metrics of long runs);
 * quantiles and tail probabilities from GSL's Student t.
 */
#include "cli/stats.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

double stats_t975(double df) {
  g_return_val_if_fail(df >= 1, NAN);
  return gsl_cdf_tdist_Pinv(0.975, df);
}

StatSummary stats_summarize(const double *values, size_t n) {
  StatSummary s = {0, NAN, NAN, NAN};
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(values[i])) {
      sum += values[i];
      s.n++;
    }
  if (s.n == 0) return s;
  s.mean = sum / (double)s.n;
  if (s.n < 2) return s;
  double ss = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(values[i])) ss += (values[i] - s.mean) * (values[i] - s.mean);
  s.sd = sqrt(ss / (double)(s.n - 1));
  s.ci95 = stats_t975((double)(s.n - 1)) * s.sd / sqrt((double)s.n);
  return s;
}

StatSummary stats_paired(const double *a, const double *b, size_t n) {
  double *d = g_new(double, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    d[i] = isfinite(a[i]) && isfinite(b[i]) ? b[i] - a[i] : NAN;
  StatSummary s = stats_summarize(d, n);
  g_free(d);
  return s;
}

double stats_welch_p_greater(const StatSummary *a, const StatSummary *b) {
  double diff = b->mean - a->mean;
  double va = a->n > 1 ? a->sd * a->sd / (double)a->n : 0;
  double vb = b->n > 1 ? b->sd * b->sd / (double)b->n : 0;
  double se2 = va + vb;
  if (!(se2 > 0)) return diff > 0 ? 0.0 : diff < 0 ? 1.0 : 0.5;
  /* Welch-Satterthwaite; a side with n < 2 contributes no variance */
  double den = 0;
  if (a->n > 1) den += va * va / (double)(a->n - 1);
  if (b->n > 1) den += vb * vb / (double)(b->n - 1);
  double df = se2 * se2 / den;
  return gsl_cdf_tdist_Q(diff / sqrt(se2), df);
}

gboolean stats_precise_enough(const StatSummary *s, double precision) {
  if (s->n < 2 || !isfinite(s->ci95)) return FALSE;
  if (s->ci95 == 0) return TRUE;
  return s->ci95 < precision * fabs(s->mean);
}

typedef struct Direction {
  const char *prefix;  /* metric name, or a prefix ending in '_' */
  int dir;
} Direction;

/* Higher offload, hits and mesh traffic are better; latency, page-load
 * times, CDN and origin traffic are costs. Workload counts (requests,
 * page views, online peers, events) say nothing about quality. */
static const Direction directions[] = {
  {"offload", +1},          {"local_hits", +1},      {"local_hit_ratio", +1},
  {"mesh_fetches", +1},     {"mesh_bytes", +1},      {"mesh_same_network", +1},
  {"mesh_same_country", +1},
  {"cdn_fetches", -1},      {"cdn_bytes", -1},       {"mean_latency_s", -1},
  {"latency_", -1},         {"page_load_", -1},      {"origin_egress_", -1},
};

int stats_better_direction(const char *metric) {
  for (size_t i = 0; i < G_N_ELEMENTS(directions); i++) {
    const char *p = directions[i].prefix;
    size_t len = strlen(p);
    if (p[len - 1] == '_' ? strncmp(metric, p, len) == 0 : strcmp(metric, p) == 0)
      return directions[i].dir;
  }
  return 0;
}
