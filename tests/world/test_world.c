/*
 * test_world.c: the world model against published figures and theory.
 *
 *   - RTT calibration: the model's country medians against the WonderProxy
 *     medians quoted in ../shared/data/README.md (within 20%);
 *   - great-circle distance against closed forms on the sphere;
 *   - symmetry, triangle inequality, same-network < same-country < far;
 *   - network generation: Hamilton apportionment bounds, Zipf shares,
 *     NAT / mobile frequencies, determinism per seed;
 *   - jitter: the sample median is the model's median, never below the floor.
 */
#include "world/world.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "core/rng.h"

static char *data_dir(void) {
  const char *src = g_getenv("MESHSIM_SOURCE_DIR");
  return g_build_filename(src ? src : ".", "scenarios", "world", NULL);
}

static World *load_default(uint64_t seed) {
  g_autofree char *dir = data_dir();
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  g_autoptr(GError) error = NULL;
  World *w = world_load(&p, seed, &error);
  g_assert_no_error(error);
  g_assert_nonnull(w);
  return w;
}

static uint32_t country(const World *w, const char *cc) {
  uint32_t i = 0;
  g_assert_true(world_country_find(w, cc, &i));
  return i;
}

/* WonderProxy public ping data, July 2020, median over server pairs. */
static const struct { const char *a, *b; double ms; } published[] = {
  {"US", "US", 40}, {"DE", "DE", 12}, {"DE", "FR", 26}, {"US", "DE", 118},
  {"US", "JP", 160}, {"BR", "US", 146}, {"IN", "US", 249}, {"AU", "GB", 285},
};

static void test_calibration(void) {
  g_autoptr(World) w = load_default(1);
  for (size_t k = 0; k < G_N_ELEMENTS(published); k++) {
    double m = world_country_rtt_ms(w, country(w, published[k].a),
                                    country(w, published[k].b));
    double err = (m - published[k].ms) / published[k].ms;
    g_test_message("%s-%s published %.0f ms model %.1f ms error %+.1f%%",
                   published[k].a, published[k].b, published[k].ms, m, 100 * err);
    g_assert_cmpfloat(fabs(err), <=, 0.20);
  }
}

static void test_great_circle(void) {
  const double r = 6371.0088;
  /* a quarter of the equator, a meridian from pole to pole, antipodes */
  g_assert_cmpfloat_with_epsilon(world_great_circle_km(0, 0, 0, 90), G_PI * r / 2, 1e-6);
  g_assert_cmpfloat_with_epsilon(world_great_circle_km(90, 0, -90, 0), G_PI * r, 1e-6);
  g_assert_cmpfloat_with_epsilon(world_great_circle_km(10, 20, -10, -160), G_PI * r, 1e-6);
  /* one degree of latitude */
  g_assert_cmpfloat_with_epsilon(world_great_circle_km(45, 7, 46, 7), G_PI * r / 180, 1e-6);
  /* spherical law of cosines as an independent formula */
  double la1 = 40.7142 * G_PI / 180, lo1 = -74.0064 * G_PI / 180;
  double la2 = 52.5 * G_PI / 180, lo2 = 13.3667 * G_PI / 180;
  double ref = r * acos(sin(la1) * sin(la2) + cos(la1) * cos(la2) * cos(lo2 - lo1));
  g_assert_cmpfloat_with_epsilon(world_great_circle_km(40.7142, -74.0064, 52.5, 13.3667),
                                 ref, 1e-3);
  g_assert_cmpfloat(world_great_circle_km(1, 179.9, 1, -179.9), <, 25);
}

static void test_symmetry(void) {
  g_autoptr(World) w = load_default(2);
  uint32_t nn = world_n_networks(w), nc = world_n_countries(w);
  for (uint32_t a = 0; a < nn; a++)
    for (uint32_t b = a; b < nn; b++)
      g_assert_cmpint(world_rtt_ns(w, a, b), ==, world_rtt_ns(w, b, a));
  for (uint32_t a = 0; a < nc; a++)
    for (uint32_t b = 0; b < nc; b++)
      g_assert_cmpfloat(world_country_rtt_ms(w, a, b), ==, world_country_rtt_ms(w, b, a));
}

