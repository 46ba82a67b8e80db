/*
 * results.c: RunRecord (in-memory accumulator) and the SQLite results store.
 *
 * Invariants:
 *   (1) Only committed data is visible, and a run is committed whole: every
 *       row of a run is written inside one BEGIN IMMEDIATE ... COMMIT, the
 *       last statement before COMMIT sets run.status = 'complete'. Readers
 *       and results_find_run() look at complete runs only.
 *   (2) user_version == RESULTS_SCHEMA_VERSION on every open ResultsDb
 *       (set in the transaction that creates or migrates the schema).
 *   (3) At most one run per (scenario_sha256, seed) (UNIQUE in the schema).
 * Errors: every sqlite3_* return code is checked; sqlite3_errmsg() is copied
 * into the GError before anything else runs on the connection (a ROLLBACK
 * would overwrite it), and every message starts with the file name.
 * Statements are prepared once at open (SQLITE_PREPARE_PERSISTENT), reset
 * and unbound after each use, finalized at close.
 * Not here: which metrics exist (sim/model), statistics across runs (cli).
 */
#include "results/results.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(meshsim-results-error-quark, results_error)

const char *results_dimension_name(ResultsDimension dim) {
  switch (dim) {
  case RESULTS_DIM_COUNTRY: return "country";
  case RESULTS_DIM_NETWORK: return "network";
  }
  g_assert_not_reached();
}

/* ======================================================================== */
/* RunRecord                                                                 */

typedef struct { char *key, *value; } Param;
typedef struct { char *name; double value; } Scalar;
typedef struct { guint name; double t_s, value; } Sample;   /* name: index */
typedef struct { char *name; Histogram *h; } NamedHist;
typedef struct { ResultsDimension dim; char *key, *name; double value; } Breakdown;

struct RunRecord {
  char *scenario_name;
  char *scenario_text;
  char *scenario_sha256;       /* hex, of scenario_text */
  uint64_t seed;
  guint replication;
  char *point_key;             /* "" for a single run */
  char *version, *git_rev;
  gint64 started_us, finished_us;  /* Unix time, µs */
  double wall_seconds;
  GArray *params;              /* Param */
  GArray *scalars;             /* Scalar, in recording order */
  GPtrArray *series_names;     /* char*, index = Sample.name */
  GHashTable *series_index;    /* name -> index + 1 (lookup only, never iterated) */
  GArray *samples;             /* Sample, in recording order */
  GArray *hists;               /* NamedHist */
  GArray *breakdowns;          /* Breakdown */
};

static void param_clear(gpointer p) {
  Param *x = p;
  g_free(x->key);
  g_free(x->value);
}
static void scalar_clear(gpointer p) { g_free(((Scalar *)p)->name); }
static void hist_clear(gpointer p) {
  NamedHist *x = p;
  g_free(x->name);
  histogram_free(x->h);
}
static void breakdown_clear(gpointer p) {
  Breakdown *x = p;
  g_free(x->key);
  g_free(x->name);
}

static GArray *array_new(guint elt, GDestroyNotify clear) {
  GArray *a = g_array_new(FALSE, FALSE, elt);
  if (clear) g_array_set_clear_func(a, clear);
  return a;
}

RunRecord *run_record_new(void) {
  RunRecord *r = g_new0(RunRecord, 1);
  r->point_key = g_strdup("");
  r->version = g_strdup("unknown");
  r->git_rev = g_strdup("unknown");
  r->params = array_new(sizeof(Param), param_clear);
  r->scalars = array_new(sizeof(Scalar), scalar_clear);
  r->series_names = g_ptr_array_new_with_free_func(g_free);
  r->series_index = g_hash_table_new(g_str_hash, g_str_equal);
  r->samples = array_new(sizeof(Sample), NULL);
  r->hists = array_new(sizeof(NamedHist), hist_clear);
  r->breakdowns = array_new(sizeof(Breakdown), breakdown_clear);
  return r;
}

void run_record_free(RunRecord *r) {
  if (!r) return;
  g_free(r->scenario_name);
  g_free(r->scenario_text);
  g_free(r->scenario_sha256);
  g_free(r->point_key);
  g_free(r->version);
  g_free(r->git_rev);
  g_array_unref(r->params);
  g_array_unref(r->scalars);
  g_hash_table_unref(r->series_index);       /* keys belong to series_names */
  g_ptr_array_unref(r->series_names);
  g_array_unref(r->samples);
  g_array_unref(r->hists);
  g_array_unref(r->breakdowns);
  g_free(r);
}

char *results_scenario_sha256(const char *scenario_text) {
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, scenario_text, -1);
}

void run_record_set_scenario(RunRecord *r, const char *name, const char *text) {
  g_return_if_fail(name != NULL && text != NULL);
  g_free(r->scenario_name);
  g_free(r->scenario_text);
  g_free(r->scenario_sha256);
  r->scenario_name = g_strdup(name);
  r->scenario_text = g_strdup(text);
  r->scenario_sha256 = results_scenario_sha256(text);
}

void run_record_set_seed(RunRecord *r, uint64_t seed, guint replication) {
  r->seed = seed;
  r->replication = replication;
}

void run_record_set_point_key(RunRecord *r, const char *point_key) {
  g_return_if_fail(point_key != NULL);
  g_free(r->point_key);
  r->point_key = g_strdup(point_key);
}

void run_record_set_build(RunRecord *r, const char *version, const char *git_rev) {
  g_return_if_fail(version != NULL && git_rev != NULL);
  g_free(r->version);
  g_free(r->git_rev);
  r->version = g_strdup(version);
  r->git_rev = g_strdup(git_rev);
}

void run_record_set_wall_time(RunRecord *r, gint64 started_unix_us,
                              gint64 finished_unix_us, double wall_seconds) {
  r->started_us = started_unix_us;
  r->finished_us = finished_unix_us;
  r->wall_seconds = wall_seconds;
}

const char *run_record_scenario_sha256(const RunRecord *r) { return r->scenario_sha256; }

void run_record_param(RunRecord *r, const char *key, const char *value) {
  g_return_if_fail(key != NULL && value != NULL);
  Param p = {g_strdup(key), g_strdup(value)};
  g_array_append_val(r->params, p);
}

void run_record_scalar(RunRecord *r, const char *name, double value) {
  g_return_if_fail(name != NULL);
  Scalar s = {g_strdup(name), value};
  g_array_append_val(r->scalars, s);
}

void run_record_series(RunRecord *r, const char *name, double t_s, double value) {
  g_return_if_fail(name != NULL);
  guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(r->series_index, name));
  if (idx == 0) {
    char *copy = g_strdup(name);
    g_ptr_array_add(r->series_names, copy);
    idx = r->series_names->len;
    g_hash_table_insert(r->series_index, copy, GUINT_TO_POINTER(idx));
  }
  Sample s = {idx - 1, t_s, value};
  g_array_append_val(r->samples, s);
}

void run_record_histogram(RunRecord *r, const char *name, const Histogram *h) {
  g_return_if_fail(name != NULL && h != NULL);
  NamedHist x = {g_strdup(name), histogram_copy(h)};
  g_array_append_val(r->hists, x);
}

void run_record_breakdown(RunRecord *r, ResultsDimension dim, const char *key,
                          const char *name, double value) {
  g_return_if_fail(key != NULL && name != NULL);
  Breakdown b = {dim, g_strdup(key), g_strdup(name), value};
  g_array_append_val(r->breakdowns, b);
}

gboolean run_record_lookup_scalar(const RunRecord *r, const char *name,
                                  double *value_out) {
  for (guint i = r->scalars->len; i-- > 0;) {
    const Scalar *s = &g_array_index(r->scalars, Scalar, i);
    if (strcmp(s->name, name) == 0) {
      if (value_out) *value_out = s->value;
      return TRUE;
    }
  }
  return FALSE;
}

gsize run_record_n_scalars(const RunRecord *r) { return r->scalars->len; }

