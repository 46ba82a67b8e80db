/*
 * cmd_sweep.c: `meshsim sweep`, a grid of scenario variants times seeds,
 * run in parallel into one results database, with resume and adaptive
 * replication counts.
 *
 * Grid: the keys given a list or range (in the scenario or by --set) are
 * the axes, in key-table order; the points are their cartesian product,
 * the first axis varying slowest. Replication r of a point runs seed
 * [run] seed + r. Each (point, replication) is one concrete scenario
 * (runner_point_config: axis keys set to one value, [run] seed set, the
 * replication-steering keys dropped), whose SHA-256 and seed identify it.
 *
 * Threads: runs execute on a GThreadPool of --jobs workers; only the main
 * thread touches the database (ONE ResultsDb handle): it looks up stored
 * runs before submitting (resume) and writes each finished run in its own
 * transaction as soon as it arrives, so a killed sweep loses at most the
 * runs in flight. Results do not depend on --jobs: a run depends only on
 * its config, and replication counts only on results (below).
 *
 * Precision ([run] precision > 0): rounds. A round runs every missing
 * replication r < target(point); then, per point, if some precision metric
 * has a 95% CI half-width >= precision * |mean| and target < max, target
 * becomes min(max, max(target + 1, ceil((t * sd / (precision * |mean|))^2))).
 * The decision depends on results only, hence on nothing else.
 *
 * MPI (runner_mpi.h): under mpirun with K > 1 ranks, rank 0 does all of
 * the above but hands the runs to ranks 1..K-1 instead of its thread pool
 * (--jobs is ignored); with --warmup the forks stay on rank 0.
 *
 * --warmup W (every axis an algorithm key, model.h): jobs are grouped by
 * replication; per replication the first point's model runs the warm-up once and
 * runner_fork_variants forks a child per missing point. Each point's config
 * carries [run] warmup = W and warmup_* = the first point's algorithm, so a
 * stored run is reproduced by `meshsim run` of its scenario text, and a
 * resumed sweep finds it by the same SHA-256. Parallelism: up to --jobs
 * children at a time; warm-ups of different seeds run one after another.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli/cli.h"
#include "cli/runner.h"
#include "cli/runner_mpi.h"
#include "cli/stats.h"
#include "model/keys.h"
#include "model/model.h"
#include "results/results.h"

typedef struct Point {
  char **values;                   /* one per axis (owned strv) */
  char *key;                       /* "k=v k=v" */
  guint target;                    /* replications wanted now */
  GPtrArray *reps;                 /* [r] = GArray of ResultsScalar sorted by name, or NULL */
} Point;

typedef struct Sweep {
  const char *path;
  Config *base;
  char *name;
  GPtrArray *axes;                 /* "section.key" */
  GPtrArray *points;               /* Point* */
  uint64_t seed0;
  ResultsDb *db;
  gboolean show_progress;
  guint planned, done_now, resumed, failed;
  gint64 start_us;                 /* monotonic wall time, progress only */
  GError *write_error;
  gboolean warmup;                 /* --warmup: fork per seed after one warm-up */
} Sweep;

typedef struct JobRef {
  guint point, rep;
} JobRef;

static void scalars_clear(gpointer p) {
  ResultsScalar *s = p;
  g_free(s->name);
}

static void point_free(gpointer p) {
  Point *pt = p;
  g_strfreev(pt->values);
  g_free(pt->key);
  g_ptr_array_unref(pt->reps);
  g_free(pt);
}

static gint cmp_scalar(gconstpointer a, gconstpointer b) {
  return strcmp(((const ResultsScalar *)a)->name, ((const ResultsScalar *)b)->name);
}

/* (transfer full) the record's scalars as a name-sorted GArray. */
static GArray *record_scalars(const RunRecord *rec) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(ResultsScalar));
  g_array_set_clear_func(a, scalars_clear);
  for (gsize i = 0; i < run_record_n_scalars(rec); i++) {
    const char *n;
    double v;
    run_record_scalar_at(rec, i, &n, &v);
    ResultsScalar s = {g_strdup(n), v};
    g_array_append_val(a, s);
  }
  g_array_sort(a, cmp_scalar);
  return a;
}

