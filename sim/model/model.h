/*
 * model.h: the host (sim/model). Wires the world, the workload and the mesh
 * code (caches, tracker, peer selection) onto the engine, delivers their
 * effects with network delays, and records the metrics of a run.
 */
#ifndef MODEL_MODEL_H
#define MODEL_MODEL_H

#include <glib.h>
#include <stdint.h>

#include "core/config.h"
#include "core/engine.h"
#include "results/histogram.h"
#include "world/world.h"

#define MODEL_ERROR (model_error_quark())
GQuark model_error_quark(void);

typedef struct Model Model;

/* One named number of a run's summary, in a fixed order. */
typedef struct ModelScalar {
  const char *name;   /* static string */
  double value;
} ModelScalar;

/* One sample of a time series. */
typedef struct ModelSample {
  const char *name;   /* static string */
  double t_s;         /* simulated seconds */
  double value;
} ModelSample;

/* A metric of one country or network. */
typedef struct ModelBreakdown {
  const char *dim;    /* "country" or "network" */
  const char *key;    /* ISO code or network index */
  const char *name;   /* static string */
  double value;
} ModelBreakdown;

/* A named distribution (latencies, page load times, upload bytes). */
typedef struct ModelHistogram {
  const char *name;   /* static string */
  Histogram *h;
} ModelHistogram;

/* Called every few thousand events while running. */
typedef void (*ModelProgressFn)(void *ud, SimTime now, SimTime horizon, uint64_t events);

/* (transfer full) Build a model from a validated scenario. Errors (a value
 * that conflicts with another, an unknown policy or strategy) name the
 * scenario file, line and key. */
Model *model_new(const Config *cfg, GError **error);
void model_free(Model *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Model, model_free)

/* Run to the horizon (with the warm-up of [run] warmup, see below), then
 * summarise. Continues a run started with model_run_until. */
void model_run(Model *m, ModelProgressFn progress, void *ud);

/* ---- warm-up and algorithm switches ------------------------------------
 *
 * A run is resumable: model_run_until(m, t) runs every event at or before t
 * and returns; a later call (or model_run) continues from there. model_run
 * = [warm-up] + run to the horizon + the summary:
 *
 *   [run] warmup = W > 0:  run_until(W) with the warm-up algorithm,
 *                          model_end_warmup(m, NULL): switch to the run's
 *                          own algorithm, reset every metric;
 *   then                   run_until(horizon), summary.
 *
 * The ALGORITHM KEYS (model_algorithm_keys(): cache.policy,
 * selection.strategy, selection.candidates) are what a model can switch in
 * the middle of a run; each has a warm-up counterpart in [run]
 * (warmup_policy, warmup_strategy, warmup_candidates: '' or 0 = the run's
 * own value) that says which algorithm runs during the warm-up. A switch
 * changes only the parts that differ:
 *   - selection strategy: every selector is recreated (fresh state);
 *   - candidates: the tracker query size, from the next query on;
 *   - cache policy: every peer's cache migrates into a new, empty cache of
 *     the new policy (same capacity): its objects are inserted in ascending
 *     object id at the switch time (the cache API exposes no recency order;
 *     the id order is deterministic and independent of hash-table layout).
 *     Policy metadata (recency, frequency, ghosts) does not survive; the
 *     contents do (nothing is evicted: they fit the same capacity).
 * Churn, traffic, the tracker, transfers in flight and every RNG stream are
 * untouched. So a warm-up fork (`meshsim compare/sweep --warmup`, which runs
 * the warm-up once and fork()s one child per variant calling
 * model_end_warmup(m, variant)) gives bit-identical results to a run of the
 * variant from scratch whose [run] warmup_* keys name the base variant's
 * warm-up algorithm. */

/* (transfer none) NULL-terminated "section.key" names of the algorithm keys. */
const char *const *model_algorithm_keys(void);
/* TRUE if `full` ("section.key") is an algorithm key. */
gboolean model_is_algorithm_key(const char *full);
/* (transfer none) "run.warmup_policy" etc. for an algorithm key, or NULL. */
const char *model_algorithm_warmup_key(const char *full);
/* (transfer full) The value of algorithm key `full` that is in effect
 * during cfg's warm-up: its [run] warmup_* value if set ('' / 0 = unset),
 * else the key's own value, as text. */
char *model_algorithm_warmup_value(const Config *cfg, const char *full);

/* Threads the run may use (default 1; 0 counts as 1). A geo run with the
 * mesh uses two at most: the events and the trackers (tracker_pipe.h).
 * Results do not depend on it. Set it before model_run or between
 * model_run_until calls. */
void model_set_threads(Model *m, guint threads);
guint model_threads(const Model *m);

/* [run] warmup in ns (0 = none). */
SimTime model_warmup(const Model *m);
/* Run every event at or before min(t, horizon); resumable. */
void model_run_until(Model *m, SimTime t, ModelProgressFn progress, void *ud);
/* End the warm-up now (call after model_run_until(m, model_warmup(m))):
 * switch to the algorithm keys of `variant` (NULL: the run's own config)
 * and reset every metric. FALSE + located error if variant names an
 * unknown policy or strategy (then nothing changed). At most once. */
gboolean model_end_warmup(Model *m, const Config *variant, GError **error);

/* The summary, in a fixed order; valid after model_run. (transfer none) */
const ModelScalar *model_scalars(const Model *m, size_t *n);
/* The time series samples, in time order; (transfer none) */
const ModelSample *model_samples(const Model *m, size_t *n);

/* (transfer full) The geo world of the [world] keys (world.model = geo or
 * not): countries from data, networks, latency. Errors name the key or the
 * data file and line. */
World *model_load_world(const Config *cfg, GError **error);

/* Latency of every object request, seconds (local hits count 0).
 * (transfer none) */
const Histogram *model_latency(const Model *m);
/* Breakdowns and histograms, valid after model_run. (transfer none) */
const ModelBreakdown *model_breakdowns(const Model *m, size_t *n);
const ModelHistogram *model_histograms(const Model *m, size_t *n);

#endif /* MODEL_MODEL_H */
