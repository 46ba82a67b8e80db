/*
 * test_traffic.c: the traffic generator against theory and the footprints.
 *
 *   - Zipf page sampler: chi-square against r^-alpha / H(n, alpha);
 *   - page composition: objects per page and mean page weight against the
 *     HTTP Archive medians the defaults encode; template objects shared;
 *   - TRAGEN footprint: malformed files rejected with file:line; the tc-3
 *     catalogue, sampled for one deck, reproduces the footprint's one-hit
 *     fraction, mean requests per object and mean size;
 *   - flash crowd: the viral page's share rises in its country only, to
 *     m p / (1 + (m - 1) p); new pages enter and decay as documented;
 *   - updates: versions increase at the configured rate per class;
 *   - determinism per seed.
 */
#include "workload/traffic.h"

#include <math.h>
#include <string.h>

#include <unistd.h>

#include <glib/gstdio.h>
#include <gsl/gsl_cdf.h>

#define H_NS ((SimTime)3600 * 1000000000)

static TrafficParams quiet_params(void) {
  TrafficParams p;
  traffic_params_init_defaults(&p);
  p.publish_per_day = 0;
  return p;
}

static void test_zipf_chi_square(void) {
  TrafficParams p = quiet_params();
  p.pages_per_site = 1000;
  p.zipf_alpha = 0.8;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, 3, &error);
  g_assert_no_error(error);
  double h = 0;
  for (int r = 1; r <= 1000; r++) h += pow(r, -0.8);
  const int n = 1000000;
  g_autofree double *cnt = g_new0(double, 1000);
  for (int i = 0; i < n; i++) {
    uint32_t pg = traffic_pick_page(t, 0, 0, 0);
    g_assert_cmpuint(pg, <, 1000);
    cnt[pg] += 1;
  }
  double chi2 = 0, psum = 0;
  for (int r = 0; r < 1000; r++) {
    double e = n * pow(r + 1, -0.8) / h;
    chi2 += (cnt[r] - e) * (cnt[r] - e) / e;
    psum += traffic_page_prob(t, 0, 0, (uint32_t)r, 0);
  }
  double pv = gsl_cdf_chisq_Q(chi2, 999);
  g_test_message("chi2 %.1f on 999 df, p = %.4f", chi2, pv);
  g_assert_cmpfloat(pv, >, 1e-3);
  g_assert_cmpfloat_with_epsilon(psum, 1.0, 1e-9);
}

static void test_page_composition(void) {
  TrafficParams p = quiet_params();
  p.n_sites = 100;
  p.pages_per_site = 100;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, 5, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(traffic_n_pages(t), ==, 10000);
  double objs = 0, bytes = 0, cls_count[TRAFFIC_N_CLASSES] = {0};
  for (uint32_t pg = 0; pg < traffic_n_pages(t); pg++) {
    uint32_t n = 0;
    const uint32_t *o = traffic_page_objects(t, pg, &n);
    g_assert_cmpint(traffic_object_class(t, o[0]), ==, TRAFFIC_HTML);
    objs += n;
    for (uint32_t i = 0; i < n; i++) {
      bytes += (double)traffic_object_size(t, o[i]);
      cls_count[traffic_object_class(t, o[i])]++;
    }
  }
  double np = traffic_n_pages(t);
  /* expected objects per page = sum of the class means (template counts rounded) */
  double want_objs = 0, want_bytes = 0;
  for (int c = 0; c < TRAFFIC_BLOB; c++) {
    double sh = round(p.cls[c].count * p.cls[c].shared);
    double own = p.cls[c].count * (1 - p.cls[c].shared);
    want_objs += sh + own;
    want_bytes += (sh + own) * p.cls[c].bytes / p.cls[c].count;
  }
  g_test_message("objects/page %.2f (want %.2f), bytes/page %.0f KB (want %.0f KB; "
                 "HTTP Archive 2024 desktop sum 1894 KB)", objs / np, want_objs,
                 bytes / np / 1024, want_bytes / 1024);
  g_assert_cmpfloat(fabs(objs / np / want_objs - 1), <, 0.02);
  g_assert_cmpfloat(fabs(bytes / np / want_bytes - 1), <, 0.10);
  for (int c = 0; c < TRAFFIC_BLOB; c++) {
    double sh = round(p.cls[c].count * p.cls[c].shared);
    double want = sh + p.cls[c].count * (1 - p.cls[c].shared);
    g_assert_cmpfloat(fabs(cls_count[c] / np / want - 1), <, 0.05);
  }
  /* the site template: page 0 and page 1 share their CSS and fonts */
  uint32_t n0 = 0, n1 = 0;
  const uint32_t *o0 = traffic_page_objects(t, 0, &n0);
  const uint32_t *o1 = traffic_page_objects(t, 1, &n1);
  int shared_css = 0;
  for (uint32_t i = 0; i < n0; i++)
    for (uint32_t j = 0; j < n1; j++)
      if (o0[i] == o1[j] && traffic_object_class(t, o0[i]) == TRAFFIC_CSS) shared_css++;
  g_assert_cmpint(shared_css, ==, (int)round(p.cls[TRAFFIC_CSS].count));
  g_assert_cmpuint(o0[0], !=, o1[0]);   /* own HTML */
}

