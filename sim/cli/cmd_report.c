/*
 * cmd_report.c: `meshsim report DB --capacity 'METRIC OP VALUE' --vary KEY`,
 * the capacity question over a sweep's scalar table.
 *
 * The complete runs that carry the parameter KEY (optionally filtered by
 * --where k=v) are grouped by grid point; each point gives the numeric
 * value x of KEY (parsed by the key's type: int, size in bytes, duration in
 * ns, rate in bit/s, number) and the replication statistics of METRIC
 * (mean m, 95% CI half-width h). Points sorted by x; the answer is the
 * smallest x that meets the target T:
 *   - the first point meets it: that x (no interpolation, below the grid);
 *   - points i-1 (misses) and i (meets): linear interpolation
 *     x* = x0 + (T - m0) (x1 - x0) / (m1 - m0),
 *     with the CI half-width of x* by the delta method, the two means
 *     independent: h* = |x1 - x0| / (m1 - m0)^2
 *                       * sqrt(((T - m1) h0)^2 + ((T - m0) h1)^2);
 *   - no point meets it: exit 1.
 * The target's VALUE takes units: a plain number, or a rate (bit/s), a
 * size (bytes), a duration (converted to seconds, as the *_s scalars are).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli/cli.h"
#include "cli/stats.h"
#include "core/config.h"
#include "model/keys.h"
#include "results/results.h"

typedef struct CapPoint {
  char *key;                       /* point_key */
  char *value;                     /* the varied key's value as written */
  double x;
  GArray *samples;                 /* of double: the metric per replication */
  StatSummary st;
} CapPoint;

static void cap_point_free(gpointer p) {
  CapPoint *c = p;
  g_free(c->key);
  g_free(c->value);
  g_array_unref(c->samples);
  g_free(c);
}

static gint cmp_x(gconstpointer a, gconstpointer b) {
  const CapPoint *pa = *(CapPoint *const *)a, *pb = *(CapPoint *const *)b;
  return (pa->x > pb->x) - (pa->x < pb->x);
}

static gboolean parse_target_value(const char *text, double *out) {
  const char *why;
  int64_t i;
  if (config_parse_double(text, out, &why)) return TRUE;
  if (config_parse_rate(text, out, &why)) return TRUE;
  if (config_parse_size(text, &i, &why)) {
    *out = (double)i;
    return TRUE;
  }
  if (config_parse_duration(text, &i, &why)) {
    *out = (double)i * 1e-9;
    return TRUE;
  }
  return FALSE;
}

/* "metric <= value": metric, op ("<=", ">=", "<", ">"), value. */
static gboolean parse_target(const char *text, char **metric, char *op, double *value) {
  const char *p = text + strcspn(text, "<>");
  if (!*p || p == text) return FALSE;
  *metric = g_strstrip(g_strndup(text, (gsize)(p - text)));
  op[0] = *p++;
  op[1] = *p == '=' ? *p++ : '\0';
  op[2] = '\0';
  g_autofree char *v = g_strstrip(g_strdup(p));
  return **metric && parse_target_value(v, value);
}

static gboolean meets(double m, const char *op, double t) {
  if (!isfinite(m)) return FALSE;
  if (strcmp(op, "<=") == 0) return m <= t;
  if (strcmp(op, "<") == 0) return m < t;
  if (strcmp(op, ">=") == 0) return m >= t;
  return m > t;
}

static gboolean key_number(const ConfigKey *k, const char *text, double *x) {
  const char *why;
  int64_t i;
  switch (k->type) {
    case CONFIG_INT:
      if (!config_parse_int(text, &i, &why)) return FALSE;
      *x = (double)i;
      return TRUE;
    case CONFIG_SIZE:
      if (!config_parse_size(text, &i, &why)) return FALSE;
      *x = (double)i;
      return TRUE;
    case CONFIG_DURATION:
      if (!config_parse_duration(text, &i, &why)) return FALSE;
      *x = (double)i;
      return TRUE;
    case CONFIG_RATE:
      return config_parse_rate(text, x, &why);
    case CONFIG_DOUBLE:
      return config_parse_double(text, x, &why);
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_NAME:
    case CONFIG_ENUM:
      return FALSE;
  }
  return FALSE;
}

