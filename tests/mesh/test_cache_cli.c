/*
 * test_cache_cli.c: `meshsim cache` on tiny generated traces (csv with a
 * header, oracleGeneral), on a truncated and a malformed one (exit 2, the
 * byte offset in the message), and bad option values (exit 2). Runs the
 * binary named by MESHSIM_BINARY (set by ctest).
 *
 * The trace: 1 2 3 1 4 2 5 1 3 6 1 2 (sizes 10 each, object 9 asks 500
 * first and 7 later, so the first size must win), capacity 30 bytes: the
 * lru golden of the conformance test, 2 hits of 12 + 2 more requests.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

static const char *binary(void) {
  const char *b = g_getenv("MESHSIM_BINARY");
  if (!b) g_test_skip("MESHSIM_BINARY not set");
  return b;
}

static int run(const char *const *argv, char **out, char **err) {
  int status = 0;
  GError *e = NULL;
  gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                             &status, &e);
  g_assert_no_error(e);
  g_assert_true(ok);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const unsigned long trace[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 6, 1, 2, 9, 9};

static char *write_csv(const char *dir) {
  GString *s = g_string_new("time,id,size\n");
  for (size_t i = 0; i < G_N_ELEMENTS(trace); i++)
    g_string_append_printf(s, "%zu,%lu,%u\n", i, trace[i],
                           trace[i] == 9 ? (i == 12 ? 500u : 7u) : 10u);
  char *path = g_build_filename(dir, "t.csv", NULL);
  g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
  g_string_free(s, TRUE);
  return path;
}

static char *write_og(const char *dir, size_t cut) {
  GByteArray *b = g_byte_array_new();
  for (size_t i = 0; i < G_N_ELEMENTS(trace); i++) {
    guint8 rec[24] = {0};
    guint32 t = (guint32)i, size = trace[i] == 9 ? (i == 12 ? 500u : 7u) : 10u;
    guint64 id = trace[i];
    for (int k = 0; k < 4; k++) rec[k] = (guint8)(t >> (8 * k));
    for (int k = 0; k < 8; k++) rec[4 + k] = (guint8)(id >> (8 * k));
    for (int k = 0; k < 4; k++) rec[12 + k] = (guint8)(size >> (8 * k));
    memset(rec + 16, 0xff, 8);   /* next access: -1 */
    g_byte_array_append(b, rec, 24);
  }
  char *path = g_build_filename(dir, cut ? "cut.bin" : "t.bin", NULL);
  g_assert_true(g_file_set_contents(path, (char *)b->data, (gssize)(b->len - cut), NULL));
  g_byte_array_free(b, TRUE);
  return path;
}

static void check_table(const char *out) {
  /* lru at 30 bytes: 2 hits of 12, then 9 misses (500 > 30) twice:
   * 12 misses of 14; byte misses 10*10 + 2*500; total bytes 120 + 1000 */
  g_assert_nonnull(strstr(out, "\"policy\": \"lru\""));
  g_assert_nonnull(strstr(out, "\"size_bytes\": 30"));
  g_assert_nonnull(strstr(out, "\"requests\": 14"));
  g_assert_nonnull(strstr(out, "\"misses\": 12"));
  g_assert_nonnull(strstr(out, "\"byte_misses\": 1100"));
  g_assert_nonnull(strstr(out, "\"miss_ratio\": 0.857143"));
  g_assert_nonnull(strstr(out, "\"byte_miss_ratio\": 0.982143"));
}