static char *write_tmp(const char *text) {
  GError *error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp("footprint-XXXXXX.txt", &path, &error);
  g_assert_no_error(error);
  close(fd);
  g_assert_true(g_file_set_contents(path, text, -1, &error));
  g_assert_no_error(error);
  return path;
}

static void expect_parse_error(const char *text, unsigned line, const char *what) {
  g_autofree char *path = write_tmp(text);
  g_autoptr(GError) error = NULL;
  g_autoptr(TrafficFootprint) f = traffic_footprint_load(path, &error);
  g_assert_null(f);
  g_assert_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARSE);
  g_autofree char *where = g_strdup_printf("%s:%u: ", path, line);
  g_test_message("%s", error->message);
  g_assert_true(g_str_has_prefix(error->message, where));
  g_assert_nonnull(strstr(error->message, what));
  g_unlink(path);
}

static void test_footprint_errors(void) {
  expect_parse_error("1.0 0.5\n", 1, "before any request count");
  expect_parse_error("# comment\n1\n1.0 abc\n", 3, "fraction");
  expect_parse_error("1\n1.0 0.5\n\n2\n1 2 3\n", 5, "expected");
  expect_parse_error("0\n1.0 1.0\n", 1, "request count");
  expect_parse_error("1.5\n1.0 1.0\n", 1, "request count");
  expect_parse_error("1\n-3 1.0\n", 2, "size");
  expect_parse_error("", 0, "no objects");
  expect_parse_error("1\n1.0 0.25\n2\n3.0 0.25\n", 4, "sum to");
  g_autoptr(GError) error = NULL;
  g_assert_null(traffic_footprint_load("/nonexistent/tc-9.txt", &error));
  g_assert_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_FILE);
  /* and through traffic_new */
  g_clear_error(&error);
  g_autofree char *path = write_tmp("2\nx 0.5\n");
  TrafficParams p = quiet_params();
  p.footprint_path = path;
  g_assert_null(traffic_new(&p, 1, &error));
  g_assert_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARSE);
  g_unlink(path);
}

/* Footprint statistics computed directly from the entries. */
static void fp_stats(const TrafficFootprint *f, double *one, double *mean_k, double *mean_kb) {
  *one = *mean_k = *mean_kb = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    if (f->k[i] == 1) *one += f->fraction[i];
    *mean_k += f->fraction[i] * (double)f->k[i];
    *mean_kb += f->fraction[i] * f->size_kb[i];
  }
}

