/*
 * test_results.c: the SQLite results store.
 *
 * Round trip of every kind of row, schema versioning (user_version, newer
 * refused), bad files, atomicity of a failed write, several runs in one
 * database, the resume lookup, locking, SIGKILL in the middle of writes, and
 * the views. The test inspects the database with its own sqlite3 connection
 * (independently of the code under test).
 */
#define _POSIX_C_SOURCE 200809L   /* kill() under -std=c17 */
#include "results/results.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- fixture: a fresh temporary directory per test ---------------------- */

typedef struct {
  char *dir;
  char *path;          /* dir/results.db */
} Fixture;

static void fx_setup(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  f->dir = g_dir_make_tmp("meshsim-results-XXXXXX", &err);
  g_assert_no_error(err);
  f->path = g_build_filename(f->dir, "results.db", NULL);
}

static void fx_teardown(Fixture *f, gconstpointer data) {
  (void)data;
  GDir *d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(f->dir, name, NULL);
    g_chmod(p, 0600);
    g_assert_cmpint(g_remove(p), ==, 0);
  }
  if (d) g_dir_close(d);
  g_chmod(f->dir, 0700);
  g_assert_cmpint(g_rmdir(f->dir), ==, 0);
  g_free(f->path);
  g_free(f->dir);
}

/* ---- independent inspection ---------------------------------------------- */

static sqlite3 *raw_open(const char *path) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  g_assert_cmpint(rc, ==, SQLITE_OK);
  return db;
}

static gint64 raw_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK) g_error("%s: %s", sql, sqlite3_errmsg(db));
  g_assert_cmpint(sqlite3_step(s), ==, SQLITE_ROW);
  gint64 v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static double raw_double(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK) g_error("%s: %s", sql, sqlite3_errmsg(db));
  g_assert_cmpint(sqlite3_step(s), ==, SQLITE_ROW);
  double v = sqlite3_column_type(s, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 0);
  sqlite3_finalize(s);
  return v;
}

static char *raw_text(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc != SQLITE_OK) g_error("%s: %s", sql, sqlite3_errmsg(db));
  g_assert_cmpint(sqlite3_step(s), ==, SQLITE_ROW);
  char *v = g_strdup((const char *)sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return v;
}

static void raw_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) g_error("%s: %s", sql, msg);
}

static gint64 rows_of_all_tables(sqlite3 *db) {
  return raw_int(db, "SELECT (SELECT count(*) FROM run) + (SELECT count(*) FROM parameter)"
                     " + (SELECT count(*) FROM scalar) + (SELECT count(*) FROM series)"
                     " + (SELECT count(*) FROM histogram)"
                     " + (SELECT count(*) FROM histogram_bin)"
                     " + (SELECT count(*) FROM breakdown)");
}

/* ---- a run record with something of every kind --------------------------- */

static Histogram *sample_histogram(guint seed) {
  Histogram *h = histogram_new();
  guint32 x = seed * 2654435761u + 1;
  for (int i = 0; i < 5000; i++) {
    x = x * 1664525u + 1013904223u;                   /* LCG, deterministic */
    double u = (x >> 8) / 16777216.0;
    histogram_add(h, i % 7 == 0 ? 0.0 : -0.2 * log1p(-u));
  }
  return h;
}

static RunRecord *sample_record(uint64_t seed, guint replication) {
  RunRecord *r = run_record_new();
  run_record_set_scenario(r, "unit", "[scenario]\nname = unit\n[peers]\ncount = 100\n");
  run_record_set_seed(r, seed, replication);
  run_record_set_point_key(r, "cache.capacity=64MB peers.count=100");
  run_record_set_build(r, "0.1.0", "abc123def456");
  run_record_set_wall_time(r, G_GINT64_CONSTANT(1714564800) * G_USEC_PER_SEC,
                           G_GINT64_CONSTANT(1714564862) * G_USEC_PER_SEC, 62.5);
  run_record_param(r, "peers.count", "100");
  run_record_param(r, "cache.capacity", "64MB");
  run_record_scalar(r, "offload", 0.9 + 0.01 * (double)seed);
  run_record_scalar(r, "events", 123456789.0);
  run_record_scalar(r, "mean_latency_s", 0.217);
  run_record_scalar(r, "undefined_mean", NAN);
  run_record_scalar(r, "negative", -1.5e-300);
  run_record_scalar(r, "huge", INFINITY);
  for (int i = 0; i < 100; i++) {
    run_record_series(r, "online", 60.0 * i, 1000.0 + i);
    run_record_series(r, "egress_bps", 60.0 * i, i % 10 == 3 ? NAN : 1e9 / (i + 1));
  }
  g_autoptr(Histogram) h = sample_histogram((guint)seed);
  g_autoptr(Histogram) empty = histogram_new();
  run_record_histogram(r, "page_load_s", h);
  run_record_histogram(r, "never", empty);
  run_record_breakdown(r, RESULTS_DIM_COUNTRY, "FR", "offload", 0.8);
  run_record_breakdown(r, RESULTS_DIM_COUNTRY, "DE", "offload", 0.7);
  run_record_breakdown(r, RESULTS_DIM_COUNTRY, "DE", "requests", 12.0);
  run_record_breakdown(r, RESULTS_DIM_NETWORK, "AS3215", "offload", 0.75);
  return r;
}