void run_record_scalar_at(const RunRecord *r, gsize i, const char **name,
                          double *value) {
  g_return_if_fail(i < r->scalars->len);
  const Scalar *s = &g_array_index(r->scalars, Scalar, i);
  if (name) *name = s->name;
  if (value) *value = s->value;
}

/* ======================================================================== */
/* Schema                                                                    */

static const char schema_sql[] =
  "-- meshsim results schema, version 1 (PRAGMA user_version = 1)\n"
  "CREATE TABLE run (\n"
  "  id              INTEGER PRIMARY KEY,\n"
  "  scenario_name   TEXT NOT NULL,\n"
  "  scenario_text   TEXT NOT NULL,     -- after extends and --set overrides\n"
  "  scenario_sha256 TEXT NOT NULL CHECK (length(scenario_sha256) = 64),\n"
  "  seed            INTEGER NOT NULL,  -- master seed (uint64 as int64 bits)\n"
  "  replication     INTEGER NOT NULL CHECK (replication >= 0),\n"
  "  point_key       TEXT NOT NULL DEFAULT '',  -- sweep grid point; '' = single run\n"
  "  meshsim_version TEXT NOT NULL,\n"
  "  git_rev         TEXT NOT NULL,\n"
  "  started         TEXT NOT NULL,     -- ISO-8601 UTC wall time\n"
  "  finished        TEXT NOT NULL,\n"
  "  wall_seconds    REAL NOT NULL,\n"
  "  status          TEXT NOT NULL CHECK (status IN ('running', 'complete')),\n"
  "  UNIQUE (scenario_sha256, seed)     -- the identity of a run (resume key)\n"
  ") STRICT;\n"
  "CREATE INDEX run_point ON run (point_key, replication);\n"
  "\n"
  "CREATE TABLE parameter (             -- the sweep parameters of a run\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,\n"
  "  key    TEXT NOT NULL,              -- section.key, e.g. cache.capacity\n"
  "  value  TEXT NOT NULL,              -- as written, e.g. 64MB\n"
  "  PRIMARY KEY (run_id, key)\n"
  ") STRICT, WITHOUT ROWID;\n"
  "\n"
  "CREATE TABLE scalar (\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,\n"
  "  name   TEXT NOT NULL,              -- e.g. offload, page_load_p95_s\n"
  "  value  REAL,                       -- NULL = undefined (mean of nothing)\n"
  "  PRIMARY KEY (run_id, name)\n"
  ") STRICT, WITHOUT ROWID;\n"
  "CREATE INDEX scalar_name ON scalar (name, run_id);\n"
  "\n"
  "CREATE TABLE series (                -- time series\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,\n"
  "  name   TEXT NOT NULL,\n"
  "  t_s    REAL NOT NULL,              -- simulated time, seconds from start\n"
  "  value  REAL\n"
  ") STRICT;\n"
  "CREATE INDEX series_run_name_t ON series (run_id, name, t_s);\n"
  "\n"
  "CREATE TABLE histogram (             -- one row per histogram: exact stats\n"
  "  run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,\n"
  "  name   TEXT NOT NULL,\n"
  "  count  INTEGER NOT NULL CHECK (count >= 0),\n"
  "  sum    REAL NOT NULL,\n"
  "  min    REAL,                       -- NULL when count = 0\n"
  "  max    REAL,\n"
  "  PRIMARY KEY (run_id, name)\n"
  ") STRICT, WITHOUT ROWID;\n"
  "\n"
  "CREATE TABLE histogram_bin (         -- its non-empty log buckets [lo, hi)\n"
  "  run_id INTEGER NOT NULL,\n"
  "  name   TEXT NOT NULL,\n"
  "  lo     REAL NOT NULL,              -- lo = hi = 0: the exact zeros\n"
  "  hi     REAL NOT NULL,\n"
  "  count  INTEGER NOT NULL CHECK (count > 0),\n"
  "  PRIMARY KEY (run_id, name, lo),\n"
  "  FOREIGN KEY (run_id, name) REFERENCES histogram (run_id, name)\n"
  "    ON DELETE CASCADE\n"
  ") STRICT, WITHOUT ROWID;\n"
  "\n"
  "CREATE TABLE breakdown (             -- metrics per country / network\n"
  "  run_id    INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,\n"
  "  dimension TEXT NOT NULL CHECK (dimension IN ('country', 'network')),\n"
  "  key       TEXT NOT NULL,           -- country code, network name\n"
  "  name      TEXT NOT NULL,           -- metric\n"
  "  value     REAL,\n"
  "  PRIMARY KEY (run_id, dimension, key, name)\n"
  ") STRICT, WITHOUT ROWID;\n"
  "CREATE INDEX breakdown_name ON breakdown (dimension, name, run_id);\n"
  "\n"
  "-- Complete runs with their sweep parameters as 'k=v k=v'.\n"
  "CREATE VIEW v_run AS\n"
  "  SELECT r.id AS run_id, r.scenario_name, r.point_key, r.replication,\n"
  "         r.seed, r.scenario_sha256, r.meshsim_version, r.git_rev,\n"
  "         r.started, r.finished, r.wall_seconds,\n"
  "         (SELECT group_concat(key || '=' || value, ' ')\n"
  "            FROM (SELECT key, value FROM parameter p\n"
  "                   WHERE p.run_id = r.id ORDER BY key)) AS parameters\n"
  "    FROM run r WHERE r.status = 'complete';\n"
  "\n"
  "-- Every scalar of every complete run, with the run's identity.\n"
  "CREATE VIEW v_scalar AS\n"
  "  SELECT r.id AS run_id, r.scenario_name, r.point_key, r.replication,\n"
  "         r.seed, s.name, s.value\n"
  "    FROM run r JOIN scalar s ON s.run_id = r.id\n"
  "   WHERE r.status = 'complete';\n"
  "\n"
  "-- One row per complete run: the main summary metrics side by side.\n"
  "CREATE VIEW v_summary AS\n"
  "  SELECT r.id AS run_id, r.scenario_name, r.point_key, r.replication,\n"
  "         r.seed, r.wall_seconds,\n"
  "    max(CASE s.name WHEN 'object_requests' THEN s.value END) AS object_requests,\n"
  "    max(CASE s.name WHEN 'local_hits' THEN s.value END) AS local_hits,\n"
  "    max(CASE s.name WHEN 'mesh_fetches' THEN s.value END) AS mesh_fetches,\n"
  "    max(CASE s.name WHEN 'cdn_fetches' THEN s.value END) AS cdn_fetches,\n"
  "    max(CASE s.name WHEN 'offload' THEN s.value END) AS offload,\n"
  "    max(CASE s.name WHEN 'mean_latency_s' THEN s.value END) AS mean_latency_s,\n"
  "    max(CASE s.name WHEN 'page_load_p50_s' THEN s.value END) AS page_load_p50_s,\n"
  "    max(CASE s.name WHEN 'page_load_p95_s' THEN s.value END) AS page_load_p95_s,\n"
  "    max(CASE s.name WHEN 'page_load_nomesh_p50_s' THEN s.value END)\n"
  "      AS page_load_nomesh_p50_s,\n"
  "    max(CASE s.name WHEN 'page_load_nomesh_p95_s' THEN s.value END)\n"
  "      AS page_load_nomesh_p95_s,\n"
  "    max(CASE s.name WHEN 'origin_egress_p95_bps' THEN s.value END)\n"
  "      AS origin_egress_p95_bps,\n"
  "    max(CASE s.name WHEN 'origin_egress_peak_bps' THEN s.value END)\n"
  "      AS origin_egress_peak_bps,\n"
  "    max(CASE s.name WHEN 'online_at_end' THEN s.value END) AS online_at_end,\n"
  "    max(CASE s.name WHEN 'events' THEN s.value END) AS events\n"
  "    FROM run r LEFT JOIN scalar s ON s.run_id = r.id\n"
  "   WHERE r.status = 'complete'\n"
  "   GROUP BY r.id;\n"
  "\n"
  "-- Per scenario, sweep point and scalar: replications, mean, sample\n"
  "-- variance (two-pass), min, max. Confidence intervals need Student's t:\n"
  "-- meshsim report computes them from this.\n"
  "CREATE VIEW v_point_scalar AS\n"
  "  WITH g AS (\n"
  "    SELECT scenario_name, point_key, name, count(value) AS n,\n"
  "           avg(value) AS mean, min(value) AS min, max(value) AS max\n"
  "      FROM v_scalar GROUP BY scenario_name, point_key, name)\n"
  "  SELECT g.scenario_name, g.point_key, g.name, g.n, g.mean,\n"
  "         CASE WHEN g.n > 1 THEN\n"
  "           (SELECT sum((s.value - g.mean) * (s.value - g.mean))\n"
  "              FROM v_scalar s\n"
  "             WHERE s.scenario_name = g.scenario_name\n"
  "               AND s.point_key = g.point_key AND s.name = g.name)\n"
  "           / (g.n - 1) END AS variance,\n"
  "         g.min, g.max\n"
  "    FROM g;\n"
  "\n"
  "-- Histogram buckets with their cumulative fraction (for CDF plots).\n"
  "CREATE VIEW v_histogram_cdf AS\n"
  "  SELECT b.run_id, b.name, b.lo, b.hi, b.count,\n"
  "         CAST(sum(b.count) OVER (PARTITION BY b.run_id, b.name ORDER BY b.lo\n"
  "                                 ROWS UNBOUNDED PRECEDING) AS REAL)\n"
  "           / h.count AS cdf\n"
  "    FROM histogram_bin b JOIN histogram h USING (run_id, name)\n"
  "    JOIN run r ON r.id = b.run_id AND r.status = 'complete';\n"
  "\n"
  "-- Breakdowns of complete runs, with the run's identity.\n"
  "CREATE VIEW v_breakdown AS\n"
  "  SELECT r.id AS run_id, r.scenario_name, r.point_key, r.replication,\n"
  "         b.dimension, b.key, b.name, b.value\n"
  "    FROM run r JOIN breakdown b ON b.run_id = r.id\n"
  "   WHERE r.status = 'complete';\n";

