/*
 * test_churn.c: the churn generator against theory.
 *
 *   - M/G/inf: time-averaged concurrent visitors = arrival rate x mean visit
 *     length (Little), within 1%, occupancy swept from arrival/departure
 *     times (no engine);
 *   - diurnal: per country, arrival counts per UTC hour peak and trough at
 *     the profile's local hours shifted by the zone's UTC offset, with the
 *     configured peak/trough ratio; world countries split by users;
 *   - Weibull dwell mean and the share under 15 s (closed forms), pages per
 *     visit mean; returning, cache-clear, mobile and upload frequencies;
 *   - determinism per seed; errors for bad zones and parameters.
 */
#include "workload/churn.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#define S_NS 1e9

static ChurnParams flat_params(void) {
  ChurnParams p;
  churn_params_init_defaults(&p);
  p.peak_trough_ratio = 1.0;
  p.returning_prob = 0;
  return p;
}

static void test_mginf(void) {
  ChurnCountry cc[] = {{"Africa/Abidjan", 3e6}, {"Asia/Tokyo", 1e6}};
  ChurnParams p = flat_params();
  p.target_concurrent = 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 2, &p, 42, &error);
  g_assert_no_error(error);
  /* closed-form E[visit] = pages_mean * scale * Gamma(1 + 1/shape) */
  double ev = p.pages_mean * p.dwell_scale_s[0] * gsl_sf_gamma(1 + 1 / p.dwell_shape);
  g_assert_cmpfloat_with_epsilon(churn_mean_visit_s(c), ev, 1e-9 * ev);
  double lambda = churn_arrival_rate(c);
  g_assert_cmpfloat_with_epsilon(lambda * ev, 1000, 1e-6);

  const double warm = 3600, horizon = 2.0e6 / lambda;   /* ~2M arrivals */
  double busy = 0;           /* integral of the occupancy over [warm, horizon] */
  uint64_t n = 0;
  SimTime now = 0;
  for (;;) {
    ChurnArrival a;
    churn_next_arrival(c, now, &a);
    g_assert_cmpint(a.at_ns, >, now);
    now = a.at_ns;
    double t0 = (double)now / S_NS;
    if (t0 >= horizon) break;
    n++;
    uint32_t pages = churn_visit_pages(c, a.visitor);
    g_assert_cmpuint(pages, >=, 1);
    double len = 0;
    for (uint32_t i = 0; i < pages; i++) len += (double)churn_dwell_ns(c, a.device) / S_NS;
    double lo = fmax(t0, warm), hi = fmin(t0 + len, horizon);
    if (hi > lo) busy += hi - lo;
  }
  double mean_online = busy / (horizon - warm);
  double expect_n = lambda * horizon;
  g_test_message("arrivals %" G_GUINT64_FORMAT " (expected %.0f), mean online %.2f "
                 "(M/G/inf %.2f)", n, expect_n, mean_online, lambda * ev);
  g_assert_cmpfloat(fabs((double)n - expect_n), <, 5 * sqrt(expect_n));
  g_assert_cmpfloat(fabs(mean_online / (lambda * ev) - 1), <, 0.01);
}

/* Hourly arrival counts per country over whole days starting at 00:00 UTC. */
static void count_hours(Churn *c, uint32_t n_countries, int days, double *counts) {
  memset(counts, 0, sizeof(double) * n_countries * 24);
  SimTime now = 0, end = (SimTime)days * 86400 * (SimTime)S_NS;
  for (;;) {
    ChurnArrival a;
    churn_next_arrival(c, now, &a);
    now = a.at_ns;
    if (now >= end) break;
    int h = (int)((now / (SimTime)(3600 * S_NS)) % 24);
    counts[a.country * 24 + (uint32_t)h] += 1;
  }
}

