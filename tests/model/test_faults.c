/*
 * test_faults.c: the signaling backend and the faults of the geo host.
 *   - the fluid queue of a datacenter against its closed form (a constant
 *     overload of lambda over capacity mu for T s leaves (lambda - mu) T
 *     waiting, a delay of that over mu; it drains at mu - lambda');
 *   - the autoscaler: instances reach ceil(load / (capacity x up / 2))
 *     after scale_up_delay, within [min, max]; fall back when idle;
 *   - fault specifications: parsed values and located errors;
 *   - each scenario of scenarios/faults (shortened: faults moved to 70 min,
 *     2 h, 100 concurrent visitors): requested = served by requests and by
 *     bytes, no failed page view, the fault visible in its counters, and
 *     offload back within 5% of the hour before within 15 min of the end.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "core/config.h"
#include "model/backend.h"
#include "model/keys.h"
#include "model/model.h"

#define S(x) ((SimTime)(x) * INT64_C(1000000000))

static void test_fluid_queue(void) {
  BackendScaling sc = {.instance_capacity = 100, .instances = 1, .min_instances = 1,
                       .max_instances = 1, .scale_up_delay_ns = S(60), .scale_every_ns = S(10),
                       .scale_up = 0.7, .scale_down = 0.3};
  BackendDc d;
  backend_dc_init(&d, &sc);
  /* 150 messages/s for 20 s: 50/s accumulate */
  for (int t = 1; t <= 20; t++) {
    backend_dc_add(&d, 150);
    backend_dc_tick(&d, S(t), S(1));
  }
  g_assert_cmpfloat(fabs(d.backlog - 1000), <, 1e-9);
  g_assert_cmpint(backend_dc_delay_ns(&d), ==, S(10));
  /* 60/s drains 40/s: empty after 25 s, never negative */
  for (int t = 21; t <= 60; t++) {
    backend_dc_add(&d, 60);
    backend_dc_tick(&d, S(t), S(1));
    if (t == 40) g_assert_cmpfloat(fabs(d.backlog - 200), <, 1e-9);
  }
  g_assert_cmpfloat(d.backlog, ==, 0);
  g_assert_cmpint(backend_dc_delay_ns(&d), ==, 0);
}

static void test_autoscaler(void) {
  BackendScaling sc = {.instance_capacity = 100, .instances = 2, .min_instances = 1,
                       .max_instances = 8, .scale_up_delay_ns = S(60), .scale_every_ns = S(10),
                       .scale_up = 0.7, .scale_down = 0.3};
  BackendDc d;
  backend_dc_init(&d, &sc);
  /* 300 messages/s offered: above 0.7 x 200; wants ceil(300 / 35) = 9 -> max 8 */
  SimTime t = 0;
  for (int k = 0; k < 200; k++) {
    t += S(1);
    backend_dc_add(&d, 300);
    backend_dc_tick(&d, t, S(1));
    if (t % S(10) == 0) backend_dc_autoscale(&d, t);
    if (t < S(10) + S(60)) g_assert_cmpuint(d.instances, ==, 2); /* the delay */
  }
  g_assert_cmpuint(d.instances, ==, 8);
  g_assert_cmpuint(d.peak_instances, ==, 8);
  /* the backlog built meanwhile has drained: 800/s serve 300/s */
  g_assert_cmpfloat(d.backlog, ==, 0);
  /* idle: one instance at a time down to the minimum */
  for (int k = 0; k < 200; k++) {
    t += S(1);
    backend_dc_tick(&d, t, S(1));
    if (t % S(10) == 0) backend_dc_autoscale(&d, t);
  }
  g_assert_cmpuint(d.instances, ==, 1);
  /* 100/s on 1 instance (utilisation 1): wants ceil(100 / 35) = 3 */
  for (int k = 0; k < 80; k++) {
    t += S(1);
    backend_dc_add(&d, 100);
    backend_dc_tick(&d, t, S(1));
    if (t % S(10) == 0) backend_dc_autoscale(&d, t);
  }
  g_assert_cmpuint(d.instances, ==, 3);
  backend_dc_reset(&d);
  g_assert_cmpuint(d.instances, ==, 2);
  g_assert_cmpuint(d.pending, ==, 0);
}