const char *results_schema_sql(void) { return schema_sql; }

/* migrations[v] turns schema version v into v + 1 (v >= 1; version 0 is an
 * empty file and gets schema_sql). Nothing to migrate yet. */
static const char *const migrations[RESULTS_SCHEMA_VERSION] = {NULL};

/* ======================================================================== */
/* ResultsDb                                                                 */

typedef enum {
  ST_FIND_RUN,
  ST_FIND_ANY,
  ST_INS_RUN,
  ST_INS_PARAM,
  ST_INS_SCALAR,
  ST_INS_SERIES,
  ST_INS_HIST,
  ST_INS_BIN,
  ST_INS_BREAKDOWN,
  ST_COMPLETE,
  ST_DELETE_RUN,
  ST_LIST_RUNS,
  ST_GET_RUN,
  ST_GET_SCALARS,
  ST_GET_PARAMS,
  ST_GET_SERIES,
  ST_SERIES_NAMES,
  ST_HIST_NAMES,
  ST_GET_HIST,
  ST_GET_BINS,
  ST_GET_BREAKDOWN,
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_COUNT
} StmtId;

#define RUN_COLUMNS                                                          \
  "id, scenario_name, scenario_text, scenario_sha256, seed, replication, "   \
  "point_key, meshsim_version, git_rev, started, finished, wall_seconds, status"

static const char *const stmt_sql[ST_COUNT] = {
  [ST_FIND_RUN] = "SELECT id FROM run WHERE scenario_sha256 = ?1 AND seed = ?2"
                  " AND status = 'complete'",
  [ST_FIND_ANY] = "SELECT id, status FROM run WHERE scenario_sha256 = ?1 AND seed = ?2",
  [ST_INS_RUN] = "INSERT INTO run (scenario_name, scenario_text, scenario_sha256,"
                 " seed, replication, point_key, meshsim_version, git_rev, started,"
                 " finished, wall_seconds, status)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'running')",
  [ST_INS_PARAM] = "INSERT INTO parameter (run_id, key, value) VALUES (?1, ?2, ?3)",
  [ST_INS_SCALAR] = "INSERT INTO scalar (run_id, name, value) VALUES (?1, ?2, ?3)",
  [ST_INS_SERIES] = "INSERT INTO series (run_id, name, t_s, value) VALUES (?1, ?2, ?3, ?4)",
  [ST_INS_HIST] = "INSERT INTO histogram (run_id, name, count, sum, min, max)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [ST_INS_BIN] = "INSERT INTO histogram_bin (run_id, name, lo, hi, count)"
                 " VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_INS_BREAKDOWN] = "INSERT INTO breakdown (run_id, dimension, key, name, value)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
  [ST_COMPLETE] = "UPDATE run SET status = 'complete' WHERE id = ?1",
  [ST_DELETE_RUN] = "DELETE FROM run WHERE id = ?1",
  [ST_LIST_RUNS] = "SELECT " RUN_COLUMNS " FROM run WHERE status = 'complete' ORDER BY id",
  [ST_GET_RUN] = "SELECT " RUN_COLUMNS " FROM run WHERE id = ?1 AND status = 'complete'",
  [ST_GET_SCALARS] = "SELECT name, value FROM scalar WHERE run_id = ?1 ORDER BY name",
  [ST_GET_PARAMS] = "SELECT key, value FROM parameter WHERE run_id = ?1 ORDER BY key",
  [ST_GET_SERIES] = "SELECT t_s, value FROM series WHERE run_id = ?1 AND name = ?2"
                    " ORDER BY t_s, rowid",
  [ST_SERIES_NAMES] = "SELECT DISTINCT name FROM series WHERE run_id = ?1 ORDER BY name",
  [ST_HIST_NAMES] = "SELECT name FROM histogram WHERE run_id = ?1 ORDER BY name",
  [ST_GET_HIST] = "SELECT count, sum, min, max FROM histogram"
                  " WHERE run_id = ?1 AND name = ?2",
  [ST_GET_BINS] = "SELECT lo, hi, count FROM histogram_bin"
                  " WHERE run_id = ?1 AND name = ?2 ORDER BY lo",
  [ST_GET_BREAKDOWN] = "SELECT key, name, value FROM breakdown"
                       " WHERE run_id = ?1 AND dimension = ?2 ORDER BY key, name",
  [ST_BEGIN] = "BEGIN IMMEDIATE",
  [ST_COMMIT] = "COMMIT",
  [ST_ROLLBACK] = "ROLLBACK",
};

struct ResultsDb {
  sqlite3 *db;
  char *path;
  int busy_ms;                   /* busy timeout, for error messages */
  gboolean readonly;
  sqlite3_stmt *st[ST_COUNT];
};

/* Set error from a SQLite result code and message (copied now). */
static void set_sqlite_error(GError **error, const char *path, int rc,
                             const char *msg, const char *what, int busy_ms) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_LOCKED,
                "%s: %s: %s (another process is writing to it; gave up after %d ms)",
                path, what, msg, busy_ms);
    return;
  case SQLITE_NOTADB:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB, "%s: %s: %s", path,
                what, msg);
    return;
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_AUTH:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN, "%s: %s: %s", path, what, msg);
    return;
  case SQLITE_CONSTRAINT:
  case SQLITE_MISMATCH:
  case SQLITE_TOOBIG:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_INVALID, "%s: %s: %s", path,
                what, msg);
    return;
  case SQLITE_CORRUPT:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_CORRUPT, "%s: %s: %s", path,
                what, msg);
    return;
  default:
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_IO, "%s: %s: %s", path, what, msg);
    return;
  }
}

static void db_fail(GError **error, const ResultsDb *db, const char *what) {
  set_sqlite_error(error, db->path, sqlite3_extended_errcode(db->db),
                   sqlite3_errmsg(db->db), what, db->busy_ms);
}

