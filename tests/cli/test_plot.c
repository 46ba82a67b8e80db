/*
 * test_plot.c: `meshsim plot` draws every figure from a small run: PNG files
 * with a valid signature and an IHDR of 1280 x 800, SVG files that are XML;
 * figures whose data a run lacks are skipped with a note (reference model:
 * no egress, no countries); a sweep gives the offload vs page load figure
 * with one point per grid point; a missing gnuplot is one line naming the
 * Debian package and exit 1. Skipped (g_test_skip) when gnuplot is not
 * installed; CI installs gnuplot-nox.
 */
#include "cli-test-util.h"

#include <stdint.h>

static const char *const geo_figures[] = {"offload_vs_pageload", "mesh_over_time", "pageload_cdf",
                                          "origin_egress", "offload_by_country"};

static gboolean have_gnuplot(void) {
  g_autofree char *p = g_find_program_in_path("gnuplot");
  if (!p) g_test_skip("gnuplot is not installed (Debian package gnuplot-nox)");
  return p != NULL;
}

static guint32 be32(const guchar *p) {
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void assert_png_1280x800(const char *path) {
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_cmpuint(len, >, 1000);
  const guchar *p = (const guchar *)data;
  static const guchar sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  g_assert_cmpmem(p, 8, sig, 8);
  g_assert_cmpuint(be32(p + 8), ==, 13);                   /* IHDR length */
  g_assert_cmpmem(p + 12, 4, "IHDR", 4);
  g_assert_cmpuint(be32(p + 16), ==, 1280);
  g_assert_cmpuint(be32(p + 20), ==, 800);
}

static void assert_svg(const char *path) {
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(path, &data, &len, NULL));
  g_assert_true(g_str_has_prefix(data, "<?xml") || g_str_has_prefix(data, "<svg"));
  g_assert_nonnull(strstr(data, "width=\"1280\""));
  g_assert_nonnull(strstr(data, "height=\"800\""));
  g_assert_nonnull(strstr(data, "</svg>"));
}

static guint count_lines(const char *s) {
  guint n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* Run meshsim with an extra environment variable (name=value). */
static int run_env(const char *dir, const char *const *args, const char *name, const char *value,
                   char **out, char **err) {
  g_autoptr(GPtrArray) argv = argv_of(args);
  g_auto(GStrv) env = g_environ_setenv(g_get_environ(), name, value, TRUE);
  int status = 0;
  g_autoptr(GError) e = NULL;
  g_assert_true(g_spawn_sync(dir, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                             &status, &e));
  g_assert_no_error(e);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Geo run: all five figures, PNG and SVG; each printed path is a file. */
static void test_geo(Fixture *f, gconstpointer data) {
  (void)data;
  if (!have_gnuplot()) return;
  g_autofree char *scn = source_path("scenarios/edgemesh.ini");
  g_autofree char *o = NULL, *e = NULL;
  const char *run[] = {"run", scn, "--set", "run.duration=1h", "--set", "churn.concurrent=100",
                       "--set", "traffic.pages=500", /* 10000 pages take minutes to set up under ASan */
                       "--quiet", "--out", "geo.db", NULL};
  g_assert_cmpint(run_meshsim(f->dir, run, &o, &e), ==, 0);

  /* default --out: results/ relative to the working directory */
  g_autofree char *out = NULL, *err = NULL;
  const char *plot[] = {"plot", "geo.db", NULL};
  g_assert_cmpint(run_meshsim(f->dir, plot, &out, &err), ==, 0);
  g_assert_cmpuint(count_lines(out), ==, G_N_ELEMENTS(geo_figures));
  for (guint i = 0; i < G_N_ELEMENTS(geo_figures); i++) {
    g_autofree char *line = g_strdup_printf("results/geo-%s.png\n", geo_figures[i]);
    g_assert_nonnull(strstr(out, line));
    g_autofree char *path = g_strdup_printf("%s/results/geo-%s.png", f->dir, geo_figures[i]);
    assert_png_1280x800(path);
  }
  g_assert_null(strstr(err, "skipped"));
  /* the geo run stores a page load series: one point per hour, no fallback */
  g_assert_null(strstr(err, "one point per country"));

  g_autofree char *svgdir = g_build_filename(f->dir, "svg", NULL);
  g_autofree char *out2 = NULL, *err2 = NULL;
  const char *plot2[] = {"plot", "geo.db", "--format", "svg", "--out", svgdir, NULL};
  g_assert_cmpint(run_meshsim(f->dir, plot2, &out2, &err2), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS(geo_figures); i++) {
    g_autofree char *name = g_strdup_printf("geo-%s.svg", geo_figures[i]);
    g_autofree char *path = g_build_filename(svgdir, name, NULL);
    g_assert_nonnull(strstr(out2, path));
    assert_svg(path);
  }
}

/* Reference sweep: offload vs latency per point, mesh size and latency CDF
 * drawn; egress and countries skipped with a note, exit 0. */
static void test_reference_sweep(Fixture *f, gconstpointer data) {
  (void)data;
  if (!have_gnuplot()) return;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "sw.db", NULL);
  g_autofree char *o = NULL, *e = NULL;
  const char *sw[] = {"sweep", scn, "--set", "peers.count=500", "--set", "run.duration=20min",
                      "--set", "cache.capacity_objects=4,32", "--set", "run.replications=2",
                      "--jobs", "1", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, sw, &o, &e), ==, 0);
  g_autofree char *outdir = g_build_filename(f->dir, "figs", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *plot[] = {"plot", db, "--out", outdir, NULL};
  g_assert_cmpint(run_meshsim(f->dir, plot, &out, &err), ==, 0);
  g_assert_cmpuint(count_lines(out), ==, 3);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *name = g_strdup_printf("sw-%s.png", geo_figures[i]);
    g_autofree char *path = g_build_filename(outdir, name, NULL);
    g_assert_nonnull(strstr(out, path));
    assert_png_1280x800(path);
  }
  g_assert_nonnull(strstr(err, "skipped origin_egress"));
  g_assert_nonnull(strstr(err, "skipped offload_by_country"));
  g_autofree char *egress = g_build_filename(outdir, "sw-origin_egress.png", NULL);
  g_assert_false(g_file_test(egress, G_FILE_TEST_EXISTS));

  /* one run of it, by id: the whole-run point */
  g_autofree char *out1 = NULL, *err1 = NULL;
  const char *plot1[] = {"plot", db, "--out", outdir, "--run", "2", NULL};
  g_assert_cmpint(run_meshsim(f->dir, plot1, &out1, &err1), ==, 0);
  g_assert_nonnull(strstr(err1, "one point for the whole run"));
}

