/*
 * runner.h: load a scenario with its overrides and run it (shared by the
 * run, sweep and compare commands).
 */
#ifndef CLI_RUNNER_H
#define CLI_RUNNER_H

#include <glib.h>
#include <stdint.h>

#include "core/config.h"
#include "model/model.h"
#include "results/results.h"

typedef struct RunnerOptions {
  const char *scenario;            /* path of the .ini */
  const char *const *sets;         /* NULL-terminated "section.key=value", or NULL */
  int64_t seed;                    /* < 0: the scenario's [run] seed */
  const char *out;                 /* database path, or NULL */
  gboolean default_out;            /* out = results/<scenario name>.db */
  gboolean quiet;                  /* no progress line */
  gboolean json;                   /* summary as JSON */
  guint threads;                   /* model_set_threads(); 0: the number of cores */
} RunnerOptions;

/* (transfer full) The scenario's config after extends and --set; NULL with
 * the one-line error set on bad input. `lists` allows sweep axes. */
Config *runner_load_config(const char *scenario, const char *const *sets, gboolean lists,
                           GError **error);

/* The scenario name: [scenario] name, or the file name without .ini.
 * (transfer full) */
char *runner_scenario_name(const Config *cfg, const char *scenario_path);

/* (transfer full) Build and run one concrete scenario (no lists) and
 * collect everything of the run into a RunRecord: scenario name and text,
 * seed ([run] seed) and `replication`, build, wall time, scalars, series,
 * the latency histogram. NULL + error if the model refuses the config.
 * Thread-safe: parallel calls on different configs share nothing. The
 * run may use `threads` threads (model_set_threads; results do not depend
 * on it). */
RunRecord *runner_execute(const Config *cfg, const char *name, guint replication,
                          guint threads, ModelProgressFn progress, void *ud, GError **error);

/* (transfer full) The concrete config of one run of a sweep, compare or
 * check: every key `base` sets, with its origin, except the keys that only
 * steer replications ([run] replications, precision, precision_metrics,
 * max_replications and the [check] section, so that they do not change the
 * scenario text and its SHA-256, the resume key); each axis key
 * (`axes`, "section.key") set to values[i] (origin "sweep"); [run] seed =
 * `seed`. NULL + error if a value is refused. */
Config *runner_point_config(const Config *base, const GPtrArray *axes,
                            const char *const *values, uint64_t seed, GError **error);

/* The point key of a grid point: "k=v k=v" over the axes; "" without axes.
 * (transfer full) */
char *runner_point_key(const GPtrArray *axes, const char *const *values);

/* One run for runner_execute_all(). The caller fills cfg, name and
 * replication (and may use user); the pool fills rec or error. */
typedef struct RunnerJob {
  Config *cfg;                     /* (owned) concrete config */
  const char *name;                /* (not owned) scenario name */
  guint replication;
  gpointer user;                   /* (not owned) the caller's */
  RunRecord *rec;                  /* result, (owned) until the caller steals it */
  GError *error;                   /* or the model's refusal */
} RunnerJob;

void runner_job_free(RunnerJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunnerJob, runner_job_free)

/* Called in the calling thread, once per job, in completion order. */
typedef void (*RunnerDoneFn)(RunnerJob *job, void *ud);

/* Run jobs (RunnerJob*) on n_workers threads (GThreadPool; 0 = number of
 * cores); `done` sees each job as it finishes. With fewer workers than
 * cores each run may use cores / workers threads. Results do not depend on
 * n_workers: each run only depends on its own config. */
void runner_execute_all(GPtrArray *jobs, guint n_workers, RunnerDoneFn done, void *ud);

/* ---- warm-up fork ----------------------------------------------------------
 *
 * runner_fork_variants(warm, jobs): build the model of `warm` (a concrete
 * config with [run] warmup > 0), run its warm-up once, then fork() one
 * child per job (at most n_workers alive at a time): the child ends the
 * warm-up switching to the job's config's algorithm keys
 * (model_end_warmup), runs to the horizon, and writes its serialised
 * RunRecord (run_record_serialize) into a pipe, then _exit()s. The parent
 * reads the records in job order and calls `done` for each.
 * SQLite: no database handle is used across fork. The caller's ResultsDb
 * (opened before) stays in the parent only; children never touch it and
 * leave with _exit (no atexit handlers, no sqlite3_close of an inherited
 * handle); only the parent writes, after each child's record arrived.
 * Nothing is shared after the fork (copy-on-write), so the children's RNG
 * streams advance independently from the same warmed state.
 * Each job's cfg must differ from `warm` only in algorithm keys (see
 * runner_warmup_variant); the record holds the job's cfg, which reproduces
 * the forked run from scratch. Only for a process without other threads
 * (no GThreadPool running). FALSE + error if warm's model is refused or
 * fork/pipe fail; a child's failure goes into its job->error. */
gboolean runner_fork_variants(const Config *warm, GPtrArray *jobs, guint n_workers,
                              RunnerDoneFn done, void *ud, GError **error);

/* (transfer full) `variant` (a concrete config) for a warm-up fork whose
 * base variant is `base` (both with the same [run] warmup): [run]
 * warmup_policy / warmup_strategy / warmup_candidates set to the algorithm
 * that `base` runs during its warm-up, so that running the result from
 * scratch reproduces the forked child exactly. NULL + error if `variant`
 * differs from `base` in anything but the algorithm keys (and [scenario]
 * name and description). */
Config *runner_warmup_variant(const Config *variant, const Config *base, GError **error);

/* Run one scenario as `meshsim run` does; returns the exit code. */
int runner_run(const RunnerOptions *opt);

#endif
