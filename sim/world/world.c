/*
 * world.c: country selection, network generation and the latency model.
 *
 * Invariants of a loaded World:
 *   (1) countries are ordered by users descending (ties: iso2 ascending);
 *   (2) every country has >= 1 network; networks of country c are the
 *       contiguous range [first_network, first_network + n_networks), by
 *       rank (1 = largest), and their shares sum to 1 (Zipf, exponent s);
 *   (3) the networks' counts are a largest-remainder (Hamilton)
 *       apportionment of n_networks - n_countries by users, plus one each;
 *   (4) only the seed drives the random parts (access type, NAT type,
 *       location jitter), through rng_stream_new(seed, RNG_WORLD, 0).
 * The RTT model is documented in world.h and scenarios/world/PROVENANCE.md.
 * Not here: parsing of countries.csv (world_data.c).
 */
#include "world/world-private.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"

#define C_KM_PER_MS 299.792458      /* speed of light in vacuum */
#define EARTH_RADIUS_KM 6371.0088   /* IUGG mean radius */
#define DEG (G_PI / 180.0)

struct World {
  WorldParams params;               /* copy; pointers in it are not kept */
  GArray *countries;                /* WorldCountry, invariant (1) */
  GArray *networks;                 /* WorldNetwork, invariant (2) */
  double ms_per_km;                 /* RTT per km of great-circle distance */
  int64_t *rtt;                     /* [a * n + b] world_rtt_ns, NULL if n is large */
};

void world_params_init_defaults(WorldParams *p) {
  memset(p, 0, sizeof *p);
  p->data_dir = "scenarios/world";
  p->n_countries = 50;
  p->countries = NULL;
  p->n_networks = 500;
  p->share_zipf_s = 1.0;
  p->mobile_share = 0.3;
  p->nat_mix[WORLD_NAT_FULL_CONE] = 0.25;
  p->nat_mix[WORLD_NAT_RESTRICTED] = 0.20;
  p->nat_mix[WORLD_NAT_PORT_RESTRICTED] = 0.35;
  p->nat_mix[WORLD_NAT_SYMMETRIC] = 0.20;
  p->path_stretch = 1.6;
  p->fiber_fraction = 2.0 / 3.0;
  p->access_share = 0.3;
  p->mobile_extra_rtt_ms = 0.0;
  p->intra_min_km = 100.0;
  p->intra_spread_factor = 0.7;
  p->same_network_km = 0.0;
  p->location_jitter_km = 0.0;
  p->jitter_sigma = 0.25;
}

static gboolean bad_param(GError **error, const char *name, double v,
                          const char *what) {
  g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM, "world parameter %s = %g: %s",
              name, v, what);
  return FALSE;
}

static gboolean check_params(const WorldParams *p, GError **error) {
#define RANGE(f, lo, hi)                                                   \
  if (!(p->f >= (lo) && p->f <= (hi)))                                     \
    return bad_param(error, #f, (double)p->f, "out of range [" #lo ", " #hi "]");
  RANGE(n_networks, 1, 10000000)
  RANGE(share_zipf_s, 0, 10)
  RANGE(mobile_share, 0, 1)
  RANGE(path_stretch, 1, 10)
  RANGE(fiber_fraction, 0.01, 1)
  RANGE(access_share, 0, 10)
  RANGE(mobile_extra_rtt_ms, 0, 10000)
  RANGE(intra_min_km, 0, 20100)
  RANGE(intra_spread_factor, 0, 10)
  RANGE(same_network_km, 0, 20100)
  RANGE(location_jitter_km, 0, 5000)
  RANGE(jitter_sigma, 0, 5)
#undef RANGE
  double sum = 0;
  for (int k = 0; k < WORLD_NAT_COUNT; k++) {
    if (!(p->nat_mix[k] >= 0 && p->nat_mix[k] <= 1))
      return bad_param(error, "nat_mix", p->nat_mix[k], "each share must be in [0, 1]");
    sum += p->nat_mix[k];
  }
  if (fabs(sum - 1.0) > 1e-6)
    return bad_param(error, "nat_mix (sum)", sum, "shares must sum to 1");
  if (!p->data_dir) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM, "world parameter data_dir is unset");
    return FALSE;
  }
  return TRUE;
}

