/*
 * test_warmup_fork.c: `meshsim sweep --warmup` and `meshsim compare
 * --warmup` through the binary: every stored run of a forked sweep is
 * reproduced bit for bit by `meshsim run` of its stored scenario text (the
 * from-scratch run with [run] warmup_* = the first point's algorithm); a
 * rerun resumes; non-algorithm axes are refused (exit 2).
 */
#include "cli-test-util.h"

static char *tiny(Fixture *f) {
  g_autofree char *ref = source_path("scenarios/bench/reference.ini");
  g_autofree char *ext = g_strdup_printf("[scenario]\nextends = %s\nname = tiny\n[run]\n"
                                         "duration = 30min\n[peers]\ncount = 400\n",
                                         ref);
  return write_file(f->dir, "tiny.ini", ext);
}

static void test_sweep_fork_reproduced(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scen = tiny(f);
  const char *sweep[] = {"sweep", scen, "--set", "cache.policy=lru,s3fifo", "--set",
                         "selection.candidates=1,4", "--warmup", "10min", "--jobs", "2",
                         "--out", "w.db", "--quiet", NULL};
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint(run_meshsim(f->dir, sweep, &o, &e), ==, 0);
  g_autofree char *db = g_build_filename(f->dir, "w.db", NULL);
  g_assert_cmpint(db_count(db, "SELECT count(*) FROM run"), ==, 4);
  for (int id = 1; id <= 4; id++) {
    g_autofree char *q = g_strdup_printf("SELECT scenario_text FROM run WHERE id = %d", id);
    g_autofree char *text = db_dump(db, q);
    g_assert_nonnull(strstr(text, "warmup = 10min"));
    g_assert_nonnull(strstr(text, "warmup_policy = lru")); /* the first point's */
    g_assert_nonnull(strstr(text, "warmup_candidates = 1"));
    g_autofree char *name = g_strdup_printf("r%d.ini", id);
    g_autofree char *ini = write_file(f->dir, name, text);
    g_autofree char *out = g_strdup_printf("r%d.db", id);
    const char *run[] = {"run", ini, "--out", out, "--quiet", NULL};
    g_autofree char *o2 = NULL, *e2 = NULL;
    g_assert_cmpint(run_meshsim(f->dir, run, &o2, &e2), ==, 0);
    g_autofree char *rdb = g_build_filename(f->dir, out, NULL);
    g_autofree char *qa = g_strdup_printf(
        "SELECT name, printf('%%!.17g', value) FROM scalar WHERE run_id = %d ORDER BY name", id);
    g_autofree char *a = db_dump(db, qa);
    g_autofree char *b = db_dump(rdb,
        "SELECT name, printf('%!.17g', value) FROM scalar WHERE run_id = 1 ORDER BY name");
    g_assert_cmpuint(strlen(a), >, 100);
    g_assert_cmpstr(a, ==, b);
  }
  /* the points do differ (the switch happened) */
  g_assert_cmpint(db_count(db, "SELECT count(DISTINCT value) FROM scalar WHERE name = 'mesh_fetches'"),
                  >, 1);
  /* resume */
  g_autofree char *o3 = NULL, *e3 = NULL;
  g_assert_cmpint(run_meshsim(f->dir, sweep, &o3, &e3), ==, 0);
  g_assert_nonnull(strstr(e3, "0 run now, 4 found"));
}

static void test_sweep_fork_refuses_other_axes(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scen = tiny(f);
  const char *sweep[] = {"sweep", scen, "--set", "peers.count=100,200", "--warmup", "10min",
                         "--out", "x.db", "--quiet", NULL};
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint(run_meshsim(f->dir, sweep, &o, &e), ==, 2);
  g_assert_nonnull(strstr(e, "algorithm key"));
  g_autofree char *db = g_build_filename(f->dir, "x.db", NULL);
  g_assert_false(g_file_test(db, G_FILE_TEST_EXISTS));
}

static void test_compare_fork(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *a = tiny(f);
  g_autofree char *ref = source_path("scenarios/bench/reference.ini");
  g_autofree char *btext = g_strdup_printf("[scenario]\nextends = tiny.ini\nname = B\n"
                                           "[cache]\npolicy = fifo\n");
  g_autofree char *b = write_file(f->dir, "b.ini", btext);
  const char *cmp[] = {"compare", a, b, "-r", "2", "--warmup", "10min", "--json", NULL};
  g_autofree char *o = NULL, *e = NULL;
  g_assert_cmpint(run_meshsim(f->dir, cmp, &o, &e), ==, 0);
  g_assert_nonnull(strstr(o, "\"object_requests\""));
  /* the same visitors and pages in both: requests are paired exactly */
  g_assert_nonnull(strstr(o, "{\"name\": \"object_requests\""));
  const char *p = strstr(o, "{\"name\": \"object_requests\"");
  g_assert_nonnull(strstr(p, "\"diff\": 0,"));
  /* a B that differs in a non-algorithm key is refused */
  g_autofree char *ctext = g_strdup_printf("[scenario]\nextends = tiny.ini\n[peers]\ncount = 500\n");
  g_autofree char *c = write_file(f->dir, "c.ini", ctext);
  const char *bad[] = {"compare", a, c, "-r", "2", "--warmup", "10min", NULL};
  g_autofree char *o2 = NULL, *e2 = NULL;
  g_assert_cmpint(run_meshsim(f->dir, bad, &o2, &e2), ==, 2);
  g_assert_nonnull(strstr(e2, "algorithm keys"));
  (void)ref;
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/warmup-fork/sweep-reproduced", Fixture, NULL, fx_setup, test_sweep_fork_reproduced,
             fx_teardown);
  g_test_add("/warmup-fork/sweep-refuses-other-axes", Fixture, NULL, fx_setup,
             test_sweep_fork_refuses_other_axes, fx_teardown);
  g_test_add("/warmup-fork/compare", Fixture, NULL, fx_setup, test_compare_fork, fx_teardown);
  return g_test_run();
}
