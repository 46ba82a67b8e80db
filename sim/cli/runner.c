/*
 * runner.c: load, validate, run, summarise and store one scenario run.
 *
 * Order matters for "bad input writes nothing": the scenario, the
 * overrides and the model are all validated, and the output database is
 * opened (schema checked) before the run starts; the run's rows go in at
 * the end in one transaction.
 */
#include "cli/runner.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli/cli.h"
#include "model/keys.h"
#include "model/model.h"
#include "results/results.h"

#ifndef SIM_VERSION
#define SIM_VERSION "0.0.0"
#endif
#ifndef SIM_GIT_REV
#define SIM_GIT_REV "unknown"
#endif

Config *runner_load_config(const char *scenario, const char *const *sets, gboolean lists,
                           GError **error) {
  g_autoptr(Config) cfg = model_config_new();
  config_allow_lists(cfg, lists);
  if (!config_load_file(cfg, scenario, error)) return NULL;
  if (sets)
    for (guint i = 0; sets[i]; i++)
      if (!config_set_arg(cfg, sets[i], i + 1, error)) return NULL;
  return g_steal_pointer(&cfg);
}

char *runner_scenario_name(const Config *cfg, const char *scenario_path) {
  const char *name = config_string(cfg, "scenario", "name");
  if (name && *name) return g_strdup(name);
  g_autofree char *base = g_path_get_basename(scenario_path);
  if (g_str_has_suffix(base, ".ini")) base[strlen(base) - 4] = '\0';
  return g_steal_pointer(&base);
}

/* ---- progress line ------------------------------------------------------ */

typedef struct Progress {
  gint64 start_us, last_us;
  uint64_t last_events;
  gint64 last_print_us;
  gboolean shown;
} Progress;

static double rss_mib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages_total = 0, pages_rss = 0;
  int n = fscanf(f, "%ld %ld", &pages_total, &pages_rss);
  fclose(f);
  if (n != 2) return 0;
  return (double)pages_rss * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static void on_progress(void *ud, SimTime now, SimTime horizon, uint64_t events) {
  Progress *p = ud;
  gint64 t = g_get_monotonic_time(); /* wall time: progress display only */
  if (p->shown && t - p->last_print_us < 250000 && now < horizon) return;
  double frac = horizon > 0 ? (double)now / (double)horizon : 1.0;
  double el = (double)(t - p->start_us) * 1e-6;
  double rate = el > 0 ? (double)events / el : 0;
  double eta = frac > 0 ? el / frac - el : 0;
  int64_t s = now / SIM_SEC;
  char eta_text[32] = "--";
  if (frac >= 0.01) g_snprintf(eta_text, sizeof eta_text, "%.0fs", eta);
  fprintf(stderr,
          "\r\033[Ksim %02" G_GINT64_FORMAT ":%02d:%02d  %5.1f%%  %.2f M events/s  ETA %s  RSS %.0f MiB",
          (gint64)(s / 3600), (int)(s / 60 % 60), (int)(s % 60), 100.0 * frac, rate * 1e-6,
          eta_text, rss_mib());
  fflush(stderr);
  p->shown = TRUE;
  p->last_print_us = t;
}

/* ---- summary ------------------------------------------------------------ */

static void print_number(FILE *out, double v) {
  if (v == floor(v) && fabs(v) < 1e15) fprintf(out, "%.0f", v);
  else fprintf(out, "%.6g", v);
}

/* A JSON string (RFC 8259): quote, backslash and control characters
 * escaped, UTF-8 passed through. (g_strescape writes C octal escapes for
 * non-ASCII bytes, which are not JSON.) */
static void print_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

static void print_summary(const RunRecord *rec, const char *name, gboolean json) {
  size_t n = run_record_n_scalars(rec);
  if (json) {
    printf("{\"scenario\": ");
    print_json_string(stdout, name);
    for (size_t i = 0; i < n; i++) {
      const char *k;
      double v;
      run_record_scalar_at(rec, i, &k, &v);
      printf(", \"%s\": ", k);
      if (isfinite(v)) print_number(stdout, v);
      else printf("null");
    }
    printf("}\n");
    return;
  }
  printf("scenario: %s\n", name);
  for (size_t i = 0; i < n; i++) {
    const char *k;
    double v;
    run_record_scalar_at(rec, i, &k, &v);
    printf("%s: ", k);
    print_number(stdout, v);
    putchar('\n');
  }
}

