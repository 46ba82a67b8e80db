/*
 * test_transfer.c: transfer-time formula cases, NAT traversal shares
 * against the published WebRTC figures (shared/data/README.md), the
 * bandwidth quantile function, and CDN edge placement.
 */
#include <glib.h>
#include <math.h>

#include "world/transfer.h"

static World *load_default(void) {
  g_autofree char *dir = g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), "scenarios", "world", NULL);
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  g_autoptr(GError) e = NULL;
  World *w = world_load(&p, 1, &e);
  g_assert_no_error(e);
  return w;
}

static void test_formulas(void) {
  TransferParams p;
  transfer_params_init_defaults(&p);
  /* 100 KB at 4 Mbit/s behind a 50 ms RTT: 0.05 + 0.2 s */
  g_assert_cmpint(transfer_time_ns(100000, 50 * 1000000LL, 4e6), ==, 250 * 1000000LL);
  /* rate = min(up, down, window / RTT) */
  g_assert_cmpfloat(transfer_rate_bps(4e6, 100e6, 500e3, 10 * 1000000LL), ==, 4e6);
  g_assert_cmpfloat(transfer_rate_bps(100e6, 3e6, 500e3, 10 * 1000000LL), ==, 3e6);
  /* window-limited: 0.5 MB per 200 ms = 20 Mbit/s (README measured 18 at 200 ms) */
  g_assert_cmpfloat_with_epsilon(transfer_rate_bps(1e9, 1e9, 500e3, 200 * 1000000LL), 20e6, 1);
  g_assert_cmpfloat(transfer_rate_bps(1e9, 1e9, 500e3, 0), ==, 1e9);
  /* setup: 7 round trips */
  g_assert_cmpint(transfer_setup_ns(&p, 30 * 1000000LL), ==, 210 * 1000000LL);
  /* time grows with size */
  g_assert_cmpint(transfer_time_ns(0, 1000, 1e6), ==, 1000);
  g_assert_cmpint(transfer_time_ns(2000000, 1000, 1e6), >, transfer_time_ns(1000000, 1000, 1e6));
}

static void test_nat(void) {
  g_assert_false(transfer_needs_turn(WORLD_NAT_FULL_CONE, WORLD_NAT_SYMMETRIC));
  g_assert_false(transfer_needs_turn(WORLD_NAT_RESTRICTED, WORLD_NAT_SYMMETRIC));
  g_assert_true(transfer_needs_turn(WORLD_NAT_PORT_RESTRICTED, WORLD_NAT_SYMMETRIC));
  g_assert_true(transfer_needs_turn(WORLD_NAT_SYMMETRIC, WORLD_NAT_PORT_RESTRICTED));
  g_assert_true(transfer_needs_turn(WORLD_NAT_SYMMETRIC, WORLD_NAT_SYMMETRIC));
  g_assert_false(transfer_needs_turn(WORLD_NAT_PORT_RESTRICTED, WORLD_NAT_PORT_RESTRICTED));
  /* With the world's default NAT mix: TURN for 15-22% of pairs and ICE
   * failing for 2-7% of sessions (README's WebRTC figures). */
  WorldParams wp;
  world_params_init_defaults(&wp);
  TransferParams p;
  transfer_params_init_defaults(&p);
  double turn = 0, fail = 0;
  for (int a = 0; a < WORLD_NAT_COUNT; a++)
    for (int b = 0; b < WORLD_NAT_COUNT; b++) {
      double pr = wp.nat_mix[a] * wp.nat_mix[b];
      turn += pr * transfer_needs_turn((WorldNat)a, (WorldNat)b);
      fail += pr * transfer_ice_fail_prob(&p, (WorldNat)a, (WorldNat)b);
    }
  g_assert_cmpfloat(turn, >=, 0.15);
  g_assert_cmpfloat(turn, <=, 0.22);
  g_assert_cmpfloat(fail, >=, 0.02);
  g_assert_cmpfloat(fail, <=, 0.07);
}

