/*
 * test_geo.c: the geo host (scenarios/edgemesh.ini) end to end:
 * conservation of requests and bytes (requested = local + mesh + CDN + in
 * flight), breakdowns that sum to the totals, the no-mesh counterfactual
 * equal to the page load times of a run with the mesh switched off,
 * determinism, and the mean number of online visitors against Little's law
 * (M/G/inf within 1% on a flat profile; the target on the default one).
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "model/keys.h"
#include "model/model.h"

static double scalar(const Model *m, const char *name) {
  size_t n;
  const ModelScalar *s = model_scalars(m, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0) return s[i].value;
  g_error("no scalar %s", name);
  return NAN;
}

/* The default scenario with the --set style overrides `sets`, not run. */
static Model *new_geo(const char *const *sets) {
  g_autofree char *path =
      g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), "scenarios", "edgemesh.ini", NULL);
  g_autoptr(Config) cfg = model_config_new();
  g_autoptr(GError) e = NULL;
  g_assert_true(config_load_file(cfg, path, &e));
  for (guint i = 0; sets && sets[i]; i++) {
    g_assert_true(config_set_arg(cfg, sets[i], i + 1, &e));
    g_assert_no_error(e);
  }
  Model *m = model_new(cfg, &e);
  g_assert_no_error(e);
  return m;
}

static Model *run_geo(const char *const *sets) {
  Model *m = new_geo(sets);
  model_run(m, NULL, NULL);
  return m;
}

static void test_conservation(void) {
  const char *sets[] = {"run.duration=1h", "churn.concurrent=80", NULL};
  g_autoptr(Model) m = run_geo(sets);
  double req = scalar(m, "object_requests");
  g_assert_cmpfloat(req, >, 500);
  g_assert_cmpfloat(req, ==, scalar(m, "local_hits") + scalar(m, "mesh_fetches") +
                                 scalar(m, "cdn_fetches") + scalar(m, "in_flight_at_end"));
  g_assert_cmpfloat(scalar(m, "requested_bytes"), ==,
                    scalar(m, "local_bytes") + scalar(m, "mesh_bytes") + scalar(m, "cdn_bytes") +
                        scalar(m, "in_flight_bytes_at_end"));
  g_assert_cmpfloat(scalar(m, "mesh_fetches"), >, 0);
  g_assert_cmpfloat(scalar(m, "origin_bytes"), <=, scalar(m, "cdn_bytes") +
                                                       scalar(m, "in_flight_bytes_at_end"));
  g_assert_cmpfloat(scalar(m, "mesh_fetches"), ==,
                    scalar(m, "mesh_same_network") + scalar(m, "mesh_same_country") +
                        scalar(m, "mesh_other"));
  /* memory per online peer is the sum of its parts (cached objects and the
   * CDN's edge caches apart), each part present */
  static const char *const parts[] = {"memory_visitor_state_bytes", "memory_agents_bytes",
                                      "memory_cache_index_bytes", "memory_tracker_bytes",
                                      "memory_transfers_bytes", "memory_events_bytes"};
  double sum = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
    g_assert_cmpfloat(scalar(m, parts[i]), >, 0);
    sum += scalar(m, parts[i]);
  }
  g_assert_cmpfloat(scalar(m, "online_at_end"), >, 0);
  g_assert_cmpfloat(fabs(scalar(m, "memory_per_online_peer_bytes") * scalar(m, "online_at_end") -
                         sum), <=, 1e-9 * sum);
  g_assert_cmpfloat(scalar(m, "memory_channels_bytes"), <=, scalar(m, "memory_agents_bytes"));
  g_assert_cmpfloat(scalar(m, "memory_cache_objects_bytes"), >, 0);
  g_assert_cmpfloat(scalar(m, "memory_cdn_bytes"), >, 0);
  /* breakdowns sum to the totals */
  size_t n;
  const ModelBreakdown *b = model_breakdowns(m, &n);
  static const char *const dims[] = {"country", "network"};
  for (size_t d = 0; d < G_N_ELEMENTS(dims); d++) {
    double req_bytes = 0, mesh_bytes = 0, pages = 0;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(b[i].dim, dims[d]) != 0) continue;
      if (strcmp(b[i].name, "requested_bytes") == 0) req_bytes += b[i].value;
      if (strcmp(b[i].name, "mesh_bytes") == 0) mesh_bytes += b[i].value;
      if (strcmp(b[i].name, "page_views_completed") == 0) pages += b[i].value;
    }
    g_assert_cmpfloat(req_bytes, ==, scalar(m, "requested_bytes"));
    g_assert_cmpfloat(mesh_bytes, ==, scalar(m, "mesh_bytes"));
    g_assert_cmpfloat(pages, ==, scalar(m, "page_views_completed"));
  }
  g_assert_cmpfloat(scalar(m, "countries"), ==, 50);
  g_assert_cmpfloat(scalar(m, "networks"), ==, 500);
}