static void test_triangle(void) {
  g_autoptr(World) w = load_default(3);
  uint32_t nc = world_n_countries(w);
  /* between distinct countries, the great-circle part obeys the triangle
   * inequality and access latencies only add: rtt(a,c) <= rtt(a,b) + rtt(b,c) */
  for (uint32_t a = 0; a < nc; a++)
    for (uint32_t b = 0; b < nc; b++)
      for (uint32_t c = 0; c < nc; c++) {
        if (a == b || b == c || a == c) continue;
        g_assert_cmpfloat(world_country_rtt_ms(w, a, c), <=,
                          world_country_rtt_ms(w, a, b) + world_country_rtt_ms(w, b, c) + 1e-9);
      }
  /* no RTT is below what light in fibre needs over the great circle */
  for (uint32_t a = 0; a < nc; a++)
    for (uint32_t b = 0; b < nc; b++) {
      if (a == b) continue;
      const WorldCountry *x = world_country(w, a), *y = world_country(w, b);
      double d = world_great_circle_km(x->lat, x->lon, y->lat, y->lon);
      g_assert_cmpfloat(world_country_rtt_ms(w, a, b), >=, 2 * d / (299.792458 * 2 / 3));
    }
}

static void test_locality_order(void) {
  g_autoptr(World) w = load_default(4);
  uint32_t nc = world_n_countries(w);
  for (uint32_t c = 0; c < nc; c++) {
    const WorldCountry *x = world_country(w, c);
    uint32_t n0 = x->first_network;
    int64_t same_net = world_rtt_ns(w, n0, n0);
    if (x->n_networks >= 2) {
      int64_t same_country = world_rtt_ns(w, n0, n0 + 1);
      g_assert_cmpint(same_net, <, same_country);
      /* far: every network of every country more than 5000 km away */
      for (uint32_t o = 0; o < nc; o++) {
        const WorldCountry *y = world_country(w, o);
        if (world_great_circle_km(x->lat, x->lon, y->lat, y->lon) < 5000) continue;
        g_assert_cmpint(same_country, <, world_rtt_ns(w, n0, y->first_network));
      }
    }
    g_assert_cmpint(same_net, >, 0);
  }
}

/* Hamilton apportionment: each count is 1 + floor or ceil of its quota. */
static void check_networks(const World *w, uint32_t n_networks, double s) {
  uint32_t nc = world_n_countries(w), sum = 0;
  double users = 0;
  for (uint32_t c = 0; c < nc; c++) users += (double)world_country(w, c)->users;
  for (uint32_t c = 0; c < nc; c++) {
    const WorldCountry *x = world_country(w, c);
    g_assert_cmpuint(x->n_networks, >=, 1);
    g_assert_cmpuint(x->first_network, ==, sum);
    double quota = (double)(n_networks - nc) * (double)x->users / users;
    g_assert_cmpfloat((double)x->n_networks - 1, >=, floor(quota) - 1e-9);
    g_assert_cmpfloat((double)x->n_networks - 1, <=, ceil(quota) + 1e-9);
    double share_sum = 0, h = 0;
    for (uint32_t j = 1; j <= x->n_networks; j++) h += pow(j, -s);
    for (uint32_t j = 0; j < x->n_networks; j++) {
      const WorldNetwork *n = world_network(w, x->first_network + j);
      g_assert_cmpuint(n->country, ==, c);
      g_assert_cmpuint(n->rank, ==, j + 1);
      /* Zipf: share_j = j^-s / H(k, s) */
      g_assert_cmpfloat_with_epsilon(n->share, pow(j + 1, -s) / h, 1e-12);
      if (j > 0)
        g_assert_cmpfloat(n->share, <=, world_network(w, x->first_network + j - 1)->share);
      share_sum += n->share;
    }
    g_assert_cmpfloat_with_epsilon(share_sum, 1.0, 1e-9);
    sum += x->n_networks;
  }
  g_assert_cmpuint(sum, ==, n_networks);
  g_assert_cmpuint(world_n_networks(w), ==, n_networks);
}

