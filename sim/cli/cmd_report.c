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
#include "cli/report.h"
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

/* Opens the database read-only and lists its runs, for every kind of
 * report; a failure is one line on stderr and the exit code to return. */
static int open_runs(const char *path, ResultsDb **db, GPtrArray **runs) {
  g_autoptr(GError) error = NULL;
  *db = results_open_readonly(path, &error);
  if (!*db) {
    fprintf(stderr, "meshsim report: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  *runs = results_list_runs(*db, &error);
  if (!*runs) {
    fprintf(stderr, "meshsim report: %s\n", error->message);
    return CLI_EXIT_FAIL;
  }
  return CLI_EXIT_OK;
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
  g_autoptr(ResultsDb) db = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  int orc = open_runs(argv[1], &db, &runs);
  if (orc != CLI_EXIT_OK) return orc;
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

/* ---- the general report: summary, countries, series -------------------------
 *
 * One run (--run ID, or the latest complete run of a plain run database):
 * its scalars, its histograms' percentiles, the top 10 countries by
 * requested bytes and the time series as a table (one row per sample when
 * there are at most REPORT_MAX_ROWS samples, else one row per hour or per
 * a whole number of hours, each the mean of the samples it holds). A sweep
 * database without --run: a table per grid point, each scalar as mean and
 * 95% CI half-width over the point's replications (Student t).
 */

#define REPORT_TOP_COUNTRIES 10
#define REPORT_MAX_ROWS 24

static void json_str(GString *o, const char *s) {
  g_string_append_c(o, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') g_string_append_printf(o, "\\%c", *p);
    else if (*p == '\n') g_string_append(o, "\\n");
    else if (*p < 0x20) g_string_append_printf(o, "\\u%04x", *p);
    else g_string_append_c(o, (char)*p);
  }
  g_string_append_c(o, '"');
}

static void json_num(GString *o, double v) {
  if (!isfinite(v)) {
    g_string_append(o, "null");
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(o, g_ascii_formatd(buf, sizeof buf, "%.10g", v));
}

/* "  (24.7 Mbit/s)" style hints for the units in scalar names. */
static char *unit_hint(const char *name, double v) {
  if (!isfinite(v)) return g_strdup("");
  if (g_str_has_suffix(name, "_bps")) {
    g_autofree char *r = v >= 1e9 ? g_strdup_printf("%.3g Gbit/s", v / 1e9)
                       : v >= 1e6 ? g_strdup_printf("%.3g Mbit/s", v / 1e6)
                                  : g_strdup_printf("%.3g kbit/s", v / 1e3);
    return g_strdup_printf("(%s)", r);
  }
  if (g_str_has_suffix(name, "_bytes") || g_str_has_prefix(name, "upload_bytes")) {
    g_autofree char *r = g_format_size((guint64)llround(fmax(v, 0)));
    return g_strdup_printf("(%s)", r);
  }
  if (strcmp(name, "offload") == 0 || g_str_has_prefix(name, "offload_") ||
      g_str_has_suffix(name, "_ratio"))
    return g_strdup_printf("(%.1f %%)", 100 * v);
  return g_strdup("");
}

static char *fmt_hms(double t_s) {
  long m = lround(t_s / 60);
  long d = m / 1440, h = (m % 1440) / 60, mm = m % 60;
  return d ? g_strdup_printf("%ldd %02ld:%02ld", d, h, mm) : g_strdup_printf("%02ld:%02ld", h, mm);
}

static const char *fmt_v(char *buf, size_t n, double v) {
  if (!isfinite(v)) return "-";
  if (v == floor(v) && fabs(v) < 1e15) g_snprintf(buf, n, "%.0f", v);  /* counts */
  else g_snprintf(buf, n, "%.4g", v);
  return buf;
}

static const char *fmt_pct(char *buf, size_t n, double v) {
  if (!isfinite(v)) return "-";
  g_snprintf(buf, n, "%.1f", v);
  return buf;
}

/* The run's series, binned into rows (see above). */
typedef struct SeriesTable {
  GStrv names;                     /* series names, sorted */
  guint rows;
  double *t_end;                   /* [rows]: the row's last time, s */
  double *mean;                    /* [rows * names]: NaN when no sample */
  double bin_s;                    /* 0: one row per sample time */
  guint samples;                   /* distinct sample times */
} SeriesTable;

static void series_table_clear(SeriesTable *t) {
  g_strfreev(t->names);
  g_free(t->t_end);
  g_free(t->mean);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SeriesTable, series_table_clear)

static gint cmp_double_p(gconstpointer a, gconstpointer b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static gboolean series_table_load(ResultsDb *db, gint64 run, SeriesTable *t, GError **error) {
  memset(t, 0, sizeof *t);
  t->names = results_get_series_names(db, run, error);
  if (!t->names) return FALSE;
  guint ns = g_strv_length(t->names);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(double));
  for (guint i = 0; i < ns; i++) {
    GArray *s = results_get_series(db, run, t->names[i], error);
    if (!s) return FALSE;
    g_ptr_array_add(all, s);
    for (guint k = 0; k < s->len; k++) g_array_append_val(times, g_array_index(s, ResultsPoint, k).t_s);
  }
  g_array_sort(times, cmp_double_p);
  guint u = 0;
  for (guint k = 0; k < times->len; k++)
    if (u == 0 || g_array_index(times, double, u - 1) != g_array_index(times, double, k))
      g_array_index(times, double, u++) = g_array_index(times, double, k);
  t->samples = u;
  double tmax = u ? g_array_index(times, double, u - 1) : 0;
  if (u <= REPORT_MAX_ROWS) {
    t->rows = u;
  } else {
    double hours = ceil(tmax / 3600);
    t->bin_s = 3600 * ceil(hours / (2 * REPORT_MAX_ROWS));
    t->rows = (guint)ceil(tmax / t->bin_s);
    if (t->rows == 0) t->rows = 1;
  }
  t->t_end = g_new0(double, t->rows ? t->rows : 1);
  t->mean = g_new0(double, (gsize)(t->rows ? t->rows : 1) * (ns ? ns : 1));
  g_autofree guint *cnt = g_new0(guint, (gsize)(t->rows ? t->rows : 1) * (ns ? ns : 1));
  for (guint r = 0; r < t->rows; r++)
    t->t_end[r] = t->bin_s > 0 ? fmin((r + 1) * t->bin_s, tmax) : g_array_index(times, double, r);
  for (guint i = 0; i < ns; i++) {
    GArray *s = g_ptr_array_index(all, i);
    for (guint k = 0; k < s->len; k++) {
      const ResultsPoint *p = &g_array_index(s, ResultsPoint, k);
      guint r;
      if (t->bin_s > 0) {
        double b = ceil(p->t_s / t->bin_s) - 1;
        r = b < 0 ? 0 : (guint)b;
        if (r >= t->rows) r = t->rows - 1;
      } else {
        r = 0;
        while (t->t_end[r] != p->t_s) r++;
      }
      if (!isfinite(p->value)) continue;
      t->mean[r * ns + i] += p->value;
      cnt[r * ns + i]++;
    }
  }
  for (gsize c = 0; c < (gsize)t->rows * ns; c++) t->mean[c] = cnt[c] ? t->mean[c] / cnt[c] : NAN;
  return TRUE;
}

static const char *const hist_cols[] = {"p50", "p95", "p99"};
static const double hist_q[] = {0.50, 0.95, 0.99};

static int report_run_text(ResultsDb *db, const char *path, const RunInfo *ri, GString *o,
                           GError **error) {
  g_autoptr(GArray) sc = results_get_scalars(db, ri->id, error);
  if (!sc) return CLI_EXIT_FAIL;
  g_autoptr(GArray) params = results_get_params(db, ri->id, error);
  if (!params) return CLI_EXIT_FAIL;
  g_string_append_printf(o, "%s: run %" G_GINT64_FORMAT ", scenario %s, seed %" G_GUINT64_FORMAT
                            ", replication %u, meshsim %s (git %s), %.1f s wall, finished %s\n",
                         path, ri->id, ri->scenario_name, ri->seed, ri->replication,
                         ri->meshsim_version, ri->git_rev, ri->wall_seconds, ri->finished);
  if (*ri->point_key) g_string_append_printf(o, "point: %s\n", ri->point_key);

  g_string_append(o, "\nsummary\n");
  for (guint i = 0; i < sc->len; i++) {
    const ResultsScalar *s = &g_array_index(sc, ResultsScalar, i);
    char buf[64];
    g_autofree char *hint = unit_hint(s->name, s->value);
    g_string_append_printf(o, "  %-28s %14s  %s\n", s->name, fmt_v(buf, sizeof buf, s->value), hint);
  }

  g_auto(GStrv) hn = results_get_histogram_names(db, ri->id, error);
  if (!hn) return CLI_EXIT_FAIL;
  if (hn[0]) {
    g_string_append_printf(o, "\ndistributions\n  %-20s %10s %10s %10s %10s %10s %10s\n", "name",
                           "count", "mean", hist_cols[0], hist_cols[1], hist_cols[2], "max");
    for (guint i = 0; hn[i]; i++) {
      g_autoptr(Histogram) h = results_get_histogram(db, ri->id, hn[i], error);
      if (!h) return CLI_EXIT_FAIL;
      char b[6][64];
      g_string_append_printf(o, "  %-20s %10" G_GUINT64_FORMAT " %10s %10s %10s %10s %10s\n", hn[i],
                             histogram_count(h), fmt_v(b[0], 64, histogram_mean(h)),
                             fmt_v(b[1], 64, histogram_quantile(h, hist_q[0])),
                             fmt_v(b[2], 64, histogram_quantile(h, hist_q[1])),
                             fmt_v(b[3], 64, histogram_quantile(h, hist_q[2])),
                             fmt_v(b[4], 64, histogram_max(h)));
    }
  }

  g_autoptr(GArray) cs = report_breakdown_rows(db, ri->id, RESULTS_DIM_COUNTRY, error);
  if (!cs) return CLI_EXIT_FAIL;
  if (cs->len) {
    double total = 0;
    for (guint i = 0; i < cs->len; i++) {
      double r = g_array_index(cs, ReportCountry, i).requested_bytes;
      if (isfinite(r)) total += r;
    }
    g_string_append_printf(o, "\ncountries (top %u of %u by requested bytes; offload = mesh / "
                              "requested bytes; page load mean with and without the mesh)\n"
                              "  %-7s %12s %7s %8s %11s %12s %12s\n",
                           MIN(cs->len, REPORT_TOP_COUNTRIES), cs->len, "country", "requested",
                           "share", "offload", "page views", "load s", "no-mesh s");
    for (guint i = 0; i < cs->len && i < REPORT_TOP_COUNTRIES; i++) {
      const ReportCountry *c = &g_array_index(cs, ReportCountry, i);
      g_autofree char *req = isfinite(c->requested_bytes)
                                 ? g_format_size((guint64)llround(c->requested_bytes))
                                 : g_strdup("-");
      char b[5][64];
      double off = c->requested_bytes > 0 ? 100 * c->mesh_bytes / c->requested_bytes : NAN;
      double share = total > 0 ? 100 * c->requested_bytes / total : NAN;
      g_string_append_printf(o, "  %-7s %12s %6s%% %7s%% %11s %12s %12s\n", c->key, req,
                             fmt_pct(b[0], 64, share), fmt_pct(b[1], 64, off),
                             fmt_v(b[2], 64, c->page_views), fmt_v(b[3], 64, c->page_load_mean_s),
                             fmt_v(b[4], 64, c->page_load_nomesh_mean_s));
    }
  }

  g_auto(SeriesTable) st;
  if (!series_table_load(db, ri->id, &st, error)) return CLI_EXIT_FAIL;
  guint ns = g_strv_length(st.names);
  if (ns && st.rows) {
    if (st.bin_s > 0)
      g_string_append_printf(o, "\ntime series (%u samples; one row per %g h: the mean of its "
                                "samples, t = end of the row)\n",
                             st.samples, st.bin_s / 3600);
    else
      g_string_append_printf(o, "\ntime series (one row per sample, t = simulated time)\n");
    g_string_append_printf(o, "  %-9s", "t");
    for (guint i = 0; i < ns; i++)
      g_string_append_printf(o, " %*s", (int)MAX(strlen(st.names[i]), 10), st.names[i]);
    g_string_append_c(o, '\n');
    for (guint r = 0; r < st.rows; r++) {
      g_autofree char *t = fmt_hms(st.t_end[r]);
      g_string_append_printf(o, "  %-9s", t);
      for (guint i = 0; i < ns; i++) {
        char b[64];
        g_string_append_printf(o, " %*s", (int)MAX(strlen(st.names[i]), 10),
                               fmt_v(b, sizeof b, st.mean[r * ns + i]));
      }
      g_string_append_c(o, '\n');
    }
  }
  return CLI_EXIT_OK;
}

static void json_params(GString *o, const GArray *params) {
  g_string_append_c(o, '{');
  for (guint i = 0; i < params->len; i++) {
    const ResultsParam *p = &g_array_index(params, ResultsParam, i);
    if (i) g_string_append(o, ", ");
    json_str(o, p->key);
    g_string_append(o, ": ");
    json_str(o, p->value);
  }
  g_string_append_c(o, '}');
}

static int report_run_json(ResultsDb *db, const char *path, const RunInfo *ri, GString *o,
                           GError **error) {
  g_autoptr(GArray) sc = results_get_scalars(db, ri->id, error);
  if (!sc) return CLI_EXIT_FAIL;
  g_autoptr(GArray) params = results_get_params(db, ri->id, error);
  if (!params) return CLI_EXIT_FAIL;
  g_string_append(o, "{\n  \"db\": ");
  json_str(o, path);
  g_string_append_printf(o, ",\n  \"run\": {\"id\": %" G_GINT64_FORMAT ", \"scenario\": ", ri->id);
  json_str(o, ri->scenario_name);
  g_string_append_printf(o, ", \"seed\": %" G_GUINT64_FORMAT ", \"replication\": %u, \"point\": ",
                         ri->seed, ri->replication);
  json_str(o, ri->point_key);
  g_string_append(o, ", \"parameters\": ");
  json_params(o, params);
  g_string_append(o, ", \"meshsim_version\": ");
  json_str(o, ri->meshsim_version);
  g_string_append(o, ", \"git_rev\": ");
  json_str(o, ri->git_rev);
  g_string_append(o, ", \"finished\": ");
  json_str(o, ri->finished);
  g_string_append(o, ", \"wall_seconds\": ");
  json_num(o, ri->wall_seconds);
  g_string_append(o, "},\n  \"scalars\": {");
  for (guint i = 0; i < sc->len; i++) {
    const ResultsScalar *s = &g_array_index(sc, ResultsScalar, i);
    g_string_append(o, i ? ",\n    " : "\n    ");
    json_str(o, s->name);
    g_string_append(o, ": ");
    json_num(o, s->value);
  }
  g_string_append(o, "\n  },\n  \"histograms\": {");
  g_auto(GStrv) hn = results_get_histogram_names(db, ri->id, error);
  if (!hn) return CLI_EXIT_FAIL;
  for (guint i = 0; hn[i]; i++) {
    g_autoptr(Histogram) h = results_get_histogram(db, ri->id, hn[i], error);
    if (!h) return CLI_EXIT_FAIL;
    g_string_append(o, i ? ",\n    " : "\n    ");
    json_str(o, hn[i]);
    g_string_append_printf(o, ": {\"count\": %" G_GUINT64_FORMAT ", \"mean\": ", histogram_count(h));
    json_num(o, histogram_mean(h));
    g_string_append(o, ", \"min\": ");
    json_num(o, histogram_min(h));
    for (guint q = 0; q < G_N_ELEMENTS(hist_q); q++) {
      g_string_append_printf(o, ", \"%s\": ", hist_cols[q]);
      json_num(o, histogram_quantile(h, hist_q[q]));
    }
    g_string_append(o, ", \"max\": ");
    json_num(o, histogram_max(h));
    g_string_append_c(o, '}');
  }
  g_autoptr(GArray) cs = report_breakdown_rows(db, ri->id, RESULTS_DIM_COUNTRY, error);
  if (!cs) return CLI_EXIT_FAIL;
  g_string_append_printf(o, "\n  },\n  \"countries_total\": %u,\n  \"countries_top\": [", cs->len);
  for (guint i = 0; i < cs->len && i < REPORT_TOP_COUNTRIES; i++) {
    const ReportCountry *c = &g_array_index(cs, ReportCountry, i);
    g_string_append(o, i ? ",\n    {\"country\": " : "\n    {\"country\": ");
    json_str(o, c->key);
    g_string_append(o, ", \"requested_bytes\": ");
    json_num(o, c->requested_bytes);
    g_string_append(o, ", \"mesh_bytes\": ");
    json_num(o, c->mesh_bytes);
    g_string_append(o, ", \"offload\": ");
    json_num(o, c->requested_bytes > 0 ? c->mesh_bytes / c->requested_bytes : NAN);
    g_string_append(o, ", \"page_views\": ");
    json_num(o, c->page_views);
    g_string_append(o, ", \"page_load_mean_s\": ");
    json_num(o, c->page_load_mean_s);
    g_string_append(o, ", \"page_load_nomesh_mean_s\": ");
    json_num(o, c->page_load_nomesh_mean_s);
    g_string_append_c(o, '}');
  }
  g_string_append(o, "\n  ],\n  \"series\": {");
  g_auto(GStrv) sn = results_get_series_names(db, ri->id, error);
  if (!sn) return CLI_EXIT_FAIL;
  for (guint i = 0; sn[i]; i++) {
    g_autoptr(GArray) s = results_get_series(db, ri->id, sn[i], error);
    if (!s) return CLI_EXIT_FAIL;
    g_string_append(o, i ? ",\n    " : "\n    ");
    json_str(o, sn[i]);
    g_string_append(o, ": [");
    for (guint k = 0; k < s->len; k++) {
      const ResultsPoint *p = &g_array_index(s, ResultsPoint, k);
      g_string_append(o, k ? ", [" : "[");
      json_num(o, p->t_s);
      g_string_append(o, ", ");
      json_num(o, p->value);
      g_string_append_c(o, ']');
    }
    g_string_append_c(o, ']');
  }
  g_string_append(o, "\n  }\n}\n");
  return CLI_EXIT_OK;
}

static int report_sweep(ResultsDb *db, const char *path, const GPtrArray *runs, gboolean json,
                        GString *o, GError **error) {
  g_autoptr(GPtrArray) points = report_group_points(runs);
  if (json) {
    g_string_append(o, "{\n  \"db\": ");
    json_str(o, path);
    g_string_append(o, ",\n  \"points\": [");
  } else {
    g_string_append_printf(o, "%s: %u points, %u complete runs; each scalar as mean ± 95%% CI "
                              "over the point's replications (Student t; `--run ID` reports one "
                              "run)\n",
                           path, points->len, runs->len);
  }
  for (guint p = 0; p < points->len; p++) {
    const ReportPoint *pt = g_ptr_array_index(points, p);
    g_autoptr(GArray) st = report_point_stats(db, pt, error);
    if (!st) return CLI_EXIT_FAIL;
    g_autoptr(GArray) params =
        results_get_params(db, g_array_index(pt->run_ids, gint64, 0), error);
    if (!params) return CLI_EXIT_FAIL;
    if (json) {
      g_string_append(o, p ? ",\n    {\"scenario\": " : "\n    {\"scenario\": ");
      json_str(o, pt->scenario_name);
      g_string_append(o, ", \"point\": ");
      json_str(o, pt->point_key);
      g_string_append(o, ", \"parameters\": ");
      json_params(o, params);
      g_string_append(o, ", \"runs\": [");
      for (guint r = 0; r < pt->run_ids->len; r++)
        g_string_append_printf(o, "%s%" G_GINT64_FORMAT, r ? ", " : "",
                               g_array_index(pt->run_ids, gint64, r));
      g_string_append(o, "],\n     \"scalars\": {");
      for (guint i = 0; i < st->len; i++) {
        const ReportStat *s = &g_array_index(st, ReportStat, i);
        g_string_append(o, i ? ",\n       " : "\n       ");
        json_str(o, s->name);
        g_string_append_printf(o, ": {\"n\": %zu, \"mean\": ", s->st.n);
        json_num(o, s->st.mean);
        g_string_append(o, ", \"sd\": ");
        json_num(o, s->st.sd);
        g_string_append(o, ", \"ci95\": ");
        json_num(o, s->st.ci95);
        g_string_append_c(o, '}');
      }
      g_string_append(o, "}}");
      continue;
    }
    g_string_append_printf(o, "\npoint %u/%u: %s  (scenario %s; %u replication%s: run%s", p + 1,
                           points->len, *pt->point_key ? pt->point_key : "(no sweep axes)",
                           pt->scenario_name, pt->run_ids->len, pt->run_ids->len == 1 ? "" : "s",
                           pt->run_ids->len == 1 ? "" : "s");
    for (guint r = 0; r < pt->run_ids->len; r++)
      g_string_append_printf(o, " %" G_GINT64_FORMAT, g_array_index(pt->run_ids, gint64, r));
    g_string_append_printf(o, ")\n  %-28s %14s   %-12s %3s\n", "metric", "mean", "± 95% CI", "n");
    for (guint i = 0; i < st->len; i++) {
      const ReportStat *s = &g_array_index(st, ReportStat, i);
      char b[2][64];
      g_autofree char *hint = unit_hint(s->name, s->st.mean);
      g_string_append_printf(o, "  %-28s %14s   ± %-10s %3zu  %s\n", s->name,
                             fmt_v(b[0], 64, s->st.mean), fmt_v(b[1], 64, s->st.ci95), s->st.n,
                             hint);
    }
  }
  if (json) g_string_append(o, "\n  ]\n}\n");
  return CLI_EXIT_OK;
}

static int report_general(int argc, char **argv) {
  g_autofree char *run_text = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"run", 0, 0, G_OPTION_ARG_STRING, &run_text,
     "report this run (default: the latest complete run; a sweep: a table per point)", "ID"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "one JSON object on stdout", NULL},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new(
      "DB - summary, top countries and time series of a run, or a sweep's points; also "
      "`meshsim report DB --capacity 'METRIC OP VALUE' --vary SECTION.KEY`");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim report: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2) {
    fprintf(stderr, "meshsim report: usage: meshsim report DB [--run ID] [--json]\n");
    return CLI_EXIT_BADINPUT;
  }
  gint64 run_id = 0;
  if (run_text && !report_parse_run_id(run_text, &run_id)) {
    fprintf(stderr, "meshsim report: --run '%s': expected a run id (a positive integer)\n",
            run_text);
    return CLI_EXIT_BADINPUT;
  }
  const char *path = argv[1];
  g_autoptr(ResultsDb) db = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  int orc = open_runs(path, &db, &runs);
  if (orc != CLI_EXIT_OK) return orc;
  g_autoptr(GString) o = g_string_new(NULL);
  int rc;
  if (run_id == 0 && report_is_sweep(runs)) {
    rc = report_sweep(db, path, runs, json, o, &error);
  } else {
    const RunInfo *ri = report_pick_run(runs, path, run_id, &error);
    if (!ri) {
      fprintf(stderr, "meshsim report: %s\n", error->message);
      return CLI_EXIT_BADINPUT;
    }
    rc = json ? report_run_json(db, path, ri, o, &error) : report_run_text(db, path, ri, o, &error);
  }
  if (rc != CLI_EXIT_OK) {
    fprintf(stderr, "meshsim report: %s\n", error ? error->message : "failed");
    return rc;
  }
  fputs(o->str, stdout);
  return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_report(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "--capacity") == 0 || g_str_has_prefix(argv[i], "--capacity="))
      return cmd_report_capacity(argc, argv);
  }
  return report_general(argc, argv);
}