/* sqlite3_bind_* failed with rc (its message is on the connection). */
static void bind_fail(GError **error, const ResultsDb *db, int rc, const char *what) {
  set_sqlite_error(error, db->path, rc, sqlite3_errmsg(db->db), what, db->busy_ms);
}

static void stmt_done(sqlite3_stmt *s) {
  sqlite3_reset(s);              /* returns the step's code again: reported */
  sqlite3_clear_bindings(s);
}

/* Step a statement that returns no rows; reset it either way. */
static gboolean step_done(ResultsDb *db, sqlite3_stmt *s, const char *what,
                          GError **error) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) {
    db_fail(error, db, what);    /* before reset, which may change errmsg */
    stmt_done(s);
    return FALSE;
  }
  stmt_done(s);
  return TRUE;
}

/* Run one or more statements without results (schema, pragmas). */
static gboolean exec_sql(ResultsDb *db, const char *sql, const char *what,
                         GError **error) {
  char *msg = NULL;
  int rc = sqlite3_exec(db->db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    set_sqlite_error(error, db->path, rc, msg ? msg : sqlite3_errstr(rc), what,
                     db->busy_ms);
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

/* A pragma returning one integer row. */
static gboolean pragma_int(ResultsDb *db, const char *sql, gint64 *out,
                           const char *what, GError **error) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db->db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK) {
    db_fail(error, db, what);
    return FALSE;
  }
  rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    db_fail(error, db, what);
    sqlite3_finalize(s);
    return FALSE;
  }
  *out = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return TRUE;
}

static gboolean set_journal_wal(ResultsDb *db, GError **error) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(db->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK) {
    db_fail(error, db, "setting WAL journal mode");
    return FALSE;
  }
  if (sqlite3_step(s) != SQLITE_ROW) {
    db_fail(error, db, "setting WAL journal mode");
    sqlite3_finalize(s);
    return FALSE;
  }
  const char *mode = (const char *)sqlite3_column_text(s, 0);
  gboolean ok = mode && (g_ascii_strcasecmp(mode, "wal") == 0 ||
                         (g_ascii_strcasecmp(mode, "memory") == 0 &&
                          strcmp(db->path, ":memory:") == 0));
  if (!ok)
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_IO,
                "%s: cannot switch to WAL journal mode (got '%s'); is the file"
                " on a file system without shared memory support?",
                db->path, mode ? mode : "(null)");
  sqlite3_finalize(s);
  return ok;
}

static void newer_error(GError **error, const char *path, gint64 version) {
  g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NEWER_SCHEMA,
              "%s: results database schema version %" G_GINT64_FORMAT
              " is newer than this meshsim supports (%d)",
              path, version, RESULTS_SCHEMA_VERSION);
}

/* Create (version 0, empty) or migrate the schema, in one write transaction. */
static gboolean ensure_schema(ResultsDb *db, GError **error) {
  if (!exec_sql(db, "BEGIN IMMEDIATE", "starting the schema transaction", error))
    return FALSE;
  gint64 version = 0, objects = 0;
  /* Read again under the write lock: another process may have just done it. */
  if (!pragma_int(db, "PRAGMA user_version", &version, "reading schema version", error))
    goto fail;
  if (version > RESULTS_SCHEMA_VERSION) {
    newer_error(error, db->path, version);
    goto fail;
  }
  if (version == 0) {
    if (!pragma_int(db, "SELECT count(*) FROM sqlite_schema", &objects,
                    "reading the schema", error))
      goto fail;
    if (objects > 0) {
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB,
                  "%s: not a meshsim results database (an SQLite database with"
                  " %" G_GINT64_FORMAT " schema objects but no schema version)",
                  db->path, objects);
      goto fail;
    }
    if (!exec_sql(db, schema_sql, "creating the schema", error)) goto fail;
  } else {
    for (gint64 v = version; v < RESULTS_SCHEMA_VERSION; v++) {
      g_assert_true(migrations[v] != NULL);    /* a missing step is a bug */
      g_autofree char *what = g_strdup_printf(
          "migrating schema from version %" G_GINT64_FORMAT, v);
      if (!exec_sql(db, migrations[v], what, error)) goto fail;
    }
  }
  if (!exec_sql(db, "PRAGMA user_version = " G_STRINGIFY(RESULTS_SCHEMA_VERSION),
                "setting schema version", error))
    goto fail;
  if (!exec_sql(db, "COMMIT", "committing the schema", error)) goto fail;
  return TRUE;
fail:
  sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);   /* error already set */
  return FALSE;
}

static ResultsDb *open_common(const char *path, gboolean readonly, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);
  if (!exists && readonly) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                "%s: results database does not exist", path);
    return NULL;
  }
  if (!exists && strcmp(path, ":memory:") != 0) {
    g_autofree char *dir = g_path_get_dirname(path);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                  g_file_test(dir, G_FILE_TEST_EXISTS)
                      ? "%s: cannot create results database: '%s' is not a directory"
                      : "%s: cannot create results database: directory '%s' does not exist",
                  path, dir);
      return NULL;
    }
    if (g_access(dir, W_OK) != 0) {
      int e = errno;
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                  "%s: cannot create results database: directory '%s' is not"
                  " writable: %s", path, dir, g_strerror(e));
      return NULL;
    }
  }

  ResultsDb *db = g_new0(ResultsDb, 1);
  db->path = g_strdup(path);
  db->busy_ms = RESULTS_BUSY_TIMEOUT_MS;
  db->readonly = readonly;
  int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path, &db->db, flags, NULL);
  if (rc != SQLITE_OK) {
    int sys = db->db ? sqlite3_system_errno(db->db) : 0;
    g_autofree char *what = g_strdup_printf(
        "cannot open results database%s%s%s", sys ? " (" : "",
        sys ? g_strerror(sys) : "", sys ? ")" : "");
    if (db->db)
      db_fail(error, db, what);
    else
      set_sqlite_error(error, path, rc, sqlite3_errstr(rc), what, db->busy_ms);
    results_close(db);
    return NULL;
  }
  sqlite3_extended_result_codes(db->db, 1);
  if (sqlite3_busy_timeout(db->db, db->busy_ms) != SQLITE_OK) {
    db_fail(error, db, "setting busy timeout");
    goto fail;
  }
  if (!exec_sql(db, "PRAGMA foreign_keys = ON", "enabling foreign keys", error))
    goto fail;

  /* The first read of the file: "file is not a database" shows here. */
  gint64 version = 0;
  if (!pragma_int(db, "PRAGMA user_version", &version, "reading schema version", error))
    goto fail;
  if (version > RESULTS_SCHEMA_VERSION) {
    newer_error(error, path, version);
    goto fail;
  }
  if (readonly) {
    if (version == 0) {
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB,
                  "%s: not a meshsim results database (schema version 0)", path);
      goto fail;
    }
    for (gint64 v = version; v < RESULTS_SCHEMA_VERSION; v++)
      if (migrations[v]) {
        g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                    "%s: results database schema version %" G_GINT64_FORMAT
                    " is older than this meshsim's (%d): open it for writing"
                    " once to migrate it", path, version, RESULTS_SCHEMA_VERSION);
        goto fail;
      }
  } else {
    if (sqlite3_db_readonly(db->db, "main") == 1) {
      g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                  "%s: results database is read-only (file permissions or a"
                  " read-only file system)", path);
      goto fail;
    }
    /* Refuse another program's database before touching it: switching it
     * to WAL would rewrite its header. */
    if (version == 0) {
      gint64 objects = 0;
      if (!pragma_int(db, "SELECT count(*) FROM sqlite_schema", &objects, "reading the schema",
                      error))
        goto fail;
      if (objects > 0) {
        g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB,
                    "%s: not a meshsim results database (an SQLite database with"
                    " %" G_GINT64_FORMAT " schema objects but no schema version)",
                    path, objects);
        goto fail;
      }
    }
    if (!set_journal_wal(db, error)) goto fail;
    if (!exec_sql(db, "PRAGMA synchronous = NORMAL", "setting synchronous mode", error))
      goto fail;
    if (version < RESULTS_SCHEMA_VERSION && !ensure_schema(db, error)) goto fail;
    /* A writer must be able to write: find a lock held by another process
     * now (after the busy timeout), not after a long run. */
    if (!exec_sql(db, "BEGIN IMMEDIATE", "checking the database is writable", error))
      goto fail;
    if (!exec_sql(db, "ROLLBACK", "checking the database is writable", error)) goto fail;
  }

  for (int i = 0; i < ST_COUNT; i++) {
    rc = sqlite3_prepare_v3(db->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &db->st[i], NULL);
    if (rc != SQLITE_OK) {
      db_fail(error, db, "preparing statements");
      goto fail;
    }
  }
  return db;
