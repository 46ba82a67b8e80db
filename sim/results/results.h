/*
 * results.h: the SQLite results store of meshsim (sim/results).
 *
 * One database per run or per sweep. During a run the model fills a
 * RunRecord, a plain in-memory accumulator that knows nothing of SQLite;
 * at the end results_write_run() stores all of it in ONE transaction whose
 * last statement before COMMIT marks the run 'complete', so a killed
 * process leaves only complete runs. A run is identified by the SHA-256 of
 * its scenario text (after extends and overrides) and its seed: same
 * scenario + same seed => same results, so a resumed sweep asks
 * results_find_run() before running a (point, replication) and skips it
 * when it is stored. Only this module calls sqlite3_*.
 *
 * The schema (results_schema_sql()) is versioned with PRAGMA user_version:
 * a new or empty file gets the current schema; an older version is migrated;
 * a newer one is refused. Journal mode WAL, synchronous=NORMAL, foreign keys
 * on, a busy timeout of RESULTS_BUSY_TIMEOUT_MS.
 *
 * Threads: a ResultsDb is used by one thread at a time; parallel writers
 * (sweep workers, processes) each open their own ResultsDb on the same file:
 * their write transactions are serialised by SQLite's lock and the busy
 * timeout.
 */
#ifndef RESULTS_RESULTS_H
#define RESULTS_RESULTS_H

#include <glib.h>
#include <stdint.h>

#include "results/histogram.h"

G_BEGIN_DECLS

#define RESULTS_SCHEMA_VERSION 1
#define RESULTS_BUSY_TIMEOUT_MS 5000

#define RESULTS_ERROR (results_error_quark())
GQuark results_error_quark(void);

typedef enum {
  RESULTS_ERROR_OPEN,          /* cannot open or create the file (missing or
                                  read-only directory, read-only file) */
  RESULTS_ERROR_NOT_A_DB,      /* not SQLite, or SQLite but not ours */
  RESULTS_ERROR_NEWER_SCHEMA,  /* written by a newer meshsim */
  RESULTS_ERROR_LOCKED,        /* still locked by another writer after the
                                  busy timeout */
  RESULTS_ERROR_DUPLICATE,     /* this scenario and seed are already stored */
  RESULTS_ERROR_INVALID,       /* the record breaks the schema (a name given
                                  twice, no scenario, ...) */
  RESULTS_ERROR_NOT_FOUND,     /* no such run / series / histogram */
  RESULTS_ERROR_CORRUPT,       /* stored data inconsistent */
  RESULTS_ERROR_IO,            /* any other SQLite failure (disk full, I/O) */
} ResultsError;

typedef enum {
  RESULTS_DIM_COUNTRY,
  RESULTS_DIM_NETWORK,
} ResultsDimension;

/* "country" / "network", as stored in breakdown.dimension. */
const char *results_dimension_name(ResultsDimension dim);

/* ---- RunRecord: what the model fills during a run (no SQLite) ---------- */

typedef struct RunRecord RunRecord;

/* (transfer full) */
RunRecord *run_record_new(void);
void run_record_free(RunRecord *rec);

/* Scenario name and full text (after extends and --set overrides); the
 * SHA-256 of the text is computed here. Both are copied. */
void run_record_set_scenario(RunRecord *rec, const char *name, const char *text);
/* The run's master seed and its replication index (0-based). */
void run_record_set_seed(RunRecord *rec, uint64_t seed, guint replication);
/* Sweep grid point, e.g. "cache.capacity=64MB peers.count=1e5"; "" (the
 * default) for a single run. */
void run_record_set_point_key(RunRecord *rec, const char *point_key);
/* meshsim version and git revision (default "unknown"). */
void run_record_set_build(RunRecord *rec, const char *version, const char *git_rev);
/* Wall-clock start and end (Unix time, microseconds, UTC; stored as
 * ISO-8601 UTC) and the elapsed wall seconds. Progress/provenance only. */
void run_record_set_wall_time(RunRecord *rec, gint64 started_unix_us,
                              gint64 finished_unix_us, double wall_seconds);

/* (transfer none) hex SHA-256 of the scenario text, NULL before
 * run_record_set_scenario(). */
const char *run_record_scenario_sha256(const RunRecord *rec);

/* Sweep parameter key = value, e.g. ("cache.capacity", "64MB"). */
void run_record_param(RunRecord *rec, const char *key, const char *value);
/* A scalar metric. NaN is stored as NULL ("undefined") and read back NaN. */
void run_record_scalar(RunRecord *rec, const char *name, double value);
/* One sample of the time series `name` at simulated time t_s (seconds). */
void run_record_series(RunRecord *rec, const char *name, double t_s, double value);
/* A copy of h is kept (h is not retained). */
void run_record_histogram(RunRecord *rec, const char *name, const Histogram *h);
/* A metric of one country or network. */
void run_record_breakdown(RunRecord *rec, ResultsDimension dim, const char *key,
                          const char *name, double value);

/* Scalar recorded under name (the last one if recorded twice)? */
gboolean run_record_lookup_scalar(const RunRecord *rec, const char *name,
                                  double *value_out);
/* Scalars in the order recorded: names (transfer none) and values. */
gsize run_record_n_scalars(const RunRecord *rec);
void run_record_scalar_at(const RunRecord *rec, gsize i, const char **name,
                          double *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunRecord, run_record_free)

