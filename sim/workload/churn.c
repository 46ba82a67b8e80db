/*
 * churn.c: visitor arrivals per country, visits, dwell times.
 *
 * Invariants:
 *   (1) pieces[] partitions the UTC day [0, DAY): every country's rate is
 *       constant inside a piece (its boundaries are the union of all local
 *       hour boundaries); piece_rate[i] = sum of the countries' rates in it.
 *   (2) a visitor is exactly one of: online (pool_pos NO_POS), in its
 *       country's offline pool (pool[country][pool_pos[v]] == v), or
 *       forgotten (pool_pos FORGOTTEN: dropped from a full pool).
 * Ownership: everything belongs to the Churn; visitors grow by doubling
 * (amortised O(1), no allocation on most arrivals).
 * Not here: what visitors do on a page (traffic.c), engine events (model/).
 */
#include "workload/churn.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "core/rng.h"

G_DEFINE_QUARK(churn-error-quark, churn_error)

#define DAY_NS (INT64_C(86400) * 1000000000)
#define HOUR_NS (INT64_C(3600) * 1000000000)
#define NO_POS UINT32_MAX          /* online */
#define FORGOTTEN (UINT32_MAX - 1) /* dropped from a full pool: never returns */

/* Default local-time shape, 0 = trough (04:00-05:00), 1 = peak (21:00-22:00).
 * Our rounding of the typical residential web diurnal curve (low at night,
 * a morning rise, a flat working day, the evening peak); see WORKLOAD.md. */
static const double default_shape[CHURN_HOURS] = {
  0.55, 0.38, 0.24, 0.12, 0.00, 0.03, 0.12, 0.28, 0.45, 0.58, 0.65, 0.70,
  0.72, 0.72, 0.72, 0.73, 0.75, 0.78, 0.82, 0.90, 0.97, 1.00, 0.92, 0.75,
};

typedef struct Pool {
  uint32_t *ids;
  uint32_t n, cap;
} Pool;

struct Churn {
  ChurnParams p;
  uint32_t n_countries;
  double *share;                  /* users share per country */
  int32_t *offset_s;              /* UTC offset per country, s */
  double hour_rate[CHURN_HOURS];  /* profile normalised to mean 1 */
  double arrival_rate;            /* A, per second */
  double mean_dwell_s;
  /* pieces of the UTC day, invariant (1) */
  uint32_t n_pieces;
  int64_t *piece_start;           /* ns since UTC midnight, ascending, [0] = 0 */
  double *piece_rate;             /* total arrivals per ns */
  gsl_ran_discrete_t **piece_country;
  int64_t start_sod_ns;           /* UTC time of day at sim time 0, ns */
  /* visitors, invariant (2) */
  uint32_t n_visitors, cap_visitors;
  uint32_t *v_country;
  uint32_t *v_pool_pos;
  uint8_t *v_device;
  uint8_t *v_uploads;
  Pool *pool;                     /* per country: offline visitors */
  gsl_rng *rng_arrival;           /* (RNG_CHURN, 0) */
  gsl_rng *rng_visit;             /* (RNG_CHURN, 1) */
  gsl_rng *rng_who;               /* (RNG_CHURN, 2): returning or new, device.
                                     Its own stream: who is offline depends on
                                     the model (page load times move
                                     departures), arrival times and countries
                                     must not (common random numbers). */
};

void churn_params_init_defaults(ChurnParams *p) {
  memset(p, 0, sizeof *p);
  p->target_concurrent = 5000;
  p->start_unix_s = INT64_C(1718150400);   /* 2024-06-12 00:00 UTC, a Wednesday */
  p->profile = NULL;
  p->peak_trough_ratio = 3.0;
  p->pages_mean = 3.0;
  p->dwell_shape = 0.7;
  p->dwell_scale_s[CHURN_DESKTOP] = 43.4;  /* mean 43.4 * Gamma(1 + 1/0.7) = 55 s */
  p->dwell_scale_s[CHURN_MOBILE] = 43.4;
  p->mobile_share = 0.6;
  p->mobile_upload_share = 0.5;
  p->upload_factor[CHURN_DESKTOP] = 1.0;
  p->upload_factor[CHURN_MOBILE] = 0.5;
  p->returning_prob = 0.4;
  p->cache_clear_prob = 0.1;
  p->remembered = 0;
}

