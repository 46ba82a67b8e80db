/*
 * cmd_check.c: `meshsim check DIR|FILE...`, regression scenarios against
 * their baselines.
 *
 * A regression scenario is a scenario file with `[check] metrics = a b`
 * (and optionally `[check] tolerance = a:abs:X b:rel:X c:notworse`; a
 * metric without a tolerance is `notworse`). A directory contributes its
 * *.ini files that have [check] metrics, in name order (others, e.g. the
 * bases they extend, are skipped); a file named explicitly must have them.
 * Each runs [run] replications seeds (seed, seed+1, ...), all scenarios in
 * parallel on --jobs workers; nothing is written to a database.
 *
 * The baseline of NAME.ini is NAME.baseline next to it: `key: value` lines,
 * `METRIC.n`, `METRIC.mean`, `METRIC.sd` per metric (plus provenance).
 * Per metric, with m the new mean and b the baseline's:
 *   abs:X     pass iff |m - b| <= X
 *   rel:X     pass iff |m - b| <= X |b|
 *   notworse  fail iff a one-sided Welch t-test says the new replications
 *             are worse than the baseline's at the 5% level (direction of
 *             "worse" from stats_better_direction(); needs >= 2 replications)
 * abs and rel are two-sided: an unexplained improvement also fails, so a
 * deliberate change comes with --update-baseline.
 * Output: TAP (one test point per scenario and metric) on stdout, JUnit XML
 * with --junit. Exit 0 all pass, 1 a regression, 2 an error (bad scenario,
 * missing or incomplete baseline) - errors win over regressions.
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

typedef enum { TOL_NOTWORSE, TOL_ABS, TOL_REL } TolKind;

typedef struct Metric {
  char *name;
  TolKind kind;
  double tol;
} Metric;

typedef struct Scenario {
  char *path, *name, *baseline;
  Config *cfg;
  GArray *metrics;                 /* of Metric */
  guint reps;
  uint64_t seed0;
  double **values;                 /* [metric][rep] */
  char *sha256;                    /* of replication 0's scenario text */
} Scenario;

typedef struct Result {          /* one TAP test point */
  char *scenario, *metric, *text;
  gboolean ok, error;
} Result;

static void metric_clear(gpointer p) {
  g_free(((Metric *)p)->name);
}

static void scenario_free(gpointer p) {
  Scenario *s = p;
  g_free(s->path);
  g_free(s->name);
  g_free(s->baseline);
  if (s->cfg) config_free(s->cfg);
  if (s->metrics) {
    for (guint m = 0; m < s->metrics->len && s->values; m++) g_free(s->values[m]);
    g_array_unref(s->metrics);
  }
  g_free(s->values);
  g_free(s->sha256);
  g_free(s);
}

static void result_free(gpointer p) {
  Result *r = p;
  g_free(r->scenario);
  g_free(r->metric);
  g_free(r->text);
  g_free(r);
}

