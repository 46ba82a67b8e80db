/*
 * runner_mpi.c: the MPI job farm of `meshsim sweep` (runner_mpi.h).
 *
 * Messages (all between rank 0 and one worker, MPI_BYTE):
 *   0 -> w  TAG_JOB   u32 job index, u32 replication, then per set key
 *                     "section\0key\0raw\0origin\0" u32 line; the scenario
 *                     name last as "name\0" after a u32 key count
 *   0 -> w  TAG_STOP  empty: leave the serve loop
 *   w -> 0  TAG_DONE  u32 job index, u8 status (0 record, 1 error text),
 *                     then the serialised record or the message
 * Scheduling is dynamic (a worker gets the next job when it returns one);
 * results do not depend on it: a run depends only on its config, and the
 * coordinator writes what comes back.
 */
#include "cli/runner_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"

#ifdef SIM_HAVE_MPI
#include <mpi.h>

enum { TAG_JOB = 1, TAG_STOP = 2, TAG_DONE = 3 };

static int mpi_size = 1, mpi_rank = 0;
static gboolean mpi_on, mpi_finalized;

static gboolean launched_by_mpirun(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE",
                                     "PMI_RANK", "MPI_LOCALNRANKS"};
  for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
    if (g_getenv(vars[i])) return TRUE;
  return FALSE;
}

void runner_mpi_init(void) {
  if (mpi_on || !launched_by_mpirun()) return;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) MPI_Init(NULL, NULL);
  MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
  MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
  mpi_on = TRUE;
}

int runner_mpi_size(void) { return mpi_on ? mpi_size : 1; }
int runner_mpi_rank(void) { return mpi_on ? mpi_rank : 0; }

static void put_u32(GByteArray *b, guint32 v) { g_byte_array_append(b, (const guint8 *)&v, 4); }
static void put_str(GByteArray *b, const char *s) {
  g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s) + 1);
}

static GByteArray *encode_job(const RunnerJob *job, guint32 index) {
  GByteArray *b = g_byte_array_new();
  put_u32(b, index);
  put_u32(b, job->replication);
  guint32 n = 0;
  for (size_t i = 0; i < model_keys_count; i++)
    if (config_is_set(job->cfg, model_keys[i].section, model_keys[i].name)) n++;
  put_u32(b, n);
  for (size_t i = 0; i < model_keys_count; i++) {
    const ConfigKey *k = &model_keys[i];
    if (!config_is_set(job->cfg, k->section, k->name)) continue;
    guint line = 0;
    const char *origin = config_origin(job->cfg, k->section, k->name, &line);
    put_str(b, k->section);
    put_str(b, k->name);
    put_str(b, config_raw(job->cfg, k->section, k->name));
    put_str(b, origin ? origin : "");
    put_u32(b, line);
  }
  put_str(b, job->name);
  return b;
}

typedef struct Cursor {
  const char *p, *end;
} Cursor;

static guint32 get_u32(Cursor *c) {
  guint32 v = 0;
  g_assert_true(c->end - c->p >= 4);
  memcpy(&v, c->p, 4);
  c->p += 4;
  return v;
}
static const char *get_str(Cursor *c) {
  const char *s = c->p;
  const char *z = memchr(s, '\0', (size_t)(c->end - s));
  g_assert_nonnull(z);
  c->p = z + 1;
  return s;
}

static void send_done(guint32 index, guint8 status, const void *data, gsize len) {
  GByteArray *b = g_byte_array_sized_new((guint)len + 5);
  put_u32(b, index);
  g_byte_array_append(b, &status, 1);
  g_byte_array_append(b, data, (guint)len);
  MPI_Send(b->data, (int)b->len, MPI_BYTE, 0, TAG_DONE, MPI_COMM_WORLD);
  g_byte_array_unref(b);
}

