/*
 * histogram.c: log-bucketed histograms (see histogram.h for the contract).
 *
 * Invariants:
 *   (1) key(v) = bits(v) >> (52 - SUB_BITS) for finite v > 0; it is monotonic
 *       in v, and its top 11 bits are the biased exponent ("octave").
 *   (2) counts[] covers the keys [base_oct << SUB_BITS, (base_oct + n_oct)
 *       << SUB_BITS); every non-zero value ever added has its key in there.
 *   (3) count == zero + sum of counts[]; min/max are the exact extremes
 *       (meaningless when count == 0).
 * Growth: when a value falls outside (2), the range grows to cover it plus
 * at least 4 more octaves (or the current span, if larger) on that side, so
 * it happens O(log) times; the alternative, one fixed array over all 2046
 * octaves, would cost 2 MiB per histogram.
 */
#include "results/histogram.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define SUB_BITS HISTOGRAM_SUB_BITS
#define SUBS (1u << SUB_BITS)
#define KEY_SHIFT (52 - SUB_BITS)
#define OCT_MAX 2046u              /* largest biased exponent of a finite */
#define GROW_MIN_OCT 4u

struct Histogram {
  uint64_t *counts;    /* n_oct * SUBS bucket counts, see invariant (2) */
  uint32_t base_oct;   /* first octave (biased exponent) covered */
  uint32_t n_oct;      /* octaves covered; 0 while no non-zero value seen */
  uint64_t zero;       /* number of values == 0 */
  uint64_t count;      /* number of values */
  double sum;          /* sum of values */
  double min, max;     /* exact extremes, valid when count > 0 */
};