static const ConfigKey *find_key(const char *full) {
  for (size_t i = 0; i < model_keys_count; i++) {
    g_autofree char *f = g_strdup_printf("%s.%s", model_keys[i].section, model_keys[i].name);
    if (strcmp(f, full) == 0) return &model_keys[i];
  }
  return NULL;
}

static const char *param_of(const GArray *params, const char *key) {
  for (guint i = 0; i < params->len; i++) {
    const ResultsParam *p = &g_array_index(params, ResultsParam, i);
    if (strcmp(p->key, key) == 0) return p->value;
  }
  return NULL;
}

int cmd_report_capacity(int argc, char **argv) {
  g_autofree char *target = NULL, *vary = NULL;
  g_auto(GStrv) where = NULL;
  GOptionEntry entries[] = {
    {"capacity", 0, 0, G_OPTION_ARG_STRING, &target,
     "target, e.g. 'origin_egress_p95_bps <= 2Gbit/s' (operators <= >= < >)", "'METRIC OP VALUE'"},
    {"vary", 0, 0, G_OPTION_ARG_STRING, &vary, "the swept key to answer with", "SECTION.KEY"},
    {"where", 'w', 0, G_OPTION_ARG_STRING_ARRAY, &where,
     "only runs with this sweep parameter (repeatable)", "SECTION.KEY=VALUE"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("DB - capacity question: the smallest value of a swept key that meets a target");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim report: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2 || !target || !vary) {
    fprintf(stderr, "meshsim report: usage: meshsim report DB --capacity 'METRIC OP VALUE' "
                    "--vary SECTION.KEY [--where K=V]...\n");
    return CLI_EXIT_BADINPUT;
  }
  g_autofree char *metric = NULL;
  char op[3];
  double t;
  if (!parse_target(target, &metric, op, &t)) {
    fprintf(stderr, "meshsim report: --capacity '%s': expected 'METRIC OP VALUE' with OP one of "
                    "<= >= < > and VALUE a number, rate, size or duration\n", target);
    return CLI_EXIT_BADINPUT;
  }
  const ConfigKey *k = find_key(vary);
  if (!k || k->type == CONFIG_BOOL || k->type == CONFIG_STRING || k->type == CONFIG_NAME ||
      k->type == CONFIG_ENUM) {
    fprintf(stderr, "meshsim report: --vary %s: %s\n", vary,
            k ? "not a numeric key" : "unknown key (see `meshsim keys`)");
    return CLI_EXIT_BADINPUT;
  }
  for (guint i = 0; where && where[i]; i++)
    if (!strchr(where[i], '=')) {
      fprintf(stderr, "meshsim report: --where '%s': expected SECTION.KEY=VALUE\n", where[i]);
      return CLI_EXIT_BADINPUT;
    }
  g_autoptr(ResultsDb) db = results_open_readonly(argv[1], &error);
  if (!db) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  g_autoptr(GPtrArray) runs = results_list_runs(db, &error);
  if (!runs) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_FAIL;
  }
  g_autoptr(GPtrArray) points = g_ptr_array_new_with_free_func(cap_point_free);
  gboolean metric_seen = FALSE;
  for (guint i = 0; i < runs->len; i++) {
    const RunInfo *ri = g_ptr_array_index(runs, i);
    g_autoptr(GArray) params = results_get_params(db, ri->id, &error);
    if (!params) {
      fprintf(stderr, "%s\n", error->message);
      return CLI_EXIT_FAIL;
    }
    const char *val = param_of(params, vary);
    if (!val) continue;
    gboolean keep = TRUE;
    for (guint w = 0; where && where[w] && keep; w++) {
      g_auto(GStrv) kv = g_strsplit(where[w], "=", 2);
      const char *pv = param_of(params, kv[0]);
      keep = pv && strcmp(pv, kv[1]) == 0;
    }
    if (!keep) continue;
    CapPoint *pt = NULL;
    for (guint p = 0; p < points->len && !pt; p++)
      if (strcmp(((CapPoint *)g_ptr_array_index(points, p))->key, ri->point_key) == 0)
        pt = g_ptr_array_index(points, p);
    if (!pt) {
      pt = g_new0(CapPoint, 1);
      pt->key = g_strdup(ri->point_key);
      pt->value = g_strdup(val);
      if (!key_number(k, val, &pt->x)) {
        fprintf(stderr, "meshsim report: run %" G_GINT64_FORMAT ": %s = '%s' is not a number\n",
                ri->id, vary, val);
        cap_point_free(pt);
        return CLI_EXIT_BADINPUT;
      }
      pt->samples = g_array_new(FALSE, FALSE, sizeof(double));
      g_ptr_array_add(points, pt);
    }
    g_autoptr(GArray) sc = results_get_scalars(db, ri->id, &error);
    if (!sc) {
      fprintf(stderr, "%s\n", error->message);
      return CLI_EXIT_FAIL;
    }
    for (guint s = 0; s < sc->len; s++)
      if (strcmp(g_array_index(sc, ResultsScalar, s).name, metric) == 0) {
        g_array_append_val(pt->samples, g_array_index(sc, ResultsScalar, s).value);
        metric_seen = TRUE;
      }
  }
  if (points->len == 0) {
    fprintf(stderr, "meshsim report: %s: no complete run has the sweep parameter %s%s\n", argv[1],
            vary, where ? " (and the --where filters)" : "");
    return CLI_EXIT_BADINPUT;
  }
  if (!metric_seen) {
    fprintf(stderr, "meshsim report: %s: no run has a scalar '%s'\n", argv[1], metric);
    return CLI_EXIT_BADINPUT;
  }
  g_ptr_array_sort(points, cmp_x);
  for (guint p = 1; p < points->len; p++) {
    CapPoint *a = g_ptr_array_index(points, p - 1), *b = g_ptr_array_index(points, p);
    if (a->x == b->x) {
      fprintf(stderr, "meshsim report: points '%s' and '%s' have the same %s: other keys vary "
                      "too; pick one with --where SECTION.KEY=VALUE\n", a->key, b->key, vary);
      return CLI_EXIT_BADINPUT;
    }
  }
  printf("target: %s %s %.6g, varying %s\n%-24s %5s %14s   %-12s %s\n", metric, op, t, vary,
         vary, "n", "mean", "± 95% CI", "meets");
  gint first = -1;
  for (guint p = 0; p < points->len; p++) {
    CapPoint *pt = g_ptr_array_index(points, p);
    pt->st = stats_summarize((double *)(void *)pt->samples->data, pt->samples->len);
    gboolean ok = meets(pt->st.mean, op, t);
    if (ok && first < 0) first = (gint)p;
    printf("%-24s %5zu %14.6g   ± %-10.4g %s\n", pt->value, pt->st.n, pt->st.mean, pt->st.ci95,
           ok ? "yes" : "no");
  }
  if (first < 0) {
    printf("answer: none: no value of %s in the grid meets %s %s %.6g\n", vary, metric, op, t);
    return CLI_EXIT_FAIL;
  }
  const CapPoint *p1 = g_ptr_array_index(points, first);
  if (first == 0) {
    printf("answer: %s = %s (the smallest grid value already meets the target; "
           "extend the grid downwards to narrow it)\n", vary, p1->value);
    return CLI_EXIT_OK;
  }
  const CapPoint *p0 = g_ptr_array_index(points, first - 1);
  double m0 = p0->st.mean, m1 = p1->st.mean, dx = p1->x - p0->x, dm = m1 - m0;
  double x = p0->x + (t - m0) * dx / dm;
  double h0 = isfinite(p0->st.ci95) ? p0->st.ci95 : 0, h1 = isfinite(p1->st.ci95) ? p1->st.ci95 : 0;
  double h = fabs(dx) / (dm * dm) * sqrt(pow((t - m1) * h0, 2) + pow((t - m0) * h1, 2));
  printf("answer: %s = %.6g (95%% CI %.6g .. %.6g), interpolated between %s and %s\n", vary, x,
         x - h, x + h, p0->value, p1->value);
  if (*k->unit) printf("        (%s in %s)\n", vary, k->unit);
  return CLI_EXIT_OK;
}
