/*
 * cmd_plot.c: `meshsim plot DB [--out DIR] [--format png|svg] [--run ID]`:
 * figures of a results database drawn by gnuplot, an external program.
 *
 * Data flow: the database (through sim/results) -> whitespace-separated
 * .dat files in a temporary directory -> one gnuplot process per figure
 * running a script of analysis/ (found at SIM_ANALYSIS_DIR, compiled in as
 * the source tree's analysis/, or $MESHSIM_ANALYSIS_DIR) with its inputs
 * passed as gnuplot variables (-e) -> DIR/<db name>-<figure>.<format>.
 * The scripts never read the database; this file never draws.
 *
 * Figures (each skipped with a note on stderr when its data is absent):
 *   offload_vs_pageload  sweep: one point per grid point, mean and 95% CI
 *                        of offload and page load time over replications;
 *                        one run: one point per hour when the run has a
 *                        per-interval page load (or latency) series, else
 *                        one point per country (top 15), else the run;
 *                        the reference model has no page loads: mean object
 *                        latency instead, said on the axis
 *   mesh_over_time       online peers, peers holding content, open data
 *                        channels (left axis) and offload (right axis)
 *   pageload_cdf         page load time CDF with and without the mesh
 *                        (object latency for the reference model)
 *   origin_egress        origin (and CDN, mesh) bit rate over time, with
 *                        the origin's p95 as a line
 *   offload_by_country   bars: offload of the top 15 countries by bytes
 * A sweep's per-run figures show its latest run unless --run is given.
 * Exit: 0 figures written, 1 gnuplot missing or failing / I/O, 2 bad input.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "results/results.h"

#ifndef SIM_ANALYSIS_DIR
#define SIM_ANALYSIS_DIR "analysis"
#endif

#define PLOT_TOP_COUNTRIES 15

typedef struct PlotCtx {
  ResultsDb *db;
  const char *db_path;
  char *data_dir;                  /* temporary, removed at the end */
  const char *out_dir;
  char *prefix;                    /* the database's file name without .db */
  const char *format;              /* "png" or "svg" */
  char *analysis_dir;
  char *gnuplot;                   /* absolute path of the program */
  const RunInfo *run;              /* the run of the per-run figures */
  GArray *run_scalars;             /* its scalars */
  gboolean reference;              /* a run without page loads (latency instead) */
  guint written;
} PlotCtx;

/* A gnuplot single-quoted string literal ('' is an embedded quote). */
static void gp_str(GString *o, const char *name, const char *value) {
  g_string_append_printf(o, "%s='", name);
  for (const char *p = value; *p; p++) {
    if (*p == '\'') g_string_append_c(o, '\'');
    g_string_append_c(o, *p == '\n' ? ' ' : *p);
  }
  g_string_append(o, "'; ");
}

static void gp_num(GString *o, const char *name, double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf(o, "%s=%s; ", name,
                         isfinite(v) ? g_ascii_formatd(buf, sizeof buf, "%.10g", v) : "NaN");
}

static void dat_num(FILE *f, double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  fprintf(f, " %s", isfinite(v) ? g_ascii_formatd(buf, sizeof buf, "%.10g", v) : "NaN");
}

static FILE *dat_open(PlotCtx *c, const char *name, char **path, GError **error) {
  *path = g_build_filename(c->data_dir, name, NULL);
  FILE *f = fopen(*path, "w");
  if (!f)
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", *path,
                g_strerror(errno));
  return f;
}