static gboolean parse_check(Scenario *s, GError **error) {
  g_auto(GStrv) names = g_strsplit_set(config_string(s->cfg, "check", "metrics"), " \t", -1);
  s->metrics = g_array_new(FALSE, TRUE, sizeof(Metric));
  g_array_set_clear_func(s->metrics, metric_clear);
  for (guint i = 0; names[i]; i++)
    if (*names[i]) {
      Metric m = {g_strdup(names[i]), TOL_NOTWORSE, 0};
      g_array_append_val(s->metrics, m);
    }
  if (s->metrics->len == 0)
    return config_fail(s->cfg, "check", "metrics", error,
                       "no metrics: not a regression scenario");
  g_auto(GStrv) tols = g_strsplit_set(config_string(s->cfg, "check", "tolerance"), " \t", -1);
  for (guint i = 0; tols[i]; i++) {
    if (!*tols[i]) continue;
    g_auto(GStrv) f = g_strsplit(tols[i], ":", 3);
    guint nf = g_strv_length(f);
    Metric *m = NULL;
    for (guint j = 0; j < s->metrics->len && nf > 0; j++)
      if (strcmp(g_array_index(s->metrics, Metric, j).name, f[0]) == 0)
        m = &g_array_index(s->metrics, Metric, j);
    if (!m)
      return config_fail(s->cfg, "check", "tolerance", error,
                         "'%s': not one of the metrics", tols[i]);
    const char *why = NULL;
    if (nf == 2 && strcmp(f[1], "notworse") == 0) {
      m->kind = TOL_NOTWORSE;
    } else if (nf == 3 && (strcmp(f[1], "abs") == 0 || strcmp(f[1], "rel") == 0) &&
               config_parse_double(f[2], &m->tol, &why) && m->tol >= 0) {
      m->kind = strcmp(f[1], "abs") == 0 ? TOL_ABS : TOL_REL;
    } else {
      return config_fail(s->cfg, "check", "tolerance", error,
                         "'%s': expected NAME:abs:X, NAME:rel:X or NAME:notworse (X >= 0)",
                         tols[i]);
    }
  }
  for (guint j = 0; j < s->metrics->len; j++) {
    const Metric *m = &g_array_index(s->metrics, Metric, j);
    if (m->kind != TOL_NOTWORSE) continue;
    if (stats_better_direction(m->name) == 0)
      return config_fail(s->cfg, "check", "tolerance", error,
                         "%s: notworse needs a metric with a better direction (use abs or rel)",
                         m->name);
    if (s->reps < 2)
      return config_fail(s->cfg, "check", "tolerance", error,
                         "%s: notworse needs [run] replications >= 2", m->name);
  }
  return TRUE;
}

static Scenario *load_scenario(const char *path, GError **error) {
  Scenario *s = g_new0(Scenario, 1);
  g_autofree char *stem = NULL; /* before any goto fail */
  s->path = g_strdup(path);
  s->cfg = runner_load_config(path, NULL, FALSE, error);
  if (!s->cfg) goto fail;
  s->name = runner_scenario_name(s->cfg, path);
  s->reps = (guint)config_int(s->cfg, "run", "replications");
  s->seed0 = (uint64_t)config_int(s->cfg, "run", "seed");
  if (!parse_check(s, error)) goto fail;
  stem = g_strdup(path);
  if (g_str_has_suffix(stem, ".ini")) stem[strlen(stem) - 4] = '\0';
  s->baseline = g_strconcat(stem, ".baseline", NULL);
  s->values = g_new0(double *, s->metrics->len);
  for (guint m = 0; m < s->metrics->len; m++) s->values[m] = g_new(double, s->reps);
  return s;
fail:
  scenario_free(s);
  return NULL;
}