static int cmp_users_desc(const void *a, const void *b) {
  const WorldCountry *x = a, *y = b;
  if (x->users != y->users) return x->users > y->users ? -1 : 1;
  return strcmp(x->iso2, y->iso2);
}

/* Moves the selected countries out of all (their strings change owner). */
static GArray *select_countries(const WorldParams *p, GArray *all, const char *path,
                                GError **error) {
  GArray *sel = g_array_new(FALSE, TRUE, sizeof(WorldCountry));
  g_array_set_clear_func(sel, (GDestroyNotify)world_country_clear);
  /* total order (users, iso2): qsort's instability cannot matter */
  qsort(all->data, all->len, sizeof(WorldCountry), cmp_users_desc);
  if (p->countries) {
    for (const char *const *cc = p->countries; *cc; cc++) {
      for (const char *const *prev = p->countries; prev != cc; prev++) {
        if (strcmp(*prev, *cc) == 0) {
          g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM,
                      "world parameter countries: '%s' is listed twice", *cc);
          g_array_free(sel, TRUE);
          return NULL;
        }
      }
      guint i = 0;
      while (i < all->len && strcmp(g_array_index(all, WorldCountry, i).iso2, *cc) != 0) i++;
      if (i == all->len) {
        g_set_error(error, WORLD_ERROR, WORLD_ERROR_COUNTRY,
                    "world parameter countries: '%s' is not in %s", *cc, path);
        g_array_free(sel, TRUE);
        return NULL;
      }
      WorldCountry *c = &g_array_index(all, WorldCountry, i);
      c->first_network = 1;          /* mark as taken, temporarily */
    }
    for (guint i = 0; i < all->len; i++) {
      WorldCountry *c = &g_array_index(all, WorldCountry, i);
      if (!c->first_network) continue;
      WorldCountry moved = *c;
      memset(c, 0, sizeof *c);
      moved.first_network = 0;
      g_array_append_val(sel, moved);
    }
    if (sel->len == 0) {
      g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM,
                  "world parameter countries: empty list");
      g_array_free(sel, TRUE);
      return NULL;
    }
  } else {
    guint n = p->n_countries ? p->n_countries : all->len;
    if (n > all->len) {
      g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM,
                  "world parameter n_countries = %u: %s has only %u countries",
                  n, path, all->len);
      g_array_free(sel, TRUE);
      return NULL;
    }
    for (guint i = 0; i < n; i++) {
      WorldCountry *c = &g_array_index(all, WorldCountry, i);
      WorldCountry moved = *c;
      memset(c, 0, sizeof *c);
      g_array_append_val(sel, moved);
    }
  }
  return sel;
}

/* Invariant (3): one network each, the rest by largest remainder on users
 * (Hamilton's method, exact in integers; ties to the larger country). */
typedef struct Remainder { unsigned __int128 rem; guint country; } Remainder;

static int cmp_remainder(const void *a, const void *b) {
  const Remainder *x = a, *y = b;
  if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
  return x->country < y->country ? -1 : (x->country > y->country);
}

static void apportion(GArray *countries, uint32_t n_networks) {
  guint nc = countries->len;
  uint64_t rest = n_networks - nc;
  unsigned __int128 total = 0;
  for (guint i = 0; i < nc; i++) total += g_array_index(countries, WorldCountry, i).users;
  Remainder *r = g_new(Remainder, nc);
  uint64_t given = 0;
  for (guint i = 0; i < nc; i++) {
    WorldCountry *c = &g_array_index(countries, WorldCountry, i);
    unsigned __int128 q = (unsigned __int128)rest * c->users;
    c->n_networks = 1 + (uint32_t)(q / total);
    given += (uint64_t)(q / total);
    r[i].rem = q % total;
    r[i].country = i;
  }
  qsort(r, nc, sizeof *r, cmp_remainder);
  for (uint64_t k = 0; k < rest - given; k++)
    g_array_index(countries, WorldCountry, r[k].country).n_networks++;
  g_free(r);
  uint32_t first = 0;
  for (guint i = 0; i < nc; i++) {
    WorldCountry *c = &g_array_index(countries, WorldCountry, i);
    c->first_network = first;
    first += c->n_networks;
  }
  g_assert_cmpuint(first, ==, n_networks);
}