static gboolean dat_close(FILE *f, const char *path, GError **error) {
  if (fclose(f) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

static void note(const char *figure, const char *why) {
  fprintf(stderr, "meshsim plot: skipped %s: %s\n", figure, why);
}

/* Run analysis/<script>.gp for figure `name` with the variables `vars`. */
static gboolean plot_run(PlotCtx *c, const char *script, const char *name, GString *vars,
                         GError **error) {
  g_autofree char *file = g_strdup_printf("%s-%s.%s", c->prefix, name, c->format);
  g_autofree char *out = g_build_filename(c->out_dir, file, NULL);
  g_autofree char *gp = g_strdup_printf("%s.gp", script);
  g_autofree char *script_path = g_build_filename(c->analysis_dir, gp, NULL);
  gp_str(vars, "fmt", c->format);
  gp_str(vars, "outfile", out);
  gp_str(vars, "datadir", c->data_dir);
  gp_str(vars, "adir", c->analysis_dir);
  const char *argv[] = {c->gnuplot, "-e", vars->str, script_path, NULL};
  g_autofree char *err = NULL;
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                    &status, error)) {
    g_prefix_error(error, "gnuplot: ");
    return FALSE;
  }
  if (!g_spawn_check_wait_status(status, NULL)) {
    g_strstrip(err);
    g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "gnuplot failed on %s: %s",
                script_path, *err ? err : "no message");
    g_unlink(out);
    return FALSE;
  }
  if (err && *g_strstrip(err)) fprintf(stderr, "meshsim plot: gnuplot (%s): %s\n", gp, err);
  printf("%s\n", out);
  c->written++;
  return TRUE;
}

/* "cache.capacity_objects=8 selection.candidates=2" -> "capacity_objects=8 candidates=2" */
static char *short_point(const char *key) {
  if (!*key) return g_strdup("run");
  g_auto(GStrv) parts = g_strsplit(key, " ", -1);
  GString *s = g_string_new(NULL);
  for (guint i = 0; parts[i]; i++) {
    const char *eq = strchr(parts[i], '=');
    const char *dot = strchr(parts[i], '.');
    g_string_append_printf(s, "%s%s", i ? " " : "", dot && (!eq || dot < eq) ? dot + 1 : parts[i]);
  }
  return g_string_free(s, FALSE);
}

static char *run_title(const PlotCtx *c) {
  const RunInfo *r = c->run;
  if (*r->point_key)
    return g_strdup_printf("%s, run %" G_GINT64_FORMAT " (%s, seed %" G_GUINT64_FORMAT ")",
                           r->scenario_name, r->id, r->point_key, r->seed);
  return g_strdup_printf("%s, run %" G_GINT64_FORMAT " (seed %" G_GUINT64_FORMAT ")",
                         r->scenario_name, r->id, r->seed);
}

/* The run's mean of the samples of `s` in each hour (t in ((h-1)h, h h]). */
static GArray *hourly(const GArray *s) {
  GArray *out = g_array_new(FALSE, TRUE, sizeof(double));
  g_autoptr(GArray) n = g_array_new(FALSE, TRUE, sizeof(guint));
  for (guint k = 0; k < s->len; k++) {
    const ResultsPoint *p = &g_array_index(s, ResultsPoint, k);
    if (!isfinite(p->value)) continue;
    double b = ceil(p->t_s / 3600) - 1;
    guint h = b < 0 ? 0 : (guint)b;
    if (h >= out->len) {
      g_array_set_size(out, h + 1);
      g_array_set_size(n, h + 1);
    }
    g_array_index(out, double, h) += p->value;
    g_array_index(n, guint, h)++;
  }
  for (guint h = 0; h < out->len; h++)
    g_array_index(out, double, h) =
        g_array_index(n, guint, h) ? g_array_index(out, double, h) / g_array_index(n, guint, h)
                                   : NAN;
  return out;
}

/* ---- offload vs page load ------------------------------------------------ */

