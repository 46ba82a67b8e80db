/*
 * histogram.h: log-bucketed, mergeable histograms of non-negative values
 * (latencies in seconds or ns, sizes in bytes) for sim/results.
 *
 * Buckets are HDR-style: each power-of-two octave [2^e, 2^(e+1)) is cut into
 * 2^HISTOGRAM_SUB_BITS equal sub-buckets. A bucket's key is simply the top
 * bits of the IEEE-754 double, so bucket bounds are exact doubles and the
 * key of a value is one shift (no log(), no loop). A bucket [lo, hi) has
 * (hi - lo) / lo <= 2^-7, and a percentile is reported as the bucket's
 * midpoint (clamped to the exact min and max), so its relative error is
 * <= 2^-8 = 0.39 % for every value >= DBL_MIN (subnormals are tolerated but
 * their buckets are absolute, not relative). Zero has its own exact bucket
 * (a local cache hit has latency 0).
 *
 * Count, sum, min and max are kept exactly (sum in double precision).
 * Memory: 1 KiB per octave actually spanned (the counts array covers the
 * octaves seen so far and grows, rarely, when a value falls outside them:
 * never more than a few dozen times over a histogram's life); histogram_add
 * itself never allocates.
 *
 * Quantiles use the nearest-rank definition: quantile(q) is the value of
 * rank max(1, ceil(q * n)) among the n values sorted ascending, so q = 0 is
 * the min and q = 1 the max (both exact).
 */
#ifndef RESULTS_HISTOGRAM_H
#define RESULTS_HISTOGRAM_H

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define HISTOGRAM_SUB_BITS 7                      /* 128 sub-buckets/octave */

typedef struct Histogram Histogram;

/* (transfer full) An empty histogram. */
Histogram *histogram_new(void);
void histogram_free(Histogram *h);
/* (transfer full) A deep copy of h. */
Histogram *histogram_copy(const Histogram *h);
/* Empty h again, keeping its memory. */
void histogram_reset(Histogram *h);

/* Record one value / n equal values. value must be finite and >= 0
 * (anything else is a bug: aborts with file and line). No allocation unless
 * value lies outside every octave seen so far. */
void histogram_add(Histogram *h, double value);
void histogram_add_n(Histogram *h, double value, uint64_t n);

/* dst += src (counts, sum, min, max). src is unchanged. dst may not be src. */
void histogram_merge(Histogram *dst, const Histogram *src);

uint64_t histogram_count(const Histogram *h);
double histogram_sum(const Histogram *h);
/* NAN when empty. */
double histogram_mean(const Histogram *h);
double histogram_min(const Histogram *h);
double histogram_max(const Histogram *h);
/* q in [0, 1] (clamped); NAN when empty. Relative error <= 0.39 % against
 * the exact nearest-rank quantile; exact for q = 0, q = 1 and zeros. */
double histogram_quantile(const Histogram *h, double q);
/* Number of non-empty buckets (the zero bucket included). */
gsize histogram_bucket_count(const Histogram *h);

/* The bucket [lo, hi) holding value (lo == hi == 0 for value 0). */
void histogram_bucket_bounds(double value, double *lo, double *hi);

/* Iterator over non-empty buckets in ascending order; the zero bucket comes
 * first as lo = hi = 0. The histogram must not change while iterating.
 *   HistogramIter it; double lo, hi; uint64_t n;
 *   histogram_iter_init(&it, h);
 *   while (histogram_iter_next(&it, &lo, &hi, &n)) ...                     */
typedef struct HistogramIter {
  const Histogram *h;   /* private */
  gint64 pos;           /* private: -1 = zero bucket, else index in counts */
} HistogramIter;

void histogram_iter_init(HistogramIter *it, const Histogram *h);
gboolean histogram_iter_next(HistogramIter *it, double *lo, double *hi,
                             uint64_t *count);

/* Deserialisation (sim/results reading a stored histogram): after the
 * buckets were restored with histogram_add_n(h, lo, count) for each stored
 * bucket, set the exact sum, min and max that were stored with them.
 * Returns FALSE (h unchanged) if they are inconsistent with the buckets
 * (min > max, min or max outside the non-empty buckets, a negative sum). */
gboolean histogram_restore_summary(Histogram *h, double sum, double min,
                                   double max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Histogram, histogram_free)

G_END_DECLS

#endif /* RESULTS_HISTOGRAM_H */
