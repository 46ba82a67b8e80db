/*
 * report_data.c: what `meshsim report` and `meshsim plot` read from a
 * results database (see report.h). Everything goes through sim/results;
 * nothing here knows SQL.
 *
 * Invariants:
 *   (1) points are keyed by (scenario_name, point_key) and listed in the
 *       order of their first (smallest) run id, runs ascending inside;
 *   (2) every order that reaches the output is a sort on names or ids,
 *       never a hash-table order.
 */
#include "cli/report.h"

#include <math.h>
#include <string.h>

static void report_point_free(gpointer data) {
  ReportPoint *p = data;
  g_free(p->scenario_name);
  g_free(p->point_key);
  g_array_unref(p->run_ids);
  g_free(p);
}

gboolean report_is_sweep(const GPtrArray *runs) {
  if (runs->len < 2) return FALSE;
  for (guint i = 0; i < runs->len; i++) {
    const RunInfo *ri = g_ptr_array_index(runs, i);
    if (*ri->point_key || ri->replication > 0) return TRUE;
  }
  return FALSE;
}

static gint cmp_run_id(gconstpointer a, gconstpointer b) {
  const RunInfo *x = *(RunInfo *const *)a, *y = *(RunInfo *const *)b;
  return (x->id > y->id) - (x->id < y->id);
}

GPtrArray *report_group_points(const GPtrArray *runs) {
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy((GPtrArray *)runs, NULL, NULL);
  g_ptr_array_set_free_func(sorted, NULL);   /* the copy inherits it: runs owns */
  g_ptr_array_sort(sorted, cmp_run_id);
  GPtrArray *points = g_ptr_array_new_with_free_func(report_point_free);
  /* name -> point; only looked up, never iterated (invariant 2) */
  g_autoptr(GHashTable) by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < sorted->len; i++) {
    const RunInfo *ri = g_ptr_array_index(sorted, i);
    char *k = g_strdup_printf("%s\n%s", ri->scenario_name, ri->point_key);
    ReportPoint *p = g_hash_table_lookup(by_key, k);
    if (!p) {
      p = g_new0(ReportPoint, 1);
      p->scenario_name = g_strdup(ri->scenario_name);
      p->point_key = g_strdup(ri->point_key);
      p->run_ids = g_array_new(FALSE, FALSE, sizeof(gint64));
      g_ptr_array_add(points, p);
      g_hash_table_insert(by_key, k, p);
    } else {
      g_free(k);
    }
    g_array_append_val(p->run_ids, ri->id);
  }
  return points;
}

const RunInfo *report_pick_run(const GPtrArray *runs, const char *db_path, gint64 id,
                               GError **error) {
  const RunInfo *best = NULL;
  for (guint i = 0; i < runs->len; i++) {
    const RunInfo *ri = g_ptr_array_index(runs, i);
    if (id > 0 ? ri->id == id : (!best || ri->id > best->id)) best = ri;
  }
  if (!best) {
    if (id > 0)
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND,
                  "%s: no complete run %" G_GINT64_FORMAT, db_path, id);
    else
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND, "%s: no complete run",
                  db_path);
  }
  return best;
}

double report_scalar(const GArray *scalars, const char *name) {
  for (guint i = 0; i < scalars->len; i++) {
    const ResultsScalar *s = &g_array_index(scalars, ResultsScalar, i);
    if (strcmp(s->name, name) == 0) return s->value;
  }
  return NAN;
}

static void report_stat_clear(gpointer data) {
  g_free(((ReportStat *)data)->name);
}

