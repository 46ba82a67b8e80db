/*
 * test_sweep.c: `meshsim sweep` and `meshsim report --capacity` as a user
 * meets them: the grid (cartesian product, replications as seeds), the
 * same database and statistics with --jobs 1 and --jobs 2 (also with
 * adaptive precision), resume after a finished and after a SIGKILLed
 * sweep, bad input writing nothing, and the capacity answer checked
 * against an interpolation computed here from the stored means.
 */
#include "cli-test-util.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>

#define SMALL "--set", "peers.count=1000", "--set", "run.duration=20min"

static const char *scalar_sql =
    "SELECT point_key, replication, seed, name, quote(value) FROM v_scalar "
    "ORDER BY point_key, seed, name";

/* Grid = product of the axes, replications = seeds; --jobs 1 and 2 give the
 * same scalar table and the same printed statistics; the precision rule
 * stops each point at a CI below precision x mean or at the maximum. */
static void test_jobs_identical(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db1 = g_build_filename(f->dir, "j1.db", NULL);
  g_autofree char *db2 = g_build_filename(f->dir, "j2.db", NULL);
  g_autofree char *out1 = NULL, *out2 = NULL, *err1 = NULL, *err2 = NULL;
  const char *a1[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=8,32",
                      "--set", "selection.candidates=1,2", "--set", "run.replications=2",
                      "--set", "run.precision=0.01", "--set", "run.precision_metrics=offload",
                      "--set", "run.max_replications=4", "--jobs", "1", "--json", "--out", db1,
                      NULL};
  g_assert_cmpint(run_meshsim(f->dir, a1, &out1, &err1), ==, 0);
  const char *a2[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=8,32",
                      "--set", "selection.candidates=1,2", "--set", "run.replications=2",
                      "--set", "run.precision=0.01", "--set", "run.precision_metrics=offload",
                      "--set", "run.max_replications=4", "--jobs", "2", "--json", "--out", db2,
                      NULL};
  g_assert_cmpint(run_meshsim(f->dir, a2, &out2, &err2), ==, 0);
  g_assert_cmpstr(out1, ==, out2);
  g_autofree char *d1 = db_dump(db1, scalar_sql), *d2 = db_dump(db2, scalar_sql);
  g_assert_cmpstr(d1, ==, d2);

  /* 4 points in table order (cache before selection), first axis slowest */
  g_autofree char *points = db_dump(db1, "SELECT DISTINCT point_key FROM v_run ORDER BY point_key");
  g_assert_cmpstr(points, ==,
                  "cache.capacity_objects=32 selection.candidates=1\n"
                  "cache.capacity_objects=32 selection.candidates=2\n"
                  "cache.capacity_objects=8 selection.candidates=1\n"
                  "cache.capacity_objects=8 selection.candidates=2\n");
  g_assert_true(strstr(out1, "\"point\": \"cache.capacity_objects=8 selection.candidates=1\"") <
                strstr(out1, "\"point\": \"cache.capacity_objects=8 selection.candidates=2\""));
  /* replication r of every point runs seed 1 + r; params stored */
  g_assert_cmpint(db_count(db1, "SELECT count(*) FROM v_run WHERE seed != replication + 1"), ==, 0);
  g_assert_cmpint(db_count(db1, "SELECT count(*) FROM parameter WHERE key = 'cache.capacity_objects'"),
                  ==, db_count(db1, "SELECT count(*) FROM v_run"));
  /* precision: every point has 2..4 replications; a point below 4 has an
   * offload CI half-width < 1% of its mean (checked from the stored values) */
  g_autofree char *per = db_dump(db1, "SELECT point_key, n, mean, variance FROM v_point_scalar "
                                      "WHERE name = 'offload' ORDER BY point_key");
  g_auto(GStrv) rows = g_strsplit(per, "\n", -1);
  guint npoints = 0;
  for (guint i = 0; rows[i] && *rows[i]; i++, npoints++) {
    g_auto(GStrv) c = g_strsplit(rows[i], "|", -1);
    int n = atoi(c[1]);
    double mean = g_ascii_strtod(c[2], NULL), var = g_ascii_strtod(c[3], NULL);
    g_assert_cmpint(n, >=, 2);
    g_assert_cmpint(n, <=, 4);
    /* t(0.975, n-1) for n = 2, 3 */
    double t = n == 2 ? 12.706204736 : 4.302652730;
    if (n < 4) g_assert_cmpfloat(t * sqrt(var / n), <, 0.01 * mean);
  }
  g_assert_cmpuint(npoints, ==, 4);
}