/* Sample one full deck; compare with the footprint. */
static void check_footprint(const char *path, uint32_t n_obj, double tol_one, double tol_mean) {
  g_autoptr(GError) error = NULL;
  g_autoptr(TrafficFootprint) f = traffic_footprint_load(path, &error);
  g_assert_no_error(error);
  double one, mk, mkb;
  fp_stats(f, &one, &mk, &mkb);
  TrafficParams p = quiet_params();
  p.footprint_path = path;
  p.footprint_objects = n_obj;
  p.new_page_rank = 1;
  g_autoptr(Traffic) t = traffic_new(&p, 17, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(traffic_n_pages(t), ==, n_obj);
  uint64_t deck = traffic_deck_size(t, 0);
  g_autofree uint64_t *cnt = g_new0(uint64_t, n_obj);
  for (uint64_t i = 0; i < deck; i++) cnt[traffic_pick_page(t, 0, 0, 0)]++;
  double seen = 0, once = 0, req = 0, kb = 0;
  for (uint32_t i = 0; i < n_obj; i++) {
    g_assert_cmpuint(cnt[i], ==, traffic_page_target_requests(t, i));
    if (cnt[i] == 0) continue;
    seen++;
    once += cnt[i] == 1;
    req += (double)cnt[i];
    uint32_t n = 0;
    kb += (double)traffic_object_size(t, traffic_page_objects(t, i, &n)[0]) / 1024;
  }
  g_test_message("%s: one-hit %.4f (footprint %.4f), requests/object %.3f (%.3f), "
                 "mean size %.1f KB (%.1f)", path, once / seen, one, req / seen, mk,
                 kb / seen, mkb);
  g_assert_cmpfloat(seen, ==, n_obj);
  g_assert_cmpfloat(fabs(once / seen - one), <, tol_one);
  g_assert_cmpfloat(fabs(req / seen / mk - 1), <, tol_mean);
  g_assert_cmpfloat(fabs(kb / seen / mkb - 1), <, 0.02);
  /* rank order: page 0 is the most requested */
  for (uint32_t i = 1; i < n_obj; i++)
    g_assert_cmpuint(traffic_page_target_requests(t, i - 1), >=,
                     traffic_page_target_requests(t, i) > 0 ? 1 : 0);
  g_assert_cmpuint(traffic_page_target_requests(t, 0), >=, traffic_page_target_requests(t, n_obj / 2));
}

static void test_footprint_synthetic(void) {
  /* 60% once (10 KB / 30 KB), 30% twice, 10% 20 times: mean 3.2 requests */
  g_autofree char *path = write_tmp("1\n10.0 0.3\n30.0 0.3\n2\n5.0 0.3\n20\n100.0 0.1\n");
  check_footprint(path, 1000, 0.002, 0.01);
  g_unlink(path);
}

static void test_footprint_tc3(void) {
  const char *shared = g_getenv("MESHSIM_SHARED_DIR");
  g_autofree char *path = g_build_filename(shared ? shared : "../shared", "data", "popularity",
                                           "tc-3.popularity.txt", NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_test_skip("tc-3 footprint not found (MESHSIM_SHARED_DIR)");
    return;
  }
  /* README: web, 69% one-hit, 6.7 requests per object, 277 KB mean */
  check_footprint(path, 20000, 0.005, 0.02);
}

static void test_flash_crowd(void) {
  TrafficParams p = quiet_params();
  p.pages_per_site = 1000;
  p.zipf_alpha = 0.8;
  p.n_countries = 2;
  TrafficFlash fl = {.site = 0, .page_rank = 200, .country = 0, .start_ns = H_NS,
                     .rise_ns = H_NS / 6, .decay_ns = H_NS, .factor = 50};
  p.flash = &fl;
  p.n_flash = 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, 9, &error);
  g_assert_no_error(error);
  double h = 0;
  for (int r = 1; r <= 1000; r++) h += pow(r, -0.8);
  double base = pow(200, -0.8) / h;
  struct { SimTime at; double m; } pts[] = {
    {0, 1}, {H_NS + H_NS / 12, 1 + 49 * 0.5}, {H_NS + H_NS / 6, 50},
    {H_NS + H_NS / 6 + 2 * H_NS, 1 + 49 * exp(-2)},
  };
  const int n = 200000;
  for (size_t k = 0; k < G_N_ELEMENTS(pts); k++) {
    double want0 = pts[k].m * base / (1 + (pts[k].m - 1) * base);
    double got[2] = {0, 0};
    for (uint32_t c = 0; c < 2; c++)
      for (int i = 0; i < n; i++) got[c] += traffic_pick_page(t, 0, c, pts[k].at) == 199;
    g_test_message("t=%.2f h: share in country 0 %.5f (want %.5f), country 1 %.5f (want %.5f)",
                   (double)pts[k].at / (double)H_NS, got[0] / n, want0, got[1] / n, base);
    g_assert_cmpfloat_with_epsilon(traffic_page_prob(t, 0, 0, 199, pts[k].at), want0, 1e-9);
    g_assert_cmpfloat(fabs(got[0] / n - want0), <, 5 * sqrt(want0 * (1 - want0) / n));
    g_assert_cmpfloat(fabs(got[1] / n - base), <, 5 * sqrt(base * (1 - base) / n));
  }
}