/* ---- results ------------------------------------------------------------ */

static RunRecord *make_record(const Model *m, const Config *cfg, const char *name,
                              uint64_t seed, guint replication, gint64 started_us,
                              double wall_s) {
  RunRecord *rec = run_record_new();
  g_autofree char *text = config_dump(cfg);
  run_record_set_scenario(rec, name, text);
  run_record_set_seed(rec, seed, replication);
  run_record_set_build(rec, SIM_VERSION, SIM_GIT_REV);
  run_record_set_wall_time(rec, started_us, g_get_real_time(), wall_s);
  size_t n;
  const ModelScalar *s = model_scalars(m, &n);
  for (size_t i = 0; i < n; i++) run_record_scalar(rec, s[i].name, s[i].value);
  const ModelSample *smp = model_samples(m, &n);
  for (size_t i = 0; i < n; i++) run_record_series(rec, smp[i].name, smp[i].t_s, smp[i].value);
  run_record_histogram(rec, "latency_s", model_latency(m));
  const ModelHistogram *hs = model_histograms(m, &n);
  for (size_t i = 0; i < n; i++) run_record_histogram(rec, hs[i].name, hs[i].h);
  const ModelBreakdown *bd = model_breakdowns(m, &n);
  for (size_t i = 0; i < n; i++)
    run_record_breakdown(rec,
                         strcmp(bd[i].dim, "country") == 0 ? RESULTS_DIM_COUNTRY
                                                            : RESULTS_DIM_NETWORK,
                         bd[i].key, bd[i].name, bd[i].value);
  return rec;
}

static RunRecord *execute_model(Model *model, const Config *cfg, const char *name,
                                guint replication, ModelProgressFn progress, void *ud) {
  gint64 started_us = g_get_real_time(); /* wall time: provenance only */
  gint64 t0 = g_get_monotonic_time();
  model_run(model, progress, ud);
  double wall_s = (double)(g_get_monotonic_time() - t0) * 1e-6;
  uint64_t seed = (uint64_t)config_int(cfg, "run", "seed");
  return make_record(model, cfg, name, seed, replication, started_us, wall_s);
}

RunRecord *runner_execute(const Config *cfg, const char *name, guint replication,
                          guint threads, ModelProgressFn progress, void *ud, GError **error) {
  g_autoptr(Model) model = model_new(cfg, error);
  if (!model) return NULL;
  model_set_threads(model, threads);
  return execute_model(model, cfg, name, replication, progress, ud);
}

/* Keys that steer how many runs there are, not what one run does. */
static gboolean replication_key(const ConfigKey *k) {
  if (strcmp(k->section, "check") == 0) return TRUE;
  if (strcmp(k->section, "scenario") == 0 && strcmp(k->name, "extends") == 0) return TRUE;
  if (strcmp(k->section, "run") != 0) return FALSE;
  return strcmp(k->name, "replications") == 0 || strcmp(k->name, "precision") == 0 ||
         strcmp(k->name, "precision_metrics") == 0 || strcmp(k->name, "max_replications") == 0;
}

static gboolean is_axis(const GPtrArray *axes, const ConfigKey *k, guint *index) {
  g_autofree char *full = g_strdup_printf("%s.%s", k->section, k->name);
  for (guint i = 0; axes && i < axes->len; i++)
    if (strcmp(g_ptr_array_index(axes, i), full) == 0) {
      *index = i;
      return TRUE;
    }
  return FALSE;
}

Config *runner_point_config(const Config *base, const GPtrArray *axes,
                            const char *const *values, uint64_t seed, GError **error) {
  g_autoptr(Config) c = model_config_new();
  for (size_t i = 0; i < model_keys_count; i++) {
    const ConfigKey *k = &model_keys[i];
    guint ax;
    if (replication_key(k)) continue;
    if (is_axis(axes, k, &ax)) {
      if (!config_set_value(c, k->section, k->name, values[ax], "sweep", ax + 1, error))
        return NULL;
      continue;
    }
    if (!config_is_set(base, k->section, k->name)) continue;
    guint line = 0;
    const char *origin = config_origin(base, k->section, k->name, &line);
    if (!config_set_value(c, k->section, k->name, config_raw(base, k->section, k->name), origin,
                          line, error))
      return NULL;
  }
  g_autofree char *v = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)seed);
  if (!config_set_value(c, "run", "seed", v, "sweep", 0, error)) return NULL;
  return g_steal_pointer(&c);
}