static void test_bandwidth_quantile(void) {
  const double pct[WORLD_NPCT] = {2, 10, 50, 100, 300};
  g_assert_cmpfloat_with_epsilon(transfer_bandwidth_quantile(pct, 0.10), 2e6, 1);
  g_assert_cmpfloat_with_epsilon(transfer_bandwidth_quantile(pct, 0.50), 50e6, 1);
  g_assert_cmpfloat_with_epsilon(transfer_bandwidth_quantile(pct, 0.90), 300e6, 1);
  double prev = 0;
  for (int i = 1; i < 1000; i++) {
    double v = transfer_bandwidth_quantile(pct, i / 1000.0);
    g_assert_cmpfloat(v, >=, prev);
    g_assert_cmpfloat(v, >=, 0.5e6);
    g_assert_cmpfloat(v, <=, 1200e6);
    prev = v;
  }
  /* the geometric midpoint between p25 and p50 sits at u = 0.375 */
  g_assert_cmpfloat_with_epsilon(transfer_bandwidth_quantile(pct, 0.375), sqrt(10 * 50) * 1e6, 10);
}

static void test_cdn(void) {
  g_autoptr(World) w = load_default();
  CdnParams cp;
  cdn_params_init_defaults(&cp);
  g_autoptr(GError) e = NULL;
  g_autoptr(Cdn) c = cdn_new(w, &cp, &e);
  g_assert_no_error(e);
  /* one edge per region; every network served by its region's edge */
  g_autoptr(GHashTable) regions = g_hash_table_new(g_str_hash, g_str_equal);
  for (uint32_t i = 0; i < world_n_countries(w); i++)
    g_hash_table_add(regions, world_country(w, i)->region);
  g_assert_cmpuint(cdn_n_edges(c), ==, g_hash_table_size(regions));
  for (uint32_t n = 0; n < world_n_networks(w); n++) {
    uint32_t edge = cdn_edge_of(c, n);
    g_assert_cmpuint(edge, <, cdn_n_edges(c));
    const WorldCountry *nc = world_country(w, world_network(w, n)->country);
    g_assert_cmpstr(world_country(w, cdn_edge_country(c, edge))->region, ==, nc->region);
    /* the own region's edge is at most 80 ms farther than any other edge
     * (regions are large: a Pacific island to an Asian hub) */
    for (uint32_t o = 0; o < cdn_n_edges(c); o++)
      if (o != edge && g_strcmp0(world_country(w, cdn_edge_country(c, o))->region, nc->region) != 0)
        g_assert_cmpint(cdn_rtt_ns(c, n, edge), <=, cdn_rtt_ns(c, n, o) + 80 * 1000000LL);
  }
  /* US networks reach their edge within a continental RTT */
  uint32_t us;
  g_assert_true(world_country_find(w, "US", &us));
  const WorldCountry *usc = world_country(w, us);
  uint32_t n0 = usc->first_network;
  g_assert_cmpint(cdn_rtt_ns(c, n0, cdn_edge_of(c, n0)), <, 60 * 1000000LL);
  g_assert_cmpint(cdn_origin_rtt_ns(c, cdn_edge_of(c, n0)), ==, 2 * 1000000LL);
  /* a miss costs more than a hit */
  g_assert_cmpint(cdn_fetch_ns(c, n0, cdn_edge_of(c, n0), 100000, 20e6, false), >,
                  cdn_fetch_ns(c, n0, cdn_edge_of(c, n0), 100000, 20e6, true));
  /* unknown origin */
  cp.origin_iso2 = "ZZ";
  Cdn *bad = cdn_new(w, &cp, &e);
  g_assert_null(bad);
  g_assert_error(e, WORLD_ERROR, WORLD_ERROR_COUNTRY);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/transfer/formulas", test_formulas);
  g_test_add_func("/transfer/nat", test_nat);
  g_test_add_func("/transfer/bandwidth-quantile", test_bandwidth_quantile);
  g_test_add_func("/transfer/cdn", test_cdn);
  return g_test_run();
}