static double scalar_of(const GArray *a, const char *name) {
  for (guint i = 0; i < a->len; i++) {
    const ResultsScalar *s = &g_array_index(a, ResultsScalar, i);
    if (strcmp(s->name, name) == 0) return s->value;
  }
  return NAN;
}

static StatSummary sweep_point_stat(const GPtrArray *reps, const char *name) {
  g_autofree double *v = g_new(double, reps->len ? reps->len : 1);
  size_t n = 0;
  for (guint r = 0; r < reps->len; r++)
    if (g_ptr_array_index(reps, r)) v[n++] = scalar_of(g_ptr_array_index(reps, r), name);
  return stats_summarize(v, n);
}

/* ---- grid --------------------------------------------------------------- */

static gboolean build_grid(Sweep *sw, GError **error) {
  sw->axes = config_list_keys(sw->base);
  guint na = sw->axes->len;
  g_autoptr(GPtrArray) lists = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
  for (guint a = 0; a < na; a++) {
    const char *full = g_ptr_array_index(sw->axes, a);
    g_auto(GStrv) sk = g_strsplit(full, ".", 2);
    GPtrArray *vals = config_expand_list(sw->base, sk[0], sk[1], error);
    if (!vals) return FALSE;
    g_ptr_array_add(lists, vals);
  }
  sw->points = g_ptr_array_new_with_free_func(point_free);
  g_autofree guint *idx = g_new0(guint, na + 1);
  for (;;) {
    Point *pt = g_new0(Point, 1);
    pt->values = g_new0(char *, na + 1);
    for (guint a = 0; a < na; a++)
      pt->values[a] = g_strdup(g_ptr_array_index((GPtrArray *)g_ptr_array_index(lists, a), idx[a]));
    pt->key = runner_point_key(sw->axes, (const char *const *)pt->values);
    pt->reps = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    g_ptr_array_add(sw->points, pt);
    /* odometer, last axis fastest */
    guint a = na;
    while (a > 0) {
      a--;
      if (++idx[a] < ((GPtrArray *)g_ptr_array_index(lists, a))->len) break;
      idx[a] = 0;
      if (a == 0) return TRUE;
    }
    if (na == 0) return TRUE;
  }
}

/* Bad input is found before the database is opened: every point's
 * concrete config is built and the model constructed (and freed). */
static gboolean validate_grid(Sweep *sw, GError **error) {
  for (guint p = 0; p < sw->points->len; p++) {
    Point *pt = g_ptr_array_index(sw->points, p);
    g_autoptr(Config) c = runner_point_config(sw->base, sw->axes, (const char *const *)pt->values,
                                              sw->seed0, error);
    if (!c) return FALSE;
    g_autoptr(Model) m = model_new(c, error);
    if (!m) return FALSE;
  }
  return TRUE;
}

/* ---- running ------------------------------------------------------------ */

static void show_progress(Sweep *sw) {
  if (!sw->show_progress) return;
  guint done = sw->done_now + sw->resumed;
  double el = (double)(g_get_monotonic_time() - sw->start_us) * 1e-6;
  char eta[32] = "--";
  if (sw->done_now > 0 && sw->planned > done)
    g_snprintf(eta, sizeof eta, "%.0fs", el / sw->done_now * (double)(sw->planned - done));
  fprintf(stderr, "\r\033[Ksweep %u/%u runs (%u resumed)  %.0fs  ETA %s", done, sw->planned,
          sw->resumed, el, eta);
  fflush(stderr);
}