static void test_fault_specs(void) {
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(FaultSpec));
  char why[160];
  g_assert_true(fault_specs_parse("", a, why, sizeof why));
  g_assert_cmpuint(a->len, ==, 0);
  g_assert_true(fault_specs_parse("B 2h 30min; DE 3h 1h backend", a, why, sizeof why));
  g_assert_cmpuint(a->len, ==, 2);
  FaultSpec *f = &g_array_index(a, FaultSpec, 0);
  g_assert_cmpstr(f->scope, ==, "B");
  g_assert_true(isnan(f->value));
  g_assert_cmpint(f->start_ns, ==, S(7200));
  g_assert_cmpint(f->duration_ns, ==, S(1800));
  f = &g_array_index(a, FaultSpec, 1);
  g_assert_cmpstr(f->flag, ==, "backend");
  g_array_set_size(a, 0);
  g_assert_true(fault_specs_parse("0.25 10min 5min", a, why, sizeof why));
  g_assert_cmpfloat(g_array_index(a, FaultSpec, 0).value, ==, 0.25);
  g_assert_false(fault_specs_parse("B 2h", a, why, sizeof why));
  g_assert_nonnull(strstr(why, "SCOPE START DURATION"));
  g_assert_false(fault_specs_parse("B soon 30min", a, why, sizeof why));
  g_assert_nonnull(strstr(why, "start 'soon'"));
  g_assert_false(fault_specs_parse("B 2h 0s", a, why, sizeof why));
  g_assert_false(fault_specs_parse("B 2h 1h;", a, why, sizeof why));
  g_assert_false(fault_specs_parse("B 2h 1h x y", a, why, sizeof why));
  int64_t s;
  g_assert_true(backend_parse_time_of_day("04:30", &s));
  g_assert_cmpint(s, ==, 16200);
  g_assert_false(backend_parse_time_of_day("24:00", &s));
}

static double scalar(const Model *m, const char *name) {
  size_t n;
  const ModelScalar *s = model_scalars(m, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].name, name) == 0) return s[i].value;
  g_error("no scalar %s", name);
  return NAN;
}

static Config *load(const char *scenario, const char *const *sets, GError **e) {
  g_autofree char *path =
      g_build_filename(g_getenv("MESHSIM_SOURCE_DIR"), "scenarios", "faults", scenario, NULL);
  Config *cfg = model_config_new();
  if (!config_load_file(cfg, path, e)) return cfg;
  for (guint i = 0; sets && sets[i]; i++)
    if (!config_set_arg(cfg, sets[i], i + 1, e)) break;
  return cfg;
}

static Model *run(const char *scenario, const char *const *sets) {
  g_autoptr(GError) e = NULL;
  g_autoptr(Config) cfg = load(scenario, sets, &e);
  g_assert_no_error(e);
  Model *m = model_new(cfg, &e);
  g_assert_no_error(e);
  model_run(m, NULL, NULL);
  return m;
}

/* What users must not see, in every fault scenario. */
static void assert_served(const Model *m) {
  g_assert_cmpfloat(scalar(m, "object_requests"), >, 1000);
  g_assert_cmpfloat(scalar(m, "object_requests"), ==,
                    scalar(m, "local_hits") + scalar(m, "mesh_fetches") +
                        scalar(m, "cdn_fetches") + scalar(m, "in_flight_at_end"));
  g_assert_cmpfloat(scalar(m, "requested_bytes"), ==,
                    scalar(m, "local_bytes") + scalar(m, "mesh_bytes") + scalar(m, "cdn_bytes") +
                        scalar(m, "in_flight_bytes_at_end"));
  g_assert_cmpfloat(scalar(m, "failed_page_views"), ==, 0);
  g_assert_cmpfloat(scalar(m, "page_views"), ==,
                    scalar(m, "page_views_completed") + scalar(m, "page_views_loading_at_end"));
}

/* Offload back within recovery_band (5%) of the hour before within 15 min
 * of the window's end, and a baseline that was there to lose. */
static void assert_recovered(const Model *m, const char *window) {
  g_autofree char *base = g_strdup_printf("%s_offload_baseline", window);
  g_autofree char *rec = g_strdup_printf("%s_recovery_s", window);
  g_autofree char *dip = g_strdup_printf("%s_offload_dip", window);
  g_assert_cmpfloat(scalar(m, base), >, 0.05);
  g_assert_cmpfloat(scalar(m, dip), >=, 0);
  g_assert_cmpfloat(scalar(m, rec), >=, 0);
  g_assert_cmpfloat(scalar(m, rec), <=, 900);
}

#define SMALL "run.duration=2h", "churn.concurrent=100"

static void test_clean_slate(void) {
  const char *sets[] = {SMALL, "tracker.rotation_times=70min", NULL};
  g_autoptr(Model) m = run("clean-slate.ini", sets);
  assert_served(m);
  g_assert_cmpfloat(scalar(m, "rotations"), ==, 1);
  /* every datacenter's clients reconnected elsewhere when it was rebuilt */
  g_assert_cmpfloat(scalar(m, "signaling_reconnects"), >, 0);
  for (const char *d = "ABC"; *d; d++) {
    g_autofree char *k = g_strdup_printf("reconnects_peak_per_s_%c", *d);
    g_assert_cmpfloat(scalar(m, k), >, 0);
  }
  assert_recovered(m, "rotation_1");
}