static void test_publication(void) {
  TrafficParams p;
  traffic_params_init_defaults(&p);
  p.pages_per_site = 1000;
  p.publish_per_day = 48;
  for (int c = 0; c < TRAFFIC_N_CLASSES; c++) p.cls[c].updates_per_day = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, 21, &error);
  g_assert_no_error(error);
  TrafficChange ch;
  traffic_next_change(t, &ch);
  g_assert_cmpint(ch.kind, ==, TRAFFIC_CHANGE_PUBLISH);
  traffic_apply_change(t, &ch);
  g_assert_cmpuint(ch.page, ==, 1000);
  g_assert_cmpuint(traffic_page_site(t, ch.page), ==, 0);
  /* a new page enters with the weight of rank new_page_rank, decays with tau */
  double p0 = traffic_page_prob(t, 0, 0, ch.page, ch.at_ns);
  double r10 = traffic_page_prob(t, 0, 0, (uint32_t)p.new_page_rank - 1, ch.at_ns);
  g_assert_cmpfloat_with_epsilon(p0, r10, 1e-12);
  double p1 = traffic_page_prob(t, 0, 0, ch.page, ch.at_ns + p.new_page_decay_ns);
  g_assert_cmpfloat(fabs(p1 / p0 - exp(-1)), <, 0.01);
  const int n = 400000;
  double got = 0;
  for (int i = 0; i < n; i++) got += traffic_pick_page(t, 0, 0, ch.at_ns) == ch.page;
  g_assert_cmpfloat(fabs(got / n - p0), <, 5 * sqrt(p0 / n));
  /* publications over 30 days: Poisson(48 * 30) */
  uint32_t pages = traffic_n_pages(t);
  traffic_advance(t, 30 * 24 * H_NS);
  double pub = traffic_n_pages(t) - pages + 1;
  g_test_message("published %.0f pages in 30 days (want %d)", pub, 48 * 30);
  g_assert_cmpfloat(fabs(pub - 1440), <, 5 * sqrt(1440));
  /* probabilities still sum to 1 with hundreds of new pages */
  SimTime now = 30 * 24 * H_NS;
  double s = 0;
  for (uint32_t pg = 0; pg < traffic_n_pages(t); pg++) s += traffic_page_prob(t, 0, 0, pg, now);
  g_assert_cmpfloat_with_epsilon(s, 1.0, 1e-9);
  /* and the sampler agrees on the share of new pages */
  double pnew = 0, gnew = 0;
  for (uint32_t pg = 1000; pg < traffic_n_pages(t); pg++) pnew += traffic_page_prob(t, 0, 0, pg, now);
  for (int i = 0; i < n; i++) gnew += traffic_pick_page(t, 0, 0, now) >= 1000;
  g_assert_cmpfloat(fabs(gnew / n - pnew), <, 5 * sqrt(pnew * (1 - pnew) / n));
}

