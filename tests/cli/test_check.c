/*
 * test_check.c: `meshsim check`: baselines written by --update-baseline
 * pass; a deliberately worse variant (LRU of 4 objects checked against
 * the 64-object baseline) is a regression (exit 1, "not ok", a JUnit
 * failure); a missing baseline or a malformed tolerance is an error
 * (exit 2); a directory skips the scenarios without [check] metrics.
 */
#include "cli-test-util.h"

static char *scenario(Fixture *f, const char *name, const char *extra) {
  g_autofree char *lru = source_path("tests/regression/lru.ini");
  g_autofree char *text = g_strdup_printf("[scenario]\nextends = %s\nname = %s\n"
                                          "[run]\nreplications = 3\nduration = 20min\n"
                                          "[peers]\ncount = 1000\n%s", lru, name, extra);
  g_autofree char *file = g_strconcat(name, ".ini", NULL);
  return write_file(f->dir, file, text);
}

static void test_check(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *good = scenario(f, "good", "");
  g_autofree char *out = NULL, *err = NULL;

  /* no baseline yet: error */
  const char *c0[] = {"check", good, NULL};
  g_assert_cmpint(run_meshsim(f->dir, c0, &out, &err), ==, 2);
  g_assert_nonnull(strstr(out, "not ok 1 - good baseline: missing baseline"));

  const char *up[] = {"check", "--update-baseline", good, "--jobs", "2", NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, up, &out, &err), ==, 0);
  g_autofree char *base = g_build_filename(f->dir, "good.baseline", NULL);
  g_autofree char *btext = NULL;
  g_assert_true(g_file_get_contents(base, &btext, NULL, NULL));
  g_assert_nonnull(strstr(btext, "\noffload.n: 3\n"));
  g_assert_nonnull(strstr(btext, "\nlocal_hits.mean: "));

  g_autofree char *junit = g_build_filename(f->dir, "j.xml", NULL);
  const char *c1[] = {"check", good, "--junit", junit, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, c1, &out, &err), ==, 0);
  g_assert_true(g_str_has_prefix(out, "TAP version 13\n1..4\nok 1 - good offload: "));
  g_assert_null(strstr(out, "not ok"));
  g_autofree char *x = NULL;
  g_assert_true(g_file_get_contents(junit, &x, NULL, NULL));
  g_assert_nonnull(strstr(x, "tests=\"4\" failures=\"0\" errors=\"0\""));

  /* the worse variant against the good baseline */
  g_autofree char *worse = scenario(f, "worse", "[cache]\ncapacity_objects = 4\n");
  g_autofree char *wbase = g_build_filename(f->dir, "worse.baseline", NULL);
  g_assert_true(g_file_set_contents(wbase, btext, -1, NULL));
  const char *c2[] = {"check", worse, "--junit", junit, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, c2, &out, &err), ==, 1);
  g_assert_nonnull(strstr(out, "not ok 1 - worse offload: "));
  g_assert_nonnull(strstr(out, "not ok 3 - worse local_hits: "));
  g_assert_nonnull(strstr(out, "significantly worse"));
  g_free(x);
  g_assert_true(g_file_get_contents(junit, &x, NULL, NULL));
  g_assert_nonnull(strstr(x, "<failure message="));

  /* a directory: both files (good passes, worse fails) -> 1; a file
   * without [check] metrics in the directory is skipped */
  g_autofree char *plain = write_file(f->dir, "plain.ini", "[peers]\ncount = 10\n");
  const char *c3[] = {"check", f->dir, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, c3, &out, &err), ==, 1);
  g_assert_nonnull(strstr(out, "1..8\n"));
  g_assert_nonnull(strstr(out, "ok 1 - good offload"));
  /* named explicitly, it is an error */
  const char *c4[] = {"check", plain, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, c4, &out, &err), ==, 2);

  /* malformed tolerances */
  const char *bad[] = {"offload:abs", "offload:rel:-1", "nosuch:abs:1", "events:notworse"};
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *extra = g_strdup_printf("[check]\nmetrics = offload events\ntolerance = %s\n",
                                             bad[i]);
    g_autofree char *p = scenario(f, "bad", extra);
    const char *c5[] = {"check", p, NULL};
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(run_meshsim(f->dir, c5, &out, &err), ==, 2);
    g_assert_nonnull(strstr(err, "[check] tolerance: "));
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/check/baseline-regression", Fixture, NULL, fx_setup, test_check, fx_teardown);
  return g_test_run();
}