static void assert_same_histogram(const Histogram *a, const Histogram *b) {
  g_assert_cmpuint(histogram_count(a), ==, histogram_count(b));
  g_assert_cmpfloat(histogram_sum(a), ==, histogram_sum(b));
  if (histogram_count(a)) {
    g_assert_cmpfloat(histogram_min(a), ==, histogram_min(b));
    g_assert_cmpfloat(histogram_max(a), ==, histogram_max(b));
  }
  HistogramIter ia, ib;
  double la, ha, lb, hb;
  uint64_t na, nb;
  histogram_iter_init(&ia, a);
  histogram_iter_init(&ib, b);
  while (histogram_iter_next(&ia, &la, &ha, &na)) {
    g_assert_true(histogram_iter_next(&ib, &lb, &hb, &nb));
    g_assert_cmpfloat(la, ==, lb);
    g_assert_cmpfloat(ha, ==, hb);
    g_assert_cmpuint(na, ==, nb);
  }
  g_assert_false(histogram_iter_next(&ib, &lb, &hb, &nb));
  for (double q = 0; q <= 1.0; q += 0.05)
    if (histogram_count(a))
      g_assert_cmpfloat(histogram_quantile(a, q), ==, histogram_quantile(b, q));
}

/* ---- tests ----------------------------------------------------------------- */