static gboolean fig_offload_latency(PlotCtx *c, const GPtrArray *runs, gboolean sweep,
                                    GError **error) {
  const char *fig = "offload_vs_pageload";
  const char *ymetric = c->reference ? "mean_latency_s" : "page_load_mean_s";
  const char *ylab = c->reference
                         ? "mean object latency (s)  [reference model: no page loads]"
                         : "mean page load time (s)";
  g_autoptr(GString) v = g_string_new(NULL);
  g_autofree char *path = NULL;
  FILE *f = dat_open(c, "offload_latency.dat", &path, error);
  if (!f) return FALSE;
  /* columns: x xerr y yerr y_nomesh y_nomesh_err "label" */
  guint rows = 0;
  gboolean nomesh = FALSE, errbars = FALSE;
  const char *mode;
  g_autofree char *title = NULL;
  if (sweep) {
    mode = "sweep";
    g_autoptr(GPtrArray) points = report_group_points(runs);
    for (guint p = 0; p < points->len; p++) {
      const ReportPoint *pt = g_ptr_array_index(points, p);
      g_autoptr(GArray) st = report_point_stats(c->db, pt, error);
      if (!st) {
        fclose(f);
        return FALSE;
      }
      const ReportStat *off = report_stat_find(st, "offload");
      const ReportStat *y = report_stat_find(st, ymetric);
      const ReportStat *y0 = report_stat_find(st, "page_load_nomesh_mean_s");
      if (!off || !y || off->st.n == 0 || y->st.n == 0) continue;
      g_autofree char *label = short_point(pt->point_key);
      fprintf(f, "%u", p);
      dat_num(f, 100 * off->st.mean);
      dat_num(f, isfinite(off->st.ci95) ? 100 * off->st.ci95 : 0);
      dat_num(f, y->st.mean);
      dat_num(f, isfinite(y->st.ci95) ? y->st.ci95 : 0);
      dat_num(f, y0 && !c->reference ? y0->st.mean : NAN);
      dat_num(f, y0 && isfinite(y0->st.ci95) ? y0->st.ci95 : 0);
      fprintf(f, " \"%s\"\n", label);
      if (y0 && !c->reference && y0->st.n) nomesh = TRUE;
      if (isfinite(y->st.ci95) || isfinite(off->st.ci95)) errbars = TRUE;
      rows++;
    }
    title = g_strdup_printf("Offload vs %s: %s, %u sweep points (mean ± 95%% CI over "
                            "replications)", c->reference ? "object latency" : "page load time",
                            c->run->scenario_name, rows);
  } else {
    g_autoptr(GArray) off = report_series_optional(c->db, c->run->id, "offload", error);
    if (!off && error && *error) {
      fclose(f);
      return FALSE;
    }
    g_autoptr(GArray) y = report_series_optional(c->db, c->run->id, ymetric, error);
    if (!y && error && *error) {
      fclose(f);
      return FALSE;
    }
    g_autoptr(GArray) y0 =
        report_series_optional(c->db, c->run->id, "page_load_nomesh_mean_s", error);
    if (!y0 && error && *error) {
      fclose(f);
      return FALSE;
    }
    g_autoptr(GArray) cs = report_breakdown_rows(c->db, c->run->id, RESULTS_DIM_COUNTRY, error);
    if (!cs) {
      fclose(f);
      return FALSE;
    }
    g_autofree char *rt = run_title(c);
    if (off && y) {
      mode = "hourly";
      g_autoptr(GArray) ho = hourly(off), hy = hourly(y);
      g_autoptr(GArray) h0 = y0 ? hourly(y0) : NULL;
      for (guint h = 0; h < ho->len && h < hy->len; h++) {
        double x = g_array_index(ho, double, h), yy = g_array_index(hy, double, h);
        if (!isfinite(x) || !isfinite(yy)) continue;
        fprintf(f, "%u", h);
        dat_num(f, 100 * x);
        dat_num(f, 0);
        dat_num(f, yy);
        dat_num(f, 0);
        dat_num(f, h0 && h < h0->len ? g_array_index(h0, double, h) : NAN);
        dat_num(f, 0);
        fprintf(f, " \"%uh\"\n", h + 1);
        if (h0 && h < h0->len && isfinite(g_array_index(h0, double, h))) nomesh = TRUE;
        rows++;
      }
      title = g_strdup_printf("Offload vs %s, one point per hour: %s",
                              c->reference ? "object latency" : "page load time", rt);
    } else if (cs->len > 0 && !c->reference) {
      mode = "country";
      for (guint i = 0; i < cs->len && rows < PLOT_TOP_COUNTRIES; i++) {
        const ReportCountry *k = &g_array_index(cs, ReportCountry, i);
        if (!(k->requested_bytes > 0) || !isfinite(k->page_load_mean_s)) continue;
        fprintf(f, "%u", i);
        dat_num(f, 100 * k->mesh_bytes / k->requested_bytes);
        dat_num(f, 0);
        dat_num(f, k->page_load_mean_s);
        dat_num(f, 0);
        dat_num(f, k->page_load_nomesh_mean_s);
        dat_num(f, 0);
        fprintf(f, " \"%s\"\n", k->key);
        if (isfinite(k->page_load_nomesh_mean_s)) nomesh = TRUE;
        rows++;
      }
      fprintf(stderr, "meshsim plot: note: %s: run %" G_GINT64_FORMAT " has no per-interval "
                      "series %s: one point per country (top %u by requested bytes) instead "
                      "of one per hour\n", fig, c->run->id, ymetric, PLOT_TOP_COUNTRIES);
      title = g_strdup_printf("Offload vs page load time, one point per country (top %u by "
                              "bytes): %s", PLOT_TOP_COUNTRIES, rt);
    } else {
      mode = "run";
      double x = report_scalar(c->run_scalars, "offload");
      double yy = report_scalar(c->run_scalars, ymetric);
      double y0v = report_scalar(c->run_scalars, "page_load_nomesh_mean_s");
      if (isfinite(x) && isfinite(yy)) {
        fprintf(f, "0");
        dat_num(f, 100 * x);
        dat_num(f, 0);
        dat_num(f, yy);
        dat_num(f, 0);
        dat_num(f, c->reference ? NAN : y0v);
        dat_num(f, 0);
        fprintf(f, " \"run %" G_GINT64_FORMAT "\"\n", c->run->id);
        nomesh = !c->reference && isfinite(y0v);
        rows++;
      }
      fprintf(stderr, "meshsim plot: note: %s: run %" G_GINT64_FORMAT " has no per-interval "
                      "series %s: one point for the whole run\n", fig, c->run->id, ymetric);
      title = g_strdup_printf("Offload vs %s, whole run: %s",
                              c->reference ? "object latency" : "page load time", rt);
    }
  }
  if (!dat_close(f, path, error)) return FALSE;
  if (rows == 0) {
    note(fig, sweep ? "no sweep point has the scalars offload and a page load time"
                    : "the run has no offload and page load time (or latency)");
    return TRUE;
  }
  gp_str(v, "mode", mode);
  gp_str(v, "title", title);
  gp_str(v, "xlab", strcmp(mode, "country") == 0
                        ? "offload (% of the country's requested bytes served by the mesh)"
                        : "offload (% of fetched bytes served by the mesh: mesh / (mesh + CDN))");
  gp_str(v, "ylab", ylab);
  gp_num(v, "nomesh", nomesh);
  gp_num(v, "errbars", errbars);
  return plot_run(c, "offload_latency", fig, v, error);
}