static void test_diurnal_local_time(void) {
  ChurnCountry cc[] = {{"Africa/Abidjan", 1}, {"Asia/Tokyo", 1}, {"America/Bogota", 1}};
  ChurnParams p;
  churn_params_init_defaults(&p);
  p.start_unix_s = INT64_C(1704067200);   /* 2024-01-01 00:00 UTC */
  /* the default shape with a sharper peak (21h) and trough (4h), so that
   * argmax/argmin are unambiguous in 20 days of arrivals */
  const double *shape = churn_default_shape();
  double prof[24];
  for (int h = 0; h < 24; h++) prof[h] = 1 + 2 * shape[h];
  prof[21] = 3.6;
  prof[4] = 0.6;
  p.profile = prof;
  p.pages_mean = 1;
  p.target_concurrent = 1.5 * 55;         /* 1.5 arrivals/s */
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 3, &p, 7, &error);
  g_assert_no_error(error);
  g_assert_cmpint(churn_country_utc_offset_s(c, 0), ==, 0);
  g_assert_cmpint(churn_country_utc_offset_s(c, 1), ==, 9 * 3600);
  g_assert_cmpint(churn_country_utc_offset_s(c, 2), ==, -5 * 3600);
  double counts[3 * 24];
  count_hours(c, 3, 20, counts);
  int peak_local = 0, trough_local = 0;
  for (int h = 0; h < 24; h++) {
    if (prof[h] > prof[peak_local]) peak_local = h;
    if (prof[h] < prof[trough_local]) trough_local = h;
  }
  g_assert_cmpint(peak_local, ==, 21);
  g_assert_cmpint(trough_local, ==, 4);
  const int offset_h[] = {0, 9, -5};
  for (uint32_t k = 0; k < 3; k++) {
    int hmax = 0, hmin = 0;
    double tot = 0;
    for (int h = 0; h < 24; h++) {
      double x = counts[k * 24 + (uint32_t)h];
      tot += x;
      if (x > counts[k * 24 + (uint32_t)hmax]) hmax = h;
      if (x < counts[k * 24 + (uint32_t)hmin]) hmin = h;
    }
    int want_max = ((peak_local - offset_h[k]) % 24 + 24) % 24;
    int want_min = ((trough_local - offset_h[k]) % 24 + 24) % 24;
    double ratio = counts[k * 24 + (uint32_t)hmax] / counts[k * 24 + (uint32_t)hmin];
    g_test_message("country %u: %.0f arrivals, UTC peak %d (want %d), trough %d (want %d), "
                   "ratio %.3f", k, tot, hmax, want_max, hmin, want_min, ratio);
    g_assert_cmpint(hmax, ==, want_max);
    g_assert_cmpint(hmin, ==, want_min);
    g_assert_cmpfloat(fabs(ratio / 6.0 - 1), <, 0.05);
    /* every hour against the profile: chi-square-like bound per hour */
    double norm = 0;
    for (int h = 0; h < 24; h++) norm += prof[h];
    for (int h = 0; h < 24; h++) {
      int local = ((h + offset_h[k]) % 24 + 24) % 24;
      double e = tot * prof[local] / norm;
      g_assert_cmpfloat(fabs(counts[k * 24 + (uint32_t)h] - e), <, 5 * sqrt(e));
    }
  }
  /* the default shape: peak 21h, trough 4h local, ratio peak_trough_ratio */
  int pk = 0, tr = 0;
  for (int h = 0; h < 24; h++) {
    if (shape[h] > shape[pk]) pk = h;
    if (shape[h] < shape[tr]) tr = h;
  }
  g_assert_cmpint(pk, ==, 21);
  g_assert_cmpint(tr, ==, 4);
  ChurnParams d;
  churn_params_init_defaults(&d);
  d.start_unix_s = p.start_unix_s;
  g_autoptr(Churn) cd = churn_new(cc, 3, &d, 7, &error);
  g_assert_no_error(error);
  SimTime tokyo_peak = (SimTime)((12 * 3600 + 10) * S_NS), tokyo_trough = (SimTime)((19 * 3600 + 10) * S_NS);
  g_assert_cmpfloat_with_epsilon(churn_country_rate(cd, 1, tokyo_peak) /
                                 churn_country_rate(cd, 1, tokyo_trough), d.peak_trough_ratio, 1e-12);
}

static void test_half_hour_zone(void) {
  /* India (+5:30): local hours straddle UTC hours; the rate follows. */
  ChurnCountry cc[] = {{"Asia/Kolkata", 1}};
  ChurnParams p;
  churn_params_init_defaults(&p);
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 1, &p, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpint(churn_country_utc_offset_s(c, 0), ==, 5 * 3600 + 1800);
  /* start is 00:00 UTC: local 21:00 is 15:30 UTC */
  SimTime peak = (SimTime)((15 * 3600 + 1800 + 60) * S_NS);
  SimTime before = (SimTime)((15 * 3600 + 1800 - 60) * S_NS);
  double a = churn_country_rate(c, 0, peak), b = churn_country_rate(c, 0, before);
  const double *shape = churn_default_shape();
  double r = p.peak_trough_ratio;
  g_assert_cmpfloat_with_epsilon(a / b, (1 + (r - 1) * shape[21]) / (1 + (r - 1) * shape[20]),
                                 1e-12);
}

