/*
 * test_cli.c: the meshsim binary as a user meets it: exit codes, one-line
 * errors naming FILE:LINE: [section] key, nothing written on bad input,
 * the summary keys, the results database, determinism across runs, and the
 * README's key reference kept equal to `meshsim keys --markdown`.
 */
#include "cli-test-util.h"

static guint count_entries(const char *dir) {
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  guint n = 0;
  while (d && g_dir_read_name(d)) n++;
  return n;
}

/* A bad scenario: exit 2, exactly one line on stderr equal to `want`
 * (with FILE replaced by the path), nothing on stdout, nothing written. */
static void expect_bad(Fixture *f, const char *text, const char *const *extra, const char *want) {
  g_autofree char *p = write_file(f->dir, "bad.ini", text);
  guint before = count_entries(f->dir);
  g_autoptr(GPtrArray) args = g_ptr_array_new();
  g_ptr_array_add(args, "run");
  g_ptr_array_add(args, p);
  g_ptr_array_add(args, "--quiet");
  for (guint i = 0; extra && extra[i]; i++) g_ptr_array_add(args, (gpointer)extra[i]);
  g_ptr_array_add(args, NULL);
  g_autofree char *out = NULL, *err = NULL;
  int rc = run_meshsim(f->dir, (const char *const *)args->pdata, &out, &err);
  g_assert_cmpint(rc, ==, 2);
  g_assert_cmpstr(out, ==, "");
  g_auto(GStrv) parts = g_strsplit(want, "FILE", -1);
  g_autofree char *expected = g_strjoinv(p, parts);
  g_autofree char *line = g_strconcat(expected, "\n", NULL);
  g_assert_cmpstr(err, ==, line);
  g_assert_cmpuint(count_entries(f->dir), ==, before); /* no results/ and no .db */
}

static void test_bad_input(Fixture *f, gconstpointer data) {
  (void)data;
  expect_bad(f, "[peers]\ncount = 10\n[nosuch]\nx = 1\n", NULL, "FILE:3: [nosuch]: unknown section");
  expect_bad(f, "[peers]\ncount = 10\ncolour = blue\n", NULL, "FILE:3: [peers] colour: unknown key");
  expect_bad(f, "[peers]\ncount = ten\n", NULL, "FILE:2: [peers] count: 'ten': not an integer");
  expect_bad(f, "[peers]\ncount = 0\n", NULL,
             "FILE:2: [peers] count: '0' is out of range (must be in [1, 100000000])");
  expect_bad(f, "[peers\ncount = 1\n", NULL, "FILE:1: malformed section header '[peers'");
  expect_bad(f, "[cache]\npolicy = mru\n", NULL,
             "FILE:2: [cache] policy: unknown policy 'mru' (known: lru, fifo, clock, lfu, arc, "
             "sieve, s3fifo, gdsf)");
  const char *set[] = {"--set", "run.duration=-1h", NULL};
  expect_bad(f, "[peers]\ncount = 10\n", set,
             "--set:1: [run] duration: '-1h' is out of range (must be in [1us, 366d])");
  g_autofree char *missing = g_build_filename(f->dir, "base.ini", NULL);
  g_autofree char *want = g_strdup_printf(
      "FILE:2: [scenario] extends: cannot read '%s': no such file", missing);
  expect_bad(f, "[scenario]\nextends = base.ini\n", NULL, want);
}

static void test_unknown_command(void) {
  const char *args[] = {"frobnicate", NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(".", args, &out, &err), ==, 2);
  const char *v[] = {"--version", NULL};
  g_free(out);
  g_free(err);
  g_assert_cmpint(run_meshsim(".", v, &out, &err), ==, 0);
  g_assert_true(g_str_has_prefix(out, "meshsim "));
}

static char *json_of_run(Fixture *f, const char *db) {
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  const char *args[] = {"run", scn, "--quiet", "--json", "--set", "peers.count=1500",
                        "--set", "run.duration=20min", "--out", db, NULL};
  char *out = NULL;
  g_autofree char *err = NULL;
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
  g_assert_cmpstr(err, ==, "");
  return out;
}

static void test_run_and_determinism(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *db = g_build_filename(f->dir, "r.db", NULL);
  g_autofree char *a = json_of_run(f, db);
  g_autofree char *b = json_of_run(f, db); /* the same run replaces itself */
  g_assert_cmpstr(a, ==, b);
  static const char *const required[] = {"object_requests", "local_hits", "mesh_fetches",
                                         "cdn_fetches", "offload", "mean_latency_s",
                                         "online_at_end", "events"};
  for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
    g_autofree char *k = g_strdup_printf("\"%s\": ", required[i]);
    g_assert_nonnull(strstr(a, k));
  }
  g_assert_true(g_file_test(db, G_FILE_TEST_EXISTS));

  /* plain summary: one key: value line per metric */
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  const char *args[] = {"run", scn, "--quiet", "--no-db", "--set", "peers.count=500",
                        "--set", "run.duration=5min", NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  g_assert_cmpstr(lines[0], ==, "scenario: reference");
  g_assert_true(g_str_has_prefix(lines[1], "object_requests: "));
  g_autofree char *results_dir = g_build_filename(f->dir, "results", NULL);
  g_assert_false(g_file_test(results_dir, G_FILE_TEST_EXISTS)); /* --no-db */
}