/* ---- mesh size and offload over time ------------------------------------ */

static const char *const mesh_series[] = {"online_peers", "peers_holding_content",
                                          "open_channels", "offload"};

/* Write t_h and the named series side by side (NaN where a series has no
 * sample at that time); has[i] says which exist. FALSE on error. */
static gboolean write_series_table(PlotCtx *c, const char *file, const char *const *names,
                                   guint n, const double *scale, gboolean *has, guint *rows,
                                   GError **error) {
  g_autoptr(GPtrArray) s = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  *rows = 0;
  guint longest = 0, first = G_MAXUINT;
  for (guint i = 0; i < n; i++) {
    GArray *a = report_series_optional(c->db, c->run->id, names[i], error);
    if (!a && error && *error) return FALSE;
    has[i] = a && a->len > 0;
    g_ptr_array_add(s, a ? a : g_array_new(FALSE, FALSE, sizeof(ResultsPoint)));
    if (has[i] && a->len > longest) {
      longest = a->len;
      first = i;
    }
  }
  if (first == G_MAXUINT) return TRUE;
  g_autofree char *path = NULL;
  FILE *f = dat_open(c, file, &path, error);
  if (!f) return FALSE;
  /* rows at the sample times of the longest series; the others by index
   * when their times match (the models sample every series together) */
  const GArray *base = g_ptr_array_index(s, first);
  g_autofree guint *pos = g_new0(guint, n);
  for (guint k = 0; k < base->len; k++) {
    double t = g_array_index(base, ResultsPoint, k).t_s;
    dat_num(f, t / 3600);
    for (guint i = 0; i < n; i++) {
      const GArray *a = g_ptr_array_index(s, i);
      while (pos[i] < a->len && g_array_index(a, ResultsPoint, pos[i]).t_s < t) pos[i]++;
      double val = pos[i] < a->len && g_array_index(a, ResultsPoint, pos[i]).t_s == t
                       ? g_array_index(a, ResultsPoint, pos[i]).value * scale[i]
                       : NAN;
      dat_num(f, val);
    }
    fputc('\n', f);
  }
  *rows = base->len;
  return dat_close(f, path, error);
}

