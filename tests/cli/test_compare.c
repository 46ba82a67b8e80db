/*
 * test_compare.c: the statistics of sim/cli/stats.c against values
 * computed by hand and from published t tables, and `meshsim compare`:
 * a scenario against itself gives differences of exactly 0 and no
 * significant difference; LRU of 8 objects against 64 has worse local
 * hits (common random numbers: the workload counts are identical).
 */
#include "cli-test-util.h"

#include <math.h>

#include "cli/stats.h"

static void test_stats(void) {
  /* t(0.975, df) from the standard tables */
  g_assert_cmpfloat(fabs(stats_t975(1) - 12.7062), <, 1e-4);
  g_assert_cmpfloat(fabs(stats_t975(4) - 2.7764), <, 1e-4);
  g_assert_cmpfloat(fabs(stats_t975(30) - 2.0423), <, 1e-4);
  double v[] = {1, 2, 3, 4, 5, NAN};
  StatSummary s = stats_summarize(v, 6);
  g_assert_cmpuint(s.n, ==, 5);
  g_assert_cmpfloat(s.mean, ==, 3.0);
  g_assert_cmpfloat(fabs(s.sd - sqrt(2.5)), <, 1e-12);
  g_assert_cmpfloat(fabs(s.ci95 - 2.776445105 * sqrt(2.5) / sqrt(5.0)), <, 1e-8);
  StatSummary one = stats_summarize(v, 1);
  g_assert_cmpuint(one.n, ==, 1);
  g_assert_true(isnan(one.sd));
  /* paired: b = a + 1 exactly -> mean 1, sd 0, CI 0 */
  double b[] = {2, 3, 4, 5, 6, 7};
  StatSummary d = stats_paired(v, b, 6);
  g_assert_cmpuint(d.n, ==, 5);
  g_assert_cmpfloat(d.mean, ==, 1.0);
  g_assert_cmpfloat(d.ci95, ==, 0.0);
  /* Welch: equal summaries -> p = 0.5; b far above a -> p tiny, and its
   * mirror image -> p near 1 */
  StatSummary a1 = {5, 10, 1, NAN}, b1 = {5, 10, 1, NAN}, b2 = {5, 13, 1, NAN};
  g_assert_cmpfloat(fabs(stats_welch_p_greater(&a1, &b1) - 0.5), <, 1e-12);
  /* t = 3 / sqrt(0.4) = 4.743, df = 8: one-sided p = 0.000727 */
  g_assert_cmpfloat(fabs(stats_welch_p_greater(&a1, &b2) - 0.000727), <, 2e-5);
  g_assert_cmpfloat(stats_welch_p_greater(&b2, &a1), >, 0.999);
  g_assert_true(stats_precise_enough(&s, 0.7));
  g_assert_false(stats_precise_enough(&s, 0.6));
  g_assert_cmpint(stats_better_direction("offload"), ==, 1);
  g_assert_cmpint(stats_better_direction("mean_latency_s"), ==, -1);
  g_assert_cmpint(stats_better_direction("page_load_p95_s"), ==, -1);
  g_assert_cmpint(stats_better_direction("object_requests"), ==, 0);
}

static char *small_scenario(Fixture *f, const char *name, const char *extra) {
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *text = g_strdup_printf("[scenario]\nextends = %s\n[run]\nduration = 20min\n"
                                          "[peers]\ncount = 1000\n%s", scn, extra);
  return write_file(f->dir, name, text);
}

/* The line of `metric` in the text table. (transfer none) */
static char *metric_line(const char *out, const char *metric) {
  g_autofree char *needle = g_strdup_printf("\n%s ", metric);
  const char *p = strstr(out, needle);
  g_assert_nonnull(p);
  const char *e = strchr(p + 1, '\n');
  return g_strndup(p + 1, (gsize)(e - p - 1));
}

static void test_self(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *a = small_scenario(f, "a.ini", "");
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = {"compare", a, a, "--replications", "3", "--jobs", "2", "--json", NULL};
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  guint metrics = 0;
  for (guint i = 0; lines[i]; i++) {
    if (!strstr(lines[i], "\"name\"")) continue;
    metrics++;
    g_assert_nonnull(strstr(lines[i], "\"diff\": 0, \"ci95\": 0, \"n\": 3, "
                                      "\"verdict\": \"no significant difference\""));
  }
  g_assert_cmpuint(metrics, >=, 6);
  g_autofree char *res = g_build_filename(f->dir, "results", NULL);
  g_assert_false(g_file_test(res, G_FILE_TEST_EXISTS)); /* compare writes no database */
}

static void test_lru_capacity(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *a = small_scenario(f, "a.ini", "[cache]\npolicy = lru\ncapacity_objects = 64\n");
  g_autofree char *b = small_scenario(f, "b.ini", "[cache]\npolicy = lru\ncapacity_objects = 8\n");
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = {"compare", a, b, "-r", "4", "--jobs", "2", NULL};
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 0);
  g_autofree char *hits = metric_line(out, "local_hits");
  g_assert_true(g_str_has_suffix(hits, " worse"));
  g_autofree char *off = metric_line(out, "offload");
  g_assert_true(g_str_has_suffix(off, " worse"));
  /* common random numbers: the same visitors and pages */
  g_autofree char *req = metric_line(out, "object_requests");
  g_assert_true(g_str_has_suffix(req, "no significant difference"));
  g_autofree char *pv = metric_line(out, "page_views");
  g_assert_nonnull(strstr(pv, " 0   ± 0 "));
  /* bad input: exit 2 */
  const char *bad[] = {"compare", a, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, bad, &out, &err), ==, 2);
  g_autofree char *c = small_scenario(f, "c.ini", "[cache]\npolicy = nosuch\n");
  const char *bad2[] = {"compare", a, c, NULL};
  g_clear_pointer(&out, g_free);
  g_clear_pointer(&err, g_free);
  g_assert_cmpint(run_meshsim(f->dir, bad2, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "unknown policy 'nosuch'"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/compare/stats", test_stats);
  g_test_add("/compare/self", Fixture, NULL, fx_setup, test_self, fx_teardown);
  g_test_add("/compare/lru-capacity", Fixture, NULL, fx_setup, test_lru_capacity, fx_teardown);
  return g_test_run();
}