static gint cmp_str(gconstpointer a, gconstpointer b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GArray *report_point_stats(ResultsDb *db, const ReportPoint *p, GError **error) {
  guint nruns = p->run_ids->len;
  g_autoptr(GPtrArray) per_run = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint r = 0; r < nruns; r++) {
    GArray *sc = results_get_scalars(db, g_array_index(p->run_ids, gint64, r), error);
    if (!sc) return NULL;
    g_ptr_array_add(per_run, sc);
    for (guint i = 0; i < sc->len; i++) {
      char *n = g_array_index(sc, ResultsScalar, i).name;
      if (g_hash_table_add(seen, n)) g_ptr_array_add(names, n);
    }
  }
  g_ptr_array_sort(names, cmp_str);
  GArray *out = g_array_sized_new(FALSE, FALSE, sizeof(ReportStat), names->len);
  g_array_set_clear_func(out, report_stat_clear);
  double *v = g_new(double, nruns ? nruns : 1);
  for (guint i = 0; i < names->len; i++) {
    const char *n = g_ptr_array_index(names, i);
    for (guint r = 0; r < nruns; r++) v[r] = report_scalar(g_ptr_array_index(per_run, r), n);
    ReportStat st = {g_strdup(n), stats_summarize(v, nruns)};
    g_array_append_val(out, st);
  }
  g_free(v);
  return out;
}

const ReportStat *report_stat_find(const GArray *stats, const char *name) {
  for (guint i = 0; i < stats->len; i++)
    if (strcmp(g_array_index(stats, ReportStat, i).name, name) == 0)
      return &g_array_index(stats, ReportStat, i);
  return NULL;
}

static void report_country_clear(gpointer data) {
  g_free(((ReportCountry *)data)->key);
}

static gint cmp_requested(gconstpointer a, gconstpointer b) {
  const ReportCountry *x = a, *y = b;
  double rx = isfinite(x->requested_bytes) ? x->requested_bytes : -1;
  double ry = isfinite(y->requested_bytes) ? y->requested_bytes : -1;
  if (rx != ry) return rx < ry ? 1 : -1;
  return strcmp(x->key, y->key);
}

GArray *report_breakdown_rows(ResultsDb *db, gint64 run_id, ResultsDimension dim,
                              GError **error) {
  g_autoptr(GArray) bd = results_get_breakdown(db, run_id, dim, error);
  if (!bd) return NULL;
  GArray *rows = g_array_new(FALSE, FALSE, sizeof(ReportCountry));
  g_array_set_clear_func(rows, report_country_clear);
  /* bd is sorted by key then name: one row per run of equal keys */
  for (guint i = 0; i < bd->len; i++) {
    const ResultsBreakdown *b = &g_array_index(bd, ResultsBreakdown, i);
    if (rows->len == 0 ||
        strcmp(g_array_index(rows, ReportCountry, rows->len - 1).key, b->key) != 0) {
      ReportCountry c = {g_strdup(b->key), NAN, NAN, NAN, NAN, NAN};
      g_array_append_val(rows, c);
    }
    ReportCountry *c = &g_array_index(rows, ReportCountry, rows->len - 1);
    if (strcmp(b->name, "requested_bytes") == 0) c->requested_bytes = b->value;
    else if (strcmp(b->name, "mesh_bytes") == 0) c->mesh_bytes = b->value;
    else if (strcmp(b->name, "page_views_completed") == 0) c->page_views = b->value;
    else if (strcmp(b->name, "page_load_mean_s") == 0) c->page_load_mean_s = b->value;
    else if (strcmp(b->name, "page_load_nomesh_mean_s") == 0) c->page_load_nomesh_mean_s = b->value;
  }
  g_array_sort(rows, cmp_requested);
  return rows;
}

GArray *report_series_optional(ResultsDb *db, gint64 run_id, const char *name,
                               GError **error) {
  g_autoptr(GError) local = NULL;
  GArray *s = results_get_series(db, run_id, name, &local);
  if (!s && !g_error_matches(local, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND))
    g_propagate_error(error, g_steal_pointer(&local));
  return s;
}

Histogram *report_histogram_optional(ResultsDb *db, gint64 run_id, const char *name,
                                     GError **error) {
  g_autoptr(GError) local = NULL;
  Histogram *h = results_get_histogram(db, run_id, name, &local);
  if (!h && !g_error_matches(local, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND))
    g_propagate_error(error, g_steal_pointer(&local));
  return h;
}

gboolean report_parse_run_id(const char *text, gint64 *id) {
  guint64 v;
  if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &v, NULL)) return FALSE;
  *id = (gint64)v;
  return TRUE;
}