static void on_done(RunnerJob *job, void *ud) {
  Sweep *sw = ud;
  JobRef *ref = job->user;
  Point *pt = g_ptr_array_index(sw->points, ref->point);
  if (!job->rec) {
    fprintf(stderr, "\nmeshsim sweep: %s replication %u: %s\n", pt->key, ref->rep,
            job->error->message);
    sw->failed++;
    return;
  }
  run_record_set_point_key(job->rec, pt->key);
  for (guint a = 0; a < sw->axes->len; a++)
    run_record_param(job->rec, g_ptr_array_index(sw->axes, a), pt->values[a]);
  if (!sw->write_error) results_write_run(sw->db, job->rec, &sw->write_error);
  pt->reps->pdata[ref->rep] = record_scalars(job->rec);
  run_record_free(job->rec);
  job->rec = NULL;
  sw->done_now++;
  show_progress(sw);
}

/* The concrete config of (point, seed): with --warmup, the [run] warmup_*
 * keys name point 0's warm-up algorithm (runner_warmup_variant), which is
 * what the fork runs and what reproduces it from scratch. */
static Config *job_config(Sweep *sw, const Point *pt, uint64_t seed, GError **error) {
  g_autoptr(Config) c =
      runner_point_config(sw->base, sw->axes, (const char *const *)pt->values, seed, error);
  if (!c || !sw->warmup) return g_steal_pointer(&c);
  const Point *p0 = g_ptr_array_index(sw->points, 0);
  g_autoptr(Config) c0 =
      runner_point_config(sw->base, sw->axes, (const char *const *)p0->values, seed, error);
  if (!c0) return NULL;
  return runner_warmup_variant(c, c0, error);
}

/* --warmup: the jobs grouped by replication; per replication one warm-up
 * (point 0's config) and a forked child per job. */
static gboolean run_forked(Sweep *sw, GPtrArray *todo, const GArray *refs, guint jobs,
                           GError **error) {
  guint max_rep = 0;
  for (guint i = 0; i < refs->len; i++)
    max_rep = MAX(max_rep, g_array_index(refs, JobRef, i).rep + 1);
  for (guint rep = 0; rep < max_rep; rep++) {
    g_autoptr(GPtrArray) group = g_ptr_array_new(); /* in point order */
    for (guint i = 0; i < todo->len; i++)
      if (g_array_index(refs, JobRef, i).rep == rep) g_ptr_array_add(group, g_ptr_array_index(todo, i));
    if (group->len == 0) continue;
    g_autoptr(Config) warm = job_config(sw, g_ptr_array_index(sw->points, 0), sw->seed0 + rep, error);
    if (!warm) return FALSE;
    if (!runner_fork_variants(warm, group, jobs, on_done, sw, error)) return FALSE;
  }
  return TRUE;
}

/* Run (or find stored) every replication below each point's target. */
static gboolean run_round(Sweep *sw, guint jobs, GError **error) {
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func((GDestroyNotify)runner_job_free);
  g_autoptr(GArray) refs = g_array_new(FALSE, FALSE, sizeof(JobRef));
  for (guint p = 0; p < sw->points->len; p++) {
    Point *pt = g_ptr_array_index(sw->points, p);
    if (pt->reps->len < pt->target) g_ptr_array_set_size(pt->reps, (gint)pt->target);
    for (guint r = 0; r < pt->target; r++) {
      if (g_ptr_array_index(pt->reps, r)) continue;
      uint64_t seed = sw->seed0 + r;
      g_autoptr(Config) c = job_config(sw, pt, seed, error);
      if (!c) return FALSE;
      g_autofree char *text = config_dump(c);
      g_autofree char *sha = results_scenario_sha256(text);
      gint64 id = results_find_run(sw->db, sha, seed, error);
      if (id < 0) return FALSE;
      if (id > 0) {
        GArray *sc = results_get_scalars(sw->db, id, error);
        if (!sc) return FALSE;
        pt->reps->pdata[r] = sc;
        sw->resumed++;
        continue;
      }
      RunnerJob *job = g_new0(RunnerJob, 1);
      job->cfg = g_steal_pointer(&c);
      job->name = sw->name;
      job->replication = r;
      g_ptr_array_add(todo, job);
      JobRef ref = {p, r};
      g_array_append_val(refs, ref);
    }
  }
  for (guint i = 0; i < todo->len; i++)
    ((RunnerJob *)g_ptr_array_index(todo, i))->user = &g_array_index(refs, JobRef, i);
  show_progress(sw);
  if (sw->warmup) {
    if (!run_forked(sw, todo, refs, jobs, error)) return FALSE;
  } else if (runner_mpi_size() > 1) {
    runner_mpi_execute_all(todo, on_done, sw); /* runner_mpi.h: ranks 1.. run them */
  } else {
    runner_execute_all(todo, jobs, on_done, sw);
  }
  if (sw->write_error) {
    g_propagate_error(error, g_steal_pointer(&sw->write_error));
    return FALSE;
  }
  if (sw->failed) {
    g_set_error(error, MODEL_ERROR, 0, "meshsim sweep: %u runs failed", sw->failed);
    return FALSE;
  }
  return TRUE;
}

