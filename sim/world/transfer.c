/*
 * transfer.c: transfer-time formulas and CDN edge placement (transfer.h).
 *
 * Invariants: every time returned is >= 0 and monotone in size; an edge
 * index is < n_edges; every loaded country maps to exactly one edge.
 */
#include "world/transfer.h"

#include <math.h>
#include <string.h>

static int64_t sec_to_ns(double s) {
  return (int64_t)llround(s * 1e9);
}

void transfer_params_init_defaults(TransferParams *p) {
  memset(p, 0, sizeof *p);
  p->setup_rtts = 7.0;
  p->ice_fail_direct = 0.03;
  p->ice_fail_relay = 0.10;
  p->turn_extra_rtt_ns = 20 * INT64_C(1000000);
  p->turn_rate_bps = 10e6;
  p->window_bytes = 500e3;
  p->upload_slots = 4;
  p->download_slots = 6;
}

bool transfer_needs_turn(WorldNat a, WorldNat b) {
  if (a == WORLD_NAT_SYMMETRIC)
    return b == WORLD_NAT_SYMMETRIC || b == WORLD_NAT_PORT_RESTRICTED;
  if (b == WORLD_NAT_SYMMETRIC) return a == WORLD_NAT_PORT_RESTRICTED;
  return false;
}

double transfer_ice_fail_prob(const TransferParams *p, WorldNat a, WorldNat b) {
  return transfer_needs_turn(a, b) ? p->ice_fail_relay : p->ice_fail_direct;
}

int64_t transfer_setup_ns(const TransferParams *p, int64_t rtt_ns) {
  return (int64_t)llround(p->setup_rtts * (double)rtt_ns);
}

double transfer_rate_bps(double up_bps, double down_bps, double window_bytes, int64_t rtt_ns) {
  double r = fmin(up_bps, down_bps);
  if (rtt_ns > 0) r = fmin(r, window_bytes * 8.0 / ((double)rtt_ns * 1e-9));
  return r;
}

int64_t transfer_time_ns(uint64_t size_bytes, int64_t rtt_ns, double rate_bps) {
  g_assert_true(rate_bps > 0);
  return rtt_ns + sec_to_ns((double)size_bytes * 8.0 / rate_bps);
}

double transfer_bandwidth_quantile(const double pct[WORLD_NPCT], double u) {
  static const double q[WORLD_NPCT] = {0.10, 0.25, 0.50, 0.75, 0.90};
  size_t i = 0;
  if (u <= q[0]) i = 0;                         /* extend the first segment */
  else if (u >= q[WORLD_NPCT - 1]) i = WORLD_NPCT - 2;
  else
    while (i + 1 < WORLD_NPCT - 1 && u > q[i + 1]) i++;
  double l0 = log(fmax(pct[i], 1e-6)), l1 = log(fmax(pct[i + 1], 1e-6));
  double v = exp(l0 + (l1 - l0) * (u - q[i]) / (q[i + 1] - q[i]));
  v = fmax(v, pct[0] / 4.0);
  v = fmin(v, pct[WORLD_NPCT - 1] * 4.0);
  return v * 1e6;
}

/* ---- CDN ----------------------------------------------------------------- */

struct Cdn {
  const World *w;
  CdnParams p;
  uint32_t n_edges;
  uint32_t *edge_country;      /* [edge] country index */
  uint32_t *country_edge;      /* [country] edge */
  int64_t *own_rtt;            /* [network] RTT to its own edge */
  int64_t *origin_rtt;         /* [edge] RTT from the edge to the origin (every miss) */
  uint32_t origin_country;
};

static int64_t edge_rtt(const Cdn *c, uint32_t network, uint32_t edge);
static int64_t origin_rtt(const Cdn *c, uint32_t edge);

void cdn_params_init_defaults(CdnParams *p) {
  memset(p, 0, sizeof *p);
  p->edge_rtt_extra_ns = 2 * INT64_C(1000000);
  p->edge_rate_bps = 50e6;
  p->origin_iso2 = "US";
  p->origin_rate_bps = 200e6;
}