const double *churn_default_shape(void) {
  return default_shape;
}

static gboolean bad(GError **error, const char *what) {
  g_set_error(error, CHURN_ERROR, CHURN_ERROR_PARAM, "churn: %s", what);
  return FALSE;
}

static gboolean check_params(const ChurnParams *p, GError **error) {
  if (!(p->target_concurrent > 0)) return bad(error, "target_concurrent must be > 0");
  if (!(p->pages_mean >= 1)) return bad(error, "pages_mean must be >= 1");
  if (!(p->dwell_shape > 0 && p->dwell_shape <= 10))
    return bad(error, "dwell_shape must be in (0, 10]");
  for (int d = 0; d < CHURN_N_DEVICES; d++) {
    if (!(p->dwell_scale_s[d] > 0)) return bad(error, "dwell_scale must be > 0");
    if (!(p->upload_factor[d] >= 0)) return bad(error, "upload_factor must be >= 0");
  }
  const double *probs[] = {&p->mobile_share, &p->mobile_upload_share,
                           &p->returning_prob, &p->cache_clear_prob};
  for (size_t i = 0; i < G_N_ELEMENTS(probs); i++)
    if (!(*probs[i] >= 0 && *probs[i] <= 1)) return bad(error, "a probability is outside [0, 1]");
  if (!(p->remembered >= 0)) return bad(error, "remembered must be >= 0");
  if (p->profile) {
    double sum = 0;
    for (int h = 0; h < CHURN_HOURS; h++) {
      if (!(p->profile[h] >= 0)) return bad(error, "profile values must be >= 0");
      sum += p->profile[h];
    }
    if (!(sum > 0)) return bad(error, "profile must have a positive value");
  } else if (!(p->peak_trough_ratio >= 1)) {
    return bad(error, "peak_trough_ratio must be >= 1");
  }
  return TRUE;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Local hour of country k at UTC time of day sod_ns. */
static int local_hour(const Churn *c, uint32_t k, int64_t sod_ns) {
  int64_t local = sod_ns + (int64_t)c->offset_s[k] * 1000000000;
  local %= DAY_NS;
  if (local < 0) local += DAY_NS;
  return (int)(local / HOUR_NS);
}

static void build_pieces(Churn *c) {
  uint32_t n = c->n_countries;
  int64_t *b = g_new(int64_t, (size_t)n * CHURN_HOURS + 1);
  size_t nb = 0;
  b[nb++] = 0;
  for (uint32_t k = 0; k < n; k++)
    for (int h = 0; h < CHURN_HOURS; h++) {
      int64_t x = (int64_t)h * HOUR_NS - (int64_t)c->offset_s[k] * 1000000000;
      x %= DAY_NS;
      if (x < 0) x += DAY_NS;
      b[nb++] = x;
    }
  qsort(b, nb, sizeof *b, cmp_i64);
  size_t u = 0;
  for (size_t i = 0; i < nb; i++)
    if (u == 0 || b[i] != b[u - 1]) b[u++] = b[i];
  c->n_pieces = (uint32_t)u;
  c->piece_start = b;
  c->piece_rate = g_new(double, u);
  c->piece_country = g_new(gsl_ran_discrete_t *, u);
  double *w = g_new(double, n);
  for (size_t i = 0; i < u; i++) {
    double tot = 0;
    for (uint32_t k = 0; k < n; k++) {
      w[k] = c->share[k] * c->hour_rate[local_hour(c, k, b[i])];
      tot += w[k];
    }
    c->piece_rate[i] = c->arrival_rate * tot * 1e-9;
    /* an all-zero piece keeps a valid table; it is never drawn from */
    if (!(tot > 0)) for (uint32_t k = 0; k < n; k++) w[k] = 1;
    c->piece_country[i] = gsl_ran_discrete_preproc(n, w);
  }
  g_free(w);
}

Churn *churn_new(const ChurnCountry *countries, uint32_t n_countries,
                 const ChurnParams *p, uint64_t seed, GError **error) {
  if (!check_params(p, error)) return NULL;
  if (n_countries == 0) {
    bad(error, "no countries");
    return NULL;
  }
  double users = 0;
  for (uint32_t k = 0; k < n_countries; k++) {
    if (!(countries[k].users >= 0)) {
      bad(error, "a country has negative users");
      return NULL;
    }
    users += countries[k].users;
  }
  if (!(users > 0)) {
    bad(error, "the countries have no users");
    return NULL;
  }
  Churn *c = g_new0(Churn, 1);
  c->p = *p;
  c->p.profile = NULL;   /* copied into hour_rate below; not kept */
  c->n_countries = n_countries;
  c->share = g_new(double, n_countries);
  c->offset_s = g_new(int32_t, n_countries);
  for (uint32_t k = 0; k < n_countries; k++) {
    c->share[k] = countries[k].users / users;
    GTimeZone *tz = countries[k].tz ? g_time_zone_new_identifier(countries[k].tz) : NULL;
    if (!tz) {
      g_set_error(error, CHURN_ERROR, CHURN_ERROR_ZONE, "churn: unknown time zone '%s'",
                  countries[k].tz ? countries[k].tz : "(null)");
      churn_free(c);
      return NULL;
    }
    int iv = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, p->start_unix_s);
    c->offset_s[k] = g_time_zone_get_offset(tz, iv < 0 ? 0 : iv);
    g_time_zone_unref(tz);
  }
  /* profile, normalised to mean 1 */
  double sum = 0;
  for (int h = 0; h < CHURN_HOURS; h++) {
    c->hour_rate[h] = p->profile ? p->profile[h]
                                 : 1.0 + (p->peak_trough_ratio - 1.0) * default_shape[h];
    sum += c->hour_rate[h];
  }
  for (int h = 0; h < CHURN_HOURS; h++) c->hour_rate[h] *= CHURN_HOURS / sum;
  double g1 = gsl_sf_gamma(1.0 + 1.0 / p->dwell_shape);
  c->mean_dwell_s = g1 * ((1 - p->mobile_share) * p->dwell_scale_s[CHURN_DESKTOP] +
                          p->mobile_share * p->dwell_scale_s[CHURN_MOBILE]);
  c->arrival_rate = p->target_concurrent / (p->pages_mean * c->mean_dwell_s);
  build_pieces(c);
  int64_t sod = p->start_unix_s % 86400;
  if (sod < 0) sod += 86400;
  c->start_sod_ns = sod * 1000000000;
  c->pool = g_new0(Pool, n_countries);
  c->rng_arrival = rng_stream_new(seed, RNG_CHURN, 0);
  c->rng_visit = rng_stream_new(seed, RNG_CHURN, 1);
  c->rng_who = rng_stream_new(seed, RNG_CHURN, 2);
  return c;
}

