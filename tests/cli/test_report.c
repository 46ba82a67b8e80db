/*
 * test_report.c: `meshsim report DB [--run ID] [--json]` on small runs.
 *
 * Checked against numbers computed here, not against yesterday's output:
 * the report's scalars equal what `meshsim run --json` printed for the same
 * run; the hourly rows of a series equal the mean of its samples (from the
 * JSON) in that hour; the country table is sorted by requested bytes with
 * offload = mesh / requested; a sweep's per-point mean and 95% CI equal the
 * Student t interval computed here from each run's own report. The JSON is
 * checked by a small recursive-descent validator (no JSON library in the
 * build). Bad input: one line on stderr, exit 2.
 */
#include "cli-test-util.h"

#include <math.h>
#include <stdlib.h>

#define REF_SMALL "--set", "peers.count=500", "--set", "run.duration=20min"

/* ---- a minimal JSON validator (RFC 8259 grammar, no semantics) ---------- */

static const char *js_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
  return p;
}

static const char *js_value(const char *p);

static const char *js_string(const char *p) {
  if (*p != '"') return NULL;
  for (p++; *p && *p != '"'; p++) {
    if ((unsigned char)*p < 0x20) return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!g_ascii_isxdigit(p[i])) return NULL;
        p += 4;
      } else if (!strchr("\"\\/bfnrt", *p) || !*p) {
        return NULL;
      }
    }
  }
  return *p == '"' ? p + 1 : NULL;
}

static const char *js_number(const char *p) {
  const char *s = p;
  if (*p == '-') p++;
  if (!g_ascii_isdigit(*p)) return NULL;
  while (g_ascii_isdigit(*p)) p++;
  if (*p == '.') {
    p++;
    if (!g_ascii_isdigit(*p)) return NULL;
    while (g_ascii_isdigit(*p)) p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    if (!g_ascii_isdigit(*p)) return NULL;
    while (g_ascii_isdigit(*p)) p++;
  }
  return p > s ? p : NULL;
}

static const char *js_seq(const char *p, char close, gboolean object) {
  p = js_ws(p + 1);
  if (*p == close) return p + 1;
  for (;;) {
    if (object) {
      p = js_string(js_ws(p));
      if (!p) return NULL;
      p = js_ws(p);
      if (*p++ != ':') return NULL;
    }
    p = js_value(p);
    if (!p) return NULL;
    p = js_ws(p);
    if (*p == close) return p + 1;
    if (*p++ != ',') return NULL;
  }
}

static const char *js_value(const char *p) {
  p = js_ws(p);
  switch (*p) {
    case '{': return js_seq(p, '}', TRUE);
    case '[': return js_seq(p, ']', FALSE);
    case '"': return js_string(p);
    case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default: return js_number(p);
  }
}

static void assert_json(const char *text) {
  const char *end = js_value(text);
  g_assert_nonnull(end);
  g_assert_cmpint(*js_ws(end), ==, '\0');
  g_assert_cmpint(*js_ws(text), ==, '{');
}

/* The number after "key": at or after `from` in a JSON text. */
static double js_num_after(const char *from, const char *key) {
  g_autofree char *pat = g_strdup_printf("\"%s\": ", key);
  const char *p = strstr(from, pat);
  g_assert_nonnull(p);
  p += strlen(pat);
  if (strncmp(p, "null", 4) == 0) return NAN;
  char *end;
  double v = g_ascii_strtod(p, &end);
  g_assert_true(end > p);
  return v;
}

/* The value of a "key: value" line of `meshsim run`'s summary. */
static double summary_value(const char *out, const char *key) {
  g_autofree char *pat = g_strdup_printf("\n%s: ", key);
  const char *p = strstr(out, pat);
  g_assert_nonnull(p);
  return g_ascii_strtod(p + strlen(pat), NULL);
}

static gboolean close_rel(double a, double b, double rel) {
  return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-12;
}