static void test_networks_default(void) {
  g_autoptr(World) w = load_default(5);
  g_assert_cmpuint(world_n_countries(w), ==, 50);
  check_networks(w, 500, 1.0);
  /* the documented skew: with s = 1 the top network of a country with
   * 5..40 networks holds 23-44% (1/H_k) */
  for (uint32_t c = 0; c < world_n_countries(w); c++) {
    const WorldCountry *x = world_country(w, c);
    if (x->n_networks < 5 || x->n_networks > 40) continue;
    double top = world_network(w, x->first_network)->share;
    g_assert_cmpfloat(top, >=, 0.23);
    g_assert_cmpfloat(top, <=, 0.44);
  }
  /* countries ordered by users */
  for (uint32_t c = 1; c < world_n_countries(w); c++)
    g_assert_cmpuint(world_country(w, c - 1)->users, >=, world_country(w, c)->users);
}

static void test_networks_params(void) {
  g_autofree char *dir = data_dir();
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.n_countries = 0;                 /* every country in the file */
  p.n_networks = 20000;
  p.share_zipf_s = 0.8;
  p.mobile_share = 0.4;
  g_autoptr(GError) error = NULL;
  g_autoptr(World) w = world_load(&p, 99, &error);
  g_assert_no_error(error);
  check_networks(w, p.n_networks, p.share_zipf_s);
  /* NAT and mobile frequencies: each within 5 standard errors */
  uint32_t nn = world_n_networks(w), nat[WORLD_NAT_COUNT] = {0}, mobile = 0;
  for (uint32_t i = 0; i < nn; i++) {
    nat[world_network(w, i)->nat]++;
    mobile += world_network(w, i)->access == WORLD_ACCESS_MOBILE;
  }
  for (int k = 0; k < WORLD_NAT_COUNT; k++) {
    double se = sqrt(p.nat_mix[k] * (1 - p.nat_mix[k]) / nn);
    g_assert_cmpfloat(fabs((double)nat[k] / nn - p.nat_mix[k]), <, 5 * se);
  }
  double se = sqrt(0.4 * 0.6 / nn);
  g_assert_cmpfloat(fabs((double)mobile / nn - 0.4), <, 5 * se);
}

static gboolean same_networks(const World *a, const World *b) {
  if (world_n_networks(a) != world_n_networks(b)) return FALSE;
  for (uint32_t i = 0; i < world_n_networks(a); i++) {
    const WorldNetwork *x = world_network(a, i), *y = world_network(b, i);
    if (x->country != y->country || x->share != y->share || x->access != y->access ||
        x->nat != y->nat || x->lat != y->lat || x->lon != y->lon)
      return FALSE;
  }
  return TRUE;
}

static void test_determinism(void) {
  g_autoptr(World) a = load_default(42);
  g_autoptr(World) b = load_default(42);
  g_autoptr(World) c = load_default(43);
  g_assert_true(same_networks(a, b));
  g_assert_false(same_networks(a, c));
  /* the apportionment and shares depend on data only, not on the seed */
  for (uint32_t i = 0; i < world_n_countries(a); i++)
    g_assert_cmpuint(world_country(a, i)->n_networks, ==, world_country(c, i)->n_networks);
}