fail:
  results_close(db);
  if (!exists && !readonly && strcmp(path, ":memory:") != 0) {
    /* nothing half-made is left behind (a full disk, a failed schema) */
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    g_unlink(path);
    g_unlink(wal);
    g_unlink(shm);
  }
  return NULL;
}

ResultsDb *results_open(const char *path, GError **error) {
  return open_common(path, FALSE, error);
}

ResultsDb *results_open_readonly(const char *path, GError **error) {
  return open_common(path, TRUE, error);
}

void results_close(ResultsDb *db) {
  if (!db) return;
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(db->st[i]);
  /* A writer leaves the file in rollback-journal mode, so that a reader
   * (report, plot, compare: read-only connections) needs no -wal and -shm
   * files beside it and leaves none behind; the next writer switches back
   * to WAL. With another connection still open the switch fails at once
   * (no busy wait) and the file stays in WAL for the last one to close. */
  if (db->db && !db->readonly) {
    sqlite3_busy_timeout(db->db, 0);
    sqlite3_exec(db->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
  }
  /* sqlite3_close fails only with unfinalized statements: a bug here. */
  if (db->db && sqlite3_close(db->db) != SQLITE_OK)
    g_error("%s: %s: closing results database: %s", G_STRLOC, db->path,
            sqlite3_errmsg(db->db));
  g_free(db->path);
  g_free(db);
}

const char *results_path(const ResultsDb *db) { return db->path; }

void results_set_busy_timeout(ResultsDb *db, int ms) {
  db->busy_ms = ms;
  int rc = sqlite3_busy_timeout(db->db, ms);
  g_assert_cmpint(rc, ==, SQLITE_OK);           /* cannot fail on an open db */
}

/* ======================================================================== */
/* Writing                                                                   */

#define BIND(call, what)                                                     \
  do {                                                                       \
    int brc_ = (call);                                                       \
    if (brc_ != SQLITE_OK) {                                                 \
      bind_fail(error, db, brc_, (what));                                    \
      goto fail;                                                             \
    }                                                                        \
  } while (0)

static char *iso_utc(gint64 unix_us) {
  GDateTime *dt = g_date_time_new_from_unix_utc(unix_us / G_USEC_PER_SEC);
  if (!dt) return g_strdup("1970-01-01T00:00:00Z");
  char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref(dt);
  return s;
}

/* Look up a run of sha/seed, any status. 1 found (*id, *complete), 0 not,
 * -1 error. */
static int find_any(ResultsDb *db, const char *sha, uint64_t seed, gint64 *id,
                    gboolean *complete, GError **error) {
  sqlite3_stmt *s = db->st[ST_FIND_ANY];
  int res = -1;
  BIND(sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC), "looking up run");
  BIND(sqlite3_bind_int64(s, 2, (sqlite3_int64)seed), "looking up run");
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(s, 0);
    const char *st = (const char *)sqlite3_column_text(s, 1);
    *complete = st && strcmp(st, "complete") == 0;
    res = 1;
  } else if (rc == SQLITE_DONE) {
    res = 0;
  } else {
    db_fail(error, db, "looking up run");
  }
fail:
  stmt_done(s);
  return res;
}

static gboolean write_rows(ResultsDb *db, const RunRecord *r, gint64 id,
                           GError **error) {
  sqlite3_stmt *s;
  char what[160];

  s = db->st[ST_INS_PARAM];
  for (guint i = 0; i < r->params->len; i++) {
    const Param *p = &g_array_index(r->params, Param, i);
    g_snprintf(what, sizeof what, "storing parameter '%s'", p->key);
    BIND(sqlite3_bind_int64(s, 1, id), what);
    BIND(sqlite3_bind_text(s, 2, p->key, -1, SQLITE_STATIC), what);
    BIND(sqlite3_bind_text(s, 3, p->value, -1, SQLITE_STATIC), what);
    if (!step_done(db, s, what, error)) return FALSE;
  }

  s = db->st[ST_INS_SCALAR];
  for (guint i = 0; i < r->scalars->len; i++) {
    const Scalar *x = &g_array_index(r->scalars, Scalar, i);
    g_snprintf(what, sizeof what, "storing scalar '%s'", x->name);
    BIND(sqlite3_bind_int64(s, 1, id), what);
    BIND(sqlite3_bind_text(s, 2, x->name, -1, SQLITE_STATIC), what);
    BIND(isnan(x->value) ? sqlite3_bind_null(s, 3) : sqlite3_bind_double(s, 3, x->value),
         what);
    if (!step_done(db, s, what, error)) return FALSE;
  }

  s = db->st[ST_INS_SERIES];
  for (guint i = 0; i < r->samples->len; i++) {
    const Sample *x = &g_array_index(r->samples, Sample, i);
    const char *name = g_ptr_array_index(r->series_names, x->name);
    g_snprintf(what, sizeof what, "storing series '%s' at t = %g s", name, x->t_s);
    BIND(sqlite3_bind_int64(s, 1, id), what);
    BIND(sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC), what);
    BIND(isnan(x->t_s) ? sqlite3_bind_null(s, 3) : sqlite3_bind_double(s, 3, x->t_s), what);
    BIND(isnan(x->value) ? sqlite3_bind_null(s, 4) : sqlite3_bind_double(s, 4, x->value),
         what);
    if (!step_done(db, s, what, error)) return FALSE;
  }

  for (guint i = 0; i < r->hists->len; i++) {
    const NamedHist *x = &g_array_index(r->hists, NamedHist, i);
    const Histogram *h = x->h;
    g_snprintf(what, sizeof what, "storing histogram '%s'", x->name);
    s = db->st[ST_INS_HIST];
    BIND(sqlite3_bind_int64(s, 1, id), what);
    BIND(sqlite3_bind_text(s, 2, x->name, -1, SQLITE_STATIC), what);
    BIND(sqlite3_bind_int64(s, 3, (sqlite3_int64)histogram_count(h)), what);
    BIND(sqlite3_bind_double(s, 4, histogram_sum(h)), what);
    if (histogram_count(h)) {
      BIND(sqlite3_bind_double(s, 5, histogram_min(h)), what);
      BIND(sqlite3_bind_double(s, 6, histogram_max(h)), what);
    } else {
      BIND(sqlite3_bind_null(s, 5), what);
      BIND(sqlite3_bind_null(s, 6), what);
    }
    if (!step_done(db, s, what, error)) return FALSE;
    s = db->st[ST_INS_BIN];
    HistogramIter it;
    double lo, hi;
    uint64_t n;
    histogram_iter_init(&it, h);
    while (histogram_iter_next(&it, &lo, &hi, &n)) {
      BIND(sqlite3_bind_int64(s, 1, id), what);
      BIND(sqlite3_bind_text(s, 2, x->name, -1, SQLITE_STATIC), what);
      BIND(sqlite3_bind_double(s, 3, lo), what);
      BIND(sqlite3_bind_double(s, 4, hi), what);
      BIND(sqlite3_bind_int64(s, 5, (sqlite3_int64)n), what);
      if (!step_done(db, s, what, error)) return FALSE;
    }
  }

  s = db->st[ST_INS_BREAKDOWN];
  for (guint i = 0; i < r->breakdowns->len; i++) {
    const Breakdown *b = &g_array_index(r->breakdowns, Breakdown, i);
    g_snprintf(what, sizeof what, "storing %s breakdown '%s' of '%s'",
               results_dimension_name(b->dim), b->name, b->key);
    BIND(sqlite3_bind_int64(s, 1, id), what);
    BIND(sqlite3_bind_text(s, 2, results_dimension_name(b->dim), -1, SQLITE_STATIC), what);
    BIND(sqlite3_bind_text(s, 3, b->key, -1, SQLITE_STATIC), what);
    BIND(sqlite3_bind_text(s, 4, b->name, -1, SQLITE_STATIC), what);
    BIND(isnan(b->value) ? sqlite3_bind_null(s, 5) : sqlite3_bind_double(s, 5, b->value),
         what);
    if (!step_done(db, s, what, error)) return FALSE;
  }
  return TRUE;
