/*
 * transfer.h: how long a transfer takes in the geo world (sim/world).
 *
 * WebRTC data channels between peers, and HTTP fetches from CDN edges in
 * front of an origin. Pure functions of the world and the parameters; the
 * host (sim/model) decides when transfers start and keeps the state.
 *
 * Peer to peer (defaults from shared/data/README.md):
 *   - a NEW data channel costs setup_rtts round trips before the first byte
 *     (STUN, offer/answer through signaling, ICE, DTLS, SCTP: 6-9; 7);
 *   - NAT traversal: a pair needs a TURN relay when one end is symmetric and
 *     the other symmetric or port-restricted (RFC 4787 behaviour; with the
 *     world's NAT mix that is 18% of pairs, README: 15-22%); the relay adds
 *     turn_extra_rtt to the RTT and caps the rate at turn_rate;
 *   - ICE fails for ice_fail_direct of direct attempts and ice_fail_relay of
 *     relayed ones (README: 2-7% of sessions overall; 0.03 and 0.10 give
 *     4.3% with the default mix);
 *   - a request on an open channel costs one RTT to the first byte, then
 *     size / rate, rate = min(sender's upload share, receiver's download
 *     share, window / RTT) (README: 0.35-0.6 MB per RTT; 0.5 MB);
 *   - upload sharing is by SLOTS: a peer serves at most upload_slots
 *     transfers at once, each at upload / upload_slots; a request beyond
 *     that is refused (the requester tries its next candidate). Fixed
 *     shares keep a transfer's time known at its start (no re-rating
 *     events), at the price of leaving capacity idle when few slots are in
 *     use. Downloads: a browser fetches at most download_slots objects at
 *     once, each at download / download_slots.
 * CDN: one edge per World Bank region of the loaded countries, placed at the
 * region's country with the most internet users; a country is served by its
 * region's edge. RTT(network -> edge) = access RTT of the network + the
 * world's propagation over the great-circle distance + edge_rtt_extra. A
 * fetch on a warm HTTP/2 connection costs one RTT plus size / min(download
 * share, edge_rate); an edge miss adds the edge -> origin RTT and size /
 * origin_rate (the edge fetches the whole object before serving it).
 */
#ifndef WORLD_TRANSFER_H
#define WORLD_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "world/world.h"

typedef struct TransferParams {
  double setup_rtts;          /* round trips to open a data channel */
  double ice_fail_direct;     /* probability ICE fails, direct pair */
  double ice_fail_relay;      /* probability ICE fails, relayed pair */
  int64_t turn_extra_rtt_ns;  /* RTT added by a TURN relay */
  double turn_rate_bps;       /* rate cap through the relay, per transfer */
  double window_bytes;        /* data-channel window per RTT */
  uint32_t upload_slots;      /* concurrent uploads per peer */
  uint32_t download_slots;    /* concurrent downloads per browser */
} TransferParams;

void transfer_params_init_defaults(TransferParams *p);

/* Whether a NAT pair needs a TURN relay. */
bool transfer_needs_turn(WorldNat a, WorldNat b);
/* Probability that ICE fails for a pair. */
double transfer_ice_fail_prob(const TransferParams *p, WorldNat a, WorldNat b);
/* Time to open a data channel over a path of this RTT. */
int64_t transfer_setup_ns(const TransferParams *p, int64_t rtt_ns);
/* min(up, down, window / RTT), bit/s. */
double transfer_rate_bps(double up_bps, double down_bps, double window_bytes, int64_t rtt_ns);
/* One RTT to the first byte, then size at rate. */
int64_t transfer_time_ns(uint64_t size_bytes, int64_t rtt_ns, double rate_bps);

/* A draw from a country's M-Lab throughput distribution, bit/s: the
 * quantile function through p10, p25, p50, p75, p90, log-linear between
 * them and extended with the end segments' slopes below p10 and above p90
 * (clamped to [p10 / 4, 4 x p90]); u uniform in (0, 1). */
double transfer_bandwidth_quantile(const double pct_mbps[WORLD_NPCT], double u);

/* ---- CDN ----------------------------------------------------------------- */

typedef struct CdnParams {
  int64_t edge_rtt_extra_ns;  /* edge processing and last-mile detour */
  double edge_rate_bps;       /* per connection from the edge */
  const char *origin_iso2;    /* country of the origin (borrowed) */
  double origin_rate_bps;     /* edge <- origin per transfer */
} CdnParams;

void cdn_params_init_defaults(CdnParams *p);

typedef struct Cdn Cdn;

/* (transfer full) NULL with error set if the origin country is not in the
 * world. */
Cdn *cdn_new(const World *w, const CdnParams *p, GError **error);
void cdn_free(Cdn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Cdn, cdn_free)

uint32_t cdn_n_edges(const Cdn *c);
/* The edge serving a network. */
uint32_t cdn_edge_of(const Cdn *c, uint32_t network);
/* The country index the edge sits in. */
uint32_t cdn_edge_country(const Cdn *c, uint32_t edge);
/* RTT from a network to an edge. */
int64_t cdn_rtt_ns(const Cdn *c, uint32_t network, uint32_t edge);
/* RTT from an edge to the origin. */
int64_t cdn_origin_rtt_ns(const Cdn *c, uint32_t edge);
/* Fetch time from an edge: hit, or miss (via the origin). */
int64_t cdn_fetch_ns(const Cdn *c, uint32_t network, uint32_t edge, uint64_t size_bytes,
                     double down_share_bps, bool edge_hit);

#endif /* WORLD_TRANSFER_H */
