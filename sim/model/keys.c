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
  {"run", "start", CONFIG_STRING, "2024-06-12T00:00:00Z", "", 0, 0, NULL,
   "geo: UTC date and time of simulated time 0 (ISO 8601); sets each country's local hour"},
  {"run", "replications", CONFIG_INT, "1", "", 1, 100000, NULL,
   "seeds per sweep point (seed, seed+1, ...); `meshsim run` runs the first"},
  {"run", "precision", CONFIG_DOUBLE, "0", "", 0, 1, NULL,
   "sweep: add replications to a point until every precision_metrics 95% CI half-width is "
   "below this fraction of |mean| (0 = off: exactly `replications` seeds)"},
  {"run", "precision_metrics", CONFIG_STRING, "offload mean_latency_s", "", 0, 0, NULL,
   "sweep: the scalars (space-separated) that `precision` applies to"},
  {"run", "max_replications", CONFIG_INT, "50", "", 2, 100000, NULL,
   "sweep: at most this many seeds per point when `precision` is on"},
  {"run", "warmup", CONFIG_DURATION, "0s", "ns", 0, NS(366 * 86400.0), NULL,
   "warm-up: the metrics count only after this time (counters, histograms and series reset "
   "then); the algorithm keys may differ during it (warmup_policy ...); 0 = none"},
  {"run", "warmup_policy", CONFIG_NAME, "", "", 0, 0, NULL,
   "cache policy of the peers during the warm-up ('' = cache.policy); at its end every "
   "cache migrates to cache.policy (README: Warm-up fork)"},
  {"run", "warmup_strategy", CONFIG_NAME, "", "", 0, 0, NULL,
   "peer-selection strategy during the warm-up ('' = selection.strategy)"},
  {"run", "warmup_candidates", CONFIG_INT, "0", "", 0, 64, NULL,
   "tracker candidates per query during the warm-up (0 = selection.candidates)"},

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

  {"peers", "mesh", CONFIG_BOOL, "true", "", 0, 0, NULL,
   "geo: false = no mesh: every object from the browser cache or the CDN (the baseline)"},
  {"peers", "channel_setup_rtts", CONFIG_DOUBLE, "7", "", 0, 50, NULL,
   "geo: round trips before the first byte of a new WebRTC data channel (README data: 6-9)"},
  {"peers", "ice_fail_direct", CONFIG_DOUBLE, "0.03", "", 0, 1, NULL,
   "geo: probability that ICE fails for a pair that connects directly"},
  {"peers", "ice_fail_relay", CONFIG_DOUBLE, "0.10", "", 0, 1, NULL,
   "geo: probability that ICE fails for a pair that needs a TURN relay (2-7% overall)"},
  {"peers", "turn_extra_rtt", CONFIG_DURATION, "20ms", "ns", 0, NS(10), NULL,
   "geo: RTT added by a TURN relay"},
  {"peers", "turn_rate", CONFIG_RATE, "10Mbit/s", "bit/s", 1e3, 1e12, NULL,
   "geo: rate cap of one transfer through a TURN relay"},
  {"peers", "window", CONFIG_SIZE, "500KB", "bytes", 1000, 1e9, NULL,
   "geo: data-channel window per RTT: rate <= window / RTT (README data: 0.35-0.6 MB)"},
  {"peers", "upload_slots", CONFIG_INT, "4", "", 1, 64, NULL,
   "geo: concurrent uploads a browser serves, each at upload / slots; more are refused"},
  {"peers", "download_slots", CONFIG_INT, "6", "", 1, 64, NULL,
   "geo: concurrent object fetches of a page (browser parallelism), each at download / slots"},
  {"peers", "max_channels", CONFIG_INT, "8", "", 1, 256, NULL,
   "geo: data channels a browser keeps open; idle ones beyond are closed"},

  /* [churn] */
  {"churn", "model", CONFIG_ENUM, "onoff", "", 0, 0, "onoff|visits",
   "onoff = alternating exponential online/offline periods (reference model); "
   "visits = arrivals per country in local time, visits of pages (geo)"},
  {"churn", "online_mean", CONFIG_DURATION, "30min", "ns", NS(1), NS(365 * 86400.0), NULL,
   "mean length of an online period (exponential)"},
  {"churn", "offline_mean", CONFIG_DURATION, "90min", "ns", NS(1), NS(365 * 86400.0), NULL,
   "mean length of an offline period (exponential)"},
  {"churn", "online_at_start", CONFIG_DOUBLE, "0.25", "", 0, 1, NULL,
   "probability that a peer is online at t = 0 (its first period is drawn fresh)"},

  {"churn", "concurrent", CONFIG_DOUBLE, "5000", "", 1, 1e8, NULL,
   "visits: mean concurrent visitors of the world over a day (Little's law sets arrivals)"},
  {"churn", "peak_trough", CONFIG_DOUBLE, "3", "", 1, 100, NULL,
   "visits: arrival rate at the local peak hour over the rate at the trough"},
  {"churn", "pages_per_visit", CONFIG_DOUBLE, "3", "", 1, 1000, NULL,
   "visits: mean page views per visit (geometric)"},
  {"churn", "dwell_shape", CONFIG_DOUBLE, "0.7", "", 0.05, 5, NULL,
   "visits: Weibull shape of the time on a page (< 1: many short, a long tail; Liu et al. 2010)"},
  {"churn", "dwell_scale", CONFIG_DURATION, "43.4s", "ns", NS(0.1), NS(86400), NULL,
   "visits: Weibull scale of the time on a page (43.4 s with shape 0.7: mean 55 s)"},
  {"churn", "mobile_share", CONFIG_DOUBLE, "0.6", "", 0, 1, NULL,
   "visits: share of visitors on mobile devices"},
  {"churn", "mobile_upload_share", CONFIG_DOUBLE, "0.5", "", 0, 1, NULL,
   "visits: share of mobile browsers that upload to peers at all"},
  {"churn", "mobile_upload_factor", CONFIG_DOUBLE, "0.5", "", 0, 1, NULL,
   "visits: a mobile browser's upload rate as a share of its own draw from its country's "
   "upload percentiles (desktop: all of it)"},
  {"churn", "returning", CONFIG_DOUBLE, "0.4", "", 0, 1, NULL,
   "visits: probability that an arrival is a returning visitor (with its browser cache)"},
  {"churn", "remembered", CONFIG_DOUBLE, "30", "", 0, 1e6, NULL,
   "visits: offline visitors who may still return, per mean concurrent visitor (0 = all); "
   "a full pool forgets a visitor at random (its cache is freed)"},
  {"churn", "cache_clear", CONFIG_DOUBLE, "0.1", "", 0, 1, NULL,
   "visits: probability that a returning visitor's cache was cleared meanwhile"},

  /* [traffic] */
  {"traffic", "catalogue", CONFIG_ENUM, "objects", "", 0, 0, "objects|pages|footprint",
   "objects = equal objects by Zipf rank (reference); pages = sites of pages made of "
   "HTML/CSS/JS/images/fonts (geo); footprint = a TRAGEN footprint (geo)"},
  {"traffic", "sites", CONFIG_INT, "1", "", 1, 1000, NULL,
   "pages/footprint: number of sites (a page view picks one uniformly)"},
  {"traffic", "pages", CONFIG_INT, "10000", "", 1, 1e7, NULL,
   "pages: pages per site at the start"},
  {"traffic", "footprint", CONFIG_STRING, "", "", 0, 0, NULL,
   "footprint: TRAGEN footprint file, relative to the scenario (e.g. world/tc-3.popularity.txt)"},
  {"traffic", "footprint_objects", CONFIG_INT, "100000", "", 1, 1e8, NULL,
   "footprint: objects per site"},
  {"traffic", "publish_per_day", CONFIG_DOUBLE, "24", "", 0, 1e6, NULL,
   "pages/footprint: new pages per site per day (Poisson); each enters popular, then decays"},
  {"traffic", "new_page_rank", CONFIG_DOUBLE, "10", "", 1, 1e7, NULL,
   "pages/footprint: a new page starts with the popularity of this rank"},
  {"traffic", "new_page_decay", CONFIG_DURATION, "12h", "ns", NS(60), NS(365 * 86400.0), NULL,
   "pages/footprint: a new page's extra popularity decays as exp(-age / this)"},
  {"traffic", "updates", CONFIG_BOOL, "true", "", 0, 0, NULL,
   "pages/footprint: objects get new versions at their class's rate (JS/CSS weekly, "
   "images and footprint objects rarely)"},
  {"traffic", "flash_country", CONFIG_NAME, "", "", 0, 0, NULL,
   "a flash crowd: ISO code of the country where a page goes viral ('' = none)"},
  {"traffic", "flash_page", CONFIG_INT, "100", "", 1, 1e7, NULL,
   "the flash crowd's page: its popularity rank at the start"},
  {"traffic", "flash_start", CONFIG_DURATION, "6h", "ns", 0, NS(366 * 86400.0), NULL,
   "when the flash crowd starts"},
  {"traffic", "flash_rise", CONFIG_DURATION, "30min", "ns", NS(1), NS(86400), NULL,
   "the flash crowd's linear rise to its peak"},
  {"traffic", "flash_decay", CONFIG_DURATION, "2h", "ns", NS(1), NS(30 * 86400.0), NULL,
   "the flash crowd's exponential decay time after the peak"},
  {"traffic", "flash_factor", CONFIG_DOUBLE, "200", "", 1, 1e9, NULL,
   "the page's popularity multiplier in that country at the peak"},
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
  {"cache", "policy", CONFIG_NAME, "lru", "", 0, 0, NULL,
   "peer cache eviction policy (see `meshsim cache --help` for the list)"},
  {"cache", "capacity", CONFIG_SIZE, "64MB", "bytes", 1, 1e15, NULL,
   "peer cache capacity in bytes (ignored when capacity_objects > 0)"},
  {"cache", "capacity_mobile", CONFIG_SIZE, "16MB", "bytes", 1, 1e15, NULL,
   "geo: cache capacity of a mobile browser (bytes)"},
  {"cache", "capacity_objects", CONFIG_INT, "64", "", 0, 1e9, NULL,
   "peer cache capacity in objects; 0 = limit by bytes (capacity)"},

  /* [selection] */
  {"selection", "strategy", CONFIG_NAME, "locality", "", 0, 0, NULL,
   "peer-selection strategy among the tracker's candidates"},
  {"selection", "candidates", CONFIG_INT, "1", "", 1, 64, NULL,
   "candidates the tracker returns per query (best locality tier first)"},

  /* [agent] */
  {"agent", "max_attempts", CONFIG_INT, "3", "", 1, 16, NULL,
   "geo: peers tried for one object before the CDN"},
  {"agent", "tracker_timeout", CONFIG_DURATION, "2s", "ns", NS(1e-3), NS(600), NULL,
   "geo: wait for the tracker's answer, then the CDN"},
  {"agent", "connect_timeout", CONFIG_DURATION, "3s", "ns", NS(1e-3), NS(600), NULL,
   "geo: wait for a data channel to open"},
  {"agent", "transfer_timeout", CONFIG_DURATION, "10s", "ns", NS(1e-3), NS(3600), NULL,
   "geo: wait for a transfer from a peer"},
  {"agent", "bowout_errors", CONFIG_INT, "5", "", 0, 1000, NULL,
   "geo: consecutive mesh errors after which a browser bows out to the CDN (0 = never)"},
  {"agent", "bowout", CONFIG_DURATION, "60s", "ns", NS(1), NS(86400), NULL,
   "geo: first bow-out period (doubles after each consecutive bow-out)"},
  {"agent", "bowout_max", CONFIG_DURATION, "16min", "ns", NS(1), NS(86400), NULL,
   "geo: longest bow-out period"},
  {"agent", "min_object_size", CONFIG_SIZE, "0", "bytes", 0, 1e12, NULL,
   "geo: smaller objects skip the mesh: fetched from the CDN without asking the tracker, "
   "never announced (0 = the mesh carries every object)"},

  /* [tracker] */
  {"tracker", "max_rtt", CONFIG_DURATION, "0", "ns", 0, NS(10), NULL,
   "geo: the tracker offers only holders whose RTT to the requester is at most this "
   "(0 = no limit); farther peers are slower than the CDN edge"},
  {"tracker", "datacenters", CONFIG_STRING, "A:US B:DE C:JP", "", 0, 0, NULL,
   "geo: signaling datacenters, NAME:COUNTRY pairs separated by spaces (at most 8; a country "
   "named here must be in the world; the default's outside a small world move to its "
   "most-used countries); a "
   "client's RTT to one = its access RTT + propagation to the country's principal city"},
  {"tracker", "index", CONFIG_ENUM, "shared", "", 0, 0, "shared|per-datacenter",
   "geo: one tracker index for all datacenters, or one per datacenter (a query then finds "
   "only peers connected to the same datacenter)"},
  {"tracker", "instance_capacity", CONFIG_DOUBLE, "1000", "", 1, 1e9, NULL,
   "geo: signaling messages per second one instance serves (beyond: a queue, then latency)"},
  {"tracker", "instances", CONFIG_INT, "1", "", 1, 10000, NULL,
   "geo: instances per datacenter at start and after a rebuild"},
  {"tracker", "min_instances", CONFIG_INT, "1", "", 1, 10000, NULL,
   "geo: the autoscaler keeps at least this many instances"},
  {"tracker", "max_instances", CONFIG_INT, "16", "", 1, 10000, NULL,
   "geo: the autoscaler starts at most this many instances"},
  {"tracker", "scale_up_delay", CONFIG_DURATION, "2min", "ns", 0, NS(86400), NULL,
   "geo: time from the autoscaler's decision to a new instance serving"},
  {"tracker", "scale_every", CONFIG_DURATION, "10s", "ns", NS(1), NS(3600), NULL,
   "geo: period of the autoscaler's decisions"},
  {"tracker", "scale_up_at", CONFIG_DOUBLE, "0.7", "", 0.01, 10, NULL,
   "geo: utilisation above which the autoscaler adds instances (to reach half of it)"},
  {"tracker", "scale_down_at", CONFIG_DOUBLE, "0.3", "", 0, 10, NULL,
   "geo: utilisation below which the autoscaler stops one instance"},
  {"tracker", "dns_ttl", CONFIG_DURATION, "30s", "ns", 0, NS(86400), NULL,
   "geo: a client uses its resolved list of datacenters this long"},
  {"tracker", "connect_rtts", CONFIG_DOUBLE, "3", "", 0, 100, NULL,
   "geo: round trips to open a signaling session (TCP, TLS, WebSocket upgrade)"},
  {"tracker", "connect_timeout", CONFIG_DURATION, "5s", "ns", NS(1e-3), NS(600), NULL,
   "geo: a client gives up a signaling connection attempt to a silent datacenter after this"},
  {"tracker", "heartbeat", CONFIG_DURATION, "30s", "ns", NS(1), NS(3600), NULL,
   "geo: ping period of a signaling session (one message each); a missed pong (after "
   "connect_timeout) tells the client its datacenter is gone"},
  {"tracker", "reconnect_jitter", CONFIG_DURATION, "2s", "ns", 0, NS(3600), NULL,
   "geo: clients told that their session closed reconnect after a uniform delay up to this"},
  {"tracker", "rotation", CONFIG_ENUM, "none", "", 0, 0, "none|daily|times",
   "geo: clean-slate rotation of the datacenters (deregister, pause, rebuild, register; one "
   "after the other): none, daily at rotation_at, or at rotation_times"},
  {"tracker", "rotation_at", CONFIG_STRING, "04:00", "", 0, 0, NULL,
   "geo: time of day (HH:MM, UTC) of a daily rotation"},
  {"tracker", "rotation_times", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: start times of rotations since the run's start (durations separated by spaces)"},
  {"tracker", "rotation_pause", CONFIG_DURATION, "5min", "ns", 0, NS(86400), NULL,
   "geo: from a datacenter's DNS deregistration to its rebuild (clients follow the TTL)"},
  {"tracker", "rotation_rebuild", CONFIG_DURATION, "1min", "ns", 0, NS(86400), NULL,
   "geo: a datacenter refuses connections this long while rebuilt, then registers again"},

  /* [faults]: each a list of `SCOPE START DURATION [FLAG]` separated by ';' */
  {"faults", "dc_outage", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: hard outage of a datacenter (SCOPE = its name), still listed in DNS: clients learn "
   "by timeouts, e.g. `B 2h 30min`"},
  {"faults", "partition", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: a country (ISO code) or network (n<index>) cut off from the other peers; FLAG "
   "`backend` cuts its signaling too, e.g. `DE 2h 30min backend`"},
  {"faults", "channel_fail", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: extra probability that a data channel fails to open (SCOPE = the probability), "
   "e.g. `0.5 2h 30min`"},
  {"faults", "upload_close", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: probability that a serving peer closes an upload partway (SCOPE), e.g. `0.2 2h 30min`"},
  {"faults", "poison", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: share of peers that serve corrupt bytes (SCOPE), e.g. `0.05 2h 1h`"},
  {"faults", "poison_reports", CONFIG_INT, "3", "", 1, 1000000, NULL,
   "geo: reports of corrupt data after which the tracker stops offering a peer (until its "
   "index is rebuilt)"},
  {"faults", "edge_outage", CONFIG_STRING, "", "", 0, 0, NULL,
   "geo: outage of the CDN edge serving a country (SCOPE = ISO code): fetches go to the next "
   "nearest edge, e.g. `DE 2h 30min`"},
  {"faults", "recovery_band", CONFIG_DOUBLE, "0.05", "", 0.001, 1, NULL,
   "geo: a fault is recovered from when the interval offload is back within this fraction "
   "of its baseline (mean of the hour before the fault)"},

  /* [cdn] */
  {"cdn", "rtt", CONFIG_DURATION, "40ms", "ns", 0, NS(10), NULL,
   "RTT from every network to its CDN edge"},
  {"cdn", "bandwidth", CONFIG_RATE, "20Mbit/s", "bit/s", 1e3, 1e12, NULL,
   "CDN download bandwidth per transfer"},

  {"cdn", "edge_policy", CONFIG_NAME, "lru", "", 0, 0, NULL,
   "geo: eviction policy of the CDN edge caches"},
  {"cdn", "edge_capacity", CONFIG_SIZE, "10GB", "bytes", 1, 1e16, NULL,
   "geo: capacity of one CDN edge cache"},
  {"cdn", "edge_rate", CONFIG_RATE, "50Mbit/s", "bit/s", 1e3, 1e12, NULL,
   "geo: rate of one connection from an edge (a browser's download share caps it too)"},
  {"cdn", "edge_rtt_extra", CONFIG_DURATION, "2ms", "ns", 0, NS(1), NULL,
   "geo: RTT added at the edge (processing, last-mile detour)"},
  {"cdn", "origin", CONFIG_NAME, "US", "", 0, 0, NULL,
   "geo: ISO code of the origin's country"},
  {"cdn", "origin_rate", CONFIG_RATE, "200Mbit/s", "bit/s", 1e3, 1e13, NULL,
   "geo: rate of one edge <- origin transfer"},

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