/* meshsim re-executes itself with glibc's huge-page tunable (main.c) unless
 * MESHSIM_THP=0: where the heap's pages come from must not change a
 * result. (Under the sanitizers and valgrind it never re-executes, and the
 * two runs are the same program.) */
static void test_huge_pages_same_results(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  const char *args[] = {"run", scn, "--quiet", "--no-db", "--json", "--set", "peers.count=2000",
                        "--set", "run.duration=20min", NULL};
  g_autoptr(GPtrArray) argv = argv_of(args);
  char *outs[2] = {NULL, NULL};
  for (int thp = 0; thp < 2; thp++) {
    g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "GLIBC_TUNABLES");
    env = thp ? g_environ_unsetenv(env, "MESHSIM_THP")
              : g_environ_setenv(env, "MESHSIM_THP", "0", TRUE);
    int status = 0;
    g_autoptr(GError) e = NULL;
    g_assert_true(g_spawn_sync(f->dir, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                               &outs[thp], NULL, &status, &e));
    g_assert_no_error(e);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  g_assert_nonnull(strstr(outs[0], "\"object_requests\": "));
  g_assert_cmpstr(outs[0], ==, outs[1]);
  g_free(outs[0]);
  g_free(outs[1]);
}

static void test_newer_schema_refused(Fixture *f, gconstpointer data) {
  (void)data;
  /* A database of a newer schema (user_version 99): exit 2, named, untouched. */
  g_autofree char *db = g_build_filename(f->dir, "new.db", NULL);
  g_autofree char *j = json_of_run(f, db);
  sqlite3 *h = NULL;
  g_assert_cmpint(sqlite3_open(db, &h), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(h, "PRAGMA user_version = 99;", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(h);
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  const char *args[] = {"run", scn, "--quiet", "--out", db, NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "schema version 99 is newer"));
  g_assert_true(g_str_has_prefix(err, db));
}

/* The README's key reference is `meshsim keys --markdown`, verbatim. */
static void test_readme_keys(void) {
  const char *args[] = {"keys", "--markdown", NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(".", args, &out, &err), ==, 0);
  g_autofree char *readme_path = source_path("README.md");
  g_autofree char *readme = NULL;
  g_assert_true(g_file_get_contents(readme_path, &readme, NULL, NULL));
  const char *begin = strstr(readme, "<!-- keys:begin -->\n");
  const char *end = strstr(readme, "<!-- keys:end -->");
  g_assert_nonnull(begin);
  g_assert_nonnull(end);
  begin += strlen("<!-- keys:begin -->\n");
  g_autofree char *section = g_strndup(begin, (gsize)(end - begin));
  if (strcmp(section, out) != 0)
    g_test_message("README.md key reference is stale: run tools/update-readme.sh");
  g_assert_cmpstr(section, ==, out);
}

/* `run --threads`: the geo day's summary does not depend on it; a
 * negative count is refused. */
static void test_run_threads(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/edgemesh.ini");
  char *outs[2] = {NULL, NULL};
  for (int t = 0; t < 2; t++) {
    const char *args[] = {"run", scn, "--quiet", "--no-db", "--threads", t ? "2" : "1",
                          "--set", "run.duration=30min", "--set", "churn.concurrent=100", NULL};
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
    g_assert_cmpstr(err, ==, "");
    outs[t] = g_steal_pointer(&out);
  }
  g_assert_nonnull(strstr(outs[0], "mesh_fetches: "));
  g_assert_null(strstr(outs[0], "mesh_fetches: 0\n"));
  g_assert_cmpstr(outs[0], ==, outs[1]);
  g_free(outs[0]);
  g_free(outs[1]);
  const char *bad[] = {"run", scn, "--threads", "-1", NULL};
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(f->dir, bad, &out, &err), ==, 2);
  g_assert_cmpstr(err, ==, "meshsim run: --threads must be >= 1 (or 0: the number of cores)\n");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/cli/bad-input", Fixture, NULL, fx_setup, test_bad_input, fx_teardown);
  g_test_add_func("/cli/commands", test_unknown_command);
  g_test_add("/cli/run-determinism", Fixture, NULL, fx_setup, test_run_and_determinism, fx_teardown);
  g_test_add("/cli/newer-schema", Fixture, NULL, fx_setup, test_newer_schema_refused, fx_teardown);
  g_test_add("/cli/huge-pages", Fixture, NULL, fx_setup, test_huge_pages_same_results,
             fx_teardown);
  g_test_add_func("/cli/readme-keys", test_readme_keys);
  g_test_add("/cli/run-threads", Fixture, NULL, fx_setup, test_run_threads, fx_teardown);
  return g_test_run();
}