Churn *churn_new_for_world(const World *w, const ChurnParams *p, uint64_t seed,
                           GError **error) {
  uint32_t n = world_n_countries(w);
  ChurnCountry *cc = g_new(ChurnCountry, n ? n : 1);
  for (uint32_t k = 0; k < n; k++) {
    const WorldCountry *wc = world_country(w, k);
    cc[k].tz = wc->tz;
    cc[k].users = (double)wc->users;
  }
  Churn *c = churn_new(cc, n, p, seed, error);
  g_free(cc);
  return c;
}

void churn_free(Churn *c) {
  if (!c) return;
  if (c->piece_country)
    for (uint32_t i = 0; i < c->n_pieces; i++) gsl_ran_discrete_free(c->piece_country[i]);
  g_free(c->piece_country);
  g_free(c->piece_rate);
  g_free(c->piece_start);
  if (c->pool)
    for (uint32_t k = 0; k < c->n_countries; k++) g_free(c->pool[k].ids);
  g_free(c->pool);
  g_free(c->v_country);
  g_free(c->v_pool_pos);
  g_free(c->v_device);
  g_free(c->v_uploads);
  g_free(c->share);
  g_free(c->offset_s);
  if (c->rng_arrival) gsl_rng_free(c->rng_arrival);
  if (c->rng_visit) gsl_rng_free(c->rng_visit);
  if (c->rng_who) gsl_rng_free(c->rng_who);
  g_free(c);
}