static void test_location_jitter(void) {
  g_autofree char *dir = data_dir();
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.location_jitter_km = 150;
  g_autoptr(GError) error = NULL;
  g_autoptr(World) w = world_load(&p, 7, &error);
  g_assert_no_error(error);
  gboolean moved = FALSE;
  for (uint32_t i = 0; i < world_n_networks(w); i++) {
    const WorldNetwork *n = world_network(w, i);
    const WorldCountry *c = world_country(w, n->country);
    double d = world_great_circle_km(c->lat, c->lon, n->lat, n->lon);
    g_assert_cmpfloat(d, <=, 150 + 1e-6);
    if (d > 1) moved = TRUE;
  }
  g_assert_true(moved);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void test_jitter(void) {
  g_autoptr(World) w = load_default(8);
  uint32_t a = 0, b = world_country(w, country(w, "DE"))->first_network;
  gsl_rng *rng = rng_stream_new(8, RNG_TEST, 0);
  enum { N = 20001 };
  int64_t *s = g_new(int64_t, N);
  int64_t floor_ns = world_rtt_floor_ns(w, a, b), median = world_rtt_ns(w, a, b);
  for (int i = 0; i < N; i++) {
    s[i] = world_rtt_sample_ns(w, a, b, rng);
    g_assert_cmpint(s[i], >=, floor_ns);
  }
  qsort(s, N, sizeof *s, cmp_i64);
  /* lognormal(0, sigma) has median 1: the sample median is the model median */
  g_assert_cmpfloat(fabs((double)(s[N / 2] - median)) / (double)median, <, 0.01);
  g_assert_cmpint(s[N - 1], >, median);
  g_free(s);
  gsl_rng_free(rng);
}

static void test_print(void) {
  g_autoptr(World) w = load_default(9);
  FILE *f = tmpfile();
  g_assert_nonnull(f);
  world_print_rtt_csv(w, f);
  rewind(f);
  char line[128];
  unsigned n = 0;
  while (fgets(line, sizeof line, f)) {
    char a[3], b[3];
    double ms = -1;
    g_assert_cmpint(sscanf(line, "%2[A-Z],%2[A-Z],%lf", a, b, &ms), ==, 3);
    g_assert_cmpfloat(ms, >, 0);
    n++;
  }
  g_assert_cmpuint(n, ==, 50 * 50);
  fclose(f);
  f = tmpfile();
  world_print_summary(w, f);
  long size = ftell(f);
  g_assert_cmpint(size, >, 50 * 60);
  fclose(f);
}

static void test_explicit_countries(void) {
  g_autofree char *dir = data_dir();
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  const char *list[] = {"FR", "IS", "US", NULL};
  p.countries = list;
  p.n_networks = 10;
  g_autoptr(GError) error = NULL;
  g_autoptr(World) w = world_load(&p, 1, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(world_n_countries(w), ==, 3);
  g_assert_cmpstr(world_country(w, 0)->iso2, ==, "US");  /* by users */
  g_assert_cmpstr(world_country(w, 2)->iso2, ==, "IS");
  check_networks(w, 10, 1.0);
  g_assert_cmpuint(world_country(w, 2)->n_networks, ==, 1);
}

static void expect_param_error(WorldParams *p, int code, const char *needle) {
  g_autoptr(GError) error = NULL;
  World *w = world_load(p, 1, &error);
  g_assert_null(w);
  g_assert_error(error, WORLD_ERROR, code);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, needle));
}

static void test_param_errors(void) {
  g_autofree char *dir = data_dir();
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.n_networks = 49;
  expect_param_error(&p, WORLD_ERROR_PARAM, "n_networks");
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.nat_mix[0] = 0.5;
  expect_param_error(&p, WORLD_ERROR_PARAM, "nat_mix");
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.n_countries = 1000;
  expect_param_error(&p, WORLD_ERROR_PARAM, "n_countries");
  world_params_init_defaults(&p);
  p.data_dir = dir;
  const char *unknown[] = {"US", "XX", NULL};
  p.countries = unknown;
  expect_param_error(&p, WORLD_ERROR_COUNTRY, "'XX'");
  const char *twice[] = {"US", "FR", "US", NULL};
  p.countries = twice;
  expect_param_error(&p, WORLD_ERROR_PARAM, "twice");
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.path_stretch = 0.5;
  expect_param_error(&p, WORLD_ERROR_PARAM, "path_stretch");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/world/calibration", test_calibration);
  g_test_add_func("/world/great-circle", test_great_circle);
  g_test_add_func("/world/symmetry", test_symmetry);
  g_test_add_func("/world/triangle", test_triangle);
  g_test_add_func("/world/locality-order", test_locality_order);
  g_test_add_func("/world/networks/default", test_networks_default);
  g_test_add_func("/world/networks/params", test_networks_params);
  g_test_add_func("/world/networks/determinism", test_determinism);
  g_test_add_func("/world/networks/location-jitter", test_location_jitter);
  g_test_add_func("/world/jitter", test_jitter);
  g_test_add_func("/world/print", test_print);
  g_test_add_func("/world/explicit-countries", test_explicit_countries);
  g_test_add_func("/world/param-errors", test_param_errors);
  return g_test_run();
}
