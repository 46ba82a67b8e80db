/*
 * keys.c: every scenario key, declared once: section, name, type, default,
 * unit, range, one-line doc. Ranges are in the stored unit (ns, bytes,
 * bit/s). Keep sections in the order of DESIGN.md.
 */
#include "model/keys.h"

#include <math.h>

#define NS(x) ((double)(x) * 1e9)   /* seconds -> ns, for duration ranges */
#define INF INFINITY

const ConfigKey model_keys[] = {
  /* [scenario] */
  {"scenario", "name", CONFIG_STRING, "", "", 0, 0, NULL,
   "scenario name (default: the file name without .ini)"},
  {"scenario", "description", CONFIG_STRING, "", "", 0, 0, NULL,
   "one-line description, stored with the results"},
  {"scenario", "extends", CONFIG_STRING, "", "", 0, 0, NULL,
   "scenario file this one extends (relative to this file); its keys are the defaults here"},

  /* [run] */
  {"run", "duration", CONFIG_DURATION, "2h", "ns", NS(1e-6), NS(366 * 86400.0), NULL,
   "simulated time horizon"},
  {"run", "seed", CONFIG_INT, "1", "", 0, 9007199254740992.0, NULL,
   "master seed; every random stream is derived from it"},
  {"run", "replications", CONFIG_INT, "1", "", 1, 100000, NULL,
   "seeds per sweep point (seed, seed+1, ...); `meshsim run` runs the first"},
  {"run", "precision", CONFIG_DOUBLE, "0", "", 0, 1, NULL,
   "sweep: add replications to a point until every precision_metrics 95% CI half-width is "
   "below this fraction of |mean| (0 = off: exactly `replications` seeds)"},
  {"run", "precision_metrics", CONFIG_STRING, "offload mean_latency_s", "", 0, 0, NULL,
   "sweep: the scalars (space-separated) that `precision` applies to"},
  {"run", "max_replications", CONFIG_INT, "50", "", 2, 100000, NULL,
   "sweep: at most this many seeds per point when `precision` is on"},

  /* [world] */
  {"world", "model", CONFIG_ENUM, "reference", "", 0, 0, "reference|geo",
   "reference = the benchmark model's formula (shared/bench/REFERENCE_MODEL.md); "
   "geo = countries from data, great-circle latency (scenarios/world/PROVENANCE.md)"},
  {"world", "countries", CONFIG_INT, "50", "", 1, 250, NULL,
   "number of countries (geo: the top N by internet users)"},
  {"world", "country_list", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: explicit ISO 3166 alpha-2 codes separated by spaces (overrides countries)"},
  {"world", "networks", CONFIG_INT, "500", "", 1, 65535, NULL,
   "number of networks (ISPs/ASes); reference model: network n is in country n mod countries"},
  {"world", "data_dir", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: directory of countries.csv, relative to the scenario file (default: scenarios/world)"},
  {"world", "share_zipf", CONFIG_DOUBLE, "1.0", "", 0, 5, NULL,
   "geo: Zipf exponent of network market shares within a country"},
  {"world", "mobile_share", CONFIG_DOUBLE, "0.3", "", 0, 1, NULL,
   "geo: probability that a network is a mobile network"},
  {"world", "nat_full_cone", CONFIG_DOUBLE, "0.25", "", 0, 1, NULL,
   "geo: share of networks whose NAT is full-cone (the four NAT shares must sum to 1)"},
  {"world", "nat_restricted", CONFIG_DOUBLE, "0.20", "", 0, 1, NULL,
   "geo: share of networks with an address-restricted NAT"},
  {"world", "nat_port_restricted", CONFIG_DOUBLE, "0.35", "", 0, 1, NULL,
   "geo: share of networks with a port-restricted NAT"},
  {"world", "nat_symmetric", CONFIG_DOUBLE, "0.20", "", 0, 1, NULL,
   "geo: share of networks with a symmetric NAT"},
  {"world", "path_stretch", CONFIG_DOUBLE, "1.6", "", 1, 5, NULL,
   "geo: route length over great-circle distance (calibrated, PROVENANCE.md)"},
  {"world", "fiber_fraction", CONFIG_DOUBLE, "0.6666667", "", 0.1, 1, NULL,
   "geo: signal speed in fibre as a fraction of the speed of light"},
  {"world", "access_share", CONFIG_DOUBLE, "0.3", "", 0, 2, NULL,
   "geo: access RTT per end = this times the country's M-Lab minRTT p50"},
  {"world", "jitter_sigma", CONFIG_DOUBLE, "0.25", "", 0, 3, NULL,
   "geo: lognormal sigma of the jitter of the access part of an RTT sample"},
  {"world", "rtt_same_network", CONFIG_DURATION, "10ms", "ns", 0, NS(10), NULL,
   "reference model: RTT between two peers of the same network"},
  {"world", "rtt_same_country", CONFIG_DURATION, "30ms", "ns", 0, NS(10), NULL,
   "reference model: RTT between networks of the same country"},
  {"world", "rtt_base", CONFIG_DURATION, "60ms", "ns", 0, NS(10), NULL,
   "reference model: RTT between countries, constant part"},
  {"world", "rtt_per_country", CONFIG_DURATION, "4ms", "ns", 0, NS(1), NULL,
   "reference model: RTT between countries a and b adds this times |a - b|"},

  /* [peers] */
  {"peers", "count", CONFIG_INT, "10000", "", 1, 100e6, NULL,
   "browser peers in all (online or not)"},
  {"peers", "upload", CONFIG_RATE, "4Mbit/s", "bit/s", 1e3, 100e9, NULL,
   "upload bandwidth of a peer, per transfer (reference model: no sharing)"},

  /* [churn] */
  {"churn", "model", CONFIG_ENUM, "onoff", "", 0, 0, "onoff",
   "onoff = alternating exponential online/offline periods (the reference model)"},
  {"churn", "online_mean", CONFIG_DURATION, "30min", "ns", NS(1), NS(365 * 86400.0), NULL,
   "mean length of an online period (exponential)"},
  {"churn", "offline_mean", CONFIG_DURATION, "90min", "ns", NS(1), NS(365 * 86400.0), NULL,
   "mean length of an offline period (exponential)"},
  {"churn", "online_at_start", CONFIG_DOUBLE, "0.25", "", 0, 1, NULL,
   "probability that a peer is online at t = 0 (its first period is drawn fresh)"},

  /* [traffic] */
  {"traffic", "page_interval", CONFIG_DURATION, "60s", "ns", NS(1e-3), NS(86400), NULL,
   "mean time between page views of an online peer (Poisson)"},
  {"traffic", "objects_per_page", CONFIG_INT, "8", "", 1, 1000, NULL,
   "objects requested per page view, each drawn independently"},
  {"traffic", "objects", CONFIG_INT, "10000", "", 1, 100e6, NULL,
   "catalogue size (object id = popularity rank)"},
  {"traffic", "zipf_alpha", CONFIG_DOUBLE, "0.9", "", 0, 5, NULL,
   "Zipf exponent of object popularity (rank k has weight 1/k^alpha)"},
  {"traffic", "object_size", CONFIG_SIZE, "100KB", "bytes", 1, 100e9, NULL,
   "size of every object"},

  /* [cache] */
  {"cache", "policy", CONFIG_STRING, "lru", "", 0, 0, NULL,
   "peer cache eviction policy (see `meshsim cache --help` for the list)"},
  {"cache", "capacity", CONFIG_SIZE, "64MB", "bytes", 1, 1e15, NULL,
   "peer cache capacity in bytes (ignored when capacity_objects > 0)"},
  {"cache", "capacity_objects", CONFIG_INT, "64", "", 0, 1e9, NULL,
   "peer cache capacity in objects; 0 = limit by bytes (capacity)"},

  /* [selection] */
  {"selection", "strategy", CONFIG_STRING, "locality", "", 0, 0, NULL,
   "peer-selection strategy among the tracker's candidates"},
  {"selection", "candidates", CONFIG_INT, "1", "", 1, 64, NULL,
   "candidates the tracker returns per query (best locality tier first)"},

  /* [cdn] */
  {"cdn", "rtt", CONFIG_DURATION, "40ms", "ns", 0, NS(10), NULL,
   "RTT from every network to its CDN edge"},
  {"cdn", "bandwidth", CONFIG_RATE, "20Mbit/s", "bit/s", 1e3, 1e12, NULL,
   "CDN download bandwidth per transfer"},

  /* [output] */
  {"output", "series_interval", CONFIG_DURATION, "5min", "ns", NS(1), NS(86400), NULL,
   "sampling interval of the time series (online peers, offload, requests)"},

  /* [check]: regression scenarios of `meshsim check` (ignored by run and sweep) */
  {"check", "metrics", CONFIG_STRING, "", "", 0, 0, NULL,
   "check: the scalars compared with the baseline (space-separated); empty = not a regression scenario"},
  {"check", "tolerance", CONFIG_STRING, "", "", 0, 0, NULL,
   "check: per metric `NAME:abs:X`, `NAME:rel:X` or `NAME:notworse` (space-separated; default "
   "notworse); see README, meshsim check"},
};

const size_t model_keys_count = G_N_ELEMENTS(model_keys);

Config *model_config_new(void) {
  return config_new(model_keys, model_keys_count);
}
