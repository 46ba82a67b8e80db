/*
 * test_warmup.c: [run] warmup, the algorithm switch and the warm-up fork.
 *
 *   - metamorphic: with the same algorithm during and after the warm-up,
 *     the counters of a run with warm-up W over horizon H equal those of
 *     the full run minus those of a run of horizon W (common random
 *     numbers: the first W of both runs are the same trajectory);
 *   - the fork equals the variant from scratch: a model warmed with A and
 *     switched to B (in-process, and through runner_fork_variants' real
 *     fork and pipe) gives bit-identical scalars to a from-scratch run of
 *     B whose [run] warmup_* keys name A's algorithm; reference and geo;
 *   - cache migration keeps every object (any policy to any policy).
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "cli/runner.h"
#include "core/config.h"
#include "mesh/cache.h"
#include "model/keys.h"
#include "model/model-private.h"
#include "model/model.h"
#include "results/results.h"

static Config *load(const char *const *sets) {
  const char *src = g_getenv("MESHSIM_SOURCE_DIR");
  g_assert_nonnull(src);
  g_autofree char *path = g_build_filename(src, "scenarios/bench/reference.ini", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(Config) cfg = model_config_new();
  g_assert_true(config_load_file(cfg, path, &e));
  for (guint i = 0; sets && sets[i]; i++) {
    g_assert_true(config_set_arg(cfg, sets[i], i + 1, &e));
    g_assert_no_error(e);
  }
  return g_steal_pointer(&cfg);
}

static double scalar(const Model *m, const char *name) {
  size_t n;
  const ModelScalar *s = model_scalars(m, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0) return s[i].value;
  g_assert_not_reached();
  return NAN;
}

static Model *run_cfg(const Config *cfg) {
  g_autoptr(GError) e = NULL;
  Model *m = model_new(cfg, &e);
  g_assert_no_error(e);
  model_run(m, NULL, NULL);
  return m;
}

#define REF_SMALL "peers.count=600", "run.duration=40min", "output.series_interval=5min"

static void test_reset_metamorphic(void) {
  const char *full_s[] = {REF_SMALL, NULL};
  const char *head_s[] = {REF_SMALL, "run.duration=15min", NULL};
  const char *warm_s[] = {REF_SMALL, "run.warmup=15min", NULL};
  g_autoptr(Config) cf = load(full_s), ch = load(head_s), cw = load(warm_s);
  g_autoptr(Model) full = run_cfg(cf), head = run_cfg(ch), warm = run_cfg(cw);
  const char *counters[] = {"object_requests", "local_hits", "mesh_fetches", "cdn_fetches",
                            "page_views", "events", "engine_events", "mesh_bytes",
                            "cdn_bytes", NULL};
  for (guint i = 0; counters[i]; i++) {
    double f = scalar(full, counters[i]), h = scalar(head, counters[i]);
    g_assert_cmpfloat(h, >, 0);
    g_assert_cmpfloat(scalar(warm, counters[i]), ==, f - h);
  }
  /* series restart at the warm-up end: 15 min .. 40 min every 5 min */
  size_t n;
  const ModelSample *s = model_samples(warm, &n);
  g_assert_cmpuint(n, >, 0);
  for (size_t i = 0; i < n; i++) g_assert_cmpfloat(s[i].t_s, >, 15 * 60.0);
  g_assert_cmpfloat(histogram_count(model_latency(warm)), ==, scalar(warm, "object_requests"));
}

static void test_warmup_too_long(void) {
  const char *sets[] = {REF_SMALL, "run.warmup=40min", NULL};
  g_autoptr(Config) c = load(sets);
  g_autoptr(GError) e = NULL;
  g_autoptr(Model) m = model_new(c, &e);
  g_assert_null(m);
  g_assert_error(e, CONFIG_ERROR, CONFIG_ERROR_INVALID);
  g_assert_nonnull(strstr(e->message, "warmup"));
}