static void test_world_split(void) {
  const char *src = g_getenv("MESHSIM_SOURCE_DIR");
  g_autofree char *dir = g_build_filename(src ? src : ".", "scenarios", "world", NULL);
  WorldParams wp;
  world_params_init_defaults(&wp);
  wp.data_dir = dir;
  wp.n_countries = 10;
  wp.n_networks = 20;
  g_autoptr(GError) error = NULL;
  g_autoptr(World) w = world_load(&wp, 1, &error);
  g_assert_no_error(error);
  ChurnParams p;
  churn_params_init_defaults(&p);
  p.pages_mean = 1;
  p.target_concurrent = 1.0 * 55;   /* 1 arrival/s */
  g_autoptr(Churn) c = churn_new_for_world(w, &p, 3, &error);
  g_assert_no_error(error);
  uint32_t jp = 0;
  if (world_country_find(w, "JP", &jp)) g_assert_cmpint(churn_country_utc_offset_s(c, jp), ==, 32400);
  double counts[10 * 24], users = 0, tot = 0;
  count_hours(c, 10, 3, counts);
  for (uint32_t k = 0; k < 10; k++) users += (double)world_country(w, k)->users;
  double per[10] = {0};
  for (uint32_t k = 0; k < 10; k++) {
    for (int h = 0; h < 24; h++) per[k] += counts[k * 24 + (uint32_t)h];
    tot += per[k];
  }
  for (uint32_t k = 0; k < 10; k++) {
    double e = tot * (double)world_country(w, k)->users / users;
    g_assert_cmpfloat(fabs(per[k] - e), <, 5 * sqrt(e));
  }
}

static void test_dwell_and_pages(void) {
  ChurnCountry cc[] = {{"UTC", 1}};
  ChurnParams p;
  churn_params_init_defaults(&p);
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 1, &p, 5, &error);
  g_assert_no_error(error);
  ChurnArrival a;
  churn_next_arrival(c, 0, &a);
  const int n = 1000000;
  double sum = 0, under15 = 0, pages = 0;
  for (int i = 0; i < n; i++) {
    double s = (double)churn_dwell_ns(c, (ChurnDevice)(i & 1)) / S_NS;
    sum += s;
    under15 += s < 15;
    pages += churn_visit_pages(c, a.visitor);
  }
  double k = p.dwell_shape, lam = p.dwell_scale_s[0];
  double mean = lam * gsl_sf_gamma(1 + 1 / k);
  double p15 = 1 - exp(-pow(15 / lam, k));
  g_test_message("dwell mean %.2f s (Weibull %.2f), P(<15 s) %.4f (%.4f), pages %.4f",
                 sum / n, mean, under15 / n, p15, pages / n);
  g_assert_cmpfloat(mean, >, 50);    /* "just under a minute" */
  g_assert_cmpfloat(mean, <, 60);
  g_assert_cmpfloat(p15, >, 0.3);    /* "many leave within 10-20 s" */
  g_assert_cmpfloat(fabs(sum / n / mean - 1), <, 0.01);
  g_assert_cmpfloat(fabs(under15 / n - p15), <, 5 * sqrt(p15 * (1 - p15) / n));
  g_assert_cmpfloat(fabs(pages / n - p.pages_mean), <, 0.01 * p.pages_mean);
}

static void test_returning(void) {
  ChurnCountry cc[] = {{"UTC", 1}, {"Europe/Paris", 1}};
  ChurnParams p;
  churn_params_init_defaults(&p);
  p.returning_prob = 0.35;
  p.cache_clear_prob = 0.2;
  p.mobile_share = 0.6;
  p.mobile_upload_share = 0.25;
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 2, &p, 11, &error);
  g_assert_no_error(error);
  const int n = 200000;
  double ret = 0, cleared = 0, fresh = 0, mobile = 0, mob_up = 0, desk_up = 0;
  SimTime now = 0;
  for (int i = 0; i < n; i++) {
    ChurnArrival a;
    churn_next_arrival(c, now, &a);
    now = a.at_ns;
    g_assert_cmpuint(churn_visitor_country(c, a.visitor), ==, a.country);
    g_assert_cmpint(churn_visitor_device(c, a.visitor), ==, a.device);
    if (a.is_returning) {
      ret++;
      cleared += a.cache_cleared;
    } else {
      g_assert_true(a.cache_cleared);
      fresh++;
      if (a.device == CHURN_MOBILE) {
        mobile++;
        mob_up += a.uploads;
      } else {
        desk_up += a.uploads;
      }
    }
    churn_visit_end(c, a.visitor);   /* short visits: it may return at once */
  }
  g_assert_cmpuint(churn_n_visitors(c), ==, (uint32_t)fresh);
  g_test_message("returning %.4f, cleared %.4f, mobile %.4f, mobile uploading %.4f",
                 ret / n, cleared / ret, mobile / fresh, mob_up / mobile);