static guint count_lines(const char *s) {
  guint n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

/* ---- tests -------------------------------------------------------------- */

/* Reference model: text and JSON against the run's own summary; the series
 * table binned by hour equals the hourly means of the JSON samples. */
static void test_reference(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "ref.db", NULL);
  g_autofree char *rout = NULL, *rerr = NULL;
  const char *run[] = {"run", scn, "--set", "peers.count=500", "--set", "run.duration=2h",
                       "--set", "output.series_interval=2min", "--quiet", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, run, &rout, &rerr), ==, 0);

  g_autofree char *out = NULL, *err = NULL;
  const char *rep[] = {"report", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, rep, &out, &err), ==, 0);
  g_assert_cmpstr(err, ==, "");
  g_assert_nonnull(strstr(out, "run 1, scenario reference, seed 1"));
  g_assert_nonnull(strstr(out, "\nsummary\n"));
  g_assert_nonnull(strstr(out, "\n  offload "));
  g_assert_nonnull(strstr(out, "\n  latency_s "));            /* distributions */
  g_assert_null(strstr(out, "countries"));                    /* no breakdown */
  /* 60 samples over 2 h: one row per hour, t = end of the hour */
  g_assert_nonnull(strstr(out, "60 samples; one row per 1 h"));
  g_assert_nonnull(strstr(out, "\n  01:00 "));
  g_assert_nonnull(strstr(out, "\n  02:00 "));
  g_assert_null(strstr(out, "\n  03:00 "));

  g_autofree char *js = NULL, *jerr = NULL;
  const char *repj[] = {"report", db, "--json", NULL};
  g_assert_cmpint(run_meshsim(f->dir, repj, &js, &jerr), ==, 0);
  assert_json(js);
  for (const char *const *k = (const char *const[]){"db", "run", "scalars", "histograms",
                                                     "countries_top", "series", NULL};
       *k; k++) {
    g_autofree char *pat = g_strdup_printf("\"%s\": ", *k);
    g_assert_nonnull(strstr(js, pat));
  }
  const char *scalars = strstr(js, "\"scalars\": ");
  for (const char *const *k = (const char *const[]){"offload", "mean_latency_s", "object_requests",
                                                     "mesh_fetches", "online_at_end", NULL};
       *k; k++)
    g_assert_true(close_rel(js_num_after(scalars, *k), summary_value(rout, *k), 1e-5));

  /* the first hour's online_peers: mean of the samples with t in (0, 3600] */
  const char *s = strstr(js, "\"online_peers\": [");
  g_assert_nonnull(s);
  s += strlen("\"online_peers\": [");
  double sum = 0;
  guint n = 0;
  while (*s == '[' || *s == ',') {
    if (*s == ',') s += 2;
    char *end;
    double t = g_ascii_strtod(s + 1, &end);
    double v = g_ascii_strtod(end + 2, &end);
    if (t <= 3600) {
      sum += v;
      n++;
    }
    s = end + 1;
  }
  g_assert_cmpuint(n, ==, 30);
  /* the column of online_peers in the text table */
  const char *hdr = strstr(out, "\n  t ");
  g_assert_nonnull(hdr);
  g_autofree char *hline = g_strndup(hdr + 1, strcspn(hdr + 1, "\n"));
  g_auto(GStrv) cols = g_strsplit_set(g_strstrip(hline), " ", -1);
  const char *row = strstr(out, "\n  01:00 ");
  g_autofree char *rline = g_strndup(row + 1, strcspn(row + 1, "\n"));
  g_auto(GStrv) vals = g_strsplit_set(g_strstrip(rline), " ", -1);
  guint ci = 0, vi = 0, col = 0;
  for (; cols[ci]; ci++)
    if (*cols[ci] && strcmp(cols[ci], "online_peers") == 0) break;
  g_assert_nonnull(cols[ci]);
  for (guint k = 0; k < ci; k++) col += *cols[k] != '\0';
  for (guint k = 0;; k++) {
    g_assert_nonnull(vals[k]);
    if (!*vals[k]) continue;
    if (vi++ == col) {
      g_assert_true(close_rel(g_ascii_strtod(vals[k], NULL), sum / n, 5e-4));
      break;
    }
  }
}

/* Geo model: the country table (top 10, sorted, offload = mesh/requested,
 * page load with and without the mesh) and the per-sample series table. */