/* A = lru/locality/1 candidate, B = s3fifo/two_choices/4 (every key switches). */
static void configs(gboolean geo, Config **a, Config **b, Config **b_scratch) {
  const char *geo_s[] = {"world.model=geo", "churn.model=visits", "traffic.catalogue=pages",
                         "world.countries=5", "world.networks=20", "churn.concurrent=60",
                         "traffic.pages=300", "run.duration=1h", "run.warmup=20min",
                         "cache.capacity_objects=0", NULL};
  const char *ref_s[] = {REF_SMALL, "run.warmup=15min", NULL};
  const char *const *base = geo ? geo_s : ref_s;
  GPtrArray *sa = g_ptr_array_new(), *sb = g_ptr_array_new(), *ss = g_ptr_array_new();
  for (guint i = 0; base[i]; i++) {
    g_ptr_array_add(sa, (gpointer)base[i]);
    g_ptr_array_add(sb, (gpointer)base[i]);
    g_ptr_array_add(ss, (gpointer)base[i]);
  }
  const char *bvals[] = {"cache.policy=s3fifo", "selection.strategy=two-choices",
                         "selection.candidates=4"};
  for (guint i = 0; i < G_N_ELEMENTS(bvals); i++) {
    g_ptr_array_add(sb, (gpointer)bvals[i]);
    g_ptr_array_add(ss, (gpointer)bvals[i]);
  }
  g_ptr_array_add(sa, (gpointer)"cache.policy=lru");
  g_ptr_array_add(sa, (gpointer)"selection.strategy=locality");
  g_ptr_array_add(sa, (gpointer)"selection.candidates=1");
  g_ptr_array_add(ss, (gpointer)"run.warmup_policy=lru");
  g_ptr_array_add(ss, (gpointer)"run.warmup_strategy=locality");
  g_ptr_array_add(ss, (gpointer)"run.warmup_candidates=1");
  g_ptr_array_add(sa, NULL);
  g_ptr_array_add(sb, NULL);
  g_ptr_array_add(ss, NULL);
  *a = load((const char *const *)sa->pdata);
  *b = load((const char *const *)sb->pdata);
  *b_scratch = load((const char *const *)ss->pdata);
  g_ptr_array_unref(sa);
  g_ptr_array_unref(sb);
  g_ptr_array_unref(ss);
}

static void assert_same_scalars(const Model *x, const Model *y) {
  size_t nx, ny;
  const ModelScalar *sx = model_scalars(x, &nx), *sy = model_scalars(y, &ny);
  g_assert_cmpuint(nx, ==, ny);
  for (size_t i = 0; i < nx; i++) {
    g_assert_cmpstr(sx[i].name, ==, sy[i].name);
    if (isnan(sx[i].value)) g_assert_true(isnan(sy[i].value));
    else g_assert_cmpfloat(sx[i].value, ==, sy[i].value);
  }
}

static void switch_equals_scratch(gboolean geo) {
  Config *a, *b, *bs;
  configs(geo, &a, &b, &bs);
  g_autoptr(GError) e = NULL;
  /* warmed with A, switched to B in the same process */
  g_autoptr(Model) m = model_new(a, &e);
  g_assert_no_error(e);
  model_run_until(m, model_warmup(m), NULL, NULL);
  g_assert_true(model_end_warmup(m, b, &e));
  g_assert_no_error(e);
  model_run(m, NULL, NULL);
  g_autoptr(Model) scratch = run_cfg(bs);
  assert_same_scalars(m, scratch);
  /* and the warm-up algorithm matters: B with its own warm-up differs (in
   * the reference model the requests do not depend on the algorithm; in
   * geo, page pacing follows load times, so they may) */
  g_autoptr(Model) own = run_cfg(b);
  if (!geo)
    g_assert_cmpfloat(scalar(own, "object_requests"), ==, scalar(scratch, "object_requests"));
  g_assert_cmpfloat(scalar(own, "mesh_fetches"), !=, scalar(scratch, "mesh_fetches"));
  if (geo) g_assert_cmpfloat(scalar(scratch, "mesh_fetches"), >, 0);
  config_free(a);
  config_free(b);
  config_free(bs);
}

static void test_switch_reference(void) { switch_equals_scratch(FALSE); }
static void test_switch_geo(void) { switch_equals_scratch(TRUE); }

typedef struct Got {
  RunRecord *rec[2];
  guint n;
} Got;

static void got_done(RunnerJob *job, void *ud) {
  Got *g = ud;
  g_assert_no_error(job->error);
  g->rec[GPOINTER_TO_UINT(job->user)] = g_steal_pointer(&job->rec);
  g->n++;
}

