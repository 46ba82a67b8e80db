/*
 * model-private.h: what the model kinds (model_ref.c, model_geo.c) share:
 * the base Model that holds a run's outputs, and the kind table.
 */
#ifndef MODEL_MODEL_PRIVATE_H
#define MODEL_MODEL_PRIVATE_H

#include "mesh/cache.h"
#include "mesh/select.h"
#include "model/model.h"

typedef struct ModelKind {
  const char *name;                                  /* world.model value */
  void *(*create)(Model *m, const Config *cfg, GError **error);
  void (*run)(Model *m, void *impl, ModelProgressFn progress, void *ud);
  void (*destroy)(void *impl);
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
};

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