/* The point at distance d_km and bearing theta (radians) from (lat, lon). */
static void destination(double lat, double lon, double d_km, double theta,
                        double *lat2, double *lon2) {
  double phi1 = lat * DEG, lam1 = lon * DEG, delta = d_km / EARTH_RADIUS_KM;
  double phi2 = asin(sin(phi1) * cos(delta) + cos(phi1) * sin(delta) * cos(theta));
  double lam2 = lam1 + atan2(sin(theta) * sin(delta) * cos(phi1),
                             cos(delta) - sin(phi1) * sin(phi2));
  *lat2 = phi2 / DEG;
  *lon2 = remainder(lam2 / DEG, 360.0);
}

static void generate_networks(World *w, uint64_t seed) {
  const WorldParams *p = &w->params;
  gsl_rng *rng = rng_stream_new(seed, RNG_WORLD, 0);
  uint64_t users_total = 0;
  for (guint i = 0; i < w->countries->len; i++)
    users_total += g_array_index(w->countries, WorldCountry, i).users;
  for (guint i = 0; i < w->countries->len; i++) {
    const WorldCountry *c = &g_array_index(w->countries, WorldCountry, i);
    double h = 0;
    for (uint32_t j = 1; j <= c->n_networks; j++) h += pow((double)j, -p->share_zipf_s);
    for (uint32_t j = 1; j <= c->n_networks; j++) {
      WorldNetwork n = {0};
      n.country = i;
      n.rank = j;
      n.share = pow((double)j, -p->share_zipf_s) / h;
      n.user_share = n.share * (double)c->users / (double)users_total;
      n.access = gsl_rng_uniform(rng) < p->mobile_share ? WORLD_ACCESS_MOBILE
                                                         : WORLD_ACCESS_FIXED;
      double u = gsl_rng_uniform(rng), acc = 0;
      n.nat = WORLD_NAT_COUNT - 1;
      for (int k = 0; k < WORLD_NAT_COUNT; k++) {
        acc += p->nat_mix[k];
        if (u < acc) { n.nat = (WorldNat)k; break; }
      }
      n.lat = c->lat;
      n.lon = c->lon;
      if (p->location_jitter_km > 0) {
        double d = p->location_jitter_km * sqrt(gsl_rng_uniform(rng));
        double theta = 2 * G_PI * gsl_rng_uniform(rng);
        destination(c->lat, c->lon, d, theta, &n.lat, &n.lon);
      }
      n.access_rtt_ms = c->access_rtt_ms +
          (n.access == WORLD_ACCESS_MOBILE ? p->mobile_extra_rtt_ms : 0.0);
      g_array_append_val(w->networks, n);
    }
  }
  gsl_rng_free(rng);
}

#define RTT_MATRIX_MAX 2048 /* networks; 32 MB of int64 at most */

World *world_load(const WorldParams *p, uint64_t seed, GError **error) {
  if (!check_params(p, error)) return NULL;
  g_autofree char *path = g_build_filename(p->data_dir, "countries.csv", NULL);
  GArray *all = world_read_countries(path, error);
  if (!all) return NULL;
  GArray *sel = select_countries(p, all, path, error);
  g_array_free(all, TRUE);
  if (!sel) return NULL;
  if (p->n_networks < sel->len) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_PARAM,
                "world parameter n_networks = %u: fewer than the %u countries "
                "(each country needs at least one network)", p->n_networks, sel->len);
    g_array_free(sel, TRUE);
    return NULL;
  }
  World *w = g_new0(World, 1);
  w->params = *p;
  w->params.data_dir = NULL;
  w->params.countries = NULL;
  w->countries = sel;
  w->ms_per_km = 2.0 * p->path_stretch / (p->fiber_fraction * C_KM_PER_MS);
  for (guint i = 0; i < sel->len; i++) {
    WorldCountry *c = &g_array_index(sel, WorldCountry, i);
    c->intra_km = fmax(p->intra_min_km, p->intra_spread_factor * c->spread_km);
    c->access_rtt_ms = p->access_share * c->min_rtt_ms[1];
  }
  apportion(sel, p->n_networks);
  w->networks = g_array_sized_new(FALSE, TRUE, sizeof(WorldNetwork), p->n_networks);
  generate_networks(w, seed);
  /* The median RTT of every network pair, computed once (great circles cost
   * a sincos and an atan2): 2 MB for 500 networks; above RTT_MATRIX_MAX
   * networks it is computed on demand. */
  uint32_t n = w->networks->len;
  if (n <= RTT_MATRIX_MAX) {
    int64_t *m = g_new(int64_t, (gsize)n * n);
    for (uint32_t a = 0; a < n; a++)
      for (uint32_t b = 0; b < n; b++) m[(gsize)a * n + b] = world_rtt_ns(w, a, b);
    w->rtt = m;
  }
  return w;
}