static gint cmp_path(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The scenario files of the arguments; NULL + error on a bad argument. */
static GPtrArray *collect(char **args, int n, GError **error) {
  GPtrArray *out = g_ptr_array_new_with_free_func(scenario_free);
  for (int i = 0; i < n; i++) {
    if (g_file_test(args[i], G_FILE_TEST_IS_DIR)) {
      g_autoptr(GDir) d = g_dir_open(args[i], 0, error);
      if (!d) goto fail;
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
      const char *e;
      while ((e = g_dir_read_name(d)))
        if (g_str_has_suffix(e, ".ini")) g_ptr_array_add(names, g_build_filename(args[i], e, NULL));
      g_ptr_array_sort(names, cmp_path);
      for (guint j = 0; j < names->len; j++) {
        const char *p = g_ptr_array_index(names, j);
        g_autoptr(Config) c = runner_load_config(p, NULL, FALSE, error);
        if (!c) goto fail;
        if (!*config_string(c, "check", "metrics")) continue; /* a base, not a check */
        Scenario *s = load_scenario(p, error);
        if (!s) goto fail;
        g_ptr_array_add(out, s);
      }
    } else {
      Scenario *s = load_scenario(args[i], error);
      if (!s) goto fail;
      g_ptr_array_add(out, s);
    }
  }
  return out;
fail:
  g_ptr_array_unref(out);
  return NULL;
}

typedef struct Slot {
  Scenario *s;
  guint rep;
} Slot;

typedef struct Ctx {
  guint failed;
} Ctx;

static void on_done(RunnerJob *job, void *ud) {
  Ctx *c = ud;
  Slot *sl = job->user;
  if (!job->rec) {
    fprintf(stderr, "meshsim check: %s: %s\n", sl->s->path, job->error->message);
    c->failed++;
    return;
  }
  for (guint m = 0; m < sl->s->metrics->len; m++) {
    double v;
    sl->s->values[m][sl->rep] =
        run_record_lookup_scalar(job->rec, g_array_index(sl->s->metrics, Metric, m).name, &v)
            ? v
            : NAN;
  }
  if (sl->rep == 0 && !sl->s->sha256)
    sl->s->sha256 = g_strdup(run_record_scenario_sha256(job->rec));
}

/* ---- baselines ---------------------------------------------------------- */

static gboolean write_baseline(const Scenario *s, GError **error) {
  GString *t = g_string_new(NULL);
  g_autofree char *base = g_path_get_basename(s->path);
  g_string_append_printf(t,
                         "# meshsim check baseline of %s: the replication means and sds.\n"
                         "# Regenerate with `meshsim check --update-baseline %s`.\n"
                         "scenario_sha256: %s\nreplications: %u\nfirst_seed: %" G_GUINT64_FORMAT "\n",
                         base, base, s->sha256 ? s->sha256 : "", s->reps, (guint64)s->seed0);
  for (guint m = 0; m < s->metrics->len; m++) {
    const char *n = g_array_index(s->metrics, Metric, m).name;
    StatSummary st = stats_summarize(s->values[m], s->reps);
    g_string_append_printf(t, "%s.n: %zu\n%s.mean: %.17g\n%s.sd: %.17g\n", n, st.n, n, st.mean,
                           n, st.n > 1 ? st.sd : 0.0);
  }
  gboolean ok = g_file_set_contents(s->baseline, t->str, (gssize)t->len, error);
  g_string_free(t, TRUE);
  return ok;
}

/* (transfer full) key -> value of a baseline file; NULL + error. */
static GHashTable *read_baseline(const char *path, GError **error) {
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, error)) return NULL;
  GHashTable *kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    char *l = g_strstrip(lines[i]);
    if (!*l || *l == '#') continue;
    char *colon = strchr(l, ':');
    if (!colon) {
      g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: expected 'key: value'", path,
                  i + 1);
      g_hash_table_unref(kv);
      return NULL;
    }
    *colon = '\0';
    g_hash_table_replace(kv, g_strdup(g_strstrip(l)), g_strdup(g_strstrip(colon + 1)));
  }
  return kv;
}

static gboolean baseline_number(GHashTable *kv, const char *path, const char *metric,
                                const char *field, double *out, GError **error) {
  g_autofree char *key = g_strdup_printf("%s.%s", metric, field);
  const char *v = g_hash_table_lookup(kv, key);
  const char *why;
  if (!v || !config_parse_double(v, out, &why)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                "%s: no valid '%s' (run meshsim check --update-baseline)", path, key);
    return FALSE;
  }
  return TRUE;
}

static void add_result(GPtrArray *results, const Scenario *s, const char *metric, gboolean ok,
                       gboolean error, char *text) {
  Result *r = g_new0(Result, 1);
  r->scenario = g_strdup(s->name);
  r->metric = g_strdup(metric ? metric : "baseline");
  r->ok = ok;
  r->error = error;
  r->text = text;
  g_ptr_array_add(results, r);
}

