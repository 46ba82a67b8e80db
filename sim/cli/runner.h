/*
 * runner.h: load a scenario with its overrides and run it (shared by the
 * run, sweep and compare commands).
 */
#ifndef CLI_RUNNER_H
#define CLI_RUNNER_H

#include <glib.h>
#include <stdint.h>

#include "core/config.h"

typedef struct RunnerOptions {
  const char *scenario;            /* path of the .ini */
  const char *const *sets;         /* NULL-terminated "section.key=value", or NULL */
  int64_t seed;                    /* < 0: the scenario's [run] seed */
  const char *out;                 /* database path, or NULL */
  gboolean default_out;            /* out = results/<scenario name>.db */
  gboolean quiet;                  /* no progress line */
  gboolean json;                   /* summary as JSON */
} RunnerOptions;

/* (transfer full) The scenario's config after extends and --set; NULL with
 * the one-line error set on bad input. `lists` allows sweep axes. */
Config *runner_load_config(const char *scenario, const char *const *sets, gboolean lists,
                           GError **error);

/* The scenario name: [scenario] name, or the file name without .ini.
 * (transfer full) */
char *runner_scenario_name(const Config *cfg, const char *scenario_path);

/* Run one scenario as `meshsim run` does; returns the exit code. */
int runner_run(const RunnerOptions *opt);

#endif