/* (transfer full) The whole record as bytes (format in results.c: little-
 * endian, doubles bit-exact), to cross a process boundary (the warm-up
 * fork's pipes, MPI messages) and be rebuilt with run_record_deserialize:
 * writing the rebuilt record stores the same rows as the original. */
GBytes *run_record_serialize(const RunRecord *rec);
/* (transfer full) The record of run_record_serialize's bytes; NULL +
 * RESULTS_ERROR_CORRUPT if they are truncated or inconsistent. */
RunRecord *run_record_deserialize(const void *data, gsize len, GError **error);

/* ---- the database ------------------------------------------------------- */

typedef struct ResultsDb ResultsDb;

/* Open or create a results database for writing (and reading). Errors name
 * the file: a missing or read-only directory, a file that is not a
 * database, a schema version newer than RESULTS_SCHEMA_VERSION
 * ("FILE: results database schema version N is newer than this meshsim
 * supports (1)"), a lock held longer than the busy timeout. (transfer full) */
ResultsDb *results_open(const char *path, GError **error);
/* Open an existing results database for reading only (reports, plots).
 * An older schema is read as is only if no migration changes it (none so
 * far); a newer one is refused. (transfer full) */
ResultsDb *results_open_readonly(const char *path, GError **error);
void results_close(ResultsDb *db);

/* (transfer none) the path it was opened with. */
const char *results_path(const ResultsDb *db);
/* How long to wait for another writer's lock before RESULTS_ERROR_LOCKED. */
void results_set_busy_timeout(ResultsDb *db, int ms);

/* (transfer none) The CREATE statements of the current schema (tables,
 * indexes, views), as executed on a new database; for the README. */
const char *results_schema_sql(void);

/* (transfer full) lowercase hex SHA-256 of a scenario text. */
char *results_scenario_sha256(const char *scenario_text);

/* Write a whole run in one transaction; returns its run id (> 0), or 0 with
 * error set (then nothing of the run is stored). RESULTS_ERROR_DUPLICATE if
 * a complete run of the same scenario SHA-256 and seed is stored. */
gint64 results_write_run(ResultsDb *db, const RunRecord *rec, GError **error);

/* The id of the complete run of this scenario SHA-256 and seed: > 0 found,
 * 0 not stored, -1 on error (error set). For resuming sweeps. */
gint64 results_find_run(ResultsDb *db, const char *scenario_sha256, uint64_t seed,
                        GError **error);

/* Delete a run and all its rows (e.g. a run that must be redone). */
gboolean results_delete_run(ResultsDb *db, gint64 run_id, GError **error);

/* ---- reading back ------------------------------------------------------- */

typedef struct RunInfo {
  gint64 id;
  char *scenario_name;
  char *scenario_text;
  char *scenario_sha256;
  uint64_t seed;
  guint replication;
  char *point_key;
  char *meshsim_version;
  char *git_rev;
  char *started;          /* ISO-8601 UTC, e.g. "2024-05-01T12:00:00Z" */
  char *finished;
  double wall_seconds;
  char *status;           /* "complete" */
} RunInfo;

void run_info_free(RunInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunInfo, run_info_free)

typedef struct ResultsScalar { char *name; double value; } ResultsScalar;
typedef struct ResultsPoint { double t_s; double value; } ResultsPoint;
typedef struct ResultsParam { char *key; char *value; } ResultsParam;
typedef struct ResultsBreakdown {
  char *key;              /* country code or network */
  char *name;             /* metric */
  double value;
} ResultsBreakdown;

/* (transfer full) RunInfo* of every complete run, by id. NULL on error. */
GPtrArray *results_list_runs(ResultsDb *db, GError **error);
/* (transfer full) NULL + RESULTS_ERROR_NOT_FOUND if absent. */
RunInfo *results_get_run(ResultsDb *db, gint64 run_id, GError **error);
/* (transfer full) GArray of ResultsScalar sorted by name (its clear func
 * frees the names). Empty array if the run has none. NULL on error. */
GArray *results_get_scalars(ResultsDb *db, gint64 run_id, GError **error);
/* (transfer full) GArray of ResultsParam sorted by key. */
GArray *results_get_params(ResultsDb *db, gint64 run_id, GError **error);
/* (transfer full) GArray of ResultsPoint sorted by t_s; NOT_FOUND if the
 * run has no series of that name. */
GArray *results_get_series(ResultsDb *db, gint64 run_id, const char *name,
                           GError **error);
/* (transfer full) the names of the run's series / histograms, sorted. */
GStrv results_get_series_names(ResultsDb *db, gint64 run_id, GError **error);
GStrv results_get_histogram_names(ResultsDb *db, gint64 run_id, GError **error);
/* (transfer full) NOT_FOUND if absent. */
Histogram *results_get_histogram(ResultsDb *db, gint64 run_id, const char *name,
                                 GError **error);
/* (transfer full) GArray of ResultsBreakdown of one dimension, sorted by
 * key then name. */
GArray *results_get_breakdown(ResultsDb *db, gint64 run_id, ResultsDimension dim,
                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ResultsDb, results_close)

G_END_DECLS

#endif /* RESULTS_RESULTS_H */