static void check_scenario(const Scenario *s, GPtrArray *results) {
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) kv = read_baseline(s->baseline, &error);
  if (!kv) {
    add_result(results, s, NULL, FALSE, TRUE,
               g_strdup_printf("missing baseline: %s (create it with --update-baseline)",
                               error->message));
    return;
  }
  for (guint m = 0; m < s->metrics->len; m++) {
    const Metric *mt = &g_array_index(s->metrics, Metric, m);
    double bn, bm, bsd;
    if (!baseline_number(kv, s->baseline, mt->name, "n", &bn, &error) ||
        !baseline_number(kv, s->baseline, mt->name, "mean", &bm, &error) ||
        !baseline_number(kv, s->baseline, mt->name, "sd", &bsd, &error)) {
      add_result(results, s, mt->name, FALSE, TRUE, g_strdup(error->message));
      g_clear_error(&error);
      continue;
    }
    StatSummary cur = stats_summarize(s->values[m], s->reps);
    if (cur.n == 0) {
      add_result(results, s, mt->name, FALSE, TRUE,
                 g_strdup_printf("the model has no scalar '%s'", mt->name));
      continue;
    }
    double diff = cur.mean - bm;
    gboolean ok;
    char *text;
    switch (mt->kind) {
      case TOL_ABS:
        ok = fabs(diff) <= mt->tol;
        text = g_strdup_printf("%.6g vs baseline %.6g: |diff| %.3g %s abs %.3g", cur.mean, bm,
                               fabs(diff), ok ? "<=" : ">", mt->tol);
        break;
      case TOL_REL:
        ok = fabs(diff) <= mt->tol * fabs(bm);
        text = g_strdup_printf("%.6g vs baseline %.6g: |diff| %.3g %s rel %.3g x %.6g", cur.mean,
                               bm, fabs(diff), ok ? "<=" : ">", mt->tol, fabs(bm));
        break;
      case TOL_NOTWORSE: {
        StatSummary b = {(size_t)bn, bm, bsd, NAN};
        int dir = stats_better_direction(mt->name);
        /* p of "worse": new below the baseline (dir +1) or above it (dir -1) */
        double p = dir > 0 ? stats_welch_p_greater(&cur, &b) : stats_welch_p_greater(&b, &cur);
        ok = !(p < 0.05);
        text = g_strdup_printf("%.6g (sd %.3g, n %zu) vs baseline %.6g (sd %.3g, n %.0f): "
                               "one-sided Welch p(worse) = %.3g%s",
                               cur.mean, cur.n > 1 ? cur.sd : 0.0, cur.n, bm, bsd, bn, p,
                               ok ? "" : " < 0.05: significantly worse");
        break;
      }
      default:
        g_assert_not_reached();
    }
    add_result(results, s, mt->name, ok, FALSE, text);
  }
}

/* ---- output ------------------------------------------------------------- */

static char *xml_escape(const char *s) {
  return g_markup_escape_text(s, -1);
}

static gboolean write_junit(const char *path, GPtrArray *results, double seconds, GError **error) {
  guint failures = 0, errors = 0;
  for (guint i = 0; i < results->len; i++) {
    const Result *r = g_ptr_array_index(results, i);
    if (r->error) errors++;
    else if (!r->ok) failures++;
  }
  GString *x = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  g_string_append_printf(x,
                         "<testsuites>\n  <testsuite name=\"meshsim check\" tests=\"%u\" "
                         "failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n",
                         results->len, failures, errors, seconds);
  for (guint i = 0; i < results->len; i++) {
    const Result *r = g_ptr_array_index(results, i);
    g_autofree char *cls = xml_escape(r->scenario), *name = xml_escape(r->metric),
                    *msg = xml_escape(r->text);
    g_string_append_printf(x, "    <testcase classname=\"%s\" name=\"%s\">", cls, name);
    if (r->error) g_string_append_printf(x, "<error message=\"%s\"/>", msg);
    else if (!r->ok) g_string_append_printf(x, "<failure message=\"%s\"/>", msg);
    else g_string_append_printf(x, "<system-out>%s</system-out>", msg);
    g_string_append(x, "</testcase>\n");
  }
  g_string_append(x, "  </testsuite>\n</testsuites>\n");
  gboolean ok = g_file_set_contents(path, x->str, (gssize)x->len, error);
  g_string_free(x, TRUE);
  return ok;
}