/* With the mesh off, the counterfactual of every page view is the page
 * view itself: same objects, same browser cache, same CDN. */
static void test_counterfactual_equals_nomesh(void) {
  const char *sets[] = {"run.duration=40min", "churn.concurrent=60", "peers.mesh=false", NULL};
  g_autoptr(Model) m = run_geo(sets);
  g_assert_cmpfloat(scalar(m, "mesh_fetches"), ==, 0);
  g_assert_cmpfloat(scalar(m, "page_views_completed"), >, 50);
  double a = scalar(m, "page_load_mean_s"), b = scalar(m, "page_load_nomesh_mean_s");
  g_assert_cmpfloat(fabs(a - b), <=, 1e-9 * a);
  g_assert_cmpfloat(scalar(m, "page_load_p95_s"), ==, scalar(m, "page_load_nomesh_p95_s"));
  /* object latencies too: each object's counterfactual cost is its latency
   * (the counterfactual covers completed pages, the latency every request:
   * they differ by the few pages loading at the end) */
  g_assert_cmpfloat(fabs(scalar(m, "latency_nomesh_mean_s") - scalar(m, "mean_latency_s")), <=,
                    0.05 * scalar(m, "mean_latency_s"));
  /* Common random numbers: the same visitors arrive with the mesh on
   * (page views differ: a page's load time moves the next page). */
  const char *on[] = {"run.duration=40min", "churn.concurrent=60", NULL};
  g_autoptr(Model) m2 = run_geo(on);
  g_assert_cmpfloat(scalar(m2, "visits"), ==, scalar(m, "visits"));
}

/* The counterfactual prices an edge hit from a mirror of what each edge
 * holds (a bitset of objects cached at their current version); the run with
 * the mesh off looks the edge cache itself up. Small edges (constant
 * evictions) and frequent content (publications, updates) must still give
 * the same page loads both ways; the run also checks the mirrors against the
 * caches at its end (an error aborts it). */
static void test_counterfactual_small_edges(void) {
  const char *sets[] = {"run.duration=4h",         "churn.concurrent=20", "peers.mesh=false",
                        "cdn.edge_capacity=20MB", "traffic.publish_per_day=2000",
                        "traffic.new_page_rank=1", NULL};
  g_autoptr(Model) m = run_geo(sets);
  g_assert_cmpfloat(scalar(m, "page_views_completed"), >, 100);
  double hit = scalar(m, "edge_hit_ratio");
  g_assert_cmpfloat(hit, >, 0.05); /* edges both hit and miss */
  g_assert_cmpfloat(hit, <, 0.95);
  /* origin bytes beyond 20 MB per edge: edges evicted */
  g_assert_cmpfloat(scalar(m, "origin_bytes"), >, 20e6 * 16);
  double a = scalar(m, "page_load_mean_s"), b = scalar(m, "page_load_nomesh_mean_s");
  g_assert_cmpfloat(fabs(a - b), <=, 1e-9 * a);
  g_assert_cmpfloat(scalar(m, "page_load_p95_s"), ==, scalar(m, "page_load_nomesh_p95_s"));
}

/* agent.min_object_size: objects below it never travel through the mesh
 * (every object a peer serves is at least that large), go to the CDN
 * without a tracker query, and are counted; above every object size the
 * mesh carries nothing at all. Conservation holds either way. */
static void test_min_object_size(void) {
  const char *mid[] = {"run.duration=1h", "churn.concurrent=80", "agent.min_object_size=32KB",
                       NULL};
  g_autoptr(Model) m = run_geo(mid);
  double small = scalar(m, "small_requests");
  g_assert_cmpfloat(small, >, 0);
  g_assert_cmpfloat(scalar(m, "mesh_fetches"), >, 0);
  g_assert_cmpfloat(scalar(m, "mesh_bytes") / scalar(m, "mesh_fetches"), >=, 32000);
  g_assert_cmpfloat(scalar(m, "object_requests"), ==,
                    scalar(m, "local_hits") + scalar(m, "mesh_fetches") +
                        scalar(m, "cdn_fetches") + scalar(m, "in_flight_at_end"));
  const char *all[] = {"run.duration=1h", "churn.concurrent=80", NULL};
  g_autoptr(Model) a = run_geo(all);
  g_assert_cmpfloat(scalar(a, "small_requests"), ==, 0);
  /* with the same visitors, fewer signaling messages: no queries, no
   * announces for the small objects */
  g_assert_cmpfloat(scalar(m, "visits"), ==, scalar(a, "visits"));
  g_assert_cmpfloat(scalar(m, "signaling_messages"), <, scalar(a, "signaling_messages"));
  const char *none[] = {"run.duration=1h", "churn.concurrent=80", "agent.min_object_size=1TB",
                        NULL};
  g_autoptr(Model) n = run_geo(none);
  g_assert_cmpfloat(scalar(n, "mesh_fetches"), ==, 0);
  g_assert_cmpfloat(scalar(n, "mesh_bytes"), ==, 0);
  g_assert_cmpfloat(scalar(n, "small_requests"), >, small);
  /* nothing announced, not even the caches of returning visitors */
  g_assert_cmpfloat(scalar(n, "tracker_holdings"), ==, 0);
  g_assert_cmpfloat(scalar(m, "tracker_holdings"), >, 0);
  g_assert_cmpfloat(scalar(m, "tracker_holdings"), <, scalar(a, "tracker_holdings"));
}

