/*
 * model.c: the base of every model kind: construction by world.model, the
 * run, and the outputs (scalars, samples, breakdowns, histograms) that the
 * CLI prints and sim/results stores.
 */
#include "model/model-private.h"

#include <string.h>

G_DEFINE_QUARK(meshsim-model-error-quark, model_error)

static const ModelKind *const kinds[] = {&model_kind_reference, &model_kind_geo};

Model *model_new(const Config *cfg, GError **error) {
  const char *name = config_string(cfg, "world", "model");
  const ModelKind *kind = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (strcmp(kinds[i]->name, name) == 0) kind = kinds[i];
  g_assert_nonnull(kind); /* the key table lists exactly these choices */
  g_autoptr(Model) m = g_new0(Model, 1);
  m->kind = kind;
  m->scalars = g_array_new(FALSE, FALSE, sizeof(ModelScalar));
  m->samples = g_array_new(FALSE, FALSE, sizeof(ModelSample));
  m->breakdowns = g_array_new(FALSE, FALSE, sizeof(ModelBreakdown));
  m->histograms = g_array_new(FALSE, FALSE, sizeof(ModelHistogram));
  m->strings = g_string_chunk_new(1024);
  m->latency = histogram_new();
  m->impl = kind->create(m, cfg, error);
  if (!m->impl) return NULL;
  return g_steal_pointer(&m);
}

void model_free(Model *m) {
  if (!m) return;
  if (m->impl) m->kind->destroy(m->impl);
  g_array_free(m->scalars, TRUE);
  g_array_free(m->samples, TRUE);
  g_array_free(m->breakdowns, TRUE);
  for (guint i = 0; i < m->histograms->len; i++)
    histogram_free(g_array_index(m->histograms, ModelHistogram, i).h);
  g_array_free(m->histograms, TRUE);
  g_string_chunk_free(m->strings);
  histogram_free(m->latency);
  g_free(m);
}

void model_run(Model *m, ModelProgressFn progress, void *ud) {
  m->kind->run(m, m->impl, progress, ud);
}

void model_add_scalar(Model *m, const char *name, double value) {
  ModelScalar s = {name, value};
  g_array_append_val(m->scalars, s);
}

void model_add_sample(Model *m, const char *name, SimTime t, double value) {
  ModelSample s = {name, (double)t * 1e-9, value};
  g_array_append_val(m->samples, s);
}

void model_add_breakdown(Model *m, const char *dim, const char *key, const char *name,
                         double value) {
  ModelBreakdown b = {dim, g_string_chunk_insert_const(m->strings, key), name, value};
  g_array_append_val(m->breakdowns, b);
}

void model_add_histogram(Model *m, const char *name, Histogram *h) {
  ModelHistogram mh = {name, h};
  g_array_append_val(m->histograms, mh);
}

const ModelScalar *model_scalars(const Model *m, size_t *n) {
  *n = m->scalars->len;
  return (const ModelScalar *)(void *)m->scalars->data;
}

const ModelSample *model_samples(const Model *m, size_t *n) {
  *n = m->samples->len;
  return (const ModelSample *)(void *)m->samples->data;
}

const ModelBreakdown *model_breakdowns(const Model *m, size_t *n) {
  *n = m->breakdowns->len;
  return (const ModelBreakdown *)(void *)m->breakdowns->data;
}

const ModelHistogram *model_histograms(const Model *m, size_t *n) {
  *n = m->histograms->len;
  return (const ModelHistogram *)(void *)m->histograms->data;
}

const Histogram *model_latency(const Model *m) {
  return m->latency;
}

gboolean model_cache_config(const Config *cfg, MeshCacheConfig *out, GError **error) {
  memset(out, 0, sizeof *out);
  const char *policy = config_string(cfg, "cache", "policy");
  out->policy = mesh_cache_policy_find(policy);
  if (!out->policy) {
    g_autofree char *names = g_strjoinv(", ", (char **)mesh_cache_policy_names());
    return config_fail(cfg, "cache", "policy", error, "unknown policy '%s' (known: %s)", policy,
                       names);
  }
  int64_t cap_objects = config_int(cfg, "cache", "capacity_objects");
  if (cap_objects > 0) {
    out->unit = MESH_CACHE_OBJECTS;
    out->capacity = (uint64_t)cap_objects;
  } else {
    out->unit = MESH_CACHE_BYTES;
    out->capacity = (uint64_t)config_size_bytes(cfg, "cache", "capacity");
  }
  return TRUE;
}

const MeshSelectStrategy *model_select_strategy(const Config *cfg, GError **error) {
  const char *name = config_string(cfg, "selection", "strategy");
  const MeshSelectStrategy *s = mesh_select_find(name);
  if (!s) {
    GString *names = g_string_new(NULL);
    for (size_t i = 0; i < mesh_select_count(); i++)
      g_string_append_printf(names, "%s%s", i ? ", " : "", mesh_select_at(i)->name);
    config_fail(cfg, "selection", "strategy", error, "unknown strategy '%s' (known: %s)", name,
                names->str);
    g_string_free(names, TRUE);
  }
  return s;
}