char *runner_point_key(const GPtrArray *axes, const char *const *values) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; axes && i < axes->len; i++)
    g_string_append_printf(s, "%s%s=%s", i ? " " : "", (const char *)g_ptr_array_index(axes, i),
                           values[i]);
  return g_string_free(s, FALSE);
}

void runner_job_free(RunnerJob *job) {
  if (!job) return;
  if (job->cfg) config_free(job->cfg);
  if (job->rec) run_record_free(job->rec);
  g_clear_error(&job->error);
  g_free(job);
}

typedef struct Pool {
  GAsyncQueue *finished;           /* of RunnerJob* */
  guint threads;                   /* per run: the cores the workers leave */
} Pool;

static void pool_work(gpointer data, gpointer user_data) {
  RunnerJob *job = data;
  Pool *p = user_data;
  job->rec = runner_execute(job->cfg, job->name, job->replication, p->threads, NULL, NULL,
                            &job->error);
  g_async_queue_push(p->finished, job);
}

void runner_execute_all(GPtrArray *jobs, guint n_workers, RunnerDoneFn done, void *ud) {
  if (jobs->len == 0) return;
  if (n_workers == 0) n_workers = g_get_num_processors();
  if (n_workers > jobs->len) n_workers = jobs->len;
  /* fewer runs at once than cores: each may use the rest (a geo run uses
   * two, tracker_pipe.h) */
  Pool p = {g_async_queue_new(), MAX(1u, g_get_num_processors() / n_workers)};
  GThreadPool *pool = g_thread_pool_new(pool_work, &p, (gint)n_workers, FALSE, NULL);
  g_assert_nonnull(pool); /* non-exclusive pools cannot fail to be created */
  for (guint i = 0; i < jobs->len; i++) g_thread_pool_push(pool, g_ptr_array_index(jobs, i), NULL);
  for (guint i = 0; i < jobs->len; i++) done(g_async_queue_pop(p.finished), ud);
  g_thread_pool_free(pool, FALSE, TRUE);
  g_async_queue_unref(p.finished);
}

/* Store the run; a stored run of the same scenario and seed is replaced
 * (it would have the same results, but the user asked for this run). */
static gboolean store_run(ResultsDb *db, const RunRecord *rec, uint64_t seed, GError **error) {
  gint64 old = results_find_run(db, run_record_scenario_sha256(rec), seed, error);
  if (old < 0) return FALSE;
  if (old > 0 && !results_delete_run(db, old, error)) return FALSE;
  return results_write_run(db, rec, error) > 0;
}

int runner_run(const RunnerOptions *opt) {
  g_autoptr(GError) error = NULL;
  g_autoptr(Config) cfg = runner_load_config(opt->scenario, opt->sets, FALSE, &error);
  if (!cfg) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (opt->seed >= 0) {
    g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)opt->seed);
    if (!config_set_value(cfg, "run", "seed", v, "--seed", 1, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return CLI_EXIT_BADINPUT;
    }
  }
  g_autofree char *name = runner_scenario_name(cfg, opt->scenario);
  g_autoptr(Model) model = model_new(cfg, &error); /* validated before the db is opened */
  if (!model) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }

  g_autofree char *out = NULL;
  if (opt->out) out = g_strdup(opt->out);
  else if (opt->default_out) out = g_strdup_printf("results/%s.db", name);
  g_autoptr(ResultsDb) db = NULL;
  if (out) {
    if (opt->default_out && g_mkdir_with_parents("results", 0755) != 0) {
      fprintf(stderr, "meshsim run: cannot create the directory results/: %s\n",
              g_strerror(errno));
      return CLI_EXIT_FAIL;
    }
    db = results_open(out, &error);
    if (!db) {
      fprintf(stderr, "%s\n", error->message);
      return g_error_matches(error, RESULTS_ERROR, RESULTS_ERROR_NEWER_SCHEMA) ||
                     g_error_matches(error, RESULTS_ERROR, RESULTS_ERROR_NOT_A_DB)
                 ? CLI_EXIT_BADINPUT
                 : CLI_EXIT_FAIL;
    }
  }

  model_set_threads(model, opt->threads ? opt->threads : g_get_num_processors());
  Progress prog = {0};
  prog.start_us = g_get_monotonic_time();
  gboolean show = !opt->quiet && isatty(STDERR_FILENO);
  g_autoptr(RunRecord) rec = execute_model(model, cfg, name, 0, show ? on_progress : NULL, &prog);
  if (prog.shown) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }

  print_summary(rec, name, opt->json);
  fflush(stdout);
  if (db) {
    uint64_t seed = (uint64_t)config_int(cfg, "run", "seed");
    if (!store_run(db, rec, seed, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return CLI_EXIT_FAIL;
    }
  }
  return CLI_EXIT_OK;
}