static gboolean fig_mesh_time(PlotCtx *c, GError **error) {
  const char *fig = "mesh_over_time";
  gboolean has[G_N_ELEMENTS(mesh_series)];
  const double scale[] = {1, 1, 1, 100};
  guint rows;
  if (!write_series_table(c, "mesh.dat", mesh_series, G_N_ELEMENTS(mesh_series), scale, has,
                          &rows, error))
    return FALSE;
  if (rows == 0 || (!has[0] && !has[1] && !has[2])) {
    note(fig, "the run has no series online_peers, peers_holding_content or open_channels");
    return TRUE;
  }
  g_autoptr(GString) v = g_string_new(NULL);
  g_autofree char *rt = run_title(c);
  g_autofree char *title = g_strdup_printf("Mesh size and offload over time: %s", rt);
  gp_str(v, "title", title);
  for (guint i = 0; i < G_N_ELEMENTS(mesh_series); i++) {
    g_autofree char *name = g_strdup_printf("has_%u", i);
    gp_num(v, name, has[i]);
  }
  return plot_run(c, "mesh_time", fig, v, error);
}

/* ---- page load CDF ------------------------------------------------------- */

/* Steps of the CDF (percent) at each bucket's upper bound; the zeros (a
 * local hit's latency) are the CDF's starting level, since a log axis has
 * no 0. */
static gboolean write_cdf(PlotCtx *c, const char *file, const Histogram *h, GError **error) {
  g_autofree char *path = NULL;
  FILE *f = dat_open(c, file, &path, error);
  if (!f) return FALSE;
  double n = (double)histogram_count(h), cum = 0;
  gboolean started = FALSE;
  HistogramIter it;
  double lo, hi;
  uint64_t k;
  histogram_iter_init(&it, h);
  while (histogram_iter_next(&it, &lo, &hi, &k)) {
    if (hi == 0) {
      cum += (double)k;
      continue;
    }
    if (!started) {
      dat_num(f, lo);
      dat_num(f, 100 * cum / n);
      fputc('\n', f);
      started = TRUE;
    }
    cum += (double)k;
    dat_num(f, hi);
    dat_num(f, 100 * cum / n);
    fputc('\n', f);
  }
  return dat_close(f, path, error);
}

static char *cdf_key(const char *what, const Histogram *h) {
  return g_strdup_printf("%s (p50 %.3g s, p95 %.3g s, n = %" G_GUINT64_FORMAT ")", what,
                         histogram_quantile(h, 0.5), histogram_quantile(h, 0.95),
                         histogram_count(h));
}