static void test_errors(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *o = NULL, *e = NULL;
  const char *run[] = {"run", scn, "--set", "peers.count=200", "--set", "run.duration=10min",
                       "--quiet", "--out", "r.db", NULL};
  g_assert_cmpint(run_meshsim(f->dir, run, &o, &e), ==, 0);

  /* gnuplot missing: exit 1, one line naming the Debian package */
  g_autofree char *out = NULL, *err = NULL;
  const char *plot[] = {"plot", "r.db", "--out", "figs", NULL};
  g_assert_cmpint(run_env(f->dir, plot, "MESHSIM_GNUPLOT", "meshsim-no-such-gnuplot", &out, &err),
                  ==, 1);
  g_assert_cmpuint(count_lines(err), ==, 1);
  g_assert_nonnull(strstr(err, "gnuplot-nox"));
  g_assert_cmpstr(out, ==, "");

  /* analysis scripts missing: exit 1, says where to point */
  g_autofree char *out2 = NULL, *err2 = NULL, *gp = g_find_program_in_path("gnuplot");
  if (gp) {
    g_assert_cmpint(run_env(f->dir, plot, "MESHSIM_ANALYSIS_DIR", f->dir, &out2, &err2), ==, 1);
    g_assert_nonnull(strstr(err2, "MESHSIM_ANALYSIS_DIR"));
  }

  /* bad input: exit 2, one line */
  const char *const *bad[] = {
    (const char *const[]){"plot", "none.db", NULL},
    (const char *const[]){"plot", "r.db", "--format", "jpeg", NULL},
    (const char *const[]){"plot", "r.db", "--run", "9", NULL},
    (const char *const[]){"plot", NULL},
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *bo = NULL, *be = NULL;
    g_assert_cmpint(run_meshsim(f->dir, bad[i], &bo, &be), ==, 2);
    g_assert_cmpuint(count_lines(be), ==, 1);
  }
  g_autofree char *none = g_build_filename(f->dir, "none.db", NULL);
  g_assert_false(g_file_test(none, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/plot/geo", Fixture, NULL, fx_setup, test_geo, fx_teardown);
  g_test_add("/plot/reference-sweep", Fixture, NULL, fx_setup, test_reference_sweep, fx_teardown);
  g_test_add("/plot/errors", Fixture, NULL, fx_setup, test_errors, fx_teardown);
  return g_test_run();
}
