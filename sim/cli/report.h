/*
 * report.h: reading a results database for `meshsim report` and `meshsim
 * plot` (through sim/results only): which run is "the" run, grid points of
 * a sweep with their replication statistics, the per-country breakdown as
 * rows, optional series.
 */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <glib.h>

#include "cli/stats.h"
#include "results/results.h"

/* A grid point: the complete runs of one scenario and point_key (its
 * replications). */
typedef struct ReportPoint {
  char *scenario_name;
  char *point_key;                 /* "" for a single run */
  GArray *run_ids;                 /* gint64, ascending */
} ReportPoint;

/* A scalar over a point's replications. */
typedef struct ReportStat {
  char *name;
  StatSummary st;                  /* NaN replications (undefined) skipped */
} ReportStat;

/* One country (or network) of a run's breakdown; NaN where not stored. */
typedef struct ReportCountry {
  char *key;
  double requested_bytes;
  double mesh_bytes;
  double page_views;               /* page_views_completed */
  double page_load_mean_s;
  double page_load_nomesh_mean_s;
} ReportCountry;

/* A database is reported as a sweep (a table per point) when it holds more
 * than one complete run and some run has a point key or a replication > 0;
 * runs of `meshsim run` appended to one file are not a sweep (the latest
 * is "the" run). runs: RunInfo* from results_list_runs(). */
gboolean report_is_sweep(const GPtrArray *runs);

/* (transfer full) GPtrArray of ReportPoint (with its free func), in the
 * order of each point's first run id. */
GPtrArray *report_group_points(const GPtrArray *runs);

/* (transfer none) the run `id` of runs, or the latest (largest id) when
 * id == 0. NULL + RESULTS_ERROR_NOT_FOUND: no such complete run / no run. */
const RunInfo *report_pick_run(const GPtrArray *runs, const char *db_path, gint64 id,
                               GError **error);

/* The value of scalar `name` in a results_get_scalars() array; NaN when
 * absent. */
double report_scalar(const GArray *scalars, const char *name);

/* (transfer full) GArray of ReportStat sorted by name: every scalar any
 * run of the point has, summarised over its runs. NULL on error. */
GArray *report_point_stats(ResultsDb *db, const ReportPoint *p, GError **error);
/* The stat of `name` in a report_point_stats() array, NULL if absent. */
const ReportStat *report_stat_find(const GArray *stats, const char *name);

/* (transfer full) GArray of ReportCountry of one dimension, sorted by
 * requested bytes descending (ties by key). Empty if the run has no
 * breakdown. NULL on error. */
GArray *report_breakdown_rows(ResultsDb *db, gint64 run_id, ResultsDimension dim,
                              GError **error);

/* (transfer full) the series `name` of a run, or NULL: with error set on a
 * database failure, with *error untouched when the run has no such series. */
GArray *report_series_optional(ResultsDb *db, gint64 run_id, const char *name,
                               GError **error);
/* Likewise for a histogram. */
Histogram *report_histogram_optional(ResultsDb *db, gint64 run_id, const char *name,
                                     GError **error);

/* "ID" of a --run option -> run id > 0; FALSE if not a positive integer. */
gboolean report_parse_run_id(const char *text, gint64 *id);

#endif