/* Piece containing UTC time of day sod (binary search). */
static uint32_t piece_of(const Churn *c, int64_t sod) {
  uint32_t lo = 0, hi = c->n_pieces;   /* piece_start[lo] <= sod < piece_start[hi] */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (c->piece_start[mid] <= sod) lo = mid;
    else hi = mid;
  }
  return lo;
}

static uint32_t new_visitor(Churn *c, uint32_t country) {
  if (c->n_visitors == c->cap_visitors) {
    g_assert_true(c->cap_visitors < UINT32_MAX / 2);
    c->cap_visitors = c->cap_visitors ? 2 * c->cap_visitors : 1024;
    c->v_country = g_renew(uint32_t, c->v_country, c->cap_visitors);
    c->v_pool_pos = g_renew(uint32_t, c->v_pool_pos, c->cap_visitors);
    c->v_device = g_renew(uint8_t, c->v_device, c->cap_visitors);
    c->v_uploads = g_renew(uint8_t, c->v_uploads, c->cap_visitors);
  }
  uint32_t v = c->n_visitors++;
  c->v_country[v] = country;
  c->v_pool_pos[v] = NO_POS;
  bool mobile = gsl_rng_uniform(c->rng_who) < c->p.mobile_share;
  c->v_device[v] = mobile ? CHURN_MOBILE : CHURN_DESKTOP;
  c->v_uploads[v] = !mobile || gsl_rng_uniform(c->rng_who) < c->p.mobile_upload_share;
  return v;
}

void churn_next_arrival(Churn *c, SimTime now, ChurnArrival *out) {
  g_assert_true(now >= 0);
  double e = gsl_ran_exponential(c->rng_arrival, 1.0);   /* mass to integrate */
  int64_t day0 = (c->start_sod_ns + now) / DAY_NS * DAY_NS - c->start_sod_ns;
  int64_t sod = (c->start_sod_ns + now) % DAY_NS;
  uint32_t i = piece_of(c, sod);
  int64_t t = now;
  for (;;) {
    int64_t end = (i + 1 < c->n_pieces ? c->piece_start[i + 1] : DAY_NS);
    int64_t end_t = day0 + end;                       /* sim time of the piece end */
    double rate = c->piece_rate[i];
    double mass = rate * (double)(end_t - t);
    if (rate > 0 && e < mass) {
      int64_t dt = (int64_t)ceil(e / rate);
      if (dt < 1) dt = 1;                              /* strictly after now */
      if (t + dt >= end_t) dt = end_t - t - 1 > 0 ? end_t - t - 1 : 1;
      t += dt;
      break;
    }
    e -= mass;
    t = end_t;
    if (++i == c->n_pieces) {
      i = 0;
      day0 += DAY_NS;
    }
  }
  if (t <= now) t = now + 1;
  uint32_t country = (uint32_t)gsl_ran_discrete(c->rng_arrival, c->piece_country[i]);
  out->at_ns = t;
  out->country = country;
  Pool *pl = &c->pool[country];
  bool returning = gsl_rng_uniform(c->rng_who) < c->p.returning_prob && pl->n > 0;
  uint32_t v;
  if (returning) {
    uint32_t j = (uint32_t)gsl_rng_uniform_int(c->rng_who, pl->n);
    v = pl->ids[j];
    uint32_t last = pl->ids[--pl->n];                 /* swap-remove, invariant (2) */
    pl->ids[j] = last;
    c->v_pool_pos[last] = j;
    c->v_pool_pos[v] = NO_POS;
    out->cache_cleared = gsl_rng_uniform(c->rng_who) < c->p.cache_clear_prob;
  } else {
    v = new_visitor(c, country);
    out->cache_cleared = true;
  }
  out->visitor = v;
  out->is_returning = returning;
  out->device = (ChurnDevice)c->v_device[v];
  out->uploads = c->v_uploads[v] != 0;
}

