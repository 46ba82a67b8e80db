/*
 * traffic.h: sites, pages, objects, popularity, new content, updates and
 * flash crowds (sim/workload).
 *
 * A site is a catalogue of pages; page and object ids are dense uint32 over
 * all sites, pages 0..n-1 of a site in popularity rank order at start.
 *   - Zipf mode: page = one HTML object + the site's shared template
 *     (CSS, fonts, most JS, a few images) + page-specific JS and images;
 *     counts and lognormal sizes after the HTTP Archive Web Almanac 2024
 *     medians; page popularity Zipf(alpha), sampled with an alias table.
 *   - Footprint mode: a TRAGEN footprint (request count k -> object sizes
 *     and fractions) becomes n objects by quantile slices, each a one-object
 *     page; requests are dealt from a shuffled "deck" where object i appears
 *     exactly k_i times (sampling without replacement through a Fenwick tree,
 *     O(log n)), so a full deck reproduces the footprint's request counts.
 * Over time: new pages are published (Poisson) entering with the weight of
 * a given rank and decaying exponentially; object versions increase
 * (Poisson per object, rate per class); flash crowds multiply one page's
 * weight in one country by a factor that rises linearly then decays
 * exponentially, drawn by mixing (exact). See scenarios/WORKLOAD.md.
 */
#ifndef WORKLOAD_TRAFFIC_H
#define WORKLOAD_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "core/engine.h"

#define TRAFFIC_ERROR (traffic_error_quark())
GQuark traffic_error_quark(void);

typedef enum TrafficError {
  TRAFFIC_ERROR_PARAM,   /* a TrafficParams value out of range */
  TRAFFIC_ERROR_FILE,    /* the footprint file cannot be read */
  TRAFFIC_ERROR_PARSE,   /* the footprint file is malformed (file:line) */
} TrafficError;

typedef enum TrafficClass {
  TRAFFIC_HTML,
  TRAFFIC_CSS,
  TRAFFIC_JS,
  TRAFFIC_IMAGE,
  TRAFFIC_FONT,
  TRAFFIC_BLOB,          /* a footprint object (any content type) */
  TRAFFIC_N_CLASSES
} TrafficClass;

typedef struct TrafficClassParams {
  double count;          /* objects of this class per page, mean (HTML: 1) */
  double bytes;          /* bytes of this class per page, mean */
  double size_sigma;     /* lognormal sigma of one object's size */
  double shared;         /* share of the count in the site-wide template */
  double updates_per_day;/* version increments per object per day */
} TrafficClassParams;

typedef struct TrafficFlash {
  uint32_t site;
  uint32_t page_rank;    /* 1 = most popular page of the site at start */
  uint32_t country;      /* index given to traffic_pick_page() */
  SimTime start_ns;      /* the factor starts rising */
  SimTime rise_ns;       /* linear rise to the full factor */
  SimTime decay_ns;      /* then (factor - 1) decays as exp(-t / decay) */
  double factor;         /* weight multiplier at the peak, >= 1 */
} TrafficFlash;

typedef struct TrafficParams {
  uint32_t n_sites;
  uint32_t n_countries;        /* country indices are 0..n_countries-1 */
  uint32_t pages_per_site;     /* Zipf mode: pages at start */
  double zipf_alpha;           /* Zipf mode: rank r has weight r^-alpha */
  const char *footprint_path;  /* NULL or "" = Zipf mode (borrowed) */
  uint32_t footprint_objects;  /* footprint mode: objects (= pages) per site */
  TrafficClassParams cls[TRAFFIC_N_CLASSES];
  double count_dispersion;     /* negative binomial shape of page-specific counts */
  double publish_per_day;      /* new pages per site per day (Poisson) */
  double new_page_rank;        /* a new page starts with the weight of this rank */
  SimTime new_page_decay_ns;   /* its weight decays as exp(-age / this) */
  const TrafficFlash *flash;   /* flash crowds (borrowed, copied) */
  uint32_t n_flash;
} TrafficParams;