/* ---- warm-up fork ----------------------------------------------------------- */

/* A config's text with the algorithm keys set to base's and the [scenario]
 * labels blanked: two configs that differ only in algorithm keys give the
 * same text. (transfer full) */
static char *normalised_text(const Config *c, const Config *base, GError **error) {
  g_autoptr(Config) n = runner_point_config(c, NULL, NULL, (uint64_t)config_int(c, "run", "seed"),
                                            error);
  if (!n) return NULL;
  for (const char *const *k = model_algorithm_keys(); *k; k++) {
    g_auto(GStrv) sk = g_strsplit(*k, ".", 2);
    if (!config_set_value(n, sk[0], sk[1], config_raw(base, sk[0], sk[1]), "normalised", 0, error))
      return NULL;
  }
  if (!config_set_value(n, "scenario", "name", "", "normalised", 0, error) ||
      !config_set_value(n, "scenario", "description", "", "normalised", 0, error))
    return NULL;
  return config_dump_all(n);
}

Config *runner_warmup_variant(const Config *variant, const Config *base, GError **error) {
  g_autoptr(Config) c = runner_point_config(variant, NULL, NULL,
                                            (uint64_t)config_int(variant, "run", "seed"), error);
  if (!c) return NULL;
  for (const char *const *k = model_algorithm_keys(); *k; k++) {
    g_autofree char *v = model_algorithm_warmup_value(base, *k);
    g_auto(GStrv) sk = g_strsplit(model_algorithm_warmup_key(*k), ".", 2);
    if (!config_set_value(c, sk[0], sk[1], v, "warm-up fork", 0, error)) return NULL;
  }
  g_autoptr(Config) b = runner_point_config(base, NULL, NULL,
                                            (uint64_t)config_int(base, "run", "seed"), error);
  if (!b) return NULL;
  for (const char *const *k = model_algorithm_keys(); *k; k++) {
    g_autofree char *v = model_algorithm_warmup_value(base, *k);
    g_auto(GStrv) sk = g_strsplit(model_algorithm_warmup_key(*k), ".", 2);
    if (!config_set_value(b, sk[0], sk[1], v, "warm-up fork", 0, error)) return NULL;
  }
  g_autofree char *tv = normalised_text(c, base, error);
  if (!tv) return NULL;
  g_autofree char *tb = normalised_text(b, base, error);
  if (!tb) return NULL;
  if (strcmp(tv, tb) != 0) {
    g_autofree char *keys = g_strjoinv(", ", (char **)model_algorithm_keys());
    g_set_error(error, MODEL_ERROR, 0,
                "warm-up fork: the variants may differ only in the algorithm keys (%s)", keys);
    return NULL;
  }
  return g_steal_pointer(&c);
}

/* Pipe frame: u8 status (0 = record, 1 = error message), u64 length (host
 * order: both ends are this process's image), then the bytes. */
static gboolean write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return FALSE;
    p += w;
    n -= (size_t)w;
  }
  return TRUE;
}

static gboolean read_all(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return FALSE;
    p += r;
    n -= (size_t)r;
  }
  return TRUE;
}

