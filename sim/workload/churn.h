/*
 * churn.h: visitors of the sites, per country (sim/workload).
 *
 * Arrivals: for each country c a non-homogeneous Poisson process with rate
 *   lambda_c(t) = A * users_c / sum(users) * h(local hour of t) / mean(h),
 * h a 24-hour profile in LOCAL time (each country's UTC offset taken from
 * its tzdata zone at the scenario start with GLib's GTimeZone; DST changes
 * during a run are ignored). A is chosen by Little's law so that the
 * time-averaged number of concurrent visitors of the world equals
 * target_concurrent: A = target_concurrent / E[visit], E[visit] =
 * pages_mean * E[dwell] (the M_t/G/inf time average does not depend on h).
 * The superposition is sampled exactly by inverting the integrated,
 * piecewise-constant total rate; the country of an arrival is drawn from
 * the rates of the piece it falls in (alias table per piece, O(1)).
 *
 * A visit is a geometric number of page views (mean pages_mean), each with
 * a Weibull dwell time (shape < 1). Visitors are dense uint32 ids; a new
 * arrival is a returning visitor (one of its country's visitors not online)
 * with probability returning_prob, whose browser cache was cleared since
 * with probability cache_clear_prob. See scenarios/WORKLOAD.md for every
 * default and its source.
 */
#ifndef WORKLOAD_CHURN_H
#define WORKLOAD_CHURN_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "core/engine.h"
#include "world/world.h"

#define CHURN_ERROR (churn_error_quark())
GQuark churn_error_quark(void);

typedef enum ChurnError {
  CHURN_ERROR_PARAM,   /* a ChurnParams value out of range */
  CHURN_ERROR_ZONE,    /* a country's time zone is unknown to GLib/tzdata */
} ChurnError;

#define CHURN_HOURS 24

typedef enum ChurnDevice {
  CHURN_DESKTOP,
  CHURN_MOBILE,
  CHURN_N_DEVICES
} ChurnDevice;

/* One country as churn sees it (churn_new_for_world() builds these). */
typedef struct ChurnCountry {
  const char *tz;                 /* tzdata zone name (borrowed) */
  double users;                   /* internet users (any unit: shares matter) */
} ChurnCountry;

typedef struct ChurnParams {
  double target_concurrent;       /* world mean concurrent visitors (time average) */
  int64_t start_unix_s;           /* UTC time of sim time 0, s since 1970 */
  const double *profile;          /* 24 relative rates per local hour (borrowed);
                                     NULL = default shape with peak_trough_ratio */
  double peak_trough_ratio;       /* default shape: rate at peak / rate at trough */
  double pages_mean;              /* mean page views per visit (geometric, >= 1) */
  double dwell_shape;             /* Weibull shape of the dwell time per page */
  double dwell_scale_s[CHURN_N_DEVICES]; /* Weibull scale per device, s */
  double mobile_share;            /* probability that a new visitor is mobile */
  double mobile_upload_share;     /* probability that a mobile visitor uploads */
  double upload_factor[CHURN_N_DEVICES]; /* times the visitor's drawn upload rate */
  double returning_prob;          /* P(an arrival is a returning visitor) */
  double cache_clear_prob;        /* P(returning visitor's cache was cleared) */
  double remembered;              /* offline visitors kept for returning, world
                                     total split by users (>= 16 per country);
                                     0 = all. A full pool forgets a uniformly
                                     chosen member: visitors stop coming back. */
} ChurnParams;

/* An arrival (a visit starts). */
typedef struct ChurnArrival {
  SimTime at_ns;                  /* arrival time */
  uint32_t country;               /* index into the countries given */
  uint32_t visitor;               /* dense visitor id */
  ChurnDevice device;
  bool uploads;                   /* the browser may upload to peers */
  bool is_returning;              /* a visitor seen before */
  bool cache_cleared;             /* its cache is empty (always true when new) */
} ChurnArrival;

typedef struct Churn Churn;

/* Documented defaults (scenarios/WORKLOAD.md). */
void churn_params_init_defaults(ChurnParams *p);
/* The default 24-hour shape (0 at the trough, 1 at the peak), local hours. */
const double *churn_default_shape(void);

/* (transfer full) NULL and error set on bad parameters or an unknown zone.
 * Streams: rng_stream_new(seed, RNG_CHURN, 0) arrival times and countries,
 * (.., 2) who arrives (returning or new, device, cache cleared),
 * (.., 1) pages per visit and dwell times. */
Churn *churn_new(const ChurnCountry *countries, uint32_t n_countries,
                 const ChurnParams *p, uint64_t seed, GError **error);
Churn *churn_new_for_world(const World *w, const ChurnParams *p, uint64_t seed,
                           GError **error);
void churn_free(Churn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Churn, churn_free)

/* The first arrival strictly after now (exact for a Poisson process whatever
 * came before). Creates or reactivates its visitor, which stays online until
 * churn_visit_end(). O(log pieces) + O(1). */
void churn_next_arrival(Churn *c, SimTime now, ChurnArrival *out);
/* The visitor left: it may come back as a returning visitor. O(1).
 * Returns a visitor forgotten to make room (it never returns: the caller
 * may free its state), or UINT32_MAX. */
uint32_t churn_visit_end(Churn *c, uint32_t visitor);

/* Page views of the visit that just started (geometric, >= 1). */
uint32_t churn_visit_pages(Churn *c, uint32_t visitor);
/* Dwell time on one page, ns (Weibull). */
SimTime churn_dwell_ns(Churn *c, ChurnDevice device);

/* Visitor attributes. */
uint32_t churn_n_visitors(const Churn *c);
uint32_t churn_visitor_country(const Churn *c, uint32_t visitor);
ChurnDevice churn_visitor_device(const Churn *c, uint32_t visitor);
bool churn_visitor_uploads(const Churn *c, uint32_t visitor);
double churn_upload_factor(const Churn *c, ChurnDevice device);

/* Model quantities. */
double churn_mean_dwell_s(const Churn *c);       /* E[dwell], mixed over devices */
double churn_mean_visit_s(const Churn *c);       /* pages_mean * E[dwell] */
double churn_arrival_rate(const Churn *c);       /* A, arrivals per second (day mean) */
/* lambda_c at time t, arrivals per second. */
double churn_country_rate(const Churn *c, uint32_t country, SimTime t);
int32_t churn_country_utc_offset_s(const Churn *c, uint32_t country);

#endif /* WORKLOAD_CHURN_H */
