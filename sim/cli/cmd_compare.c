/*
 * cmd_compare.c: `meshsim compare A.ini B.ini`, a paired comparison with
 * common random numbers.
 *
 * Both variants run replications r = 0..R-1 on the same seeds (A's [run]
 * seed + r). The model draws each purpose (placement, churn, traffic,
 * selection) from its own stream, so a variant that changes only the cache
 * or the selection sees the same visitors, churn and page requests: the
 * paired differences B - A have far less variance than two independent
 * samples. Per scalar: mean of A, of B, of the differences, the 95% CI of
 * the mean difference (paired t, n - 1 degrees of freedom) and a verdict:
 * the CI excludes 0 -> better or worse by stats_better_direction() (higher
 * or lower for the workload counts), else "no significant difference".
 * Nothing is written to a database.
 *
 * --warmup W: per seed, A's model runs the warm-up once and the process
 * forks one child per variant (runner_fork_variants); each switches to its
 * variant's algorithm keys from the same warmed state and counts metrics
 * from W on. B's config gets [run] warmup_* = A's algorithm, so that `meshsim
 * run` of either variant with those keys reproduces the forked result.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli/cli.h"
#include "cli/runner.h"
#include "cli/stats.h"
#include "model/model.h"
#include "results/results.h"

typedef struct Slot {
  guint variant, rep;
} Slot;

typedef struct Compare {
  RunRecord **recs;                /* [variant * R + rep] */
  guint reps;
  guint failed;
} Compare;

static void on_done(RunnerJob *job, void *ud) {
  Compare *c = ud;
  Slot *s = job->user;
  if (!job->rec) {
    fprintf(stderr, "meshsim compare: %s: %s\n", s->variant ? "B" : "A", job->error->message);
    c->failed++;
    return;
  }
  c->recs[s->variant * c->reps + s->rep] = g_steal_pointer(&job->rec);
}

static double rec_scalar(const RunRecord *rec, const char *name) {
  double v;
  return run_record_lookup_scalar(rec, name, &v) ? v : NAN;
}

static const char *verdict(const StatSummary *d, int dir) {
  if (d->n < 2 || !isfinite(d->ci95)) return "n/a (needs 2 replications)";
  if (!(fabs(d->mean) > d->ci95)) return "no significant difference";
  if (dir == 0) return d->mean > 0 ? "higher" : "lower";
  return (d->mean > 0) == (dir > 0) ? "better" : "worse";
}

static void json_number(double v) {
  if (isfinite(v)) printf("%.17g", v);
  else printf("null");
}