/* A rerun over a database holding some of the runs runs only the others. */
static void test_resume(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "r.db", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *a1[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=8,16",
                      "--set", "run.replications=2", "--jobs", "2", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, a1, &out, &err), ==, 0);
  g_assert_nonnull(strstr(err, "4 runs: 4 run now, 0 found"));
  g_autofree char *ids = db_dump(db, "SELECT id, scenario_sha256, seed FROM run ORDER BY id");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  const char *a2[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=8,16,32",
                      "--set", "run.replications=3", "--jobs", "2", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, a2, &out, &err), ==, 0);
  g_assert_nonnull(strstr(err, "9 runs: 5 run now, 4 found"));
  g_assert_cmpint(db_count(db, "SELECT count(*) FROM run"), ==, 9);
  /* the first 4 runs are untouched */
  g_autofree char *ids2 = db_dump(db, "SELECT id, scenario_sha256, seed FROM run WHERE id <= 4 ORDER BY id");
  g_assert_cmpstr(ids, ==, ids2);
}

/* A sweep killed with SIGKILL mid-way leaves complete runs only; the rerun
 * runs exactly the missing ones, and the result equals an unbroken sweep. */
static void test_kill_resume(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "k.db", NULL);
  g_autofree char *ref = g_build_filename(f->dir, "ref.db", NULL);
  const char *args[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=4,8,16,32,64,128",
                        "--set", "run.replications=3", "--jobs", "1", "--quiet", "--out", db, NULL};
  g_autoptr(GPtrArray) argv = argv_of(args);
  GPid pid;
  g_autoptr(GError) e = NULL;
  g_assert_true(g_spawn_async(f->dir, (char **)argv->pdata, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                  G_SPAWN_STDERR_TO_DEV_NULL,
                              NULL, NULL, &pid, &e));
  g_assert_no_error(e);
  /* wait for the second complete run (polling; no timing is asserted) */
  for (int i = 0; i < 6000; i++) {
    g_usleep(10000);
    if (g_file_test(db, G_FILE_TEST_EXISTS)) {
      sqlite3 *h = NULL;
      gint64 n = 0;
      if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM run WHERE status = 'complete'", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
          n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
      }
      sqlite3_close(h);
      if (n >= 2) break;
    }
  }
  g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_spawn_close_pid(pid);
  gint64 stored = db_count(db, "SELECT count(*) FROM run WHERE status = 'complete'");
  g_assert_cmpint(stored, >=, 2);
  /* the file is sound and holds complete runs only (issue 9: crash safety) */
  g_autofree char *ic = db_dump(db, "PRAGMA integrity_check");
  g_assert_cmpstr(ic, ==, "ok\n");
  g_assert_cmpint(db_count(db, "SELECT count(*) FROM run"), ==, stored);
  if (WIFSIGNALED(status)) g_assert_cmpint(stored, <, 18);
  g_test_message("killed after %" G_GINT64_FORMAT " of 18 runs", stored);

  g_autofree char *out = NULL, *err = NULL;
  const char *again[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=4,8,16,32,64,128",
                         "--set", "run.replications=3", "--jobs", "2", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, again, &out, &err), ==, 0);
  g_autofree char *want = g_strdup_printf("18 runs: %" G_GINT64_FORMAT " run now, %" G_GINT64_FORMAT
                                          " found", 18 - stored, stored);
  g_assert_nonnull(strstr(err, want));
  g_assert_cmpint(db_count(db, "SELECT count(*) FROM run"), ==, 18);
  g_autofree char *ic2 = db_dump(db, "PRAGMA integrity_check");
  g_assert_cmpstr(ic2, ==, "ok\n");
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  const char *fresh[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=4,8,16,32,64,128",
                         "--set", "run.replications=3", "--jobs", "2", "--out", ref, NULL};
  g_assert_cmpint(run_meshsim(f->dir, fresh, &out, &err), ==, 0);
  g_autofree char *d1 = db_dump(db, scalar_sql), *d2 = db_dump(ref, scalar_sql);
  g_assert_cmpstr(d1, ==, d2);
}

/* Bad input anywhere in the grid: exit 2, one line, nothing written. */
static void test_bad_input(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "bad.db", NULL);
  const char *bad[][8] = {
    {"--set", "cache.capacity_objects=8,nosuch", NULL},
    {"--set", "peers.count=10,0", NULL},
    {"--set", "nosuch.key=1,2", NULL},
    {"--set", "cache.policy=nosuch", NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    const char *args[] = {"sweep", scn, bad[i][0], bad[i][1], "--out", db, NULL};
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 2);
    g_assert_cmpstr(out, ==, "");
    g_assert_nonnull(strchr(err, '\n'));
    g_assert_cmpstr(strchr(err, '\n') + 1, ==, "");
    g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
  }
}