/* Raise the targets of the points not yet precise enough; FALSE when none. */
static gboolean raise_targets(Sweep *sw, double precision, char **metrics, guint max_reps) {
  gboolean more = FALSE;
  for (guint p = 0; p < sw->points->len; p++) {
    Point *pt = g_ptr_array_index(sw->points, p);
    if (pt->target >= max_reps) continue;
    guint want = pt->target;
    for (guint k = 0; metrics[k]; k++) {
      StatSummary s = sweep_point_stat(pt->reps, metrics[k]);
      if (stats_precise_enough(&s, precision)) continue;
      guint need = pt->target + 1;
      if (s.n >= 2 && fabs(s.mean) > 0 && isfinite(s.sd)) {
        double n = ceil(pow(stats_t975((double)(s.n - 1)) * s.sd / (precision * fabs(s.mean)), 2));
        if (n > need) need = n > max_reps ? max_reps : (guint)n;
      }
      if (need > want) want = need;
    }
    if (want > max_reps) want = max_reps;
    if (want > pt->target) {
      pt->target = want;
      more = TRUE;
    }
  }
  return more;
}

/* ---- output ------------------------------------------------------------- */

static void json_number(GString *s, double v) {
  if (isfinite(v)) g_string_append_printf(s, "%.17g", v);
  else g_string_append(s, "null");
}

static GPtrArray *point_names(const Point *pt) {
  GPtrArray *names = g_ptr_array_new();
  for (guint r = 0; r < pt->reps->len; r++) {
    const GArray *a = g_ptr_array_index(pt->reps, r);
    if (!a) continue;
    for (guint i = 0; i < a->len; i++) g_ptr_array_add(names, g_array_index(a, ResultsScalar, i).name);
    break;
  }
  return names;
}

static void print_tables(const Sweep *sw, gboolean json) {
  GString *s = g_string_new(json ? "[" : "");
  for (guint p = 0; p < sw->points->len; p++) {
    const Point *pt = g_ptr_array_index(sw->points, p);
    g_autoptr(GPtrArray) names = point_names(pt);
    if (json) {
      g_autofree char *k = g_strescape(pt->key, NULL);
      g_string_append_printf(s, "%s\n  {\"point\": \"%s\", \"params\": {", p ? "," : "", k);
      for (guint a = 0; a < sw->axes->len; a++) {
        g_autofree char *v = g_strescape(pt->values[a], NULL);
        g_string_append_printf(s, "%s\"%s\": \"%s\"", a ? ", " : "",
                               (const char *)g_ptr_array_index(sw->axes, a), v);
      }
      g_string_append_printf(s, "}, \"replications\": %u, \"scalars\": {", pt->target);
      for (guint i = 0; i < names->len; i++) {
        StatSummary st = sweep_point_stat(pt->reps, g_ptr_array_index(names, i));
        g_string_append_printf(s, "%s\n    \"%s\": {\"n\": %zu, \"mean\": ", i ? "," : "",
                               (const char *)g_ptr_array_index(names, i), st.n);
        json_number(s, st.mean);
        g_string_append(s, ", \"sd\": ");
        json_number(s, st.sd);
        g_string_append(s, ", \"ci95\": ");
        json_number(s, st.ci95);
        g_string_append(s, "}");
      }
      g_string_append(s, "}}");
      continue;
    }
    g_string_append_printf(s, "%spoint %u/%u: %s (%u replications)\n", p ? "\n" : "", p + 1,
                           sw->points->len, *pt->key ? pt->key : "(single point)", pt->target);
    g_string_append_printf(s, "  %-22s %14s   %-12s %12s\n", "scalar", "mean", "± 95% CI", "sd");
    for (guint i = 0; i < names->len; i++) {
      StatSummary st = sweep_point_stat(pt->reps, g_ptr_array_index(names, i));
      g_string_append_printf(s, "  %-22s %14.6g   ± %-10.4g %12.4g\n",
                             (const char *)g_ptr_array_index(names, i), st.mean, st.ci95, st.sd);
    }
  }
  if (json) g_string_append(s, "\n]\n");
  fputs(s->str, stdout);
  g_string_free(s, TRUE);
}