fail:
  stmt_done(s);
  return FALSE;
}

gint64 results_write_run(ResultsDb *db, const RunRecord *r, GError **error) {
  g_return_val_if_fail(db != NULL && r != NULL, 0);
  g_return_val_if_fail(error == NULL || *error == NULL, 0);
  if (db->readonly) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_OPEN,
                "%s: results database was opened read-only", db->path);
    return 0;
  }
  if (!r->scenario_name || !r->scenario_text) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_INVALID,
                "%s: cannot store a run without a scenario (a bug in the caller)",
                db->path);
    return 0;
  }
  g_autofree char *started = iso_utc(r->started_us);
  g_autofree char *finished = iso_utc(r->finished_us);
  gint64 id = 0, old = 0;
  gboolean old_complete = FALSE;
  sqlite3_stmt *s = NULL;

  if (!step_done(db, db->st[ST_BEGIN], "starting the run's transaction", error)) return 0;

  int found = find_any(db, r->scenario_sha256, r->seed, &old, &old_complete, error);
  if (found < 0) goto rollback;
  if (found && old_complete) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_DUPLICATE,
                "%s: scenario '%s' (sha256 %.12s...) with seed %" G_GUINT64_FORMAT
                " is already stored as run %" G_GINT64_FORMAT,
                db->path, r->scenario_name, r->scenario_sha256, r->seed, old);
    goto rollback;
  }
  if (found) {              /* a stale unfinished row (cannot happen with (1)) */
    s = db->st[ST_DELETE_RUN];
    BIND(sqlite3_bind_int64(s, 1, old), "removing an unfinished run");
    if (!step_done(db, s, "removing an unfinished run", error)) goto rollback;
  }

  s = db->st[ST_INS_RUN];
  BIND(sqlite3_bind_text(s, 1, r->scenario_name, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 2, r->scenario_text, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 3, r->scenario_sha256, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_int64(s, 4, (sqlite3_int64)r->seed), "storing run");
  BIND(sqlite3_bind_int64(s, 5, r->replication), "storing run");
  BIND(sqlite3_bind_text(s, 6, r->point_key, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 7, r->version, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 8, r->git_rev, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 9, started, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_text(s, 10, finished, -1, SQLITE_STATIC), "storing run");
  BIND(sqlite3_bind_double(s, 11, r->wall_seconds), "storing run");
  if (!step_done(db, s, "storing run", error)) goto rollback;
  id = sqlite3_last_insert_rowid(db->db);

  if (!write_rows(db, r, id, error)) goto rollback;

  s = db->st[ST_COMPLETE];                     /* last statement: (1) */
  BIND(sqlite3_bind_int64(s, 1, id), "marking run complete");
  if (!step_done(db, s, "marking run complete", error)) goto rollback;
  if (!step_done(db, db->st[ST_COMMIT], "committing run", error)) goto rollback;
  return id;

fail:                                          /* a bind failed: error set */
  stmt_done(s);
rollback: {
    /* The error is already set; a failed ROLLBACK (the transaction may be
     * gone after an I/O error) changes nothing for the caller. */
    sqlite3_stmt *rb = db->st[ST_ROLLBACK];
    if (sqlite3_get_autocommit(db->db) == 0) sqlite3_step(rb);
    stmt_done(rb);
  }
  return 0;
}

gint64 results_find_run(ResultsDb *db, const char *sha, uint64_t seed, GError **error) {
  g_return_val_if_fail(db != NULL && sha != NULL, -1);
  sqlite3_stmt *s = db->st[ST_FIND_RUN];
  gint64 res = -1;
  BIND(sqlite3_bind_text(s, 1, sha, -1, SQLITE_STATIC), "looking up run");
  BIND(sqlite3_bind_int64(s, 2, (sqlite3_int64)seed), "looking up run");
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    res = sqlite3_column_int64(s, 0);
  else if (rc == SQLITE_DONE)
    res = 0;
  else
    db_fail(error, db, "looking up run");
fail:
  stmt_done(s);
  return res;
}

gboolean results_delete_run(ResultsDb *db, gint64 run_id, GError **error) {
  sqlite3_stmt *s = db->st[ST_DELETE_RUN];
  BIND(sqlite3_bind_int64(s, 1, run_id), "deleting run");
  if (!step_done(db, s, "deleting run", error)) return FALSE;
  if (sqlite3_changes(db->db) == 0) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND,
                "%s: no run %" G_GINT64_FORMAT, db->path, run_id);
    return FALSE;
  }
  return TRUE;
fail:
  stmt_done(s);
  return FALSE;
}

/* ======================================================================== */
/* Reading                                                                   */

static char *col_strdup(sqlite3_stmt *s, int i) {
  const unsigned char *t = sqlite3_column_text(s, i);
  return g_strdup(t ? (const char *)t : "");
}

static double col_double(sqlite3_stmt *s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

void run_info_free(RunInfo *x) {
  if (!x) return;
  g_free(x->scenario_name);
  g_free(x->scenario_text);
  g_free(x->scenario_sha256);
  g_free(x->point_key);
  g_free(x->meshsim_version);
  g_free(x->git_rev);
  g_free(x->started);
  g_free(x->finished);
  g_free(x->status);
  g_free(x);
}

static RunInfo *run_info_from_row(sqlite3_stmt *s) {
  RunInfo *x = g_new0(RunInfo, 1);
  x->id = sqlite3_column_int64(s, 0);
  x->scenario_name = col_strdup(s, 1);
  x->scenario_text = col_strdup(s, 2);
  x->scenario_sha256 = col_strdup(s, 3);
  x->seed = (uint64_t)sqlite3_column_int64(s, 4);
  x->replication = (guint)sqlite3_column_int64(s, 5);
  x->point_key = col_strdup(s, 6);
  x->meshsim_version = col_strdup(s, 7);
  x->git_rev = col_strdup(s, 8);
  x->started = col_strdup(s, 9);
  x->finished = col_strdup(s, 10);
  x->wall_seconds = sqlite3_column_double(s, 11);
  x->status = col_strdup(s, 12);
  return x;
}

/* Step a query to its end; reports a failure other than SQLITE_DONE. */
#define QUERY_LOOP(db, s, what, error, ...)                                  \
  do {                                                                       \
    int qrc_;                                                                \
    while ((qrc_ = sqlite3_step(s)) == SQLITE_ROW) { __VA_ARGS__; }          \
    if (qrc_ != SQLITE_DONE) {                                               \
      db_fail(error, db, what);                                              \
      goto fail;                                                             \
    }                                                                        \
  } while (0)

GPtrArray *results_list_runs(ResultsDb *db, GError **error) {
  sqlite3_stmt *s = db->st[ST_LIST_RUNS];
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)run_info_free);
  QUERY_LOOP(db, s, "listing runs", error, g_ptr_array_add(out, run_info_from_row(s)));
  stmt_done(s);
  return out;
fail:
  stmt_done(s);
  g_ptr_array_unref(out);
  return NULL;
}