typedef enum TrafficChangeKind {
  TRAFFIC_CHANGE_NONE,         /* nothing will ever change */
  TRAFFIC_CHANGE_PUBLISH,      /* a new page (and its objects) exists */
  TRAFFIC_CHANGE_UPDATE,       /* an object's version increased */
} TrafficChangeKind;

typedef struct TrafficChange {
  SimTime at_ns;
  TrafficChangeKind kind;
  uint32_t site;
  uint32_t page;               /* PUBLISH: the new page */
  uint32_t object;             /* UPDATE: the object; PUBLISH: its HTML object */
  uint32_t version;            /* UPDATE: the new version */
} TrafficChange;

typedef struct Traffic Traffic;

/* Documented defaults (scenarios/WORKLOAD.md). */
void traffic_params_init_defaults(TrafficParams *p);

/* (transfer full) NULL and error set on bad parameters or a malformed
 * footprint (message "path:line: ..."). Streams: (RNG_CONTENT, 0) catalogue,
 * (RNG_CONTENT, 1) publications, (RNG_CONTENT, 2) updates, (RNG_TRAFFIC, 0)
 * page picks. */
Traffic *traffic_new(const TrafficParams *p, uint64_t seed, GError **error);
void traffic_free(Traffic *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Traffic, traffic_free)

/* A page of the site requested by a visitor of the country at now.
 * now must not go backwards; publications due before now must have been
 * applied (traffic_apply_change). O(1) Zipf, O(log n) deck or new pages. */
uint32_t traffic_pick_page(Traffic *t, uint32_t site, uint32_t country, SimTime now);
/* (transfer none) the page's objects, HTML first; valid until the next
 * traffic_apply_change(). */
const uint32_t *traffic_page_objects(const Traffic *t, uint32_t page, uint32_t *count);
uint32_t traffic_page_site(const Traffic *t, uint32_t page);
uint64_t traffic_object_size(const Traffic *t, uint32_t object);
TrafficClass traffic_object_class(const Traffic *t, uint32_t object);
/* Current version (0 at creation); changes only in traffic_apply_change(). */
uint32_t traffic_object_version(const Traffic *t, uint32_t object);

/* The next change (peek): the host schedules it at out->at_ns. */
void traffic_next_change(const Traffic *t, TrafficChange *out);
/* Apply the next change (the one traffic_next_change() shows) and draw the
 * one after; out (may be NULL) receives what was applied. */
void traffic_apply_change(Traffic *t, TrafficChange *out);
/* Apply every change due at or before now. */
void traffic_advance(Traffic *t, SimTime now);

uint32_t traffic_n_pages(const Traffic *t);
uint32_t traffic_n_objects(const Traffic *t);
uint32_t traffic_site_first_page(const Traffic *t, uint32_t site);
/* Probability that traffic_pick_page(site, country, now) returns page. */
double traffic_page_prob(const Traffic *t, uint32_t site, uint32_t country,
                         uint32_t page, SimTime now);
/* Footprint mode: requests in one full deck of the site (sum of k_i). */
uint64_t traffic_deck_size(const Traffic *t, uint32_t site);
/* Footprint mode: the catalogue's target request count of a page. */
uint64_t traffic_page_target_requests(const Traffic *t, uint32_t page);

/* A parsed footprint, for inspection and tests. */
typedef struct TrafficFootprint {
  uint32_t n;            /* entries */
  uint64_t *k;           /* request count of the entry */
  double *size_kb;       /* object size, KB (1 KB = 1024 bytes here) */
  double *fraction;      /* fraction of all objects (normalised to sum 1) */
} TrafficFootprint;
TrafficFootprint *traffic_footprint_load(const char *path, GError **error);
void traffic_footprint_free(TrafficFootprint *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TrafficFootprint, traffic_footprint_free)

#endif /* WORKLOAD_TRAFFIC_H */