static void test_dc_outage(void) {
  const char *sets[] = {SMALL, "faults.dc_outage=B 70min 20min", NULL};
  g_autoptr(Model) m = run("dc-outage.ini", sets);
  assert_served(m);
  /* B's clients learned by timeouts and moved to A and C */
  g_assert_cmpfloat(scalar(m, "queries_lost"), >, 0);
  g_assert_cmpfloat(scalar(m, "timeouts_tracker"), >, 0);
  g_assert_cmpfloat(scalar(m, "signaling_reconnects_A") + scalar(m, "signaling_reconnects_C"),
                    >, 0);
  assert_recovered(m, "dc_outage_1");
}

static void test_partition(void) {
  const char *sets[] = {SMALL, "faults.partition=US 70min 20min", NULL};
  g_autoptr(Model) m = run("partition.ini", sets);
  assert_served(m);
  g_assert_cmpfloat(scalar(m, "partition_blocked"), >, 0);
  assert_recovered(m, "partition_1");
  /* with the backend: no signaling for them, no mesh error from outside */
  const char *sets2[] = {SMALL, "faults.partition=US 70min 20min backend", NULL};
  g_autoptr(Model) m2 = run("partition.ini", sets2);
  assert_served(m2);
  g_assert_cmpfloat(scalar(m2, "signaling_reconnects"), >, 0);
  assert_recovered(m2, "partition_1");
}

static void test_poison(void) {
  const char *sets[] = {SMALL, "faults.poison=0.1 70min 20min", NULL};
  g_autoptr(Model) m = run("poison.ini", sets);
  assert_served(m);
  /* every corrupt transfer is caught and reported; bans follow reports */
  g_assert_cmpfloat(scalar(m, "errors_corrupt"), >, 0);
  g_assert_cmpfloat(scalar(m, "poison_reports"), ==, scalar(m, "errors_corrupt"));
  g_assert_cmpfloat(scalar(m, "poison_bans"), >, 0);
  g_assert_cmpfloat(scalar(m, "poison_bans") * 3, <=, scalar(m, "poison_reports"));
  assert_recovered(m, "poison_1");
}

static void test_bad_faults(void) {
  const char *bad[][2] = {
      {"faults.dc_outage=Z 1h 1h", "not a datacenter"},
      {"faults.partition=XX 1h 1h", "not among the world's countries"},
      {"faults.partition=n99999 1h 1h", "not a network"},
      {"faults.poison=1.5 1h 1h", "not a probability"},
      {"faults.edge_outage=DE 1h 1h whole", "unknown flag"},
      {"tracker.datacenters=A:US B", "NAME:COUNTRY"},
      {"tracker.datacenters=A:US A:DE", "twice"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    const char *sets[] = {bad[i][0], NULL};
    g_autoptr(GError) e = NULL;
    g_autoptr(Config) cfg = load("poison.ini", sets, &e);
    g_assert_no_error(e);
    Model *m = model_new(cfg, &e);
    g_assert_null(m);
    g_assert_nonnull(e);
    g_assert_nonnull(strstr(e->message, bad[i][1]));
    g_assert_nonnull(strstr(e->message, "--set"));
  }
}

/* An edge outage: fetches of its region go to another edge; with every
 * edge down, to the origin. No page view is lost. */
static void test_edge_outage(void) {
  const char *sets[] = {"run.duration=1h", "churn.concurrent=60", "faults.edge_outage=US 20min 20min",
                        NULL};
  g_autoptr(Model) m = run("poison.ini", sets);
  assert_served(m);
  g_assert_cmpfloat(scalar(m, "edge_fallbacks"), >, 0);
  g_assert_cmpfloat(scalar(m, "origin_direct_fetches"), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/faults/fluid-queue", test_fluid_queue);
  g_test_add_func("/faults/autoscaler", test_autoscaler);
  g_test_add_func("/faults/specs", test_fault_specs);
  g_test_add_func("/faults/bad-input", test_bad_faults);
  g_test_add_func("/faults/clean-slate", test_clean_slate);
  g_test_add_func("/faults/dc-outage", test_dc_outage);
  g_test_add_func("/faults/partition", test_partition);
  g_test_add_func("/faults/poison", test_poison);
  g_test_add_func("/faults/edge-outage", test_edge_outage);
  return g_test_run();
}