/* The real fork: A's warm-up once, a child per variant, records through pipes. */
static void test_fork_equals_scratch(void) {
  Config *a, *b, *bs;
  configs(FALSE, &a, &b, &bs);
  g_autoptr(GError) e = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify)runner_job_free);
  Config *variants[2] = {a, b};
  for (guint v = 0; v < 2; v++) {
    RunnerJob *j = g_new0(RunnerJob, 1);
    j->cfg = runner_warmup_variant(variants[v], a, &e);
    g_assert_no_error(e);
    j->name = v ? "B" : "A";
    j->user = GUINT_TO_POINTER(v);
    g_ptr_array_add(jobs, j);
  }
  Got got = {0};
  g_assert_true(runner_fork_variants(a, jobs, 2, got_done, &got, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(got.n, ==, 2);
  /* B's job config is B with A's warm-up algorithm: from scratch it gives the same */
  g_autoptr(RunRecord) ra = runner_execute(a, "A", 0, 1, NULL, NULL, &e);
  g_assert_no_error(e);
  g_autoptr(RunRecord) rb = runner_execute(bs, "B", 0, 1, NULL, NULL, &e);
  g_assert_no_error(e);
  const RunRecord *scratch[2] = {ra, rb};
  for (guint v = 0; v < 2; v++) {
    g_assert_cmpuint(run_record_n_scalars(got.rec[v]), ==, run_record_n_scalars(scratch[v]));
    g_assert_cmpuint(run_record_n_scalars(got.rec[v]), >, 10);
    for (gsize i = 0; i < run_record_n_scalars(got.rec[v]); i++) {
      const char *n1, *n2;
      double x, y;
      run_record_scalar_at(got.rec[v], i, &n1, &x);
      run_record_scalar_at(scratch[v], i, &n2, &y);
      g_assert_cmpstr(n1, ==, n2);
      g_assert_cmpfloat(x, ==, y);
    }
  }
  /* the scenario text of B's record is bs's: the from-scratch reproduction */
  g_autofree char *tb = config_dump(((RunnerJob *)g_ptr_array_index(jobs, 1))->cfg);
  g_autofree char *sha = results_scenario_sha256(tb);
  g_assert_cmpstr(run_record_scenario_sha256(got.rec[1]), ==, sha);
  g_autofree char *ts = config_dump(bs);
  g_assert_nonnull(strstr(ts, "warmup_policy = lru"));
  g_assert_nonnull(strstr(tb, "warmup_policy = lru"));
  for (guint v = 0; v < 2; v++) run_record_free(got.rec[v]);
  config_free(a);
  config_free(b);
  config_free(bs);
}

static void test_variant_must_differ_only_in_algorithm(void) {
  const char *s1[] = {REF_SMALL, "run.warmup=15min", NULL};
  const char *s2[] = {REF_SMALL, "run.warmup=15min", "peers.count=700", NULL};
  g_autoptr(Config) a = load(s1), b = load(s2);
  g_autoptr(GError) e = NULL;
  g_autoptr(Config) v = runner_warmup_variant(b, a, &e);
  g_assert_null(v);
  g_assert_nonnull(e);
  g_assert_nonnull(strstr(e->message, "algorithm keys"));
  g_assert_true(model_is_algorithm_key("cache.policy"));
  g_assert_false(model_is_algorithm_key("peers.count"));
}

static void collect(void *ud, uint64_t obj, uint32_t version, uint64_t size) {
  (void)version;
  (void)size;
  g_array_append_val((GArray *)ud, obj);
}

static void test_migrate_keeps_contents(void) {
  const char *const *names = mesh_cache_policy_names();
  for (guint i = 0; names[i]; i++)
    for (guint j = 0; names[j]; j++) {
      MeshCacheConfig c1 = {.policy = mesh_cache_policy_find(names[i]), .capacity = 50,
                            .unit = MESH_CACHE_OBJECTS};
      MeshCacheConfig c2 = c1;
      c2.policy = mesh_cache_policy_find(names[j]);
      MeshCache *old = mesh_cache_new(&c1, NULL);
      for (uint64_t k = 0; k < 400; k++) /* skewed: small ids repeat */
        mesh_cache_request(old, (k * 7919) % (k % 3 ? 60 : 300), 1000, (MeshTime)k);
      MeshCache *neu = model_cache_migrate(old, &c2, 1000);
      g_assert_true(mesh_cache_check(neu));
      g_assert_cmpuint(mesh_cache_count(neu), ==, mesh_cache_count(old));
      GArray *objs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
      mesh_cache_foreach(old, collect, objs);
      for (guint k = 0; k < objs->len; k++)
        g_assert_true(mesh_cache_contains(neu, g_array_index(objs, uint64_t, k), NULL));
      g_array_free(objs, TRUE);
      mesh_cache_free(old);
      mesh_cache_free(neu);
    }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/warmup/reset-metamorphic", test_reset_metamorphic);
  g_test_add_func("/warmup/too-long", test_warmup_too_long);
  g_test_add_func("/warmup/switch-equals-scratch/reference", test_switch_reference);
  g_test_add_func("/warmup/switch-equals-scratch/geo", test_switch_geo);
  g_test_add_func("/warmup/fork-equals-scratch", test_fork_equals_scratch);
  g_test_add_func("/warmup/only-algorithm-keys", test_variant_must_differ_only_in_algorithm);
  g_test_add_func("/warmup/migrate-keeps-contents", test_migrate_keeps_contents);
  return g_test_run();
}
