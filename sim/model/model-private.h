/*
 * model-private.h: what the model kinds (model_ref.c, model_geo.c) share:
 * the base Model that holds a run's outputs, and the kind table.
 */
#ifndef MODEL_MODEL_PRIVATE_H
#define MODEL_MODEL_PRIVATE_H

#include "mesh/cache.h"
#include "mesh/select.h"
#include "model/model.h"

/* The switchable algorithm of a run (the algorithm keys, resolved). */
typedef struct ModelAlgo {
  const MeshCachePolicy *policy;        /* cache.policy */
  const MeshSelectStrategy *strategy;   /* selection.strategy */
  uint32_t candidates;                  /* selection.candidates */
} ModelAlgo;

typedef struct ModelKind {
  const char *name;                                  /* world.model value */
  void *(*create)(Model *m, const Config *cfg, GError **error);
  /* Run the events at or before `stop` (<= horizon); the first call sets
   * up the initial events. Resumable. */
  void (*run_until)(Model *m, void *impl, SimTime stop, ModelProgressFn progress, void *ud);
  /* Advance to the horizon and add the summary to the base. Once. */
  void (*finish)(Model *m, void *impl);
  void (*destroy)(void *impl);
  /* Switch to `to` from `from` (model.h: only what differs); now = the
   * current simulated time. */
  void (*switch_algo)(void *impl, const ModelAlgo *from, const ModelAlgo *to, SimTime now);
  /* Zero every metric of the kind (the base clears its own). */
  void (*reset_metrics)(void *impl);
} ModelKind;

extern const ModelKind model_kind_reference;
extern const ModelKind model_kind_geo;

struct Model {
  const ModelKind *kind;
  void *impl;
  GArray *scalars;         /* ModelScalar, in the order added */
  GArray *samples;         /* ModelSample, in time order per name */
  GArray *breakdowns;      /* ModelBreakdown */
  GArray *histograms;      /* ModelHistogram; histograms owned */
  GStringChunk *strings;   /* breakdown keys */
  Histogram *latency;      /* object request latency, s */
  SimTime horizon, warmup; /* [run] duration, warmup (ns) */
  SimTime now;             /* events run up to here */
  ModelAlgo algo;          /* in effect now */
  ModelAlgo algo_run;      /* the run's own (after the warm-up) */
  gboolean warmup_ended, finished;
  guint threads;           /* model_set_threads() */
};

/* Migrate a cache into a new one of cfg (model.h: ascending object id,
 * inserted at `now`). (transfer full) */
MeshCache *model_cache_migrate(const MeshCache *old, const MeshCacheConfig *cfg, SimTime now);

/* [cache] policy, capacity_objects / capacity -> a cache config (no
 * eviction callback set). FALSE with a located error on an unknown policy. */
gboolean model_cache_config(const Config *cfg, MeshCacheConfig *out, GError **error);
/* [selection] strategy -> a registered strategy, or NULL with a located error. */
const MeshSelectStrategy *model_select_strategy(const Config *cfg, GError **error);

void model_add_scalar(Model *m, const char *name, double value);
void model_add_sample(Model *m, const char *name, SimTime t, double value);
void model_add_breakdown(Model *m, const char *dim, const char *key, const char *name,
                         double value);
/* (transfer full of h) */
void model_add_histogram(Model *m, const char *name, Histogram *h);

#endif