int cmd_check(int argc, char **argv) {
  gboolean update = FALSE;
  g_autofree char *junit = NULL;
  gint jobs = 0;
  GOptionEntry entries[] = {
    {"update-baseline", 0, 0, G_OPTION_ARG_NONE, &update,
     "run and rewrite the baselines instead of checking", NULL},
    {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit, "also write JUnit XML", "FILE"},
    {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "parallel runs (default: number of cores)", "N"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("DIR|FILE... - regression scenarios against their baselines");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim check: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc < 2 || jobs < 0) {
    fprintf(stderr, "meshsim check: expected regression scenario files or directories\n");
    return CLI_EXIT_BADINPUT;
  }
  g_autoptr(GPtrArray) scen = collect(argv + 1, argc - 1, &error);
  if (!scen) {
    printf("1..0\nBail out! %s\n", error->message);
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (scen->len == 0) {
    printf("1..0\nBail out! no regression scenarios (files with [check] metrics)\n");
    return CLI_EXIT_BADINPUT;
  }
  /* validate every model before running any */
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func((GDestroyNotify)runner_job_free);
  guint total = 0;
  for (guint i = 0; i < scen->len; i++) total += ((Scenario *)g_ptr_array_index(scen, i))->reps;
  g_autofree Slot *slots = g_new(Slot, total);
  for (guint i = 0; i < scen->len; i++) {
    Scenario *s = g_ptr_array_index(scen, i);
    for (guint r = 0; r < s->reps; r++) {
      Config *c = runner_point_config(s->cfg, NULL, NULL, s->seed0 + r, &error);
      if (c && r == 0) {
        g_autoptr(Model) m = model_new(c, &error);
        if (!m) g_clear_pointer(&c, config_free);
      }
      if (!c) {
        printf("1..0\nBail out! %s\n", error->message);
        fprintf(stderr, "%s\n", error->message);
        return CLI_EXIT_BADINPUT;
      }
      RunnerJob *job = g_new0(RunnerJob, 1);
      job->cfg = c;
      job->name = s->name;
      job->replication = r;
      slots[todo->len] = (Slot){s, r};
      job->user = &slots[todo->len];
      g_ptr_array_add(todo, job);
    }
  }
  gint64 t0 = g_get_monotonic_time(); /* wall time: the JUnit report only */
  Ctx c = {0};
  runner_execute_all(todo, (guint)jobs, on_done, &c);
  if (c.failed) return CLI_EXIT_FAIL;

  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func(result_free);
  for (guint i = 0; i < scen->len; i++) {
    Scenario *s = g_ptr_array_index(scen, i);
    if (!update) {
      check_scenario(s, results);
      continue;
    }
    if (!write_baseline(s, &error)) {
      add_result(results, s, NULL, FALSE, TRUE, g_strdup(error->message));
      g_clear_error(&error);
    } else {
      add_result(results, s, NULL, TRUE, FALSE,
                 g_strdup_printf("baseline updated: %s (%u replications)", s->baseline, s->reps));
    }
  }
  double seconds = (double)(g_get_monotonic_time() - t0) * 1e-6;
  printf("TAP version 13\n1..%u\n", results->len);
  guint failures = 0, errors = 0;
  for (guint i = 0; i < results->len; i++) {
    const Result *r = g_ptr_array_index(results, i);
    if (r->error) errors++;
    else if (!r->ok) failures++;
    printf("%s %u - %s %s: %s\n", r->ok ? "ok" : "not ok", i + 1, r->scenario, r->metric, r->text);
  }
  printf("# %u scenarios, %u checks: %u failed, %u errors\n", scen->len, results->len, failures,
         errors);
  if (junit && !write_junit(junit, results, seconds, &error)) {
    fprintf(stderr, "meshsim check: %s\n", error->message);
    return CLI_EXIT_FAIL;
  }
  return errors ? CLI_EXIT_BADINPUT : failures ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