/* Identical scalars (memory_* included) and series. */
static void assert_same_results(const Model *a, const Model *b) {
  size_t na, nb;
  const ModelScalar *sa = model_scalars(a, &na);
  const ModelScalar *sb = model_scalars(b, &nb);
  g_assert_cmpuint(na, ==, nb);
  for (size_t i = 0; i < na; i++) {
    g_assert_cmpstr(sa[i].name, ==, sb[i].name);
    if (isnan(sa[i].value)) g_assert_true(isnan(sb[i].value));
    else g_assert_cmpfloat(sa[i].value, ==, sb[i].value);
  }
  const ModelSample *pa = model_samples(a, &na);
  const ModelSample *pb = model_samples(b, &nb);
  g_assert_cmpuint(na, ==, nb);
  for (size_t i = 0; i < na; i++) {
    g_assert_cmpstr(pa[i].name, ==, pb[i].name);
    g_assert_cmpfloat(pa[i].t_s, ==, pb[i].t_s);
    if (isnan(pa[i].value)) g_assert_true(isnan(pb[i].value));
    else g_assert_cmpfloat(pa[i].value, ==, pb[i].value);
  }
}

static void test_determinism(void) {
  const char *sets[] = {"run.duration=30min", "churn.concurrent=50", NULL};
  g_autoptr(Model) a = run_geo(sets);
  g_autoptr(Model) b = run_geo(sets);
  assert_same_results(a, b);
}

/* A run on the tracker pipe's worker thread (model_set_threads) gives the
 * results of the run on one thread: scalars and series, with per-datacenter
 * indexes rebuilt by a rotation and an outage (the pipe's reset), small
 * objects kept out of the mesh, and the thread count changed twice in the
 * middle of a run. */
static void test_threads_identical(void) {
  const char *sets[] = {"run.duration=2h",
                        "churn.concurrent=150",
                        "tracker.index=per-datacenter",
                        "tracker.rotation_times=40min",
                        "faults.dc_outage=B 70min 10min",
                        "agent.min_object_size=8KB",
                        NULL};
  Model *m[3];
  for (int k = 0; k < 3; k++) {
    m[k] = new_geo(sets);
    if (k == 0) {
      model_run(m[k], NULL, NULL); /* one thread */
    } else if (k == 1) {
      model_set_threads(m[k], 2);
      g_assert_cmpuint(model_threads(m[k]), ==, 2);
      model_run(m[k], NULL, NULL);
    } else {
      model_set_threads(m[k], 2);
      model_run_until(m[k], 30 * SIM_MIN, NULL, NULL);
      model_set_threads(m[k], 1);
      model_run_until(m[k], 75 * SIM_MIN, NULL, NULL);
      model_set_threads(m[k], 2);
      model_run(m[k], NULL, NULL);
    }
  }
  g_assert_cmpfloat(scalar(m[0], "mesh_fetches"), >, 1000);
  g_assert_cmpfloat(scalar(m[0], "tracker_holdings"), >, 0);
  g_assert_cmpfloat(scalar(m[0], "small_requests"), >, 0);
  assert_same_results(m[0], m[1]);
  assert_same_results(m[0], m[2]);
  for (int k = 0; k < 3; k++) model_free(m[k]);
}

/* The mean of the online_peers series after `after_s`; *k: its samples. */
static double mean_online_after(const Model *m, double after_s, size_t *k) {
  size_t n;
  const ModelSample *s = model_samples(m, &n);
  double sum = 0;
  *k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, "online_peers") == 0 && s[i].t_s > after_s) {
      sum += s[i].value;
      ++*k;
    }
  return *k ? sum / (double)*k : NAN;
}

/* The --set of the TRAGEN footprint tc-1 of the source tree (g_free). */
static char *footprint_set(void) {
  g_autofree char *fp = g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), "scenarios", "world",
                                         "tc-1.popularity.txt", NULL);
  return g_strdup_printf("traffic.footprint=%s", fp);
}

