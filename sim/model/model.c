/*
 * model.c: the base of every model kind: construction by world.model, the
 * run, and the outputs (scalars, samples, breakdowns, histograms) that the
 * CLI prints and sim/results stores.
 */
#include "model/model-private.h"

#include <string.h>

G_DEFINE_QUARK(meshsim-model-error-quark, model_error)

static gboolean algo_resolve(const Config *cfg, gboolean warm, ModelAlgo *out, GError **error);

static const ModelKind *const kinds[] = {&model_kind_reference, &model_kind_geo};

Model *model_new(const Config *cfg, GError **error) {
  const char *name = config_string(cfg, "world", "model");
  const ModelKind *kind = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (strcmp(kinds[i]->name, name) == 0) kind = kinds[i];
  g_assert_nonnull(kind); /* the key table lists exactly these choices */
  g_autoptr(Model) m = g_new0(Model, 1);
  m->kind = kind;
  m->threads = 1;
  m->scalars = g_array_new(FALSE, FALSE, sizeof(ModelScalar));
  m->samples = g_array_new(FALSE, FALSE, sizeof(ModelSample));
  m->breakdowns = g_array_new(FALSE, FALSE, sizeof(ModelBreakdown));
  m->histograms = g_array_new(FALSE, FALSE, sizeof(ModelHistogram));
  m->strings = g_string_chunk_new(1024);
  m->latency = histogram_new();
  m->impl = kind->create(m, cfg, error);
  if (!m->impl) return NULL;
  m->horizon = config_duration_ns(cfg, "run", "duration");
  m->warmup = config_duration_ns(cfg, "run", "warmup");
  if (m->warmup >= m->horizon && m->warmup > 0) {
    config_fail(cfg, "run", "warmup", error, "must be shorter than run.duration");
    return NULL;
  }
  /* create() built the run's own algorithm; the warm-up's is switched to
   * before any event, which is the same as building it (no cache exists
   * yet, selectors are fresh). */
  if (!algo_resolve(cfg, FALSE, &m->algo_run, error)) return NULL;
  m->algo = m->algo_run;
  if (m->warmup > 0) {
    ModelAlgo warm;
    if (!algo_resolve(cfg, TRUE, &warm, error)) return NULL;
    kind->switch_algo(m->impl, &m->algo, &warm, 0);
    m->algo = warm;
  }
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

void model_run_until(Model *m, SimTime t, ModelProgressFn progress, void *ud) {
  g_assert_false(m->finished);
  if (t > m->horizon) t = m->horizon;
  if (t < m->now) return;
  m->kind->run_until(m, m->impl, t, progress, ud);
  m->now = t;
}

SimTime model_warmup(const Model *m) {
  return m->warmup;
}

void model_set_threads(Model *m, guint threads) {
  m->threads = threads ? threads : 1;
}

guint model_threads(const Model *m) {
  return m->threads;
}

gboolean model_end_warmup(Model *m, const Config *variant, GError **error) {
  g_assert_false(m->warmup_ended);
  ModelAlgo to = m->algo_run;
  if (variant && !algo_resolve(variant, FALSE, &to, error)) return FALSE;
  m->kind->switch_algo(m->impl, &m->algo, &to, m->now);
  m->algo = m->algo_run = to;
  m->warmup_ended = TRUE;
  /* every metric restarts: the base's and the kind's */
  g_array_set_size(m->samples, 0);
  histogram_reset(m->latency);
  m->kind->reset_metrics(m->impl);
  return TRUE;
}

void model_run(Model *m, ModelProgressFn progress, void *ud) {
  if (m->warmup > 0 && !m->warmup_ended) {
    model_run_until(m, m->warmup, progress, ud);
    gboolean ok = model_end_warmup(m, NULL, NULL);
    g_assert_true(ok); /* the run's own algorithm was resolved by model_new */
  }
  model_run_until(m, m->horizon, progress, ud);
  m->kind->finish(m, m->impl);
  m->finished = TRUE;
}

/* ---- algorithm keys ------------------------------------------------------ */

/* The one table of algorithm keys: what a model can switch at run time,
 * and the [run] key that names its value during the warm-up. */
static const struct AlgoKey {
  const char *full;          /* "section.key" */
  const char *section, *name;
  const char *warmup_full;   /* "run.warmup_..." */
  const char *warmup_name;
} algo_keys[] = {
  {"cache.policy", "cache", "policy", "run.warmup_policy", "warmup_policy"},
  {"selection.strategy", "selection", "strategy", "run.warmup_strategy", "warmup_strategy"},
  {"selection.candidates", "selection", "candidates", "run.warmup_candidates",
   "warmup_candidates"},
};

static const char *const algo_key_names[] = {"cache.policy", "selection.strategy",
                                             "selection.candidates", NULL};
G_STATIC_ASSERT(G_N_ELEMENTS(algo_key_names) == G_N_ELEMENTS(algo_keys) + 1);

const char *const *model_algorithm_keys(void) {
  return algo_key_names;
}

static const struct AlgoKey *algo_key(const char *full) {
  for (size_t i = 0; i < G_N_ELEMENTS(algo_keys); i++)
    if (strcmp(algo_keys[i].full, full) == 0) return &algo_keys[i];
  return NULL;
}

gboolean model_is_algorithm_key(const char *full) {
  return algo_key(full) != NULL;
}

const char *model_algorithm_warmup_key(const char *full) {
  const struct AlgoKey *k = algo_key(full);
  return k ? k->warmup_full : NULL;
}

/* Is the warm-up counterpart of k set to something ('' and 0 = unset)? */
static gboolean warmup_value_set(const Config *cfg, const struct AlgoKey *k) {
  const char *raw = config_raw(cfg, "run", k->warmup_name);
  return raw && *raw && strcmp(raw, "0") != 0;
}

char *model_algorithm_warmup_value(const Config *cfg, const char *full) {
  const struct AlgoKey *k = algo_key(full);
  g_return_val_if_fail(k != NULL, NULL);
  if (warmup_value_set(cfg, k)) return g_strdup(config_raw(cfg, "run", k->warmup_name));
  return g_strdup(config_raw(cfg, k->section, k->name));
}

/* The algorithm of cfg (warm = the warm-up's). Errors name the key. */
static gboolean algo_resolve(const Config *cfg, gboolean warm, ModelAlgo *out, GError **error) {
  const struct AlgoKey *kp = &algo_keys[0], *ks = &algo_keys[1], *kc = &algo_keys[2];
  if (warm && warmup_value_set(cfg, kp)) {
    const char *name = config_string(cfg, "run", kp->warmup_name);
    out->policy = mesh_cache_policy_find(name);
    if (!out->policy) {
      g_autofree char *names = g_strjoinv(", ", (char **)mesh_cache_policy_names());
      return config_fail(cfg, "run", kp->warmup_name, error, "unknown policy '%s' (known: %s)",
                         name, names);
    }
  } else {
    MeshCacheConfig cc;
    if (!model_cache_config(cfg, &cc, error)) return FALSE;
    out->policy = cc.policy;
  }
  if (warm && warmup_value_set(cfg, ks)) {
    const char *name = config_string(cfg, "run", ks->warmup_name);
    out->strategy = mesh_select_find(name);
    if (!out->strategy)
      return config_fail(cfg, "run", ks->warmup_name, error, "unknown strategy '%s'", name);
  } else {
    out->strategy = model_select_strategy(cfg, error);
    if (!out->strategy) return FALSE;
  }
  int64_t cand = warm && warmup_value_set(cfg, kc) ? config_int(cfg, "run", kc->warmup_name)
                                                   : config_int(cfg, kc->section, kc->name);
  out->candidates = (uint32_t)cand;
  return TRUE;
}

/* ---- cache migration ------------------------------------------------------ */

typedef struct MigEntry {
  uint64_t obj, size;
  uint32_t version;
} MigEntry;

static void mig_collect(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  MigEntry e = {obj, size, version};
  g_array_append_val((GArray *)ud, e);
}

static gint mig_cmp(gconstpointer a, gconstpointer b) {
  const MigEntry *x = a, *y = b;
  return (x->obj > y->obj) - (x->obj < y->obj);
}

MeshCache *model_cache_migrate(const MeshCache *old, const MeshCacheConfig *cfg, SimTime now) {
  MeshCache *c = mesh_cache_new(cfg, NULL);
  g_assert_nonnull(c);
  if (!old) return c;
  GArray *all = g_array_sized_new(FALSE, FALSE, sizeof(MigEntry), (guint)mesh_cache_count(old));
  mesh_cache_foreach(old, mig_collect, all);
  g_array_sort(all, mig_cmp); /* ids are unique in a cache: a total order */
  for (guint i = 0; i < all->len; i++) {
    const MigEntry *e = &g_array_index(all, MigEntry, i);
    MeshStatus st = mesh_cache_insert(c, e->obj, e->version, e->size, now);
    g_assert_true(st == MESH_OK || st == MESH_TOOBIG);
  }
  g_array_free(all, TRUE);
  return c;
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