static gboolean fig_cdf(PlotCtx *c, GError **error) {
  const char *fig = "pageload_cdf";
  g_autoptr(Histogram) mesh = report_histogram_optional(c->db, c->run->id, "page_load_s", error);
  if (!mesh && error && *error) return FALSE;
  g_autoptr(Histogram) nomesh = NULL;
  gboolean latency = FALSE;
  if (mesh) {
    nomesh = report_histogram_optional(c->db, c->run->id, "page_load_nomesh_s", error);
    if (!nomesh && error && *error) return FALSE;
  } else {
    mesh = report_histogram_optional(c->db, c->run->id, "latency_s", error);
    if (!mesh && error && *error) return FALSE;
    latency = TRUE;
  }
  /* a log axis needs a positive value */
  if (!mesh || histogram_count(mesh) == 0 || !(histogram_max(mesh) > 0)) {
    note(fig, "the run has no histogram page_load_s or latency_s with positive values");
    return TRUE;
  }
  if (!write_cdf(c, "cdf_mesh.dat", mesh, error)) return FALSE;
  gboolean has0 = nomesh && histogram_count(nomesh) > 0 && histogram_max(nomesh) > 0;
  if (has0 && !write_cdf(c, "cdf_nomesh.dat", nomesh, error)) return FALSE;
  g_autoptr(GString) v = g_string_new(NULL);
  g_autofree char *rt = run_title(c);
  g_autofree char *title =
      latency ? g_strdup_printf("Object latency CDF (the run has no page loads): %s", rt)
              : g_strdup_printf("Page load time CDF with and without the mesh: %s", rt);
  g_autofree char *k1 = cdf_key(latency ? "object latency, with mesh" : "with mesh", mesh);
  g_autofree char *k0 = has0 ? cdf_key("without mesh (same page views)", nomesh) : g_strdup("");
  gp_str(v, "title", title);
  gp_str(v, "xlab", latency ? "object latency (s, log scale; local cache hits = 0 s are the "
                              "starting level)"
                            : "page load time (s, log scale)");
  gp_str(v, "ylab", latency ? "object requests at or below (%)" : "page views at or below (%)");
  gp_str(v, "key1", k1);
  gp_str(v, "key0", k0);
  gp_num(v, "nomesh", has0);
  return plot_run(c, "cdf", fig, v, error);
}

/* ---- origin egress ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static gboolean fig_egress(PlotCtx *c, GError **error) {
  const char *fig = "origin_egress";
  static const char *const names[] = {"origin_egress_bps", "cdn_egress_bps", "mesh_bps"};
  g_autoptr(GArray) o = report_series_optional(c->db, c->run->id, names[0], error);
  if (!o && error && *error) return FALSE;
  if (!o || o->len == 0) {
    note(fig, "the run has no series origin_egress_bps (the reference model records none)");
    return TRUE;
  }
  double peak = 0, p95 = report_scalar(c->run_scalars, "origin_egress_p95_bps");
  for (guint k = 0; k < o->len; k++) peak = fmax(peak, g_array_index(o, ResultsPoint, k).value);
  gboolean p95_from_series = !isfinite(p95);
  if (p95_from_series) {   /* nearest rank over the samples */
    g_autofree double *v = g_new(double, o->len);
    for (guint k = 0; k < o->len; k++) v[k] = g_array_index(o, ResultsPoint, k).value;
    qsort(v, o->len, sizeof *v, cmp_double);
    guint r = (guint)ceil(0.95 * o->len);
    p95 = v[MAX(r, 1u) - 1];
  }
  /* the unit by the largest value of the three */
  double top = peak;
  for (guint i = 1; i < G_N_ELEMENTS(names); i++) {
    g_autoptr(GArray) a = report_series_optional(c->db, c->run->id, names[i], error);
    if (!a && error && *error) return FALSE;
    for (guint k = 0; a && k < a->len; k++) top = fmax(top, g_array_index(a, ResultsPoint, k).value);
  }
  double div = top >= 1e9 ? 1e9 : top >= 1e6 ? 1e6 : 1e3;
  const char *unit = top >= 1e9 ? "Gbit/s" : top >= 1e6 ? "Mbit/s" : "kbit/s";
  gboolean has[G_N_ELEMENTS(names)];
  const double scale[] = {1 / div, 1 / div, 1 / div};
  guint rows;
  if (!write_series_table(c, "egress.dat", names, G_N_ELEMENTS(names), scale, has, &rows, error))
    return FALSE;
  g_autoptr(GString) v = g_string_new(NULL);
  g_autofree char *rt = run_title(c);
  g_autofree char *title = g_strdup_printf("Origin egress over time: %s", rt);
  g_autofree char *ylab = g_strdup_printf("bit rate (%s, mean over each sample interval)", unit);
  g_autofree char *p95key = g_strdup_printf("origin p95 = %.3g %s%s (peak %.3g %s)", p95 / div,
                                            unit, p95_from_series ? " (of the samples)" : "",
                                            report_scalar(c->run_scalars, "origin_egress_peak_bps") > 0
                                                ? report_scalar(c->run_scalars,
                                                                "origin_egress_peak_bps") / div
                                                : peak / div,
                                            unit);
  gp_str(v, "title", title);
  gp_str(v, "ylab", ylab);
  gp_str(v, "p95key", p95key);
  gp_num(v, "p95", p95 / div);
  gp_num(v, "has_cdn", has[1]);
  gp_num(v, "has_mesh", has[2]);
  return plot_run(c, "egress", fig, v, error);
}

