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

/* Run to the horizon. */
void model_run(Model *m, ModelProgressFn progress, void *ud);

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