static void test_geo(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/edgemesh.ini");
  g_autofree char *db = g_build_filename(f->dir, "geo.db", NULL);
  g_autofree char *rout = NULL, *rerr = NULL;
  const char *run[] = {"run", scn, "--set", "run.duration=1h", "--set", "churn.concurrent=100",
                       "--set", "traffic.pages=500", "--set", "output.series_interval=5min",
                       "--quiet", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, run, &rout, &rerr), ==, 0);

  g_autofree char *out = NULL, *err = NULL;
  const char *rep[] = {"report", db, "--run", "1", NULL};
  g_assert_cmpint(run_meshsim(f->dir, rep, &out, &err), ==, 0);
  const char *c = strstr(out, "\ncountries (top 10 of ");
  g_assert_nonnull(c);
  const char *ts = strstr(out, "\ntime series (one row per sample");
  g_assert_nonnull(ts);
  g_autofree char *table = g_strndup(c + 1, (gsize)(ts - c - 1));
  g_assert_cmpuint(count_lines(table), ==, 2 + 10);          /* title, header, 10 rows */
  /* 12 samples (5 min over 1 h): 12 rows after the header */
  g_assert_cmpuint(count_lines(ts + 1), ==, 2 + 12);
  g_assert_nonnull(strstr(ts, "\n  00:05 "));
  g_assert_nonnull(strstr(ts, "\n  01:00 "));

  g_autofree char *js = NULL, *jerr = NULL;
  const char *repj[] = {"report", db, "--json", NULL};
  g_assert_cmpint(run_meshsim(f->dir, repj, &js, &jerr), ==, 0);
  assert_json(js);
  g_assert_cmpfloat(js_num_after(js, "countries_total"), ==, summary_value(rout, "countries"));
  const char *p = strstr(js, "\"countries_top\": [");
  double prev = INFINITY, req_sum = 0;
  for (guint i = 0; i < 10; i++) {
    p = strstr(p, "{\"country\": ");
    g_assert_nonnull(p);
    double req = js_num_after(p, "requested_bytes"), mesh = js_num_after(p, "mesh_bytes");
    g_assert_cmpfloat(req, <=, prev);
    g_assert_true(close_rel(js_num_after(p, "offload"), mesh / req, 1e-9));
    g_assert_true(isfinite(js_num_after(p, "page_load_mean_s")));
    g_assert_true(isfinite(js_num_after(p, "page_load_nomesh_mean_s")));
    prev = req;
    req_sum += req;
    p++;
  }
  g_assert_null(strstr(p, "{\"country\": "));                 /* top 10 only */
  g_assert_cmpfloat(req_sum, <=, summary_value(rout, "requested_bytes") * (1 + 1e-9));
  const char *scalars = strstr(js, "\"scalars\": ");
  for (const char *const *k = (const char *const[]){"page_load_p50_s", "page_load_nomesh_p95_s",
                                                     "origin_egress_p95_bps", "offload", NULL};
       *k; k++)
    g_assert_true(close_rel(js_num_after(scalars, *k), summary_value(rout, *k), 1e-5));
  g_assert_nonnull(strstr(js, "\"page_load_s\": {\"count\": "));
}

/* A sweep: a table per point; mean and CI checked against the per-run
 * reports and Student's t computed here. */