static void test_updates(void) {
  TrafficParams p = quiet_params();
  p.pages_per_site = 300;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, 13, &error);
  g_assert_no_error(error);
  double n_cls[TRAFFIC_N_CLASSES] = {0}, upd[TRAFFIC_N_CLASSES] = {0};
  for (uint32_t o = 0; o < traffic_n_objects(t); o++) n_cls[traffic_object_class(t, o)]++;
  const double days = 30;
  SimTime end = (SimTime)(days * 24) * H_NS, prev = 0;
  TrafficChange ch;
  for (traffic_next_change(t, &ch); ch.at_ns <= end; traffic_next_change(t, &ch)) {
    g_assert_cmpint(ch.kind, ==, TRAFFIC_CHANGE_UPDATE);
    g_assert_cmpint(ch.at_ns, >=, prev);
    prev = ch.at_ns;
    traffic_apply_change(t, &ch);
    g_assert_cmpuint(traffic_object_version(t, ch.object), ==, ch.version);
    upd[traffic_object_class(t, ch.object)]++;
  }
  double total = 0, vsum = 0;
  for (uint32_t o = 0; o < traffic_n_objects(t); o++) vsum += traffic_object_version(t, o);
  for (int c = 0; c < TRAFFIC_N_CLASSES; c++) {
    double want = n_cls[c] * p.cls[c].updates_per_day * days;
    total += upd[c];
    g_test_message("class %d: %.0f objects, %.0f updates (want %.1f)", c, n_cls[c], upd[c], want);
    if (want == 0) g_assert_cmpfloat(upd[c], ==, 0);
    else g_assert_cmpfloat(fabs(upd[c] - want), <, 5 * sqrt(want));
  }
  g_assert_cmpfloat(vsum, ==, total);
}

static void trace(uint64_t seed, GArray *out) {
  TrafficParams p;
  traffic_params_init_defaults(&p);
  p.n_sites = 2;
  p.pages_per_site = 500;
  p.n_countries = 3;
  TrafficFlash fl = {1, 3, 2, H_NS, H_NS, H_NS, 20};
  p.flash = &fl;
  p.n_flash = 1;
  g_autoptr(GError) error = NULL;
  g_autoptr(Traffic) t = traffic_new(&p, seed, &error);
  g_assert_no_error(error);
  for (uint32_t o = 0; o < traffic_n_objects(t); o++) {
    uint64_t s = traffic_object_size(t, o);
    g_array_append_val(out, s);
  }
  for (int i = 0; i < 20000; i++) {
    SimTime now = (SimTime)i * H_NS / 100;
    traffic_advance(t, now);
    uint64_t pg = traffic_pick_page(t, (uint32_t)i % 2, (uint32_t)i % 3, now);
    g_array_append_val(out, pg);
  }
}

static void test_determinism(void) {
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  g_autoptr(GArray) b = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  g_autoptr(GArray) c = g_array_new(FALSE, FALSE, sizeof(uint64_t));
  trace(5, a);
  trace(5, b);
  trace(6, c);
  g_assert_cmpmem(a->data, a->len * sizeof(uint64_t), b->data, b->len * sizeof(uint64_t));
  g_assert_true(a->len != c->len ||
                memcmp(a->data, c->data, a->len * sizeof(uint64_t)) != 0);
}

static void test_param_errors(void) {
  TrafficParams p = quiet_params();
  TrafficFlash fl = {0, 1, 5, 0, 0, 1, 2};   /* country 5 of 1 */
  p.flash = &fl;
  p.n_flash = 1;
  g_autoptr(GError) error = NULL;
  g_assert_null(traffic_new(&p, 1, &error));
  g_assert_error(error, TRAFFIC_ERROR, TRAFFIC_ERROR_PARAM);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/traffic/zipf_chi_square", test_zipf_chi_square);
  g_test_add_func("/traffic/page_composition", test_page_composition);
  g_test_add_func("/traffic/footprint_errors", test_footprint_errors);
  g_test_add_func("/traffic/footprint_synthetic", test_footprint_synthetic);
  g_test_add_func("/traffic/footprint_tc3", test_footprint_tc3);
  g_test_add_func("/traffic/flash_crowd", test_flash_crowd);
  g_test_add_func("/traffic/publication", test_publication);
  g_test_add_func("/traffic/updates", test_updates);
  g_test_add_func("/traffic/determinism", test_determinism);
  g_test_add_func("/traffic/param_errors", test_param_errors);
  return g_test_run();
}