/* ---- offload by country -------------------------------------------------- */

static gboolean fig_country(PlotCtx *c, GError **error) {
  const char *fig = "offload_by_country";
  g_autoptr(GArray) cs = report_breakdown_rows(c->db, c->run->id, RESULTS_DIM_COUNTRY, error);
  if (!cs) return FALSE;
  g_autofree char *path = NULL;
  guint rows = 0;
  double total = 0;
  for (guint i = 0; i < cs->len; i++) {
    double r = g_array_index(cs, ReportCountry, i).requested_bytes;
    if (isfinite(r)) total += r;
  }
  FILE *f = dat_open(c, "country.dat", &path, error);
  if (!f) return FALSE;
  for (guint i = 0; i < cs->len && rows < PLOT_TOP_COUNTRIES; i++) {
    const ReportCountry *k = &g_array_index(cs, ReportCountry, i);
    if (!(k->requested_bytes > 0) || !isfinite(k->mesh_bytes)) continue;
    fprintf(f, "%u \"%s\"", rows, k->key);
    dat_num(f, 100 * k->mesh_bytes / k->requested_bytes);
    dat_num(f, 100 * k->requested_bytes / total);
    fputc('\n', f);
    rows++;
  }
  if (!dat_close(f, path, error)) return FALSE;
  if (rows == 0) {
    note(fig, "the run has no per-country breakdown of requested_bytes and mesh_bytes (the "
              "reference model records none)");
    return TRUE;
  }
  g_autoptr(GString) v = g_string_new(NULL);
  g_autofree char *rt = run_title(c);
  g_autofree char *title = g_strdup_printf("Offload by country, top %u of %u by requested bytes: %s",
                                           rows, cs->len, rt);
  gp_str(v, "title", title);
  double all_req = 0, all_mesh = 0;
  for (guint i = 0; i < cs->len; i++) {
    const ReportCountry *k = &g_array_index(cs, ReportCountry, i);
    if (isfinite(k->requested_bytes) && isfinite(k->mesh_bytes)) {
      all_req += k->requested_bytes;
      all_mesh += k->mesh_bytes;
    }
  }
  gp_num(v, "overall", all_req > 0 ? 100 * all_mesh / all_req : NAN);
  return plot_run(c, "country", fig, v, error);
}

/* ---- the command ---------------------------------------------------------- */