static inline uint64_t dbits(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static inline double bitsd(uint64_t b) {
  double v;
  memcpy(&v, &b, sizeof v);
  return v;
}

static inline uint32_t key_of(double v) { return (uint32_t)(dbits(v) >> KEY_SHIFT); }
static inline double key_lo(uint32_t k) { return bitsd((uint64_t)k << KEY_SHIFT); }
static inline double key_hi(uint32_t k) { return bitsd((uint64_t)(k + 1) << KEY_SHIFT); }

Histogram *histogram_new(void) {
  Histogram *h = g_new0(Histogram, 1);
  histogram_reset(h);
  return h;
}

void histogram_free(Histogram *h) {
  if (!h) return;
  g_free(h->counts);
  g_free(h);
}

Histogram *histogram_copy(const Histogram *h) {
  Histogram *c = g_new(Histogram, 1);
  *c = *h;
  c->counts = h->n_oct ? g_memdup2(h->counts, (gsize)h->n_oct * SUBS * sizeof *h->counts)
                       : NULL;
  return c;
}

void histogram_reset(Histogram *h) {
  if (h->counts) memset(h->counts, 0, (size_t)h->n_oct * SUBS * sizeof *h->counts);
  h->zero = 0;
  h->count = 0;
  h->sum = 0.0;
  h->min = INFINITY;
  h->max = -INFINITY;
}

/* Make counts[] cover octaves [lo_oct, hi_oct] (inclusive). */
static void ensure_octaves(Histogram *h, uint32_t lo_oct, uint32_t hi_oct) {
  if (h->n_oct && lo_oct >= h->base_oct && hi_oct < h->base_oct + h->n_oct) return;
  uint32_t new_lo, new_hi;                      /* inclusive */
  if (!h->n_oct) {
    new_lo = lo_oct;
    new_hi = hi_oct;
  } else {
    uint32_t old_hi = h->base_oct + h->n_oct - 1;
    uint32_t margin = MAX(GROW_MIN_OCT, h->n_oct);
    new_lo = h->base_oct;
    new_hi = old_hi;
    if (lo_oct < new_lo) new_lo = lo_oct;
    if (hi_oct > new_hi) new_hi = hi_oct;
    if (new_lo < h->base_oct) new_lo = new_lo > margin ? new_lo - margin : 0;
    if (new_hi > old_hi) new_hi = MIN(new_hi + margin, OCT_MAX);
  }
  if (!h->n_oct) {                              /* first value: a small window */
    new_lo = new_lo > GROW_MIN_OCT ? new_lo - GROW_MIN_OCT : 0;
    new_hi = MIN(new_hi + GROW_MIN_OCT, OCT_MAX);
  }
  uint32_t n = new_hi - new_lo + 1;
  uint64_t *c = g_new0(uint64_t, (gsize)n * SUBS);
  if (h->n_oct)
    memcpy(c + (size_t)(h->base_oct - new_lo) * SUBS, h->counts,
           (size_t)h->n_oct * SUBS * sizeof *c);
  g_free(h->counts);
  h->counts = c;
  h->base_oct = new_lo;
  h->n_oct = n;
}

G_NORETURN static void bad_value(double value) {
  g_error("%s: histogram value %g is not finite and >= 0 (a bug in the caller)",
          G_STRLOC, value);
}

void histogram_add_n(Histogram *h, double value, uint64_t n) {
  if (G_UNLIKELY(!(value >= 0.0 && value <= DBL_MAX))) bad_value(value);
  if (n == 0) return;
  if (value == 0.0) {
    h->zero += n;
  } else {
    uint32_t k = key_of(value);
    uint32_t i = k - (h->base_oct << SUB_BITS);  /* wraps when below: one test */
    if (G_UNLIKELY(i >= h->n_oct * SUBS)) {
      ensure_octaves(h, k >> SUB_BITS, k >> SUB_BITS);
      i = k - (h->base_oct << SUB_BITS);
    }
    h->counts[i] += n;
  }
  h->count += n;
  h->sum += value * (double)n;
  if (value < h->min) h->min = value;
  if (value > h->max) h->max = value;
}

void histogram_add(Histogram *h, double value) { histogram_add_n(h, value, 1); }

void histogram_merge(Histogram *dst, const Histogram *src) {
  g_return_if_fail(dst != src);
  if (src->count == 0) return;
  if (src->n_oct) {
    /* Only the octaves src actually uses, so dst does not inherit src's
     * growth margins. */
    uint32_t first = UINT32_MAX, last = 0;
    for (uint32_t i = 0; i < src->n_oct * SUBS; i++)
      if (src->counts[i]) {
        if (first == UINT32_MAX) first = i;
        last = i;
      }
    if (first != UINT32_MAX) {
      uint32_t k0 = (src->base_oct << SUB_BITS) + first;
      uint32_t k1 = (src->base_oct << SUB_BITS) + last;
      ensure_octaves(dst, k0 >> SUB_BITS, k1 >> SUB_BITS);
      uint64_t *d = dst->counts + (k0 - (dst->base_oct << SUB_BITS));
      for (uint32_t i = first; i <= last; i++) *d++ += src->counts[i];
    }
  }
  dst->zero += src->zero;
  dst->count += src->count;
  dst->sum += src->sum;
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
}

uint64_t histogram_count(const Histogram *h) { return h->count; }
double histogram_sum(const Histogram *h) { return h->sum; }
double histogram_mean(const Histogram *h) { return h->count ? h->sum / (double)h->count : NAN; }
double histogram_min(const Histogram *h) { return h->count ? h->min : NAN; }
double histogram_max(const Histogram *h) { return h->count ? h->max : NAN; }

double histogram_quantile(const Histogram *h, double q) {
  if (h->count == 0) return NAN;
  if (!(q > 0.0)) q = 0.0;                      /* NaN too */
  if (q > 1.0) q = 1.0;
  double r = ceil(q * (double)h->count);
  uint64_t rank = r < 1.0 ? 1 : (r >= (double)h->count ? h->count : (uint64_t)r);
  if (rank == 1) return h->min;
  if (rank == h->count) return h->max;
  uint64_t cum = h->zero;
  if (cum >= rank) return 0.0;
  for (uint32_t i = 0; i < h->n_oct * SUBS; i++) {
    cum += h->counts[i];
    if (cum >= rank) {
      uint32_t k = (h->base_oct << SUB_BITS) + i;
      double mid = 0.5 * key_lo(k) + 0.5 * key_hi(k);
      return CLAMP(mid, h->min, h->max);
    }
  }
  g_assert_not_reached();                      /* invariant (3) broken */
}

gsize histogram_bucket_count(const Histogram *h) {
  gsize n = h->zero ? 1 : 0;
  for (uint32_t i = 0; i < h->n_oct * SUBS; i++) n += h->counts[i] != 0;
  return n;
}

void histogram_bucket_bounds(double value, double *lo, double *hi) {
  if (G_UNLIKELY(!(value >= 0.0 && value <= DBL_MAX))) bad_value(value);
  if (value == 0.0) {
    *lo = *hi = 0.0;
    return;
  }
  uint32_t k = key_of(value);
  *lo = key_lo(k);
  *hi = key_hi(k);
}

void histogram_iter_init(HistogramIter *it, const Histogram *h) {
  it->h = h;
  it->pos = -1;
}

gboolean histogram_iter_next(HistogramIter *it, double *lo, double *hi,
                             uint64_t *count) {
  const Histogram *h = it->h;
  if (it->pos == -1) {
    it->pos = 0;
    if (h->zero) {
      *lo = *hi = 0.0;
      *count = h->zero;
      return TRUE;
    }
  }
  gint64 end = (gint64)h->n_oct * SUBS;
  while (it->pos < end && h->counts[it->pos] == 0) it->pos++;
  if (it->pos >= end) return FALSE;
  uint32_t k = (h->base_oct << SUB_BITS) + (uint32_t)it->pos;
  *lo = key_lo(k);
  *hi = key_hi(k);
  *count = h->counts[it->pos];
  it->pos++;
  return TRUE;
}

gboolean histogram_restore_summary(Histogram *h, double sum, double min,
                                   double max) {
  if (h->count == 0) return sum == 0.0;
  if (!(sum >= 0.0) || !(min <= max) || !(min >= 0.0) || !(max <= DBL_MAX))
    return FALSE;
  /* The stored extremes must fall in the first and last non-empty buckets. */
  HistogramIter it;
  double lo, hi, first_lo = 0, first_hi = 0, last_lo = 0, last_hi = 0;
  uint64_t n;
  gboolean first = TRUE;
  histogram_iter_init(&it, h);
  while (histogram_iter_next(&it, &lo, &hi, &n)) {
    if (first) {
      first_lo = lo;
      first_hi = hi;
      first = FALSE;
    }
    last_lo = lo;
    last_hi = hi;
  }
  gboolean min_ok = first_hi == 0.0 ? min == 0.0 : (min >= first_lo && min < first_hi);
  gboolean max_ok = last_hi == 0.0 ? max == 0.0 : (max >= last_lo && max < last_hi);
  if (!min_ok || !max_ok) return FALSE;
  h->sum = sum;
  h->min = min;
  h->max = max;
  return TRUE;
}