static void serve_job(const char *msg, int len) {
  Cursor c = {msg, msg + len};
  guint32 index = get_u32(&c), rep = get_u32(&c), n = get_u32(&c);
  g_autoptr(Config) cfg = model_config_new();
  g_autoptr(GError) err = NULL;
  gboolean ok = TRUE;
  for (guint32 i = 0; i < n; i++) {
    const char *section = get_str(&c), *key = get_str(&c), *raw = get_str(&c);
    const char *origin = get_str(&c);
    guint32 line = get_u32(&c);
    if (ok && !config_set_value(cfg, section, key, raw, *origin ? origin : NULL, line, &err))
      ok = FALSE;
  }
  const char *name = get_str(&c);
  g_autoptr(RunRecord) rec = ok ? runner_execute(cfg, name, rep, 1, NULL, NULL, &err) : NULL;
  if (!rec) {
    send_done(index, 1, err->message, strlen(err->message));
    return;
  }
  g_autoptr(GBytes) bytes = run_record_serialize(rec);
  gsize blen;
  const void *data = g_bytes_get_data(bytes, &blen);
  send_done(index, 0, data, blen);
}

int runner_mpi_serve(void) {
  for (;;) {
    MPI_Status st;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    int len = 0;
    MPI_Get_count(&st, MPI_BYTE, &len);
    char *buf = g_malloc(len > 0 ? (gsize)len : 1);
    MPI_Recv(buf, len, MPI_BYTE, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == TAG_STOP) {
      g_free(buf);
      return 0;
    }
    serve_job(buf, len);
    g_free(buf);
  }
}

static void send_job(GPtrArray *jobs, guint index, int worker) {
  GByteArray *b = encode_job(g_ptr_array_index(jobs, index), index);
  MPI_Send(b->data, (int)b->len, MPI_BYTE, worker, TAG_JOB, MPI_COMM_WORLD);
  g_byte_array_unref(b);
}

void runner_mpi_execute_all(GPtrArray *jobs, RunnerDoneFn done, void *ud) {
  g_assert_true(mpi_on && mpi_rank == 0 && mpi_size > 1);
  guint next = 0, finished = 0;
  for (int w = 1; w < mpi_size && next < jobs->len; w++) send_job(jobs, next++, w);
  while (finished < jobs->len) {
    MPI_Status st;
    MPI_Probe(MPI_ANY_SOURCE, TAG_DONE, MPI_COMM_WORLD, &st);
    int len = 0;
    MPI_Get_count(&st, MPI_BYTE, &len);
    char *buf = g_malloc(len > 0 ? (gsize)len : 1);
    MPI_Recv(buf, len, MPI_BYTE, st.MPI_SOURCE, TAG_DONE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (next < jobs->len) send_job(jobs, next++, st.MPI_SOURCE); /* keep it busy */
    g_assert_cmpint(len, >=, 5);
    guint32 index;
    memcpy(&index, buf, 4);
    g_assert_cmpuint(index, <, jobs->len);
    RunnerJob *job = g_ptr_array_index(jobs, index);
    if (buf[4] == 0) {
      job->rec = run_record_deserialize(buf + 5, (gsize)len - 5, &job->error);
      if (job->rec) { /* rank 0's own text: the SHA-256 of a one-process sweep */
        g_autofree char *text = config_dump(job->cfg);
        run_record_set_scenario(job->rec, job->name, text);
      }
    } else {
      g_set_error(&job->error, MODEL_ERROR, 0, "rank %d: %.*s", st.MPI_SOURCE, len - 5, buf + 5);
    }
    g_free(buf);
    finished++;
    done(job, ud);
  }
}

void runner_mpi_finalize(void) {
  if (!mpi_on || mpi_finalized) return;
  if (mpi_rank == 0)
    for (int w = 1; w < mpi_size; w++) MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
  MPI_Finalize();
  mpi_finalized = TRUE;
}

#else /* no MPI in this build: one process */

void runner_mpi_init(void) {}
int runner_mpi_size(void) { return 1; }
int runner_mpi_rank(void) { return 0; }
int runner_mpi_serve(void) { return 0; }
void runner_mpi_execute_all(GPtrArray *jobs, RunnerDoneFn done, void *ud) {
  (void)jobs;
  (void)done;
  (void)ud;
  g_assert_not_reached(); /* runner_mpi_size() is 1 */
}
void runner_mpi_finalize(void) {}

#endif