static gboolean write_frame(int fd, guint8 status, const void *data, guint64 len) {
  return write_all(fd, &status, 1) && write_all(fd, &len, sizeof len) &&
         write_all(fd, data, (size_t)len);
}

G_GNUC_NORETURN static void fork_child(Model *m, RunnerJob *job, int fd) {
  g_autoptr(GError) err = NULL;
  gint64 started_us = g_get_real_time(); /* wall time: provenance only */
  gint64 t0 = g_get_monotonic_time();
  int status = 0;
  if (!model_end_warmup(m, job->cfg, &err)) {
    status = write_frame(fd, 1, err->message, strlen(err->message)) ? 0 : 3;
  } else {
    model_run(m, NULL, NULL);
    double wall_s = (double)(g_get_monotonic_time() - t0) * 1e-6;
    uint64_t seed = (uint64_t)config_int(job->cfg, "run", "seed");
    RunRecord *rec = make_record(m, job->cfg, job->name, seed, job->replication, started_us, wall_s);
    GBytes *bytes = run_record_serialize(rec);
    gsize n;
    const void *data = g_bytes_get_data(bytes, &n);
    status = write_frame(fd, 0, data, n) ? 0 : 3;
    /* no frees: _exit drops the whole image at once */
  }
  close(fd);
  _exit(status);
}

typedef struct ForkSlot {
  pid_t pid;
  int fd;
} ForkSlot;

/* Read job's frame from its child and reap it. */
static void fork_collect(ForkSlot *s, RunnerJob *job) {
  guint8 status = 2;
  guint64 len = 0;
  char *buf = NULL;
  gboolean ok = read_all(s->fd, &status, 1) && read_all(s->fd, &len, sizeof len) &&
                len < (G_GUINT64_CONSTANT(1) << 40);
  if (ok) {
    buf = g_malloc(len ? (gsize)len : 1);
    ok = read_all(s->fd, buf, (size_t)len);
  }
  close(s->fd);
  int wstatus = 0;
  while (waitpid(s->pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!ok) {
    g_set_error(&job->error, MODEL_ERROR, 0,
                "warm-up fork: child %d died without a result (%s %d)", (int)s->pid,
                WIFSIGNALED(wstatus) ? "signal" : "exit status",
                WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
  } else if (status == 0) {
    job->rec = run_record_deserialize(buf, (gsize)len, &job->error);
  } else {
    g_set_error(&job->error, MODEL_ERROR, 0, "%.*s", (int)len, buf);
  }
  g_free(buf);
}

gboolean runner_fork_variants(const Config *warm, GPtrArray *jobs, guint n_workers,
                              RunnerDoneFn done, void *ud, GError **error) {
  if (jobs->len == 0) return TRUE;
  g_autoptr(Model) m = model_new(warm, error);
  if (!m) return FALSE;
  g_assert_cmpint(model_warmup(m), >, 0);
  model_run_until(m, model_warmup(m), NULL, NULL);
  if (n_workers == 0) n_workers = g_get_num_processors();
  ForkSlot *slots = g_new(ForkSlot, jobs->len);
  guint started = 0, collected = 0;
  gboolean ok = TRUE;
  while (collected < jobs->len) {
    while (ok && started < jobs->len && started - collected < n_workers) {
      int fds[2];
      if (pipe(fds) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "warm-up fork: pipe: %s",
                    g_strerror(errno));
        ok = FALSE;
        break;
      }
      fflush(NULL); /* no buffered output duplicated into the child */
      pid_t pid = fork();
      if (pid < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "warm-up fork: fork: %s",
                    g_strerror(errno));
        close(fds[0]);
        close(fds[1]);
        ok = FALSE;
        break;
      }
      if (pid == 0) {
        close(fds[0]);
        for (guint i = collected; i < started; i++) close(slots[i].fd); /* siblings' pipes */
        fork_child(m, g_ptr_array_index(jobs, started), fds[1]);
      }
      close(fds[1]);
      slots[started] = (ForkSlot){pid, fds[0]};
      started++;
    }
    if (collected == started) break; /* a failure before anything started */
    RunnerJob *job = g_ptr_array_index(jobs, collected);
    fork_collect(&slots[collected], job);
    collected++;
    done(job, ud);
  }
  g_free(slots);
  return ok;
}
