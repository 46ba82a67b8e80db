/*
 * fuzz_trace.c: libFuzzer target for a trace reader of `meshsim cache`
 * (sim/cli/trace.h). Built twice: FUZZ_TRACE_FORMAT "csv" and
 * "oracleGeneral". The input is written to a temporary file (the readers
 * read files) and loaded. A load that succeeds must be self-consistent
 * (every request of an object carries its first size; objects and
 * wss_bytes count the distinct objects), and, for oracleGeneral, hold one
 * request per 24 bytes; a load that fails must clear the trace and say
 * why, naming the file.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/trace.h"
#include "fuzz_common.h"

#ifndef FUZZ_TRACE_FORMAT
#error "define FUZZ_TRACE_FORMAT"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *path;

static void cleanup(void) {
  if (path) g_unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path) {
    GError *err = NULL;
    int fd = g_file_open_tmp("meshsim-fuzz-trace-XXXXXX", &path, &err);
    FUZZ_CHECK(fd >= 0);
    close(fd);
    atexit(cleanup);
  }
  FUZZ_CHECK(g_file_set_contents(path, (const char *)data, (gssize)size, NULL));
  Trace t;
  GError *err = NULL;
  if (trace_load(path, FUZZ_TRACE_FORMAT, &t, &err)) {
    FUZZ_CHECK(err == NULL);
    if (strcmp(FUZZ_TRACE_FORMAT, "oracleGeneral") == 0) FUZZ_CHECK(t.n == size / 24 && size % 24 == 0);
    GHashTable *first = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    uint64_t wss = 0;
    for (size_t i = 0; i < t.n; i++) {
      uint64_t *sz = g_hash_table_lookup(first, &t.req[i].obj);
      if (sz) {
        FUZZ_CHECK(*sz == t.req[i].size);
      } else {
        g_hash_table_insert(first, g_memdup2(&t.req[i].obj, 8), g_memdup2(&t.req[i].size, 8));
        wss += t.req[i].size;
      }
    }
    FUZZ_CHECK(g_hash_table_size(first) == t.objects);
    FUZZ_CHECK(wss == t.wss_bytes);
    g_hash_table_destroy(first);
    trace_clear(&t);
  } else {
    FUZZ_CHECK(err != NULL && strstr(err->message, path) != NULL);
    FUZZ_CHECK(t.req == NULL && t.n == 0);
    g_error_free(err);
  }
  return 0;
}