void world_free(World *w) {
  if (!w) return;
  g_free(w->rtt);
  g_array_free(w->countries, TRUE);
  g_array_free(w->networks, TRUE);
  g_free(w);
}

uint32_t world_n_countries(const World *w) { return w->countries->len; }
uint32_t world_n_networks(const World *w) { return w->networks->len; }

const WorldCountry *world_country(const World *w, uint32_t i) {
  g_return_val_if_fail(i < w->countries->len, NULL);
  return &g_array_index(w->countries, WorldCountry, i);
}

const WorldNetwork *world_network(const World *w, uint32_t i) {
  g_return_val_if_fail(i < w->networks->len, NULL);
  return &g_array_index(w->networks, WorldNetwork, i);
}

bool world_country_find(const World *w, const char *iso2, uint32_t *index) {
  for (guint i = 0; i < w->countries->len; i++) {
    if (strcmp(g_array_index(w->countries, WorldCountry, i).iso2, iso2) == 0) {
      if (index) *index = i;
      return true;
    }
  }
  return false;
}

double world_great_circle_km(double lat1, double lon1, double lat2, double lon2) {
  /* Vincenty's formula on the sphere: well conditioned at every distance,
   * antipodes included (haversine loses digits there) */
  double p1 = lat1 * DEG, p2 = lat2 * DEG, dl = (lon2 - lon1) * DEG;
  double a = cos(p2) * sin(dl);
  double b = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
  double c = sin(p1) * sin(p2) + cos(p1) * cos(p2) * cos(dl);
  return EARTH_RADIUS_KM * atan2(sqrt(a * a + b * b), c);
}


static double net_distance_km(const World *w, const WorldNetwork *a,
                              const WorldNetwork *b, uint32_t ia, uint32_t ib) {
  if (ia == ib) return w->params.same_network_km;
  if (a->country == b->country)
    return g_array_index(w->countries, WorldCountry, a->country).intra_km;
  /* argument order fixed by index: symmetric to the last bit */
  if (ia > ib) { const WorldNetwork *t = a; a = b; b = t; }
  return world_great_circle_km(a->lat, a->lon, b->lat, b->lon);
}

static int64_t ms_to_ns(double ms) { return (int64_t)llround(ms * 1e6); }

int64_t world_rtt_floor_ns(const World *w, uint32_t net_a, uint32_t net_b) {
  const WorldNetwork *a = world_network(w, net_a), *b = world_network(w, net_b);
  return ms_to_ns(net_distance_km(w, a, b, net_a, net_b) * w->ms_per_km);
}

int64_t world_rtt_ns(const World *w, uint32_t net_a, uint32_t net_b) {
  if (w->rtt) {
    uint32_t n = w->networks->len;
    g_assert_true(net_a < n && net_b < n);
    return w->rtt[(gsize)net_a * n + net_b];
  }
  const WorldNetwork *a = world_network(w, net_a), *b = world_network(w, net_b);
  double prop = net_distance_km(w, a, b, net_a, net_b) * w->ms_per_km;
  return ms_to_ns(prop + a->access_rtt_ms + b->access_rtt_ms);
}

int64_t world_rtt_sample_ns(const World *w, uint32_t net_a, uint32_t net_b,
                            gsl_rng *rng) {
  const WorldNetwork *a = world_network(w, net_a), *b = world_network(w, net_b);
  double prop = net_distance_km(w, a, b, net_a, net_b) * w->ms_per_km;
  double access = a->access_rtt_ms + b->access_rtt_ms;
  double factor = w->params.jitter_sigma > 0
                      ? gsl_ran_lognormal(rng, 0.0, w->params.jitter_sigma) : 1.0;
  return ms_to_ns(prop + access * factor);
}