static void rm_tree(const char *dir) {
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

int cmd_plot(int argc, char **argv) {
  g_autofree char *out_dir = NULL, *format = NULL, *run_text = NULL;
  GOptionEntry entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "directory for the figures (default results)",
     "DIR"},
    {"format", 'f', 0, G_OPTION_ARG_STRING, &format, "png (default) or svg", "png|svg"},
    {"run", 0, 0, G_OPTION_ARG_STRING, &run_text,
     "the run of the per-run figures (default: the latest complete run)", "ID"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new(
      "DB - figures of a results database with gnuplot (needs the gnuplot program: Debian "
      "package gnuplot-nox)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim plot: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2) {
    fprintf(stderr, "meshsim plot: usage: meshsim plot DB [--out DIR] [--format png|svg] "
                    "[--run ID]\n");
    return CLI_EXIT_BADINPUT;
  }
  if (format && strcmp(format, "png") != 0 && strcmp(format, "svg") != 0) {
    fprintf(stderr, "meshsim plot: --format '%s': expected png or svg\n", format);
    return CLI_EXIT_BADINPUT;
  }
  gint64 run_id = 0;
  if (run_text && !report_parse_run_id(run_text, &run_id)) {
    fprintf(stderr, "meshsim plot: --run '%s': expected a run id (a positive integer)\n", run_text);
    return CLI_EXIT_BADINPUT;
  }
  PlotCtx c = {0};
  c.db_path = argv[1];
  c.format = format ? format : "png";
  c.out_dir = out_dir ? out_dir : "results";
  g_autoptr(ResultsDb) db = results_open_readonly(c.db_path, &error);
  if (!db) {
    fprintf(stderr, "meshsim plot: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  c.db = db;
  g_autoptr(GPtrArray) runs = results_list_runs(db, &error);
  if (!runs) {
    fprintf(stderr, "meshsim plot: %s\n", error->message);
    return CLI_EXIT_FAIL;
  }
  c.run = report_pick_run(runs, c.db_path, run_id, &error);
  if (!c.run) {
    fprintf(stderr, "meshsim plot: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  const char *prog = g_getenv("MESHSIM_GNUPLOT");
  g_autofree char *gnuplot = g_find_program_in_path(prog && *prog ? prog : "gnuplot");
  if (!gnuplot) {
    fprintf(stderr, "meshsim plot: %s not found: install gnuplot (Debian package gnuplot-nox: "
                    "apt-get install gnuplot-nox)\n", prog && *prog ? prog : "gnuplot");
    return CLI_EXIT_FAIL;
  }
  c.gnuplot = gnuplot;
  const char *adir = g_getenv("MESHSIM_ANALYSIS_DIR");
  g_autofree char *analysis = g_strdup(adir && *adir ? adir : SIM_ANALYSIS_DIR);
  g_autofree char *common = g_build_filename(analysis, "common.gp", NULL);
  if (!g_file_test(common, G_FILE_TEST_IS_REGULAR)) {
    fprintf(stderr, "meshsim plot: %s: not found: the gnuplot scripts of analysis/ are missing "
                    "(set MESHSIM_ANALYSIS_DIR to the source tree's analysis directory)\n", common);
    return CLI_EXIT_FAIL;
  }
  c.analysis_dir = analysis;
  if (g_mkdir_with_parents(c.out_dir, 0755) != 0) {
    fprintf(stderr, "meshsim plot: %s: cannot create: %s\n", c.out_dir, g_strerror(errno));
    return CLI_EXIT_FAIL;
  }
  g_autofree char *base = g_path_get_basename(c.db_path);
  c.prefix = g_str_has_suffix(base, ".db") ? g_strndup(base, strlen(base) - 3) : g_strdup(base);
  g_autoptr(GArray) scalars = results_get_scalars(db, c.run->id, &error);
  if (!scalars) {
    fprintf(stderr, "meshsim plot: %s\n", error->message);
    g_free(c.prefix);
    return CLI_EXIT_FAIL;
  }
  c.run_scalars = scalars;
  c.reference = !isfinite(report_scalar(scalars, "page_load_mean_s"));
  c.data_dir = g_dir_make_tmp("meshsim-plot-XXXXXX", &error);
  int rc = CLI_EXIT_OK;
  if (!c.data_dir) {
    rc = CLI_EXIT_FAIL;
  } else {
    gboolean sweep = run_id == 0 && report_is_sweep(runs);
    if (!fig_offload_latency(&c, runs, sweep, &error) || !fig_mesh_time(&c, &error) ||
        !fig_cdf(&c, &error) || !fig_egress(&c, &error) || !fig_country(&c, &error))
      rc = CLI_EXIT_FAIL;
    rm_tree(c.data_dir);
  }
  if (rc != CLI_EXIT_OK) fprintf(stderr, "meshsim plot: %s\n", error ? error->message : "failed");
  else if (c.written == 0) fprintf(stderr, "meshsim plot: no figure: the database has none of "
                                           "their data\n");
  g_free(c.data_dir);
  g_free(c.prefix);
  return rc;
}