int cmd_compare(int argc, char **argv) {
  g_auto(GStrv) sets = NULL;
  g_autofree char *warmup = NULL;
  gint reps = 0, jobs = 0;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"replications", 'r', 0, G_OPTION_ARG_INT, &reps,
     "seeds per variant (default: A's [run] replications, at least 5)", "R"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "override a key in both variants",
     "SECTION.KEY=VALUE"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "parallel runs (default: number of cores)", "N"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print the comparison as JSON", NULL},
    {"warmup", 'w', 0, G_OPTION_ARG_STRING, &warmup,
     "run the warm-up (with A's algorithm) once per seed, then fork one child per variant "
     "that switches algorithm from the warmed state; A and B may differ only in algorithm keys",
     "DURATION"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("A.ini B.ini - paired comparison on common random numbers");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim compare: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 3) {
    fprintf(stderr, "meshsim compare: expected two scenario files A.ini B.ini\n");
    return CLI_EXIT_BADINPUT;
  }
  if (reps < 0 || jobs < 0) {
    fprintf(stderr, "meshsim compare: --replications and --jobs must be >= 1\n");
    return CLI_EXIT_BADINPUT;
  }
  Config *base[2] = {NULL, NULL};
  char *name[2] = {NULL, NULL};
  int rc = CLI_EXIT_BADINPUT;
  Compare c = {0};
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func((GDestroyNotify)runner_job_free);
  Slot *slots = NULL;
  double *a = NULL, *b = NULL;
  uint64_t seed0 = 0;
  for (guint v = 0; v < 2; v++) {
    base[v] = runner_load_config(argv[1 + v], (const char *const *)sets, FALSE, &error);
    if (!base[v]) goto fail_msg;
    if (warmup && !config_set_value(base[v], "run", "warmup", warmup, "--warmup", 1, &error))
      goto fail_msg;
    name[v] = runner_scenario_name(base[v], argv[1 + v]);
  }
  seed0 = (uint64_t)config_int(base[0], "run", "seed");
  if (reps == 0) {
    reps = (gint)config_int(base[0], "run", "replications");
    if (reps < 5) reps = 5;
  }
  c.reps = (guint)reps;
  c.recs = g_new0(RunRecord *, 2 * c.reps);
  slots = g_new(Slot, 2 * c.reps);
  for (guint r = 0; r < c.reps; r++)
    for (guint v = 0; v < 2; v++) {
      Config *cfg = runner_point_config(base[v], NULL, NULL, seed0 + r, &error);
      if (!cfg) goto fail_msg;
      if (warmup) { /* B's warm-up runs A's algorithm: the fork's semantics */
        g_autoptr(Config) acfg = runner_point_config(base[0], NULL, NULL, seed0 + r, &error);
        Config *w = acfg ? runner_warmup_variant(cfg, acfg, &error) : NULL;
        config_free(cfg);
        if (!w) goto fail_msg;
        cfg = w;
      }
      if (r == 0) { /* validate both before running anything */
        g_autoptr(Model) m = model_new(cfg, &error);
        if (!m) {
          config_free(cfg);
          goto fail_msg;
        }
      }
      RunnerJob *job = g_new0(RunnerJob, 1);
      job->cfg = cfg;
      job->name = name[v];
      job->replication = r;
      slots[todo->len] = (Slot){v, r};
      job->user = &slots[todo->len];
      g_ptr_array_add(todo, job);
    }
  if (warmup) {
    /* one warm-up per seed (A's config), then a child per variant */
    for (guint r = 0; r < c.reps; r++) {
      g_autoptr(GPtrArray) pair = g_ptr_array_new();
      g_ptr_array_add(pair, g_ptr_array_index(todo, 2 * r));
      g_ptr_array_add(pair, g_ptr_array_index(todo, 2 * r + 1));
      const Config *warm = ((RunnerJob *)g_ptr_array_index(pair, 0))->cfg;
      if (!runner_fork_variants(warm, pair, (guint)jobs, on_done, &c, &error)) {
        fprintf(stderr, "meshsim compare: %s\n", error->message);
        rc = CLI_EXIT_FAIL;
        goto out;
      }
    }
  } else {
    runner_execute_all(todo, (guint)jobs, on_done, &c);
  }
  if (c.failed) {
    rc = CLI_EXIT_FAIL;
    goto out;
  }

  a = g_new(double, c.reps);
  b = g_new(double, c.reps);
  const RunRecord *first = c.recs[0];
  if (json)
    printf("{\"a\": \"%s\", \"b\": \"%s\", \"replications\": %u, \"first_seed\": %" G_GUINT64_FORMAT
           ", \"metrics\": [",
           name[0], name[1], c.reps, (guint64)seed0);
  else
    printf("compare A = %s, B = %s: %u replications each on seeds %" G_GUINT64_FORMAT
           "..%" G_GUINT64_FORMAT " (common random numbers)\n"
           "%s%s%s"
           "%-22s %14s %14s %14s   %-12s %s\n",
           argv[1], argv[2], c.reps, (guint64)seed0, (guint64)(seed0 + c.reps - 1),
           warmup ? "after a warm-up of " : "", warmup ? warmup : "",
           warmup ? " (run once per seed with A's algorithm, then forked)\n" : "", "metric",
           "mean A", "mean B", "B - A", "± 95% CI", "verdict");
  for (gsize i = 0; i < run_record_n_scalars(first); i++) {
    const char *metric;
    double unused;
    run_record_scalar_at(first, i, &metric, &unused);
    for (guint r = 0; r < c.reps; r++) {
      a[r] = rec_scalar(c.recs[r], metric);
      b[r] = rec_scalar(c.recs[c.reps + r], metric);
    }
    StatSummary sa = stats_summarize(a, c.reps), sb = stats_summarize(b, c.reps);
    StatSummary d = stats_paired(a, b, c.reps);
    const char *vd = verdict(&d, stats_better_direction(metric));
    if (json) {
      printf("%s\n  {\"name\": \"%s\", \"mean_a\": ", i ? "," : "", metric);
      json_number(sa.mean);
      printf(", \"mean_b\": ");
      json_number(sb.mean);
      printf(", \"diff\": ");
      json_number(d.mean);
      printf(", \"ci95\": ");
      json_number(d.ci95);
      printf(", \"n\": %zu, \"verdict\": \"%s\"}", d.n, vd);
    } else {
      printf("%-22s %14.6g %14.6g %14.6g   ± %-10.4g %s\n", metric, sa.mean, sb.mean, d.mean,
             d.ci95, vd);
    }
  }
  if (json) printf("\n]}\n");
  rc = CLI_EXIT_OK;
  goto out;
fail_msg:
  fprintf(stderr, "%s\n", error->message);
out:
  for (guint i = 0; c.recs && i < 2 * c.reps; i++)
    if (c.recs[i]) run_record_free(c.recs[i]);
  g_free(c.recs);
  g_ptr_array_set_size(todo, 0);
  g_free(slots);
  g_free(a);
  g_free(b);
  for (guint v = 0; v < 2; v++) {
    if (base[v]) config_free(base[v]);
    g_free(name[v]);
  }
  return rc;
}