Cdn *cdn_new(const World *w, const CdnParams *p, GError **error) {
  uint32_t origin;
  if (!world_country_find(w, p->origin_iso2, &origin)) {
    g_set_error(error, WORLD_ERROR, WORLD_ERROR_COUNTRY,
                "origin country '%s' is not among the world's countries", p->origin_iso2);
    return NULL;
  }
  Cdn *c = g_new0(Cdn, 1);
  c->w = w;
  c->p = *p;
  c->origin_country = origin;
  uint32_t nc = world_n_countries(w);
  c->country_edge = g_new(uint32_t, nc);
  c->edge_country = g_new(uint32_t, nc);
  /* Countries come sorted by users, so the first country seen of a region
   * is its most-used one: the edge's site. Regions compared by name. */
  for (uint32_t i = 0; i < nc; i++) {
    const WorldCountry *ci = world_country(w, i);
    uint32_t e = 0;
    for (; e < c->n_edges; e++)
      if (strcmp(world_country(w, c->edge_country[e])->region, ci->region) == 0) break;
    if (e == c->n_edges) {
      /* pick the country of the region with the most users */
      uint32_t best = i;
      for (uint32_t j = 0; j < nc; j++) {
        const WorldCountry *cj = world_country(w, j);
        if (strcmp(cj->region, ci->region) == 0 && cj->users > world_country(w, best)->users)
          best = j;
      }
      c->edge_country[c->n_edges++] = best;
    }
    c->country_edge[i] = e;
  }
  uint32_t nn = world_n_networks(w);
  c->own_rtt = g_new(int64_t, nn);
  for (uint32_t n = 0; n < nn; n++) c->own_rtt[n] = edge_rtt(c, n, cdn_edge_of(c, n));
  c->origin_rtt = g_new(int64_t, c->n_edges);
  for (uint32_t e = 0; e < c->n_edges; e++) c->origin_rtt[e] = origin_rtt(c, e);
  return c;
}

void cdn_free(Cdn *c) {
  if (!c) return;
  g_free(c->country_edge);
  g_free(c->own_rtt);
  g_free(c->origin_rtt);
  g_free(c->edge_country);
  g_free(c);
}

uint32_t cdn_n_edges(const Cdn *c) {
  return c->n_edges;
}

uint32_t cdn_edge_of(const Cdn *c, uint32_t network) {
  return c->country_edge[world_network(c->w, network)->country];
}

uint32_t cdn_edge_country(const Cdn *c, uint32_t edge) {
  g_assert_true(edge < c->n_edges);
  return c->edge_country[edge];
}

int64_t cdn_rtt_ns(const Cdn *c, uint32_t network, uint32_t edge) {
  if (c->own_rtt && edge == cdn_edge_of(c, network)) return c->own_rtt[network];
  return edge_rtt(c, network, edge);
}

static int64_t edge_rtt(const Cdn *c, uint32_t network, uint32_t edge) {
  const WorldNetwork *n = world_network(c->w, network);
  const WorldCountry *ec = world_country(c->w, cdn_edge_country(c, edge));
  double km = n->country == cdn_edge_country(c, edge)
                  ? world_country(c->w, n->country)->intra_km / 2
                  : world_great_circle_km(n->lat, n->lon, ec->lat, ec->lon);
  double ms = n->access_rtt_ms + km * world_ms_per_km(c->w);
  return (int64_t)llround(ms * 1e6) + c->p.edge_rtt_extra_ns;
}

int64_t cdn_origin_rtt_ns(const Cdn *c, uint32_t edge) {
  g_assert_true(edge < c->n_edges);
  return c->origin_rtt[edge];
}

static int64_t origin_rtt(const Cdn *c, uint32_t edge) {
  uint32_t ec = cdn_edge_country(c, edge);
  if (ec == c->origin_country) return 2 * INT64_C(1000000);
  const WorldCountry *a = world_country(c->w, ec), *b = world_country(c->w, c->origin_country);
  double km = world_great_circle_km(a->lat, a->lon, b->lat, b->lon);
  return (int64_t)llround(km * world_ms_per_km(c->w) * 1e6) + 2 * INT64_C(1000000);
}

int64_t cdn_fetch_ns(const Cdn *c, uint32_t network, uint32_t edge, uint64_t size_bytes,
                     double down_share_bps, bool edge_hit) {
  int64_t rtt = cdn_rtt_ns(c, network, edge);
  double rate = fmin(down_share_bps, c->p.edge_rate_bps);
  int64_t t = transfer_time_ns(size_bytes, rtt, rate);
  if (!edge_hit)
    t += transfer_time_ns(size_bytes, cdn_origin_rtt_ns(c, edge), c->p.origin_rate_bps);
  return t;
}