RunInfo *results_get_run(ResultsDb *db, gint64 run_id, GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_RUN];
  RunInfo *x = NULL;
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading run");
  QUERY_LOOP(db, s, "reading run", error, if (!x) x = run_info_from_row(s));
  stmt_done(s);
  if (!x)
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND,
                "%s: no complete run %" G_GINT64_FORMAT, db->path, run_id);
  return x;
fail:
  stmt_done(s);
  run_info_free(x);
  return NULL;
}

static void results_scalar_clear(gpointer p) { g_free(((ResultsScalar *)p)->name); }
static void results_param_clear(gpointer p) {
  ResultsParam *x = p;
  g_free(x->key);
  g_free(x->value);
}
static void results_breakdown_clear(gpointer p) {
  ResultsBreakdown *x = p;
  g_free(x->key);
  g_free(x->name);
}

GArray *results_get_scalars(ResultsDb *db, gint64 run_id, GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_SCALARS];
  GArray *out = array_new(sizeof(ResultsScalar), results_scalar_clear);
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading scalars");
  QUERY_LOOP(db, s, "reading scalars", error, {
    ResultsScalar x = {col_strdup(s, 0), col_double(s, 1)};
    g_array_append_val(out, x);
  });
  stmt_done(s);
  return out;
fail:
  stmt_done(s);
  g_array_unref(out);
  return NULL;
}

GArray *results_get_params(ResultsDb *db, gint64 run_id, GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_PARAMS];
  GArray *out = array_new(sizeof(ResultsParam), results_param_clear);
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading parameters");
  QUERY_LOOP(db, s, "reading parameters", error, {
    ResultsParam x = {col_strdup(s, 0), col_strdup(s, 1)};
    g_array_append_val(out, x);
  });
  stmt_done(s);
  return out;
fail:
  stmt_done(s);
  g_array_unref(out);
  return NULL;
}

GArray *results_get_series(ResultsDb *db, gint64 run_id, const char *name,
                           GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_SERIES];
  GArray *out = array_new(sizeof(ResultsPoint), NULL);
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading series");
  BIND(sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC), "reading series");
  QUERY_LOOP(db, s, "reading series", error, {
    ResultsPoint p = {col_double(s, 0), col_double(s, 1)};
    g_array_append_val(out, p);
  });
  stmt_done(s);
  if (out->len == 0) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND,
                "%s: run %" G_GINT64_FORMAT " has no series '%s'", db->path, run_id, name);
    g_array_unref(out);
    return NULL;
  }
  return out;
fail:
  stmt_done(s);
  g_array_unref(out);
  return NULL;
}

static GStrv get_names(ResultsDb *db, StmtId id, gint64 run_id, const char *what,
                       GError **error) {
  sqlite3_stmt *s = db->st[id];
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  BIND(sqlite3_bind_int64(s, 1, run_id), what);
  QUERY_LOOP(db, s, what, error, g_ptr_array_add(out, col_strdup(s, 0)));
  stmt_done(s);
  g_ptr_array_add(out, NULL);
  return (GStrv)g_ptr_array_free(out, FALSE);
fail:
  stmt_done(s);
  g_ptr_array_unref(out);
  return NULL;
}

GStrv results_get_series_names(ResultsDb *db, gint64 run_id, GError **error) {
  return get_names(db, ST_SERIES_NAMES, run_id, "listing series", error);
}

GStrv results_get_histogram_names(ResultsDb *db, gint64 run_id, GError **error) {
  return get_names(db, ST_HIST_NAMES, run_id, "listing histograms", error);
}

Histogram *results_get_histogram(ResultsDb *db, gint64 run_id, const char *name,
                                 GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_HIST];
  gboolean found = FALSE;
  gint64 count = 0;
  double sum = 0, min = NAN, max = NAN;
  g_autoptr(Histogram) h = NULL;
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading histogram");
  BIND(sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC), "reading histogram");
  QUERY_LOOP(db, s, "reading histogram", error, {
    found = TRUE;
    count = sqlite3_column_int64(s, 0);
    sum = sqlite3_column_double(s, 1);
    min = col_double(s, 2);
    max = col_double(s, 3);
  });
  stmt_done(s);
  if (!found) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND,
                "%s: run %" G_GINT64_FORMAT " has no histogram '%s'", db->path,
                run_id, name);
    return NULL;
  }
  h = histogram_new();
  gboolean bad_bin = FALSE;
  s = db->st[ST_GET_BINS];
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading histogram buckets");
  BIND(sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC), "reading histogram buckets");
  QUERY_LOOP(db, s, "reading histogram buckets", error, {
    double lo = sqlite3_column_double(s, 0), hi = sqlite3_column_double(s, 1);
    gint64 n = sqlite3_column_int64(s, 2);
    double elo = 0, ehi = 0;
    if (lo >= 0 && lo <= G_MAXDOUBLE && n > 0) histogram_bucket_bounds(lo, &elo, &ehi);
    if (n <= 0 || elo != lo || ehi != hi)
      bad_bin = TRUE;
    else
      histogram_add_n(h, lo, (uint64_t)n);
  });
  stmt_done(s);
  if (bad_bin || (gint64)histogram_count(h) != count ||
      !histogram_restore_summary(h, sum, min, max)) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_CORRUPT,
                "%s: histogram '%s' of run %" G_GINT64_FORMAT
                " is inconsistent (buckets do not match its count, min or max)",
                db->path, name, run_id);
    return NULL;
  }
  return g_steal_pointer(&h);
fail:
  stmt_done(s);
  return NULL;
}

GArray *results_get_breakdown(ResultsDb *db, gint64 run_id, ResultsDimension dim,
                              GError **error) {
  sqlite3_stmt *s = db->st[ST_GET_BREAKDOWN];
  GArray *out = array_new(sizeof(ResultsBreakdown), results_breakdown_clear);
  BIND(sqlite3_bind_int64(s, 1, run_id), "reading breakdown");
  BIND(sqlite3_bind_text(s, 2, results_dimension_name(dim), -1, SQLITE_STATIC),
       "reading breakdown");
  QUERY_LOOP(db, s, "reading breakdown", error, {
    ResultsBreakdown x = {col_strdup(s, 0), col_strdup(s, 1), col_double(s, 2)};
    g_array_append_val(out, x);
  });
  stmt_done(s);
  return out;
fail:
  stmt_done(s);
  g_array_unref(out);
  return NULL;
}

/* ======================================================================== */
/* RunRecord wire format (fork pipes, MPI messages)                          */
/*
 * Little-endian, fixed-width fields, no padding: "MSRR", u32 format
 * version, then the record's fields in declaration order. Strings are a u32
 * length and the bytes (no NUL); doubles are their IEEE-754 bits as u64, so
 * a record crosses unchanged (NaN payloads included). A histogram is its
 * exact count, sum, min, max and its non-empty buckets (lower bound,
 * count), which is what results_write_run stores of it.
 */

#define WIRE_MAGIC "MSRR"
#define WIRE_VERSION 1u

static void w_u32(GByteArray *b, guint32 v) {
  guint32 le = GUINT32_TO_LE(v);
  g_byte_array_append(b, (const guint8 *)&le, 4);
}
static void w_u64(GByteArray *b, guint64 v) {
  guint64 le = GUINT64_TO_LE(v);
  g_byte_array_append(b, (const guint8 *)&le, 8);
}
static void w_f64(GByteArray *b, double v) {
  guint64 bits;
  memcpy(&bits, &v, 8);
  w_u64(b, bits);
}
static void w_str(GByteArray *b, const char *s) {
  gsize n = s ? strlen(s) : 0;
  g_assert_true(n <= G_MAXUINT32);
  w_u32(b, (guint32)n);
  if (n) g_byte_array_append(b, (const guint8 *)s, (guint)n);
}

