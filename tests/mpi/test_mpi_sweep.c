/*
 * test_mpi_sweep.c: `mpirun -n 2 meshsim sweep` (rank 0 coordinates and
 * writes, rank 1 runs) stores exactly what a one-process sweep of the same
 * grid stores: the same runs (scenario SHA-256, seed, point), bit-equal
 * scalars, series and histogram buckets. Also: the MPI build outside mpirun
 * (a singleton) is a plain one-process sweep.
 */
#include "../cli/cli-test-util.h"

#include <math.h>

/* Rows of a query, REAL columns printed with 17 digits (exact). */
static char *exact_dump(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  GString *s = g_string_new(NULL);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      if (c) g_string_append_c(s, '|');
      if (sqlite3_column_type(st, c) == SQLITE_FLOAT)
        g_string_append_printf(s, "%.17g", sqlite3_column_double(st, c));
      else if (sqlite3_column_type(st, c) == SQLITE_NULL)
        g_string_append(s, "NULL");
      else
        g_string_append(s, (const char *)sqlite3_column_text(st, c));
    }
    g_string_append_c(s, '\n');
  }
  g_assert_cmpint(rc, ==, SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return g_string_free(s, FALSE);
}

static const char *const queries[] = {
  "SELECT r.scenario_sha256, r.seed, r.replication, r.point_key, s.name, s.value "
  "FROM scalar s JOIN run r ON r.id = s.run_id ORDER BY 1, 2, 5",
  "SELECT r.scenario_sha256, r.seed, s.name, s.t_s, s.value "
  "FROM series s JOIN run r ON r.id = s.run_id ORDER BY 1, 2, 3, 4",
  "SELECT r.scenario_sha256, r.seed, h.name, h.count, h.sum, h.min, h.max "
  "FROM histogram h JOIN run r ON r.id = h.run_id ORDER BY 1, 2, 3",
  "SELECT r.scenario_sha256, r.seed, b.name, b.lo, b.hi, b.count "
  "FROM histogram_bin b JOIN run r ON r.id = b.run_id ORDER BY 1, 2, 3, 4",
  "SELECT r.scenario_sha256, r.seed, p.key, p.value FROM parameter p JOIN run r ON r.id = p.run_id "
  "ORDER BY 1, 2, 3",
};

static void test_mpi_equals_one_process(Fixture *f, gconstpointer data) {
  (void)data;
  const char *mpiexec = g_getenv("MESHSIM_MPIEXEC");
  g_assert_nonnull(mpiexec);
  g_autofree char *ref = source_path("scenarios/bench/reference.ini");
  g_autofree char *ext = g_strdup_printf("[scenario]\nextends = %s\nname = tiny\n[run]\n"
                                         "duration = 20min\nreplications = 2\n[peers]\n"
                                         "count = 300\n",
                                         ref);
  g_autofree char *scen = write_file(f->dir, "tiny.ini", ext);
  const char *one[] = {"sweep", scen, "--set", "cache.policy=lru,fifo", "--jobs", "2",
                       "--out", "one.db", "--quiet", NULL};
  g_autofree char *o1 = NULL, *e1 = NULL;
  g_assert_cmpint(run_meshsim(f->dir, one, &o1, &e1), ==, 0);

  const char *bin = g_getenv("MESHSIM_BINARY");
  const char *argv[] = {mpiexec, "--allow-run-as-root", "--oversubscribe", "-n", "2", bin,
                        "sweep", scen, "--set", "cache.policy=lru,fifo", "--out", "mpi.db",
                        "--quiet", NULL};
  g_autofree char *o2 = NULL, *e2 = NULL;
  int status = 0;
  g_autoptr(GError) e = NULL;
  g_assert_true(g_spawn_sync(f->dir, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o2, &e2,
                             &status, &e));
  g_assert_no_error(e);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) g_printerr("mpirun stderr:\n%s\n", e2);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  /* the statistics rank 0 printed are those of the one-process sweep */
  g_assert_cmpstr(o2, ==, o1);

  g_autofree char *db1 = g_build_filename(f->dir, "one.db", NULL);
  g_autofree char *db2 = g_build_filename(f->dir, "mpi.db", NULL);
  g_assert_cmpint(db_count(db1, "SELECT count(*) FROM run WHERE status = 'complete'"), ==, 4);
  g_assert_cmpint(db_count(db2, "SELECT count(*) FROM run WHERE status = 'complete'"), ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS(queries); i++) {
    g_autofree char *a = exact_dump(db1, queries[i]);
    g_autofree char *b = exact_dump(db2, queries[i]);
    g_assert_cmpuint(strlen(a), >, 0);
    g_assert_cmpstr(a, ==, b);
  }
  /* rerunning under MPI resumes: nothing to run */
  g_autofree char *o3 = NULL, *e3 = NULL;
  g_assert_true(g_spawn_sync(f->dir, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o3, &e3,
                             &status, &e));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
  g_assert_nonnull(strstr(e3, "0 run now, 4 found"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/mpi/sweep-equals-one-process", Fixture, NULL, fx_setup,
             test_mpi_equals_one_process, fx_teardown);
  return g_test_run();
}
