/*
 * world.h: countries, networks and the latency model of meshsim (sim/world).
 *
 * A World is loaded from scenarios/world/countries.csv (derived from World
 * Bank, M-Lab and tzdata; see scenarios/world/PROVENANCE.md) and a seed:
 *   - countries: the top n_countries by internet users, or an explicit list;
 *   - networks: n_networks generated from the countries and the seed
 *     (apportionment by users, Zipf market shares, access type, NAT type);
 *   - latency: RTT(a, b) = access(a) + access(b)
 *                        + 2 * distance(a, b) * path_stretch / (fiber * c),
 *     with distance = same_network_km inside one network, the country's
 *     intra-country distance between two networks of one country, and the
 *     great-circle distance between their locations otherwise.
 * Everything is immutable after world_load(); all accessors are O(1) and
 * thread-safe. Indices are uint32_t: countries 0..n_countries-1 ordered by
 * users (descending), networks 0..n_networks-1 grouped by country in that
 * order and, within a country, by decreasing market share.
 */
#ifndef WORLD_WORLD_H
#define WORLD_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>
#include <gsl/gsl_rng.h>

#define WORLD_ERROR (world_error_quark())
GQuark world_error_quark(void);

typedef enum WorldError {
  WORLD_ERROR_FILE,       /* a data file is missing or unreadable */
  WORLD_ERROR_EMPTY,      /* a data file has no header or no data rows */
  WORLD_ERROR_PARSE,      /* a missing column, a bad number, a bad field */
  WORLD_ERROR_DUPLICATE,  /* a country appears twice */
  WORLD_ERROR_ZONE,       /* an unknown time zone */
  WORLD_ERROR_PARAM,      /* a WorldParams value out of range */
  WORLD_ERROR_COUNTRY,    /* a requested country is not in the data */
} WorldError;

/* Percentile indices of WorldCountry.dl_mbps / ul_mbps. */
typedef enum WorldPct {
  WORLD_P10, WORLD_P25, WORLD_P50, WORLD_P75, WORLD_P90, WORLD_NPCT
} WorldPct;

typedef enum WorldAccess {
  WORLD_ACCESS_FIXED,
  WORLD_ACCESS_MOBILE,
} WorldAccess;

/* NAT behaviour in the RFC 3489 vocabulary used by WebRTC literature. */
typedef enum WorldNat {
  WORLD_NAT_FULL_CONE,
  WORLD_NAT_RESTRICTED,
  WORLD_NAT_PORT_RESTRICTED,
  WORLD_NAT_SYMMETRIC,
  WORLD_NAT_COUNT
} WorldNat;

typedef struct WorldParams {
  const char *data_dir;           /* holds countries.csv (borrowed) */
  uint32_t n_countries;           /* top N by users; 0 = every country */
  const char *const *countries;   /* NULL-terminated ISO alpha-2 list (borrowed);
                                     overrides n_countries when not NULL */
  uint32_t n_networks;            /* total networks, >= number of countries */
  double share_zipf_s;            /* Zipf exponent of shares within a country */
  double mobile_share;            /* probability that a network is mobile */
  double nat_mix[WORLD_NAT_COUNT];/* NAT type shares (sum 1) */
  double path_stretch;            /* route length / great-circle distance */
  double fiber_fraction;          /* signal speed as a fraction of c */
  double access_share;            /* access RTT per end = share * minRTT p50 */
  double mobile_extra_rtt_ms;     /* added per mobile end, ms */
  double intra_min_km;            /* intra-country distance floor, km */
  double intra_spread_factor;     /* intra km = max(floor, factor * spread_km) */
  double same_network_km;         /* distance between two peers of one network */
  double location_jitter_km;      /* network location: uniform in this radius */
  double jitter_sigma;            /* lognormal sigma of the access part */
} WorldParams;

typedef struct WorldCountry {
  char iso2[3];                   /* ISO 3166-1 alpha-2 */
  char *name;                     /* iso3166.tab name */
  char *region;                   /* World Bank region */
  char *tz;                       /* tzdata zone of the largest city */
  double lat, lon;                /* that zone's principal city, degrees */
  double spread_km;               /* median distance to the country's other zones */
  double intra_km;                /* mean distance between two of its networks */
  uint64_t users;                 /* internet users (World Bank estimate) */
  double dl_mbps[WORLD_NPCT];     /* M-Lab download p10..p90, Mbit/s */
  double ul_mbps[WORLD_NPCT];     /* M-Lab upload p10..p90, Mbit/s */
  double min_rtt_ms[3];           /* M-Lab minRTT p10, p50, p90, ms */
  double access_rtt_ms;           /* access RTT of one fixed end, ms */
  uint32_t first_network;         /* its networks: first .. first + n - 1 */
  uint32_t n_networks;
} WorldCountry;

typedef struct WorldNetwork {
  uint32_t country;               /* index into the countries */
  uint32_t rank;                  /* 1 = largest network of its country */
  double share;                   /* market share within the country */
  double user_share;              /* share of all users of the world */
  WorldAccess access;
  WorldNat nat;
  double lat, lon;                /* location, degrees */
  double access_rtt_ms;           /* access RTT of one end in it, ms */
} WorldNetwork;

typedef struct World World;

/* Documented defaults (see PROVENANCE.md for each number's source). */
void world_params_init_defaults(WorldParams *p);

/* Loads the data and generates the networks. (transfer full) NULL and
 * error set on failure; every data error names file:line and the column. */
World *world_load(const WorldParams *p, uint64_t seed, GError **error);
void world_free(World *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

uint32_t world_n_countries(const World *w);
uint32_t world_n_networks(const World *w);
/* (transfer none) */
const WorldCountry *world_country(const World *w, uint32_t i);
const WorldNetwork *world_network(const World *w, uint32_t i);
/* Index of a country by ISO alpha-2 code; false if not in this world. */
bool world_country_find(const World *w, const char *iso2, uint32_t *index);

/* Median RTT between two networks, ns (deterministic, symmetric). */
int64_t world_rtt_ns(const World *w, uint32_t net_a, uint32_t net_b);
/* The propagation part of world_rtt_ns (no access latency), ns. */
int64_t world_rtt_floor_ns(const World *w, uint32_t net_a, uint32_t net_b);
/* One RTT sample: floor + access part * LogNormal(0, jitter_sigma).
 * Its median is world_rtt_ns(). */
int64_t world_rtt_sample_ns(const World *w, uint32_t net_a, uint32_t net_b,
                            gsl_rng *rng);
/* Median RTT between two countries (fixed access at both ends), ms. */
double world_country_rtt_ms(const World *w, uint32_t ca, uint32_t cb);

/* Great-circle distance on the IUGG mean sphere, km. */
/* One-way path of 1 km costs this many ms of RTT (2 x stretch / (f c)). */
double world_ms_per_km(const World *w);

double world_great_circle_km(double lat1, double lon1, double lat2, double lon2);

void world_print_summary(const World *w, FILE *out);
/* Lines `cc1,cc2,rtt_ms` for every ordered pair of countries. */
void world_print_rtt_csv(const World *w, FILE *out);

#endif /* WORLD_WORLD_H */