/* The capacity answer equals linear interpolation between the bracketing
 * grid points' means, read here from v_point_scalar; a target the grid
 * cannot meet exits 1; a target met at the first point answers it. */
static void test_report_capacity(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "c.db", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *a[] = {"sweep", scn, SMALL, "--set", "cache.capacity_objects=8,32,128",
                     "--set", "run.replications=2", "--jobs", "2", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, a, &out, &err), ==, 0);
  g_autofree char *means = db_dump(db, "SELECT mean FROM v_point_scalar WHERE name = 'offload' "
                                       "ORDER BY CAST(substr(point_key, 24) AS INTEGER)");
  g_auto(GStrv) m = g_strsplit(means, "\n", -1);
  double m8 = g_ascii_strtod(m[0], NULL), m32 = g_ascii_strtod(m[1], NULL);
  g_assert_cmpfloat(m8, <, m32); /* a bigger cache offloads more */
  double target = (m8 + 3 * m32) / 4;
  double want = 8 + (target - m8) * (32 - 8) / (m32 - m8);
  g_autofree char *cap = g_strdup_printf("offload >= %.9f", target);
  const char *r[] = {"report", db, "--capacity", cap, "--vary", "cache.capacity_objects", NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, r, &out, &err), ==, 0);
  const char *ans = strstr(out, "answer: cache.capacity_objects = ");
  g_assert_nonnull(ans);
  double got = g_ascii_strtod(ans + strlen("answer: cache.capacity_objects = "), NULL);
  g_assert_cmpfloat(fabs(got - want), <, 1e-4 * want);
  g_assert_nonnull(strstr(out, "between 8 and 32"));

  const char *never[] = {"report", db, "--capacity", "offload >= 0.9999", "--vary",
                         "cache.capacity_objects", NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, never, &out, &err), ==, 1);
  g_assert_nonnull(strstr(out, "answer: none"));
  /* units: 1s = 1 second; every point's mean latency is below it */
  const char *first[] = {"report", db, "--capacity", "mean_latency_s <= 1s", "--vary",
                         "cache.capacity_objects", NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, first, &out, &err), ==, 0);
  g_assert_nonnull(strstr(out, "answer: cache.capacity_objects = 8 "));
  const char *badk[] = {"report", db, "--capacity", "offload >= 0.5", "--vary", "cache.policy", NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, badk, &out, &err), ==, 2);
}

/* A geo sweep: with --jobs 1 each run gets the machine's cores (the
 * tracker on a second thread), with --jobs 2 one each on a 2-core
 * machine; the stored scalars are the same. */
static void test_geo_jobs_identical(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/edgemesh.ini");
  char *dbs[2] = {NULL, NULL};
  for (int j = 0; j < 2; j++) {
    dbs[j] = g_build_filename(f->dir, j ? "g2.db" : "g1.db", NULL);
    const char *args[] = {"sweep", scn, "--set", "run.duration=20min", "--set",
                          "churn.concurrent=60", "--set", "traffic.pages=500", "--set",
                          "selection.candidates=2,8", "--jobs", j ? "2" : "1", "--quiet",
                          "--out", dbs[j], NULL};
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
  }
  g_autofree char *d1 = db_dump(dbs[0], scalar_sql), *d2 = db_dump(dbs[1], scalar_sql);
  g_assert_nonnull(strstr(d1, "mesh_fetches"));
  g_assert_cmpstr(d1, ==, d2);
  g_free(dbs[0]);
  g_free(dbs[1]);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/sweep/jobs-identical", Fixture, NULL, fx_setup, test_jobs_identical, fx_teardown);
  g_test_add("/sweep/geo-jobs-identical", Fixture, NULL, fx_setup, test_geo_jobs_identical,
             fx_teardown);
  g_test_add("/sweep/resume", Fixture, NULL, fx_setup, test_resume, fx_teardown);
  g_test_add("/sweep/kill-resume", Fixture, NULL, fx_setup, test_kill_resume, fx_teardown);
  g_test_add("/sweep/bad-input", Fixture, NULL, fx_setup, test_bad_input, fx_teardown);
  g_test_add("/sweep/report-capacity", Fixture, NULL, fx_setup, test_report_capacity, fx_teardown);
  return g_test_run();
}