/* ---- command ------------------------------------------------------------ */

static void sweep_clear(Sweep *sw) {
  if (sw->base) config_free(sw->base);
  g_free(sw->name);
  if (sw->axes) g_ptr_array_unref(sw->axes);
  if (sw->points) g_ptr_array_unref(sw->points);
  if (sw->db) results_close(sw->db);
  g_clear_error(&sw->write_error);
}

static int bad(const char *msg) {
  fprintf(stderr, "%s\n", msg);
  return CLI_EXIT_BADINPUT;
}

static int sweep_main(int argc, char **argv) {
  g_auto(GStrv) sets = NULL;
  g_autofree char *out = NULL;
  g_autofree char *warmup = NULL;
  gint jobs = 0;
  gboolean json = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
     "override a key; a list (a,b,c) or range (1e4..1e6 *10) makes it an axis", "SECTION.KEY=VALUES"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "parallel runs (default: number of cores)", "N"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
     "results database (default results/<scenario>.db)", "FILE.db"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print the per-point statistics as JSON", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress line", NULL},
    {"warmup", 'w', 0, G_OPTION_ARG_STRING, &warmup,
     "every axis an algorithm key: per seed, run the warm-up once (first point's algorithm), "
     "then fork one child per point that switches algorithm from the warmed state", "DURATION"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("SCENARIO.ini - run a grid of variants and seeds into one database");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim sweep: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2) return bad("meshsim sweep: expected one scenario file (see `meshsim sweep --help`)");
  if (jobs < 0) return bad("meshsim sweep: --jobs must be >= 1");

  Sweep sw = {0};
  int rc = CLI_EXIT_BADINPUT;
  g_auto(GStrv) metrics = NULL; /* before any goto done */
  sw.path = argv[1];
  sw.base = runner_load_config(sw.path, (const char *const *)sets, TRUE, &error);
  if (sw.base && warmup) {
    sw.warmup = TRUE;
    if (!config_set_value(sw.base, "run", "warmup", warmup, "--warmup", 1, &error)) {
      fprintf(stderr, "%s\n", error->message);
      goto done;
    }
  }
  if (!sw.base || !build_grid(&sw, &error) || !validate_grid(&sw, &error)) {
    fprintf(stderr, "%s\n", error->message);
    goto done;
  }
  for (guint a = 0; sw.warmup && a < sw.axes->len; a++)
    if (!model_is_algorithm_key(g_ptr_array_index(sw.axes, a))) {
      g_autofree char *keys = g_strjoinv(", ", (char **)model_algorithm_keys());
      fprintf(stderr,
              "meshsim sweep: --warmup needs every swept key to be an algorithm key (%s); "
              "'%s' is not\n",
              keys, (const char *)g_ptr_array_index(sw.axes, a));
      goto done;
    }
  sw.name = runner_scenario_name(sw.base, sw.path);
  sw.seed0 = (uint64_t)config_int(sw.base, "run", "seed");
  guint reps = (guint)config_int(sw.base, "run", "replications");
  double precision = config_double(sw.base, "run", "precision");
  guint max_reps = (guint)config_int(sw.base, "run", "max_replications");
  metrics = g_strsplit_set(config_string(sw.base, "run", "precision_metrics"), " \t", -1);
  {
    guint w = 0; /* drop empty words */
    for (guint i = 0; metrics[i]; i++)
      if (*metrics[i]) metrics[w++] = metrics[i];
      else g_free(metrics[i]);
    metrics[w] = NULL;
  }
  if (precision > 0) {
    if (!metrics[0]) {
      fprintf(stderr, "%s: [run] precision_metrics: empty while precision is set\n", sw.path);
      goto done;
    }
    if (reps < 2) reps = 2;
    if (max_reps < reps) max_reps = reps;
  }
  for (guint p = 0; p < sw.points->len; p++) ((Point *)g_ptr_array_index(sw.points, p))->target = reps;

  if (!out) {
    if (g_mkdir_with_parents("results", 0755) != 0) {
      fprintf(stderr, "meshsim sweep: cannot create the directory results/: %s\n", g_strerror(errno));
      rc = CLI_EXIT_FAIL;
      goto done;
    }
    out = g_strdup_printf("results/%s.db", sw.name);
  }
  sw.db = results_open(out, &error);
  if (!sw.db) {
    fprintf(stderr, "%s\n", error->message);
    rc = g_error_matches(error, RESULTS_ERROR, RESULTS_ERROR_NEWER_SCHEMA) ||
                 g_error_matches(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB)
             ? CLI_EXIT_BADINPUT
             : CLI_EXIT_FAIL;
    goto done;
  }
  sw.show_progress = !quiet && isatty(STDERR_FILENO);
  sw.start_us = g_get_monotonic_time();
  rc = CLI_EXIT_FAIL;
  for (guint round = 0;; round++) {
    sw.planned = 0;
    for (guint p = 0; p < sw.points->len; p++)
      sw.planned += ((Point *)g_ptr_array_index(sw.points, p))->target;
    if (!run_round(&sw, (guint)jobs, &error)) {
      if (sw.show_progress) fputs("\r\033[K", stderr);
      fprintf(stderr, "%s\n", error->message);
      goto done;
    }
    if (precision <= 0) break;
    if (round == 0) {
      g_autoptr(GPtrArray) names = point_names(g_ptr_array_index(sw.points, 0));
      for (guint k = 0; metrics[k]; k++) {
        gboolean found = FALSE;
        for (guint i = 0; i < names->len && !found; i++)
          found = strcmp(g_ptr_array_index(names, i), metrics[k]) == 0;
        if (!found) {
          fprintf(stderr, "%s: [run] precision_metrics: '%s' is not a scalar of the model\n",
                  sw.path, metrics[k]);
          rc = CLI_EXIT_BADINPUT;
          goto done;
        }
      }
    }
    if (!raise_targets(&sw, precision, metrics, max_reps)) break;
  }
  if (sw.show_progress) fputs("\r\033[K", stderr);
  print_tables(&sw, json);
  fprintf(stderr, "meshsim sweep: %u points, %u runs: %u run now, %u found in %s\n",
          sw.points->len, sw.done_now + sw.resumed, sw.done_now, sw.resumed, out);
  rc = CLI_EXIT_OK;
done:
  sweep_clear(&sw);
  return rc;
}

/* Under mpirun, ranks > 0 serve rank 0's jobs (runner_mpi.h); rank 0 (or
 * the only process) runs the sweep. */
int cmd_sweep(int argc, char **argv) {
  runner_mpi_init();
  int rc = runner_mpi_rank() > 0 ? runner_mpi_serve() : sweep_main(argc, argv);
  runner_mpi_finalize();
  return rc;
}
