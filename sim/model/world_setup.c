/*
 * world_setup.c: the [world] keys of a scenario -> a loaded geo World.
 *
 * data_dir resolves relative to the scenario file that set it; left empty it
 * is $MESHSIM_DATA_DIR, else the source tree's scenarios/world (compiled in).
 */
#include <math.h>
#include <string.h>

#include "model/model.h"

#ifndef SIM_DATA_DIR
#define SIM_DATA_DIR "scenarios/world"
#endif

static char *resolve_data_dir(const Config *cfg) {
  const char *dir = config_string(cfg, "world", "data_dir");
  if (!*dir) {
    const char *env = g_getenv("MESHSIM_DATA_DIR");
    return g_strdup(env && *env ? env : SIM_DATA_DIR);
  }
  if (g_path_is_absolute(dir)) return g_strdup(dir);
  const char *origin = config_origin(cfg, "world", "data_dir", NULL);
  if (!origin || strcmp(origin, "--set") == 0) return g_strdup(dir);
  g_autofree char *base = g_path_get_dirname(origin);
  return g_build_filename(base, dir, NULL);
}

World *model_load_world(const Config *cfg, GError **error) {
  WorldParams p;
  world_params_init_defaults(&p);
  g_autofree char *dir = resolve_data_dir(cfg);
  p.data_dir = dir;
  p.n_countries = (uint32_t)config_int(cfg, "world", "countries");
  g_auto(GStrv) list = NULL;
  const char *cl = config_string(cfg, "world", "country_list");
  if (*cl) {
    list = g_strsplit_set(cl, " \t,", -1);
    /* drop empty tokens */
    guint w = 0;
    for (guint r = 0; list[r]; r++) {
      if (*list[r]) list[w++] = list[r];
      else g_free(list[r]);
    }
    list[w] = NULL;
    p.countries = (const char *const *)list;
  }
  p.n_networks = (uint32_t)config_int(cfg, "world", "networks");
  p.share_zipf_s = config_double(cfg, "world", "share_zipf");
  p.mobile_share = config_double(cfg, "world", "mobile_share");
  p.nat_mix[WORLD_NAT_FULL_CONE] = config_double(cfg, "world", "nat_full_cone");
  p.nat_mix[WORLD_NAT_RESTRICTED] = config_double(cfg, "world", "nat_restricted");
  p.nat_mix[WORLD_NAT_PORT_RESTRICTED] = config_double(cfg, "world", "nat_port_restricted");
  p.nat_mix[WORLD_NAT_SYMMETRIC] = config_double(cfg, "world", "nat_symmetric");
  double sum = 0;
  for (int i = 0; i < WORLD_NAT_COUNT; i++) sum += p.nat_mix[i];
  if (fabs(sum - 1.0) > 1e-6)
    return config_fail(cfg, "world", "nat_symmetric", error,
                       "the four NAT shares sum to %g, not 1", sum),
           NULL;
  p.path_stretch = config_double(cfg, "world", "path_stretch");
  p.fiber_fraction = config_double(cfg, "world", "fiber_fraction");
  p.access_share = config_double(cfg, "world", "access_share");
  p.jitter_sigma = config_double(cfg, "world", "jitter_sigma");
  uint64_t seed = (uint64_t)config_int(cfg, "run", "seed");
  g_autoptr(GError) local = NULL;
  World *w = world_load(&p, seed, &local);
  if (!w) {
    /* Parameter errors are the scenario's; data-file errors name the file. */
    if (g_error_matches(local, WORLD_ERROR, WORLD_ERROR_PARAM) ||
        g_error_matches(local, WORLD_ERROR, WORLD_ERROR_COUNTRY))
      return config_fail(cfg, "world", *cl ? "country_list" : "networks", error, "%s",
                         local->message),
             NULL;
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  return w;
}