static void test_csv_and_og(void) {
  const char *b = binary();
  if (!b) return;
  g_autofree char *dir = g_dir_make_tmp("meshsim-cache-XXXXXX", NULL);
  g_autofree char *csv = write_csv(dir), *og = write_og(dir, 0), *cut = write_og(dir, 5);
  char *out = NULL, *err = NULL;
  const char *a1[] = {b, "cache", "--trace", csv, "--format", "csv", "--size", "30", "--json", NULL};
  g_assert_cmpint(run(a1, &out, &err), ==, 0);
  check_table(out);
  g_free(out), g_free(err);
  const char *a2[] = {b, "cache", "--trace", og, "--format", "oracleGeneral", "--size", "30", "--json", NULL};
  g_assert_cmpint(run(a2, &out, &err), ==, 0);
  check_table(out);
  g_free(out), g_free(err);
  /* working set 6*10 + 500 = 560: 5% = 28 bytes; all policies, two sizes */
  const char *a3[] = {b, "cache", "--trace", og, "--format", "oracleGeneral", "--size", "5%,1KB",
                      "--policy", "all", NULL};
  g_assert_cmpint(run(a3, &out, &err), ==, 0);
  g_assert_nonnull(strstr(out, "byte_miss_ratio"));
  g_assert_nonnull(strstr(out, " 28 "));
  g_assert_nonnull(strstr(out, "gdsf"));
  g_free(out), g_free(err);
  const char *a4[] = {b, "cache", "--trace", cut, "--format", "oracleGeneral", NULL};
  g_assert_cmpint(run(a4, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "cut.bin"));
  g_assert_nonnull(strstr(err, "byte offset 312"));   /* record 13 of 14 */
  g_free(out), g_free(err);
  g_autofree char *badcsv = g_build_filename(dir, "bad.csv", NULL);
  g_assert_true(g_file_set_contents(badcsv, "1,2,3\n4,5\n", -1, NULL));
  const char *a5[] = {b, "cache", "--trace", badcsv, "--format", "csv", NULL};
  g_assert_cmpint(run(a5, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "bad.csv"));
  g_assert_nonnull(strstr(err, "byte offset 6"));
  g_free(out), g_free(err);
  const char *bads[][10] = {
    {b, "cache", "--trace", csv, "--format", "xml", NULL},
    {b, "cache", "--trace", csv, "--format", "csv", "--size", "12XB", NULL},
    {b, "cache", "--trace", csv, "--format", "csv", "--policy", "mru", NULL},
    {b, "cache", "--zipf", "0.9", "--objects", "0", "--requests", NULL},
    {b, "cache", "--trace", "/nonexistent/x.csv", "--format", "csv", NULL},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bads); i++) {
    g_assert_cmpint(run(bads[i], &out, &err), ==, 2);
    g_assert_nonnull(strchr(err, '\n'));
    g_assert_true(strchr(err, '\n')[1] == '\0');   /* one line */
    g_free(out), g_free(err);
  }
  g_remove(csv), g_remove(og), g_remove(cut), g_remove(badcsv);
  g_rmdir(dir);
}

static void test_synthetic(void) {
  const char *b = binary();
  if (!b) return;
  char *out1 = NULL, *out2 = NULL, *err = NULL;
  const char *a[] = {b, "cache", "--zipf", "0.9", "--objects", "2000", "--requests", "20000",
                     "--seed", "7", "--policy", "lru,s3fifo", "--size", "10%", "--json", NULL};
  g_assert_cmpint(run(a, &out1, &err), ==, 0);
  g_free(err);
  g_assert_cmpint(run(a, &out2, &err), ==, 0);
  g_free(err);
  g_assert_cmpstr(out1, ==, out2);   /* same seed, same numbers */
  g_assert_nonnull(strstr(out1, "\"requests\": 20000"));
  g_free(out1), g_free(out2);
  /* infinite cache: only compulsory misses = distinct objects */
  const char *c[] = {b, "cache", "--zipf", "0.9", "--objects", "50", "--requests", "5000",
                     "--policy", "all", "--size", "100%", "--ignore-size", "--json", NULL};
  g_assert_cmpint(run(c, &out1, &err), ==, 0);
  g_assert_nonnull(strstr(out1, "\"size_objects\": 50"));
  unsigned n50 = 0;
  for (const char *q = out1; (q = strstr(q, "\"misses\": 50,")); q++) n50++;
  g_assert_cmpuint(n50, ==, 8);   /* every policy: compulsory misses only */
  g_free(out1), g_free(err);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cache-cli/csv-and-oracleGeneral", test_csv_and_og);
  g_test_add_func("/cache-cli/synthetic", test_synthetic);
  return g_test_run();
}