static void test_sweep_points(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "sw.db", NULL);
  g_autofree char *sout = NULL, *serr = NULL;
  const char *sw[] = {"sweep", scn, REF_SMALL, "--set", "cache.capacity_objects=4,32",
                      "--set", "run.replications=3", "--jobs", "1", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, sw, &sout, &serr), ==, 0);

  g_autofree char *out = NULL, *err = NULL;
  const char *rep[] = {"report", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, rep, &out, &err), ==, 0);
  g_assert_nonnull(strstr(out, "2 points, 6 complete runs"));
  g_assert_nonnull(strstr(out, "point 1/2: cache.capacity_objects=4 "));
  g_assert_nonnull(strstr(out, "point 2/2: cache.capacity_objects=32 "));

  g_autofree char *js = NULL, *jerr = NULL;
  const char *repj[] = {"report", db, "--json", NULL};
  g_assert_cmpint(run_meshsim(f->dir, repj, &js, &jerr), ==, 0);
  assert_json(js);
  const char *pt = strstr(js, "\"point\": \"cache.capacity_objects=32\"");
  g_assert_nonnull(pt);
  /* the point's run ids, then each run's offload from its own report */
  const char *r = strstr(pt, "\"runs\": [");
  g_assert_nonnull(r);
  r += strlen("\"runs\": [");
  double v[3];
  for (guint i = 0; i < 3; i++) {
    char *end;
    gint64 id = g_ascii_strtoll(r, &end, 10);
    r = end + 2;
    g_autofree char *ids = g_strdup_printf("%" G_GINT64_FORMAT, id);
    g_autofree char *o1 = NULL, *e1 = NULL;
    const char *one[] = {"report", db, "--run", ids, "--json", NULL};
    g_assert_cmpint(run_meshsim(f->dir, one, &o1, &e1), ==, 0);
    g_assert_nonnull(strstr(o1, "\"point\": \"cache.capacity_objects=32\""));
    v[i] = js_num_after(strstr(o1, "\"scalars\": "), "offload");
  }
  double mean = (v[0] + v[1] + v[2]) / 3, ss = 0;
  for (guint i = 0; i < 3; i++) ss += (v[i] - mean) * (v[i] - mean);
  double ci = 4.302652729911275 * sqrt(ss / 2) / sqrt(3);     /* t(0.975, 2) */
  const char *off = strstr(pt, "\"offload\": {");
  g_assert_nonnull(off);
  g_assert_cmpfloat(js_num_after(off, "n"), ==, 3);
  g_assert_true(close_rel(js_num_after(off, "mean"), mean, 1e-9));
  g_assert_true(close_rel(js_num_after(off, "ci95"), ci, 1e-6));
  g_assert_cmpfloat(ci, >, 0);                                  /* seeds differ */

  /* --capacity still answers the capacity question */
  g_autofree char *co = NULL, *ce = NULL;
  const char *cap[] = {"report", db, "--capacity", "offload >= 0", "--vary",
                       "cache.capacity_objects", NULL};
  g_assert_cmpint(run_meshsim(f->dir, cap, &co, &ce), ==, 0);
  g_assert_nonnull(strstr(co, "answer: cache.capacity_objects = 4"));
}

static void assert_bad(Fixture *f, const char *const *args, const char *needle) {
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(run_meshsim(f->dir, args, &out, &err), ==, 2);
  g_assert_cmpstr(out, ==, "");
  g_assert_cmpuint(count_lines(err), ==, 1);
  g_assert_nonnull(strstr(err, needle));
}

static void test_bad_input(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *missing = g_build_filename(f->dir, "none.db", NULL);
  assert_bad(f, (const char *const[]){"report", missing, NULL}, "none.db");
  g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
  g_autofree char *junk = write_file(f->dir, "junk.db", "this is not a database, not at all\n");
  assert_bad(f, (const char *const[]){"report", junk, NULL}, "junk.db");
  assert_bad(f, (const char *const[]){"report", junk, "--json", NULL}, "junk.db");

  g_autofree char *scn = source_path("scenarios/bench/reference.ini");
  g_autofree char *db = g_build_filename(f->dir, "one.db", NULL);
  g_autofree char *o = NULL, *e = NULL;
  const char *run[] = {"run", scn, REF_SMALL, "--quiet", "--out", db, NULL};
  g_assert_cmpint(run_meshsim(f->dir, run, &o, &e), ==, 0);
  assert_bad(f, (const char *const[]){"report", db, "--run", "7", NULL}, "no complete run 7");
  assert_bad(f, (const char *const[]){"report", db, "--run", "x1", NULL}, "--run 'x1'");
  assert_bad(f, (const char *const[]){"report", db, "--run", "0", NULL}, "--run '0'");
  assert_bad(f, (const char *const[]){"report", db, "--bogus", NULL}, "--bogus");
  assert_bad(f, (const char *const[]){"report", NULL}, "usage");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/report/reference", Fixture, NULL, fx_setup, test_reference, fx_teardown);
  g_test_add("/report/geo", Fixture, NULL, fx_setup, test_geo, fx_teardown);
  g_test_add("/report/sweep", Fixture, NULL, fx_setup, test_sweep_points, fx_teardown);
  g_test_add("/report/bad-input", Fixture, NULL, fx_setup, test_bad_input, fx_teardown);
  return g_test_run();
}
