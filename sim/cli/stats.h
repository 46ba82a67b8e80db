/*
 * stats.h: replication statistics for sweep, compare, check and report:
 * sample mean and sd, Student-t 95% confidence intervals (GSL), paired
 * differences, Welch's t-test, and the "which direction is better" table
 * of the summary metrics.
 */
#ifndef CLI_STATS_H
#define CLI_STATS_H

#include <glib.h>
#include <stddef.h>

/* Summary of n replications of one scalar. NaN values are skipped. */
typedef struct StatSummary {
  size_t n;          /* finite values */
  double mean;       /* NaN when n = 0 */
  double sd;         /* sample sd (n - 1); NaN when n < 2 */
  double ci95;       /* 95% CI half-width t(0.975, n-1) * sd / sqrt(n); NaN when n < 2 */
} StatSummary;

/* The two-sided 95% Student t quantile t(0.975, df); df >= 1. */
double stats_t975(double df);

/* Mean, sd and CI of values[0..n). */
StatSummary stats_summarize(const double *values, size_t n);

/* The paired differences b[i] - a[i] summarised (pairs where either side
 * is NaN are skipped). */
StatSummary stats_paired(const double *a, const double *b, size_t n);

/* Welch's t-test of mean(b) - mean(a) from two summaries: the one-sided
 * p-value of "b is greater than a" (P(T >= t) with the Welch-Satterthwaite
 * degrees of freedom). Zero variance on both sides: 0 when b > a, 1 when
 * b < a, 0.5 when equal. */
double stats_welch_p_greater(const StatSummary *a, const StatSummary *b);

/* Whether the CI half-width is below precision * |mean| (FALSE when the
 * CI is undefined; TRUE when mean and sd are both 0). */
gboolean stats_precise_enough(const StatSummary *s, double precision);

/* Direction of "better" of a summary metric: +1 higher is better, -1 lower
 * is better, 0 neither (a count of the workload, not a quality). Unknown
 * names are 0. */
int stats_better_direction(const char *metric);

#endif