#define NEAR(x, m, pr) g_assert_cmpfloat(fabs((x) / (m) - (pr)), <, 5 * sqrt((pr) * (1 - (pr)) / (m)))
  NEAR(ret, n, p.returning_prob);
  NEAR(cleared, ret, p.cache_clear_prob);
  NEAR(mobile, fresh, p.mobile_share);
  NEAR(mob_up, mobile, p.mobile_upload_share);
  g_assert_cmpfloat(desk_up, ==, fresh - mobile);
  g_assert_cmpfloat(churn_upload_factor(c, CHURN_MOBILE), ==, p.upload_factor[CHURN_MOBILE]);
}

static void run_trace(uint64_t seed, GArray *out) {
  ChurnCountry cc[] = {{"UTC", 2}, {"Asia/Tokyo", 1}, {"America/New_York", 3}};
  ChurnParams p;
  churn_params_init_defaults(&p);
  g_autoptr(GError) error = NULL;
  g_autoptr(Churn) c = churn_new(cc, 3, &p, seed, &error);
  g_assert_no_error(error);
  SimTime now = 0;
  for (int i = 0; i < 5000; i++) {
    ChurnArrival a;
    churn_next_arrival(c, now, &a);
    now = a.at_ns;
    int64_t row[4] = {a.at_ns, a.country * 4 + a.device * 2 + a.is_returning, a.visitor,
                      churn_dwell_ns(c, a.device) + churn_visit_pages(c, a.visitor)};
    g_array_append_vals(out, row, 4);
    if (i % 3 == 0) churn_visit_end(c, a.visitor);
  }
}

static void test_determinism(void) {
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_autoptr(GArray) d = g_array_new(FALSE, FALSE, sizeof(int64_t));
  run_trace(99, a);
  run_trace(99, b);
  run_trace(100, d);
  g_assert_cmpuint(a->len, ==, b->len);
  g_assert_cmpmem(a->data, a->len * sizeof(int64_t), b->data, b->len * sizeof(int64_t));
  g_assert_cmpint(memcmp(a->data, d->data, a->len * sizeof(int64_t)), !=, 0);
}

static void test_errors(void) {
  ChurnParams p;
  churn_params_init_defaults(&p);
  g_autoptr(GError) error = NULL;
  ChurnCountry bad_tz[] = {{"Mars/Olympus_Mons", 1}};
  Churn *c = churn_new(bad_tz, 1, &p, 1, &error);
  g_assert_null(c);
  g_assert_error(error, CHURN_ERROR, CHURN_ERROR_ZONE);
  g_clear_error(&error);
  ChurnCountry ok[] = {{"UTC", 1}};
  p.pages_mean = 0.5;
  g_assert_null(churn_new(ok, 1, &p, 1, &error));
  g_assert_error(error, CHURN_ERROR, CHURN_ERROR_PARAM);
  g_clear_error(&error);
  churn_params_init_defaults(&p);
  double zero[24] = {0};
  p.profile = zero;
  g_assert_null(churn_new(ok, 1, &p, 1, &error));
  g_assert_error(error, CHURN_ERROR, CHURN_ERROR_PARAM);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/churn/mginf", test_mginf);
  g_test_add_func("/churn/diurnal_local_time", test_diurnal_local_time);
  g_test_add_func("/churn/half_hour_zone", test_half_hour_zone);
  g_test_add_func("/churn/world_split", test_world_split);
  g_test_add_func("/churn/dwell_and_pages", test_dwell_and_pages);
  g_test_add_func("/churn/returning", test_returning);
  g_test_add_func("/churn/determinism", test_determinism);
  g_test_add_func("/churn/errors", test_errors);
  return g_test_run();
}