/* Little's law over days: the mean of the online_peers series equals the
 * configured mean concurrency (M_t/G/inf: the day average does not depend
 * on the diurnal shape). Pages are long (dwell scale 600 s) so that the few
 * seconds a page may load beyond its dwell time are negligible; the
 * standard deviation of the time average is about 1.5% here. */
static void test_mean_online(void) {
  const char *sets[] = {"run.duration=3d", "churn.concurrent=40", "output.series_interval=1min",
                        "peers.mesh=false", "churn.dwell_scale=600s", NULL};
  g_autoptr(Model) m = run_geo(sets);
  size_t k;
  double mean = mean_online_after(m, 86400, &k); /* whole days */
  g_assert_cmpuint(k, >, 1000);
  g_test_message("mean online %.2f (configured 40)", mean);
  g_assert_cmpfloat(fabs(mean - 40) / 40, <=, 0.045);
}

/* M/G/inf: on a flat profile the mean number of online visitors is the
 * arrival rate times the mean visit, E[pages] x scale x Gamma(1 + 1/shape)
 * in closed form, within 1% over two days after a warm-up of six hours.
 * 4,000 visitors on average, for a standard error near 0.3%; one object per
 * page (a footprint catalogue) and no mesh, so that a page loads in about a
 * second against a mean dwell of 13 minutes and a visit is its dwell times.
 * The rate is the realised one (visits over the run), the mean visit the
 * formula's: what is checked is that the model keeps each visitor online
 * for its pages' dwell times, no more and no less. */
static void test_mginf(void) {
  g_autofree char *fp_set = footprint_set();
  const char *sets[] = {"run.duration=54h", "churn.concurrent=4000", "churn.peak_trough=1",
                        "churn.pages_per_visit=3", "churn.dwell_shape=0.7",
                        "churn.dwell_scale=600s", "traffic.catalogue=footprint", fp_set,
                        "traffic.footprint_objects=5000", "peers.mesh=false",
                        "output.series_interval=1min", NULL};
  g_autoptr(Model) m = run_geo(sets);
  const double duration = 54 * 3600.0, warm = 6 * 3600.0;
  double lambda = scalar(m, "visits") / duration;
  double visit = 3 * 600 * tgamma(1 + 1 / 0.7);
  size_t k;
  double mean = mean_online_after(m, warm, &k), predicted = lambda * visit;
  g_assert_cmpuint(k, >=, 2879);
  g_test_message("mean online %.1f, M/G/inf %.1f (rate %.4f/s x visit %.1f s)", mean, predicted,
                 lambda, visit);
  g_assert_cmpfloat(fabs(mean / predicted - 1), <=, 0.01);
}

/* A TRAGEN footprint catalogue (one object per page, no HTML): objects go
 * through the mesh, requests are conserved, and with the mesh off the
 * counterfactual is the page load itself. */
static void test_footprint(void) {
  g_autofree char *fp_set = footprint_set();
  const char *on[] = {"run.duration=1h", "churn.concurrent=60", "traffic.catalogue=footprint",
                      fp_set, "traffic.footprint_objects=5000", NULL};
  g_autoptr(Model) m = run_geo(on);
  g_assert_cmpfloat(scalar(m, "mesh_fetches"), >, 0);
  g_assert_cmpfloat(scalar(m, "object_requests"), ==,
                    scalar(m, "local_hits") + scalar(m, "mesh_fetches") +
                        scalar(m, "cdn_fetches") + scalar(m, "in_flight_at_end"));
  g_assert_cmpfloat(scalar(m, "failed_page_views"), ==, 0);
  const char *off[] = {"run.duration=1h", "churn.concurrent=60", "traffic.catalogue=footprint",
                       fp_set, "traffic.footprint_objects=5000", "peers.mesh=false", NULL};
  g_autoptr(Model) m2 = run_geo(off);
  double a = scalar(m2, "page_load_mean_s"), b = scalar(m2, "page_load_nomesh_mean_s");
  g_assert_cmpfloat(fabs(a - b), <=, 1e-9 * a);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/geo/conservation", test_conservation);
  g_test_add_func("/geo/counterfactual", test_counterfactual_equals_nomesh);
  g_test_add_func("/geo/counterfactual-small-edges", test_counterfactual_small_edges);
  g_test_add_func("/geo/min-object-size", test_min_object_size);
  g_test_add_func("/geo/determinism", test_determinism);
  g_test_add_func("/geo/threads-identical", test_threads_identical);
  g_test_add_func("/geo/mean-online", test_mean_online);
  g_test_add_func("/geo/mginf", test_mginf);
  g_test_add_func("/geo/footprint", test_footprint);
  return g_test_run();
}