static void test_round_trip(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(RunRecord) rec = sample_record(7, 2);
  gint64 id = results_write_run(db, rec, &err);
  g_assert_no_error(err);
  g_assert_cmpint(id, >, 0);

  /* run row */
  g_autoptr(GPtrArray) runs = results_list_runs(db, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(runs->len, ==, 1);
  const RunInfo *ri = g_ptr_array_index(runs, 0);
  g_assert_cmpint(ri->id, ==, id);
  g_assert_cmpstr(ri->scenario_name, ==, "unit");
  g_assert_cmpstr(ri->scenario_text, ==, "[scenario]\nname = unit\n[peers]\ncount = 100\n");
  g_autofree char *sha = g_compute_checksum_for_string(
      G_CHECKSUM_SHA256, "[scenario]\nname = unit\n[peers]\ncount = 100\n", -1);
  g_assert_cmpstr(ri->scenario_sha256, ==, sha);
  g_assert_cmpstr(run_record_scenario_sha256(rec), ==, sha);
  g_assert_cmpuint(ri->seed, ==, 7);
  g_assert_cmpuint(ri->replication, ==, 2);
  g_assert_cmpstr(ri->point_key, ==, "cache.capacity=64MB peers.count=100");
  g_assert_cmpstr(ri->meshsim_version, ==, "0.1.0");
  g_assert_cmpstr(ri->git_rev, ==, "abc123def456");
  g_assert_cmpstr(ri->started, ==, "2024-05-01T12:00:00Z");
  g_assert_cmpstr(ri->finished, ==, "2024-05-01T12:01:02Z");
  g_assert_cmpfloat(ri->wall_seconds, ==, 62.5);
  g_assert_cmpstr(ri->status, ==, "complete");
  g_autoptr(RunInfo) ri2 = results_get_run(db, id, &err);
  g_assert_no_error(err);
  g_assert_cmpstr(ri2->scenario_sha256, ==, sha);

  /* parameters, sorted by key */
  g_autoptr(GArray) params = results_get_params(db, id, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(params->len, ==, 2);
  g_assert_cmpstr(g_array_index(params, ResultsParam, 0).key, ==, "cache.capacity");
  g_assert_cmpstr(g_array_index(params, ResultsParam, 0).value, ==, "64MB");
  g_assert_cmpstr(g_array_index(params, ResultsParam, 1).key, ==, "peers.count");
  g_assert_cmpstr(g_array_index(params, ResultsParam, 1).value, ==, "100");

  /* scalars, sorted by name, bit-identical; NaN comes back NaN */
  g_autoptr(GArray) sc = results_get_scalars(db, id, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(sc->len, ==, run_record_n_scalars(rec));
  static const char *const sorted[] = {"events", "huge", "mean_latency_s", "negative",
                                       "offload", "undefined_mean"};
  for (guint i = 0; i < sc->len; i++) {
    const ResultsScalar *s = &g_array_index(sc, ResultsScalar, i);
    g_assert_cmpstr(s->name, ==, sorted[i]);
    double want;
    g_assert_true(run_record_lookup_scalar(rec, s->name, &want));
    if (isnan(want))
      g_assert_true(isnan(s->value));
    else
      g_assert_cmpfloat(s->value, ==, want);
  }

  /* series */
  g_auto(GStrv) names = results_get_series_names(db, id, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(g_strv_length(names), ==, 2);
  g_assert_cmpstr(names[0], ==, "egress_bps");
  g_assert_cmpstr(names[1], ==, "online");
  g_autoptr(GArray) online = results_get_series(db, id, "online", &err);
  g_assert_no_error(err);
  g_assert_cmpuint(online->len, ==, 100);
  g_autoptr(GArray) egress = results_get_series(db, id, "egress_bps", &err);
  g_assert_no_error(err);
  g_assert_cmpuint(egress->len, ==, 100);
  for (int i = 0; i < 100; i++) {
    const ResultsPoint *p = &g_array_index(online, ResultsPoint, i);
    g_assert_cmpfloat(p->t_s, ==, 60.0 * i);
    g_assert_cmpfloat(p->value, ==, 1000.0 + i);
    const ResultsPoint *e = &g_array_index(egress, ResultsPoint, i);
    g_assert_cmpfloat(e->t_s, ==, 60.0 * i);
    if (i % 10 == 3)
      g_assert_true(isnan(e->value));
    else
      g_assert_cmpfloat(e->value, ==, 1e9 / (i + 1));
  }
  g_assert_null(results_get_series(db, id, "nope", &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* histograms */
  g_auto(GStrv) hnames = results_get_histogram_names(db, id, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(g_strv_length(hnames), ==, 2);
  g_autoptr(Histogram) want = sample_histogram(7);
  g_autoptr(Histogram) got = results_get_histogram(db, id, "page_load_s", &err);
  g_assert_no_error(err);
  assert_same_histogram(got, want);
  g_autoptr(Histogram) never = results_get_histogram(db, id, "never", &err);
  g_assert_no_error(err);
  g_assert_cmpuint(histogram_count(never), ==, 0);
  g_assert_true(isnan(histogram_quantile(never, 0.5)));
  g_assert_null(results_get_histogram(db, id, "nope", &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* breakdowns, sorted by key then name */
  g_autoptr(GArray) bc = results_get_breakdown(db, id, RESULTS_DIM_COUNTRY, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(bc->len, ==, 3);
  g_assert_cmpstr(g_array_index(bc, ResultsBreakdown, 0).key, ==, "DE");
  g_assert_cmpstr(g_array_index(bc, ResultsBreakdown, 0).name, ==, "offload");
  g_assert_cmpfloat(g_array_index(bc, ResultsBreakdown, 0).value, ==, 0.7);
  g_assert_cmpstr(g_array_index(bc, ResultsBreakdown, 1).name, ==, "requests");
  g_assert_cmpfloat(g_array_index(bc, ResultsBreakdown, 1).value, ==, 12.0);
  g_assert_cmpstr(g_array_index(bc, ResultsBreakdown, 2).key, ==, "FR");
  g_autoptr(GArray) bn = results_get_breakdown(db, id, RESULTS_DIM_NETWORK, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(bn->len, ==, 1);
  g_assert_cmpstr(g_array_index(bn, ResultsBreakdown, 0).key, ==, "AS3215");
  g_assert_cmpfloat(g_array_index(bn, ResultsBreakdown, 0).value, ==, 0.75);

  /* the same through a read-only handle, after close */
  g_clear_pointer(&db, results_close);
  g_autoptr(ResultsDb) ro = results_open_readonly(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(Histogram) got2 = results_get_histogram(ro, id, "page_load_s", &err);
  g_assert_no_error(err);
  assert_same_histogram(got2, want);
  g_assert_cmpint(results_write_run(ro, rec, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_OPEN);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
}

static gboolean side_files(const char *path) {
  g_autofree char *wal = g_strconcat(path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(path, "-shm", NULL);
  return g_file_test(wal, G_FILE_TEST_EXISTS) || g_file_test(shm, G_FILE_TEST_EXISTS);
}

/* A closed database is one file: a reader after the writer creates no
 * -wal or -shm beside it (they used to stay behind after a report). */
static void test_reader_leaves_no_files(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  ResultsDb *db = results_open(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(RunRecord) rec = sample_record(1, 0);
  gint64 id = results_write_run(db, rec, &err);
  g_assert_cmpint(id, >, 0);
  g_assert_true(side_files(f->path)); /* WAL while a writer is open */
  results_close(db);
  g_assert_false(side_files(f->path));
  for (int i = 0; i < 2; i++) {
    ResultsDb *ro = results_open_readonly(f->path, &err);
    g_assert_no_error(err);
    g_autoptr(GPtrArray) runs = results_list_runs(ro, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(runs->len, ==, 1);
    results_close(ro);
    g_assert_false(side_files(f->path));
  }
  /* the next writer is back in WAL, with the first run still there */
  db = results_open(f->path, &err);
  g_assert_no_error(err);
  sqlite3 *raw = raw_open(f->path);
  g_autofree char *mode = raw_text(raw, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "wal");
  sqlite3_close(raw);
  g_autoptr(RunRecord) rec2 = sample_record(2, 0);
  g_assert_cmpint(results_write_run(db, rec2, &err), >, id);
  results_close(db);
  g_assert_false(side_files(f->path));
}

static void test_pragmas_and_schema(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(RunRecord) rec = sample_record(1, 0);
  g_assert_cmpint(results_write_run(db, rec, &err), >, 0);
  g_assert_no_error(err);

  sqlite3 *raw = raw_open(f->path);
  g_assert_cmpint(raw_int(raw, "PRAGMA user_version"), ==, RESULTS_SCHEMA_VERSION);
  g_autofree char *mode = raw_text(raw, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "wal");
  g_autofree char *ic = raw_text(raw, "PRAGMA integrity_check");
  g_assert_cmpstr(ic, ==, "ok");
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
  /* every table is STRICT */
  static const char *const tables[] = {"run", "parameter", "scalar", "series",
                                       "histogram", "histogram_bin", "breakdown"};
  for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
    g_autofree char *q = g_strdup_printf(
        "SELECT strict FROM pragma_table_list WHERE name = '%s'", tables[i]);
    g_assert_cmpint(raw_int(raw, q), ==, 1);
  }
  static const char *const views[] = {"v_run", "v_scalar", "v_summary", "v_point_scalar",
                                      "v_histogram_cdf", "v_breakdown"};
  for (size_t i = 0; i < G_N_ELEMENTS(views); i++) {
    g_autofree char *q = g_strdup_printf(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = '%s'", views[i]);
    g_assert_cmpint(raw_int(raw, q), ==, 1);
    g_assert_nonnull(strstr(results_schema_sql(), views[i]));
  }
  g_assert_nonnull(strstr(results_schema_sql(), ") STRICT"));
  /* a STRICT table refuses a wrongly typed value */
  g_assert_cmpint(sqlite3_exec(raw, "INSERT INTO scalar VALUES (1, 'x', 'text')",
                               NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
  sqlite3_close(raw);

  /* reopening an up-to-date database changes nothing and works */
  g_clear_pointer(&db, results_close);
  db = results_open(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(GPtrArray) runs = results_list_runs(db, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(runs->len, ==, 1);
}

static void test_newer_refused(Fixture *f, gconstpointer data) {
  (void)data;
  sqlite3 *raw = raw_open(f->path);
  raw_exec(raw, "CREATE TABLE run (id INTEGER PRIMARY KEY); PRAGMA user_version = 99;");
  sqlite3_close(raw);
  GError *err = NULL;
  ResultsDb *db = results_open(f->path, &err);
  g_assert_null(db);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NEWER_SCHEMA);
  g_autofree char *want = g_strdup_printf(
      "%s: results database schema version 99 is newer than this meshsim supports (1)",
      f->path);
  g_assert_cmpstr(err->message, ==, want);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  db = results_open_readonly(f->path, &err);
  g_assert_null(db);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NEWER_SCHEMA);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  /* nothing was changed: still version 99, still rollback journal */
  raw = raw_open(f->path);
  g_assert_cmpint(raw_int(raw, "PRAGMA user_version"), ==, 99);
  g_autofree char *mode = raw_text(raw, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "delete");
  sqlite3_close(raw);
}

static void test_not_a_database(Fixture *f, gconstpointer data) {
  (void)data;
  GString *junk = g_string_new(NULL);
  for (int i = 0; i < 200; i++) g_string_append(junk, "this is not a database. ");
  g_assert_true(g_file_set_contents(f->path, junk->str, (gssize)junk->len, NULL));
  g_string_free(junk, TRUE);
  GError *err = NULL;
  g_assert_null(results_open(f->path, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB);
  g_assert_true(g_str_has_prefix(err->message, f->path));
  g_assert_nonnull(strstr(err->message, "file is not a database"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  g_assert_null(results_open_readonly(f->path, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
}

static void test_foreign_sqlite_refused(Fixture *f, gconstpointer data) {
  (void)data;
  sqlite3 *raw = raw_open(f->path);
  raw_exec(raw, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");
  sqlite3_close(raw);
  GError *err = NULL;
  g_assert_null(results_open(f->path, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB);
  g_assert_true(g_str_has_prefix(err->message, f->path));
  g_assert_nonnull(strstr(err->message, "not a meshsim results database"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  raw = raw_open(f->path);                    /* left untouched */
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM sqlite_schema"), ==, 1);
  sqlite3_close(raw);
}

static void test_empty_file_gets_schema(Fixture *f, gconstpointer data) {
  (void)data;
  g_assert_true(g_file_set_contents(f->path, "", 0, NULL));
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  sqlite3 *raw = raw_open(f->path);
  g_assert_cmpint(raw_int(raw, "PRAGMA user_version"), ==, 1);
  sqlite3_close(raw);
}

static void test_bad_locations(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autofree char *missing = g_build_filename(f->dir, "no", "such", "dir", "r.db", NULL);
  g_assert_null(results_open(missing, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_OPEN);
  g_assert_true(g_str_has_prefix(err->message, missing));
  g_assert_nonnull(strstr(err->message, "does not exist"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* A location nobody can create files in, root included. */
  g_assert_null(results_open("/proc/self/meshsim-results.db", &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_OPEN);
  g_assert_true(g_str_has_prefix(err->message, "/proc/self/meshsim-results.db: "));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* A read-only directory (permissions do not stop root: then skip part). */
  g_autofree char *rodir = g_build_filename(f->dir, "ro", NULL);
  g_assert_cmpint(g_mkdir(rodir, 0500), ==, 0);
  g_autofree char *ropath = g_build_filename(rodir, "r.db", NULL);
  if (geteuid() != 0) {
    g_assert_null(results_open(ropath, &err));
    g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_OPEN);
    g_assert_true(g_str_has_prefix(err->message, ropath));
    g_assert_nonnull(strstr(err->message, "not writable"));
    if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  }
  g_assert_cmpint(g_rmdir(rodir), ==, 0);

  /* A directory where a file is expected. */
  g_assert_null(results_open(f->dir, &err));
  g_assert_nonnull(err);
  g_assert_true(g_str_has_prefix(err->message, f->dir));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* read-only open of a file that does not exist */
  g_assert_null(results_open_readonly(f->path, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_OPEN);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
}

static void assert_no_rows(const char *path) {
  sqlite3 *raw = raw_open(path);
  g_assert_cmpint(rows_of_all_tables(raw), ==, 0);
  g_autofree char *ic = raw_text(raw, "PRAGMA integrity_check");
  g_assert_cmpstr(ic, ==, "ok");
  sqlite3_close(raw);
}

static void test_atomic_failure(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);

  /* A scalar recorded twice violates scalar's primary key after the run row,
   * the parameters and the first scalars are written. */
  g_autoptr(RunRecord) r1 = sample_record(1, 0);
  run_record_scalar(r1, "offload", 0.5);
  g_assert_cmpint(results_write_run(db, r1, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_INVALID);
  g_assert_true(g_str_has_prefix(err->message, f->path));
  g_assert_nonnull(strstr(err->message, "scalar 'offload'"));
  g_assert_nonnull(strstr(err->message, "UNIQUE"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  assert_no_rows(f->path);

  /* A breakdown given twice fails on the very last insert, after series and
   * histograms: still nothing of the run may remain. */
  g_autoptr(RunRecord) r2 = sample_record(2, 0);
  run_record_breakdown(r2, RESULTS_DIM_NETWORK, "AS3215", "offload", 0.1);
  g_assert_cmpint(results_write_run(db, r2, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_INVALID);
  g_assert_nonnull(strstr(err->message, "breakdown"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  assert_no_rows(f->path);
  g_assert_cmpint(results_find_run(db, run_record_scenario_sha256(r2), 2, &err), ==, 0);
  g_assert_no_error(err);

  /* A record without a scenario is refused before anything is written. */
  g_autoptr(RunRecord) r3 = run_record_new();
  g_assert_cmpint(results_write_run(db, r3, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_INVALID);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);

  /* The connection is still usable, and a good run goes in whole. */
  g_autoptr(RunRecord) ok = sample_record(3, 0);
  gint64 id = results_write_run(db, ok, &err);
  g_assert_no_error(err);
  g_assert_cmpint(id, >, 0);
  sqlite3 *raw = raw_open(f->path);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM run"), ==, 1);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM scalar"), ==, 6);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM series"), ==, 200);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM breakdown"), ==, 4);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM run WHERE status <> 'complete'"), ==, 0);
  sqlite3_close(raw);
}

static void test_two_runs_and_resume(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  g_autoptr(RunRecord) a = sample_record(1, 0);
  g_autoptr(RunRecord) b = sample_record(2, 1);
  const char *sha = run_record_scenario_sha256(a);
  g_assert_cmpint(results_find_run(db, sha, 1, &err), ==, 0);
  g_assert_no_error(err);
  gint64 ia = results_write_run(db, a, &err);
  g_assert_no_error(err);
  gint64 ib = results_write_run(db, b, &err);
  g_assert_no_error(err);
  g_assert_cmpint(ia, !=, ib);
  g_assert_cmpint(results_find_run(db, sha, 1, &err), ==, ia);
  g_assert_cmpint(results_find_run(db, sha, 2, &err), ==, ib);
  g_assert_cmpint(results_find_run(db, sha, 3, &err), ==, 0);
  g_autofree char *other = results_scenario_sha256("[scenario]\nname = other\n");
  g_assert_cmpint(results_find_run(db, other, 1, &err), ==, 0);
  g_assert_no_error(err);

  /* each run reads back its own values */
  g_autoptr(GArray) sa = results_get_scalars(db, ia, &err);
  g_autoptr(GArray) sb = results_get_scalars(db, ib, &err);
  g_assert_no_error(err);
  double oa = NAN, ob = NAN;
  for (guint i = 0; i < sa->len; i++)
    if (!strcmp(g_array_index(sa, ResultsScalar, i).name, "offload"))
      oa = g_array_index(sa, ResultsScalar, i).value;
  for (guint i = 0; i < sb->len; i++)
    if (!strcmp(g_array_index(sb, ResultsScalar, i).name, "offload"))
      ob = g_array_index(sb, ResultsScalar, i).value;
  g_assert_cmpfloat(oa, ==, 0.9 + 0.01 * 1.0);      /* as sample_record computes */
  g_assert_cmpfloat(ob, ==, 0.9 + 0.01 * 2.0);
  g_autoptr(Histogram) hb = results_get_histogram(db, ib, "page_load_s", &err);
  g_assert_no_error(err);
  g_autoptr(Histogram) wb = sample_histogram(2);
  assert_same_histogram(hb, wb);

  /* the same scenario and seed again: refused, nothing changed */
  g_autoptr(RunRecord) again = sample_record(1, 5);
  g_assert_cmpint(results_write_run(db, again, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_DUPLICATE);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  g_autoptr(GPtrArray) runs = results_list_runs(db, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(runs->len, ==, 2);
  g_assert_cmpint(((RunInfo *)g_ptr_array_index(runs, 0))->id, ==, ia);
  g_assert_cmpint(((RunInfo *)g_ptr_array_index(runs, 1))->id, ==, ib);

  /* a seed above 2^63 survives the int64 column */
  g_autoptr(RunRecord) big = sample_record(0, 3);
  run_record_set_seed(big, G_MAXUINT64 - 1, 3);
  gint64 ig = results_write_run(db, big, &err);
  g_assert_no_error(err);
  g_assert_cmpint(results_find_run(db, sha, G_MAXUINT64 - 1, &err), ==, ig);
  g_autoptr(RunInfo) gi = results_get_run(db, ig, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(gi->seed, ==, G_MAXUINT64 - 1);

  /* deleting a run removes all its rows (cascade) and allows redoing it */
  g_assert_true(results_delete_run(db, ia, &err));
  g_assert_no_error(err);
  g_assert_cmpint(results_find_run(db, sha, 1, &err), ==, 0);
  sqlite3 *raw = raw_open(f->path);
  g_autofree char *q = g_strdup_printf(
      "SELECT (SELECT count(*) FROM scalar WHERE run_id = %1$" G_GINT64_FORMAT ")"
      " + (SELECT count(*) FROM series WHERE run_id = %1$" G_GINT64_FORMAT ")"
      " + (SELECT count(*) FROM histogram_bin WHERE run_id = %1$" G_GINT64_FORMAT ")"
      " + (SELECT count(*) FROM parameter WHERE run_id = %1$" G_GINT64_FORMAT ")", ia);
  g_assert_cmpint(raw_int(raw, q), ==, 0);
  sqlite3_close(raw);
  g_assert_false(results_delete_run(db, ia, &err));
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_NOT_FOUND);
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  g_assert_cmpint(results_write_run(db, a, &err), >, 0);
  g_assert_no_error(err);
}

static void test_locked(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  results_set_busy_timeout(db, 100);
  sqlite3 *raw = raw_open(f->path);
  raw_exec(raw, "BEGIN IMMEDIATE; INSERT INTO run (scenario_name, scenario_text,"
                " scenario_sha256, seed, replication, meshsim_version, git_rev, started,"
                " finished, wall_seconds, status) VALUES ('x', 'x', printf('%064d', 0), 1,"
                " 0, 'v', 'g', 's', 'f', 0, 'running');");
  g_autoptr(RunRecord) r = sample_record(1, 0);
  g_assert_cmpint(results_write_run(db, r, &err), ==, 0);
  g_assert_error(err, RESULTS_ERROR, RESULTS_ERROR_LOCKED);
  g_assert_true(g_str_has_prefix(err->message, f->path));
  g_assert_nonnull(strstr(err->message, "locked"));
  if (err) g_test_message("error: %s", err->message);
  g_clear_error(&err);
  /* readers are not blocked by the writer (WAL) */
  g_autoptr(GPtrArray) runs = results_list_runs(db, &err);
  g_assert_no_error(err);
  g_assert_cmpuint(runs->len, ==, 0);
  raw_exec(raw, "ROLLBACK");
  sqlite3_close(raw);
  g_assert_cmpint(results_write_run(db, r, &err), >, 0);
  g_assert_no_error(err);
}

/* A writer process killed with SIGKILL while writing runs back to back
 * leaves an intact database holding only whole runs; writing resumes. */
#define KILL_SERIES_ROWS 20000
static void test_sigkill(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  { /* create the schema before forking */
    g_autoptr(ResultsDb) db = results_open(f->path, &err);
    g_assert_no_error(err);
  }
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    ResultsDb *db = results_open(f->path, NULL);
    if (!db) _exit(3);
    for (uint64_t seed = 1; seed < 2000; seed++) {
      RunRecord *r = sample_record(seed, (guint)seed);
      for (int i = 0; i < KILL_SERIES_ROWS; i++) run_record_series(r, "dense", i, seed);
      if (results_write_run(db, r, NULL) <= 0) _exit(4);
      run_record_free(r);
    }
    _exit(0);
  }
  /* wait until a few runs are committed, then kill at an arbitrary point */
  gint64 n = 0;
  for (int tries = 0; tries < 3000 && n < 3; tries++) {
    g_usleep(10000);
    sqlite3 *raw = raw_open(f->path);
    sqlite3_busy_timeout(raw, 1000);
    n = raw_int(raw, "SELECT count(*) FROM run");
    sqlite3_close(raw);
  }
  int krc = kill(pid, SIGKILL);                    /* before any assertion */
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_cmpint(krc, ==, 0);
  g_assert_cmpint(n, >=, 3);
  g_assert_true(WIFSIGNALED(status));

  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  sqlite3 *raw = raw_open(f->path);
  g_autofree char *ic = raw_text(raw, "PRAGMA integrity_check");
  g_assert_cmpstr(ic, ==, "ok");
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM run WHERE status <> 'complete'"), ==, 0);
  gint64 runs = raw_int(raw, "SELECT count(*) FROM run");
  gint64 max_seed = raw_int(raw, "SELECT max(seed) FROM run");
  g_test_message("killed after %" G_GINT64_FORMAT " complete runs", runs);
  g_assert_cmpint(runs, ==, max_seed);             /* seeds 1..k, no gap */
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM ("
                               " SELECT run_id FROM series WHERE name = 'dense'"
                               " GROUP BY run_id HAVING count(*) = 20000)"), ==, runs);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM series"), ==,
                  runs * (KILL_SERIES_ROWS + 200));
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM scalar"), ==, runs * 6);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM histogram"), ==, runs * 2);
  sqlite3_close(raw);
  /* every stored run reads back whole */
  for (gint64 seed = 1; seed <= max_seed; seed++) {
    g_autoptr(RunRecord) r = sample_record((uint64_t)seed, (guint)seed);
    gint64 id = results_find_run(db, run_record_scenario_sha256(r), (uint64_t)seed, &err);
    g_assert_no_error(err);
    g_assert_cmpint(id, >, 0);
    g_autoptr(Histogram) got = results_get_histogram(db, id, "page_load_s", &err);
    g_assert_no_error(err);
    g_autoptr(Histogram) want = sample_histogram((guint)seed);
    assert_same_histogram(got, want);
  }
  /* resume: the next seed was not stored, and can be written now */
  g_autoptr(RunRecord) next = sample_record((uint64_t)max_seed + 1, 0);
  g_assert_cmpint(results_find_run(db, run_record_scenario_sha256(next),
                                   (uint64_t)max_seed + 1, &err), ==, 0);
  g_assert_cmpint(results_write_run(db, next, &err), >, 0);
  g_assert_no_error(err);
}

static void test_views(Fixture *f, gconstpointer data) {
  (void)data;
  GError *err = NULL;
  g_autoptr(ResultsDb) db = results_open(f->path, &err);
  g_assert_no_error(err);
  /* two replications of one point: offload 0.91 and 0.92 */
  g_autoptr(RunRecord) a = sample_record(1, 0);
  g_autoptr(RunRecord) b = sample_record(2, 1);
  gint64 ia = results_write_run(db, a, &err);
  g_assert_no_error(err);
  g_assert_cmpint(results_write_run(db, b, &err), >, 0);
  g_assert_no_error(err);

  sqlite3 *raw = raw_open(f->path);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM v_summary"), ==, 2);
  g_autofree char *q1 = g_strdup_printf(
      "SELECT offload FROM v_summary WHERE run_id = %" G_GINT64_FORMAT, ia);
  g_assert_cmpfloat(raw_double(raw, q1), ==, 0.9 + 0.01 * 1.0);
  g_assert_cmpfloat(raw_double(raw, "SELECT mean_latency_s FROM v_summary LIMIT 1"), ==, 0.217);
  g_assert_true(isnan(raw_double(raw, "SELECT page_load_p95_s FROM v_summary LIMIT 1")));
  g_assert_cmpint(raw_int(raw, "SELECT n FROM v_point_scalar WHERE name = 'offload'"), ==, 2);
  g_assert_cmpfloat_with_epsilon(
      raw_double(raw, "SELECT mean FROM v_point_scalar WHERE name = 'offload'"), 0.915, 1e-12);
  /* sample variance of {0.91, 0.92} = 0.00005 */
  g_assert_cmpfloat_with_epsilon(
      raw_double(raw, "SELECT variance FROM v_point_scalar WHERE name = 'offload'"),
      5e-5, 1e-12);
  g_autofree char *params = raw_text(raw, "SELECT parameters FROM v_run LIMIT 1");
  g_assert_cmpstr(params, ==, "cache.capacity=64MB peers.count=100");
  /* the CDF of each histogram climbs to exactly 1 */
  g_assert_cmpfloat(raw_double(raw, "SELECT max(cdf) FROM v_histogram_cdf"
                                    " WHERE name = 'page_load_s'"), ==, 1.0);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM v_histogram_cdf c1 JOIN"
                               " v_histogram_cdf c2 USING (run_id, name)"
                               " WHERE c2.lo > c1.lo AND c2.cdf < c1.cdf"), ==, 0);
  g_autofree char *q2 = g_strdup_printf(
      "SELECT cdf FROM v_histogram_cdf WHERE run_id = %" G_GINT64_FORMAT
      " AND name = 'page_load_s' AND lo = 0", ia);
  double zeros_fraction = 715.0 / 5000.0;           /* i % 7 == 0 for i < 5000 */
  g_assert_cmpfloat(raw_double(raw, q2), ==, zeros_fraction);
  g_assert_cmpint(raw_int(raw, "SELECT count(*) FROM v_breakdown WHERE dimension = 'country'"),
                  ==, 6);
  sqlite3_close(raw);
}

static void test_record_accessors(void) {
  g_autoptr(RunRecord) r = run_record_new();
  g_assert_null(run_record_scenario_sha256(r));
  run_record_scalar(r, "a", 1.0);
  run_record_scalar(r, "b", 2.0);
  g_assert_cmpuint(run_record_n_scalars(r), ==, 2);
  const char *name;
  double v;
  run_record_scalar_at(r, 1, &name, &v);
  g_assert_cmpstr(name, ==, "b");
  g_assert_cmpfloat(v, ==, 2.0);
  g_assert_true(run_record_lookup_scalar(r, "a", &v));
  g_assert_cmpfloat(v, ==, 1.0);
  g_assert_false(run_record_lookup_scalar(r, "c", &v));
  g_assert_cmpstr(results_dimension_name(RESULTS_DIM_COUNTRY), ==, "country");
  g_assert_cmpstr(results_dimension_name(RESULTS_DIM_NETWORK), ==, "network");
  /* SHA-256 of "abc" (FIPS 180-2 test vector) */
  g_autofree char *sha = results_scenario_sha256("abc");
  g_assert_cmpstr(sha, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fx_setup, fn, fx_teardown)
  ADD("/results/round-trip", test_round_trip);
  ADD("/results/pragmas-schema", test_pragmas_and_schema);
  ADD("/results/reader-leaves-no-files", test_reader_leaves_no_files);
  ADD("/results/newer-schema-refused", test_newer_refused);
  ADD("/results/not-a-database", test_not_a_database);
  ADD("/results/foreign-sqlite-refused", test_foreign_sqlite_refused);
  ADD("/results/empty-file", test_empty_file_gets_schema);
  ADD("/results/bad-locations", test_bad_locations);
  ADD("/results/atomic-failure", test_atomic_failure);
  ADD("/results/two-runs-resume", test_two_runs_and_resume);
  ADD("/results/locked", test_locked);
  ADD("/results/sigkill", test_sigkill);
  ADD("/results/views", test_views);
  g_test_add_func("/results/record", test_record_accessors);
  return g_test_run();
}