double world_ms_per_km(const World *w) {
  return w->ms_per_km;
}

double world_country_rtt_ms(const World *w, uint32_t ca, uint32_t cb) {
  if (ca > cb) { uint32_t t = ca; ca = cb; cb = t; }   /* bitwise symmetric */
  const WorldCountry *a = world_country(w, ca), *b = world_country(w, cb);
  double d = ca == cb ? a->intra_km
                      : world_great_circle_km(a->lat, a->lon, b->lat, b->lon);
  return a->access_rtt_ms + b->access_rtt_ms + d * w->ms_per_km;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void world_print_summary(const World *w, FILE *out) {
  const WorldParams *p = &w->params;
  uint64_t users = 0;
  for (guint i = 0; i < w->countries->len; i++)
    users += g_array_index(w->countries, WorldCountry, i).users;
  fprintf(out, "world: %u countries, %u networks, %.1f M internet users\n",
          world_n_countries(w), world_n_networks(w), (double)users / 1e6);
  fprintf(out, "latency: RTT = access(a) + access(b) + 2 x distance x %.2f / (%.3f c); "
          "access = %.2f x M-Lab minRTT p50; intra-country km = max(%.0f, %.2f x spread)\n",
          p->path_stretch, p->fiber_fraction, p->access_share, p->intra_min_km,
          p->intra_spread_factor);
  fprintf(out, "\n%-4s %-3s %-22s %9s %5s %-30s %7s %8s %8s %8s %8s\n", "#", "cc",
          "name", "users_M", "nets", "tz", "top_shr", "acc_ms", "intra_ms", "dl50",
          "ul50");
  for (guint i = 0; i < w->countries->len; i++) {
    const WorldCountry *c = &g_array_index(w->countries, WorldCountry, i);
    const WorldNetwork *top = world_network(w, c->first_network);
    fprintf(out, "%-4u %-3s %-22.22s %9.1f %5u %-30s %7.3f %8.1f %8.1f %8.1f %8.1f\n",
            i + 1, c->iso2, c->name, (double)c->users / 1e6, c->n_networks, c->tz,
            top->share, c->access_rtt_ms, world_country_rtt_ms(w, i, i),
            c->dl_mbps[WORLD_P50], c->ul_mbps[WORLD_P50]);
  }
  guint nn = w->networks->len, mobile = 0, nat[WORLD_NAT_COUNT] = {0};
  for (guint i = 0; i < nn; i++) {
    const WorldNetwork *n = &g_array_index(w->networks, WorldNetwork, i);
    mobile += n->access == WORLD_ACCESS_MOBILE;
    nat[n->nat]++;
  }
  fprintf(out, "\nnetworks: %u (fixed %u, mobile %u); NAT: full-cone %u, restricted %u, "
          "port-restricted %u, symmetric %u; shares Zipf s = %.2f\n", nn, nn - mobile,
          mobile, nat[WORLD_NAT_FULL_CONE], nat[WORLD_NAT_RESTRICTED],
          nat[WORLD_NAT_PORT_RESTRICTED], nat[WORLD_NAT_SYMMETRIC], p->share_zipf_s);
  guint nc = w->countries->len;
  double *rtt = g_new(double, (gsize)nc * nc);
  for (guint i = 0; i < nc; i++)
    for (guint j = 0; j < nc; j++) rtt[i * nc + j] = world_country_rtt_ms(w, i, j);
  qsort(rtt, (size_t)nc * nc, sizeof *rtt, cmp_double);
  size_t m = (size_t)nc * nc;
  fprintf(out, "country-pair median RTT, ms: min %.1f, p10 %.1f, p50 %.1f, p90 %.1f, "
          "max %.1f\n", rtt[0], rtt[m / 10], rtt[m / 2], rtt[(m * 9) / 10], rtt[m - 1]);
  g_free(rtt);
}

void world_print_rtt_csv(const World *w, FILE *out) {
  guint nc = w->countries->len;
  for (guint i = 0; i < nc; i++) {
    for (guint j = 0; j < nc; j++) {
      fprintf(out, "%s,%s,%.1f\n", g_array_index(w->countries, WorldCountry, i).iso2,
              g_array_index(w->countries, WorldCountry, j).iso2,
              world_country_rtt_ms(w, i, j));
    }
  }
}
