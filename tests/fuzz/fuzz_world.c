/*
 * fuzz_world.c: libFuzzer target for the world data reader (sim/world).
 *
 * The input is written as countries.csv into a temporary data directory and
 * loaded with world_load() (every country, 400 networks, default
 * parameters). A load that fails must say why, naming countries.csv; a
 * world that loads must answer its accessors with finite, non-negative
 * latencies that are symmetric.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "world/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *csv;

static void cleanup(void) {
  if (csv) g_unlink(csv);
  if (dir) g_rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!dir) {
    dir = g_dir_make_tmp("meshsim-fuzz-world-XXXXXX", NULL);
    FUZZ_CHECK(dir != NULL);
    csv = g_build_filename(dir, "countries.csv", NULL);
    atexit(cleanup);
  }
  FUZZ_CHECK(g_file_set_contents(csv, (const char *)data, (gssize)size, NULL));
  WorldParams p;
  world_params_init_defaults(&p);
  p.data_dir = dir;
  p.n_countries = 0;
  p.n_networks = 400;
  GError *err = NULL;
  World *w = world_load(&p, 1, &err);
  if (!w) {
    FUZZ_CHECK(err != NULL);
    if (err->domain == WORLD_ERROR && err->code != WORLD_ERROR_PARAM)
      FUZZ_CHECK(strstr(err->message, "countries.csv") != NULL);
    g_error_free(err);
    return 0;
  }
  uint32_t nc = world_n_countries(w), nn = world_n_networks(w);
  FUZZ_CHECK(nc > 0 && nn == 400);
  for (uint32_t i = 0; i < nc; i++) {
    const WorldCountry *c = world_country(w, i);
    uint32_t found;
    FUZZ_CHECK(world_country_find(w, c->iso2, &found) && found == i);
    FUZZ_CHECK(c->n_networks >= 1);
  }
  for (uint32_t a = 0; a < nn; a += 37)
    for (uint32_t b = 0; b < nn; b += 53) {
      int64_t r = world_rtt_ns(w, a, b), f = world_rtt_floor_ns(w, a, b);
      FUZZ_CHECK(r >= 0 && f >= 0 && f <= r);
      FUZZ_CHECK(r == world_rtt_ns(w, b, a));
    }
  for (uint32_t a = 0; a < nc; a++) {
    double ms = world_country_rtt_ms(w, a, (a * 7) % nc);
    FUZZ_CHECK(isfinite(ms) && ms >= 0);
  }
  world_free(w);
  return 0;
}