uint32_t churn_visit_end(Churn *c, uint32_t visitor) {
  g_assert_true(visitor < c->n_visitors);
  g_assert_true(c->v_pool_pos[visitor] == NO_POS);   /* was online */
  uint32_t country = c->v_country[visitor];
  Pool *pl = &c->pool[country];
  uint32_t forgotten = UINT32_MAX;
  if (c->p.remembered > 0) {
    double cap = ceil(c->p.remembered * c->share[country]);
    if (cap < 16) cap = 16;
    if (pl->n >= (uint32_t)cap) {                    /* forget one, uniformly */
      uint32_t j = (uint32_t)gsl_rng_uniform_int(c->rng_who, pl->n);
      forgotten = pl->ids[j];
      uint32_t last = pl->ids[--pl->n];
      pl->ids[j] = last;
      c->v_pool_pos[last] = j;
      c->v_pool_pos[forgotten] = FORGOTTEN;
    }
  }
  if (pl->n == pl->cap) {
    pl->cap = pl->cap ? 2 * pl->cap : 256;
    pl->ids = g_renew(uint32_t, pl->ids, pl->cap);
  }
  c->v_pool_pos[visitor] = pl->n;
  pl->ids[pl->n++] = visitor;
  return forgotten;
}

uint32_t churn_visit_pages(Churn *c, uint32_t visitor) {
  g_assert_true(visitor < c->n_visitors);
  return gsl_ran_geometric(c->rng_visit, 1.0 / c->p.pages_mean);
}

SimTime churn_dwell_ns(Churn *c, ChurnDevice device) {
  g_assert_true(device < CHURN_N_DEVICES);
  double s = gsl_ran_weibull(c->rng_visit, c->p.dwell_scale_s[device], c->p.dwell_shape);
  double ns = ceil(s * 1e9);
  return ns < 1 ? 1 : ns > 1e18 ? (SimTime)1e18 : (SimTime)ns;
}

uint32_t churn_n_visitors(const Churn *c) { return c->n_visitors; }

uint32_t churn_visitor_country(const Churn *c, uint32_t visitor) {
  g_assert_true(visitor < c->n_visitors);
  return c->v_country[visitor];
}

ChurnDevice churn_visitor_device(const Churn *c, uint32_t visitor) {
  g_assert_true(visitor < c->n_visitors);
  return (ChurnDevice)c->v_device[visitor];
}

bool churn_visitor_uploads(const Churn *c, uint32_t visitor) {
  g_assert_true(visitor < c->n_visitors);
  return c->v_uploads[visitor] != 0;
}

double churn_upload_factor(const Churn *c, ChurnDevice device) {
  g_assert_true(device < CHURN_N_DEVICES);
  return c->p.upload_factor[device];
}

double churn_mean_dwell_s(const Churn *c) { return c->mean_dwell_s; }
double churn_mean_visit_s(const Churn *c) { return c->p.pages_mean * c->mean_dwell_s; }
double churn_arrival_rate(const Churn *c) { return c->arrival_rate; }

double churn_country_rate(const Churn *c, uint32_t country, SimTime t) {
  g_assert_true(country < c->n_countries);
  int64_t sod = (c->start_sod_ns + t) % DAY_NS;
  return c->arrival_rate * c->share[country] * c->hour_rate[local_hour(c, country, sod)];
}

int32_t churn_country_utc_offset_s(const Churn *c, uint32_t country) {
  g_assert_true(country < c->n_countries);
  return c->offset_s[country];
}
