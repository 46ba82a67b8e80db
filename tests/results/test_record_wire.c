/*
 * test_record_wire.c: run_record_serialize / run_record_deserialize (the
 * warm-up fork's pipes, MPI messages): a record with every kind of row
 * survives the round trip (re-serialising gives the same bytes, and the
 * database rows written from the copy equal those of the original), NaN
 * and -0.0 cross bit-exactly, and every truncation is refused.
 */
#include "results/results.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static RunRecord *sample_record(void) {
  RunRecord *r = run_record_new();
  run_record_set_scenario(r, "wire", "[run]\nseed = 7\n");
  run_record_set_seed(r, 7, 3);
  run_record_set_point_key(r, "cache.policy=lru");
  run_record_set_build(r, "1.2.3", "abcdef");
  run_record_set_wall_time(r, 1700000000000000, 1700000001000000, 1.25);
  run_record_param(r, "cache.policy", "lru");
  run_record_scalar(r, "offload", 0.1 + 0.2);
  run_record_scalar(r, "undefined", NAN);
  run_record_scalar(r, "negzero", -0.0);
  for (int i = 0; i < 5; i++) {
    run_record_series(r, "online", i * 300.0, i * 1.5);
    run_record_series(r, "offload", i * 300.0, 1.0 / (i + 1));
  }
  Histogram *h = histogram_new();
  for (int i = 0; i < 1000; i++) histogram_add(h, (i % 7) * 0.013 + (i % 3 ? 0 : 1e-4 * i));
  histogram_add(h, 0.0);
  run_record_histogram(r, "latency_s", h);
  Histogram *empty = histogram_new();
  run_record_histogram(r, "empty", empty);
  histogram_free(h);
  histogram_free(empty);
  run_record_breakdown(r, RESULTS_DIM_COUNTRY, "DE", "mesh_bytes", 12345);
  run_record_breakdown(r, RESULTS_DIM_NETWORK, "17", "mesh_bytes", 99);
  return r;
}

static void test_round_trip(void) {
  g_autoptr(RunRecord) r = sample_record();
  g_autoptr(GBytes) b1 = run_record_serialize(r);
  gsize n1;
  const void *d1 = g_bytes_get_data(b1, &n1);
  g_autoptr(GError) e = NULL;
  g_autoptr(RunRecord) c = run_record_deserialize(d1, n1, &e);
  g_assert_no_error(e);
  g_autoptr(GBytes) b2 = run_record_serialize(c);
  g_assert_true(g_bytes_equal(b1, b2));
  g_assert_cmpstr(run_record_scenario_sha256(c), ==, run_record_scenario_sha256(r));
  double v;
  g_assert_true(run_record_lookup_scalar(c, "undefined", &v));
  g_assert_true(isnan(v));
  g_assert_true(run_record_lookup_scalar(c, "negzero", &v));
  g_assert_true(signbit(v));
  g_assert_true(run_record_lookup_scalar(c, "offload", &v));
  g_assert_cmpfloat(v, ==, 0.1 + 0.2);

  /* the database rows of the copy are those of the original */
  g_autofree char *dir = g_dir_make_tmp("meshsim-wire-XXXXXX", NULL);
  g_autofree char *p1 = g_build_filename(dir, "a.db", NULL);
  g_autofree char *p2 = g_build_filename(dir, "b.db", NULL);
  ResultsDb *db1 = results_open(p1, &e);
  g_assert_no_error(e);
  ResultsDb *db2 = results_open(p2, &e);
  g_assert_no_error(e);
  gint64 id1 = results_write_run(db1, r, &e);
  g_assert_no_error(e);
  gint64 id2 = results_write_run(db2, c, &e);
  g_assert_no_error(e);
  Histogram *h1 = results_get_histogram(db1, id1, "latency_s", &e);
  Histogram *h2 = results_get_histogram(db2, id2, "latency_s", &e);
  g_assert_no_error(e);
  g_assert_cmpuint(histogram_count(h1), ==, 1001);
  g_assert_cmpuint(histogram_count(h1), ==, histogram_count(h2));
  g_assert_cmpfloat(histogram_sum(h1), ==, histogram_sum(h2));
  for (double q = 0; q <= 1.0; q += 0.125)
    g_assert_cmpfloat(histogram_quantile(h1, q), ==, histogram_quantile(h2, q));
  histogram_free(h1);
  histogram_free(h2);
  GArray *s1 = results_get_series(db1, id1, "offload", &e);
  GArray *s2 = results_get_series(db2, id2, "offload", &e);
  g_assert_no_error(e);
  g_assert_cmpuint(s1->len, ==, 5);
  g_assert_cmpmem(s1->data, s1->len * sizeof(ResultsPoint), s2->data, s2->len * sizeof(ResultsPoint));
  g_array_unref(s1);
  g_array_unref(s2);
  GArray *k1 = results_get_breakdown(db1, id1, RESULTS_DIM_NETWORK, &e);
  GArray *k2 = results_get_breakdown(db2, id2, RESULTS_DIM_NETWORK, &e);
  g_assert_cmpuint(k1->len, ==, 1);
  g_assert_cmpuint(k2->len, ==, 1);
  g_array_unref(k1);
  g_array_unref(k2);
  results_close(db1);
  results_close(db2);
  g_unlink(p1);
  g_unlink(p2);
  g_autofree char *w1 = g_strconcat(p1, "-wal", NULL), *s1p = g_strconcat(p1, "-shm", NULL);
  g_autofree char *w2 = g_strconcat(p2, "-wal", NULL), *s2p = g_strconcat(p2, "-shm", NULL);
  g_unlink(w1);
  g_unlink(s1p);
  g_unlink(w2);
  g_unlink(s2p);
  g_rmdir(dir);
}

static void test_truncated_refused(void) {
  g_autoptr(RunRecord) r = sample_record();
  g_autoptr(GBytes) b = run_record_serialize(r);
  gsize n;
  const guint8 *d = g_bytes_get_data(b, &n);
  for (gsize len = 0; len < n; len += (len < 64 ? 1 : 37)) {
    g_autoptr(GError) e = NULL;
    RunRecord *c = run_record_deserialize(d, len, &e);
    g_assert_null(c);
    g_assert_error(e, RESULTS_ERROR, RESULTS_ERROR_CORRUPT);
  }
  /* trailing garbage is refused too */
  guint8 *more = g_malloc(n + 1);
  memcpy(more, d, n);
  more[n] = 0;
  g_autoptr(GError) e = NULL;
  g_assert_null(run_record_deserialize(more, n + 1, &e));
  g_assert_error(e, RESULTS_ERROR, RESULTS_ERROR_CORRUPT);
  g_free(more);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/record-wire/round-trip", test_round_trip);
  g_test_add_func("/record-wire/truncated", test_truncated_refused);
  return g_test_run();
}