GBytes *run_record_serialize(const RunRecord *r) {
  GByteArray *b = g_byte_array_new();
  g_byte_array_append(b, (const guint8 *)WIRE_MAGIC, 4);
  w_u32(b, WIRE_VERSION);
  w_str(b, r->scenario_name);
  w_str(b, r->scenario_text);
  w_u64(b, r->seed);
  w_u32(b, r->replication);
  w_str(b, r->point_key);
  w_str(b, r->version);
  w_str(b, r->git_rev);
  w_u64(b, (guint64)r->started_us);
  w_u64(b, (guint64)r->finished_us);
  w_f64(b, r->wall_seconds);
  w_u32(b, r->params->len);
  for (guint i = 0; i < r->params->len; i++) {
    const Param *p = &g_array_index(r->params, Param, i);
    w_str(b, p->key);
    w_str(b, p->value);
  }
  w_u32(b, r->scalars->len);
  for (guint i = 0; i < r->scalars->len; i++) {
    const Scalar *s = &g_array_index(r->scalars, Scalar, i);
    w_str(b, s->name);
    w_f64(b, s->value);
  }
  w_u32(b, r->series_names->len);
  for (guint i = 0; i < r->series_names->len; i++) w_str(b, g_ptr_array_index(r->series_names, i));
  w_u32(b, r->samples->len);
  for (guint i = 0; i < r->samples->len; i++) {
    const Sample *s = &g_array_index(r->samples, Sample, i);
    w_u32(b, s->name);
    w_f64(b, s->t_s);
    w_f64(b, s->value);
  }
  w_u32(b, r->hists->len);
  for (guint i = 0; i < r->hists->len; i++) {
    const NamedHist *x = &g_array_index(r->hists, NamedHist, i);
    w_str(b, x->name);
    w_u64(b, histogram_count(x->h));
    w_f64(b, histogram_sum(x->h));
    w_f64(b, histogram_min(x->h));
    w_f64(b, histogram_max(x->h));
    w_u32(b, (guint32)histogram_bucket_count(x->h));
    HistogramIter it;
    double lo, hi;
    uint64_t n;
    histogram_iter_init(&it, x->h);
    while (histogram_iter_next(&it, &lo, &hi, &n)) {
      w_f64(b, lo);
      w_u64(b, n);
    }
  }
  w_u32(b, r->breakdowns->len);
  for (guint i = 0; i < r->breakdowns->len; i++) {
    const Breakdown *x = &g_array_index(r->breakdowns, Breakdown, i);
    w_u32(b, (guint32)x->dim);
    w_str(b, x->key);
    w_str(b, x->name);
    w_f64(b, x->value);
  }
  return g_byte_array_free_to_bytes(b);
}

typedef struct Reader {
  const guint8 *p, *end;
  gboolean bad;
} Reader;

static gboolean r_take(Reader *rd, void *out, gsize n) {
  if (rd->bad || (gsize)(rd->end - rd->p) < n) {
    rd->bad = TRUE;
    memset(out, 0, n);
    return FALSE;
  }
  memcpy(out, rd->p, n);
  rd->p += n;
  return TRUE;
}
static guint32 r_u32(Reader *rd) {
  guint32 v;
  r_take(rd, &v, 4);
  return GUINT32_FROM_LE(v);
}
static guint64 r_u64(Reader *rd) {
  guint64 v;
  r_take(rd, &v, 8);
  return GUINT64_FROM_LE(v);
}
static double r_f64(Reader *rd) {
  guint64 bits = r_u64(rd);
  double v;
  memcpy(&v, &bits, 8);
  return v;
}
/* (transfer full) */
static char *r_str(Reader *rd) {
  guint32 n = r_u32(rd);
  if (rd->bad || (gsize)(rd->end - rd->p) < n) {
    rd->bad = TRUE;
    return g_strdup("");
  }
  char *s = g_strndup((const char *)rd->p, n);
  rd->p += n;
  return s;
}

/* A count read from the wire that cannot exceed what is left (each item
 * takes at least min_bytes): guards the loops against a corrupt length. */
static guint32 r_count(Reader *rd, gsize min_bytes) {
  guint32 n = r_u32(rd);
  if (!rd->bad && (gsize)n > (gsize)(rd->end - rd->p) / min_bytes) rd->bad = TRUE;
  return rd->bad ? 0 : n;
}

RunRecord *run_record_deserialize(const void *data, gsize len, GError **error) {
  Reader rd = {data, (const guint8 *)data + len, FALSE};
  char magic[4];
  if (!r_take(&rd, magic, 4) || memcmp(magic, WIRE_MAGIC, 4) != 0 ||
      r_u32(&rd) != WIRE_VERSION) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_CORRUPT,
                "serialised run record: bad magic or format version");
    return NULL;
  }
  g_autoptr(RunRecord) r = run_record_new();
  g_autofree char *name = r_str(&rd);
  g_autofree char *text = r_str(&rd);
  run_record_set_scenario(r, name, text);
  r->seed = r_u64(&rd);
  r->replication = r_u32(&rd);
  g_free(r->point_key);
  r->point_key = r_str(&rd);
  g_free(r->version);
  r->version = r_str(&rd);
  g_free(r->git_rev);
  r->git_rev = r_str(&rd);
  r->started_us = (gint64)r_u64(&rd);
  r->finished_us = (gint64)r_u64(&rd);
  r->wall_seconds = r_f64(&rd);
  for (guint32 i = 0, n = r_count(&rd, 8); i < n; i++) {
    Param p; /* one field at a time: initialiser order is unsequenced */
    p.key = r_str(&rd);
    p.value = r_str(&rd);
    g_array_append_val(r->params, p);
  }
  for (guint32 i = 0, n = r_count(&rd, 12); i < n; i++) {
    Scalar s;
    s.name = r_str(&rd);
    s.value = r_f64(&rd);
    g_array_append_val(r->scalars, s);
  }
  guint32 n_names = r_count(&rd, 4);
  for (guint32 i = 0; i < n_names; i++) {
    char *s = r_str(&rd);
    g_ptr_array_add(r->series_names, s);
    g_hash_table_insert(r->series_index, s, GUINT_TO_POINTER(r->series_names->len));
  }
  for (guint32 i = 0, n = r_count(&rd, 20); i < n; i++) {
    Sample s;
    s.name = r_u32(&rd);
    s.t_s = r_f64(&rd);
    s.value = r_f64(&rd);
    if (s.name >= n_names) rd.bad = TRUE;
    if (rd.bad) break;
    g_array_append_val(r->samples, s);
  }
  for (guint32 i = 0, n = r_count(&rd, 40); i < n && !rd.bad; i++) {
    NamedHist x = {r_str(&rd), histogram_new()};
    g_array_append_val(r->hists, x);
    guint64 count = r_u64(&rd);
    double sum = r_f64(&rd), min = r_f64(&rd), max = r_f64(&rd);
    guint64 seen = 0;
    for (guint32 k = 0, nb = r_count(&rd, 16); k < nb; k++) {
      double lo = r_f64(&rd);
      guint64 c = r_u64(&rd);
      if (rd.bad || !(lo >= 0) || !isfinite(lo)) {
        rd.bad = TRUE;
        break;
      }
      histogram_add_n(x.h, lo, c);
      seen += c;
    }
    if (!rd.bad && (seen != count || (count > 0 && !histogram_restore_summary(x.h, sum, min, max))))
      rd.bad = TRUE;
  }
  for (guint32 i = 0, n = r_count(&rd, 20); i < n && !rd.bad; i++) {
    guint32 dim = r_u32(&rd);
    Breakdown x;
    x.dim = dim == RESULTS_DIM_NETWORK ? RESULTS_DIM_NETWORK : RESULTS_DIM_COUNTRY;
    x.key = r_str(&rd);
    x.name = r_str(&rd);
    x.value = r_f64(&rd);
    if (dim > RESULTS_DIM_NETWORK) rd.bad = TRUE;
    g_array_append_val(r->breakdowns, x);
  }
  if (rd.bad || rd.p != rd.end) {
    g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_CORRUPT,
                "serialised run record: truncated or inconsistent (%" G_GSIZE_FORMAT " bytes)",
                len);
    return NULL;
  }
  return g_steal_pointer(&r);
}
