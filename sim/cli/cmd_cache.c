/*
 * cmd_cache.c: `meshsim cache`: replay a trace (a file, or a synthetic Zipf
 * stream) through cache policies at several sizes; print a table or JSON.
 *
 * Convention (as libCacheSim): a miss inserts the object unless it is larger
 * than the whole cache; a hit leaves the stored size; byte misses add the
 * request's size; an object's size is its size at its first request. With
 * --ignore-size capacity counts objects; byte misses still count bytes.
 * Percent sizes are of the working set: the sum of the sizes of distinct
 * requested objects (their number with --ignore-size), floor(wss * p / 100).
 * Exit 0 ok, 2 bad option value or bad trace (one line on stderr).
 */
#include "cli/cli.h"
#include "cli/trace.h"
#include "mesh/cache.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct Source {
  Trace trace;         /* file trace, or */
  TraceZipf zipf;      /* synthetic */
  uint32_t *zsize;     /* synthetic object sizes */
  uint64_t requests;
  gboolean synthetic;
  uint64_t wss_bytes, objects;
} Source;

typedef struct Result {
  uint64_t requests, misses, byte_misses, bytes;
} Result;

static void G_GNUC_PRINTF(1, 2) bad(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("meshsim cache: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static gboolean parse_size(const char *s, gboolean objects, const Source *src, uint64_t *out) {
  char *end = NULL;
  const char *t = s;
  while (*t == ' ') t++;
  if (!*t || *t == '-' || *t == '+') return FALSE;
  gboolean digits = TRUE;
  for (const char *q = t; *q; q++)
    if (!g_ascii_isdigit(*q)) digits = FALSE;
  if (digits) {
    errno = 0;
    guint64 v = g_ascii_strtoull(t, &end, 10);
    if (errno || *end) return FALSE;
    *out = v;
    return v > 0;
  }
  double v = g_ascii_strtod(t, &end);
  if (end == t || !isfinite(v) || v <= 0) return FALSE;
  const char *unit = end;
  double mult;
  if (strcmp(unit, "%") == 0) {
    long double w = (long double)(objects ? src->objects : src->wss_bytes) * v / 100.0L;
    *out = w >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)floorl(w);
    return *out > 0;
  }
  static const struct { const char *u; double m; } units[] = {
    {"", 1}, {"B", 1}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
    {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
  };
  mult = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
    if (g_ascii_strcasecmp(unit, units[i].u) == 0) mult = units[i].m;
  if (mult == 0 || (objects && mult != 1 && unit[0])) return FALSE;
  double b = floor(v * mult);
  if (b < 1 || b >= 1.8e19) return FALSE;
  *out = (uint64_t)b;
  return TRUE;
}

static Result replay(const Source *src, const MeshCachePolicy *p, uint64_t capacity,
                     gboolean objects, uint64_t seed) {
  MeshCacheConfig cfg = {.policy = p, .capacity = capacity,
                         .unit = objects ? MESH_CACHE_OBJECTS : MESH_CACHE_BYTES};
  MeshCache *c = mesh_cache_new(&cfg, NULL);
  if (!c) g_error("mesh_cache_new(%s, %" G_GUINT64_FORMAT ") failed", p ? "policy" : "?", capacity);
  Result r = {0};
  if (src->synthetic) {
    RngXoshiro rng;
    trace_rng_seed(&rng, seed);
    for (uint64_t i = 0; i < src->requests; i++) {
      uint64_t obj = trace_zipf_draw(&src->zipf, &rng);
      uint64_t size = src->zsize[obj];
      r.bytes += size;
      if (!mesh_cache_request(c, obj, size, (MeshTime)i)) {
        r.misses++;
        r.byte_misses += size;
      }
    }
    r.requests = src->requests;
  } else {
    const TraceReq *q = src->trace.req;
    for (size_t i = 0; i < src->trace.n; i++) {
      r.bytes += q[i].size;
      if (!mesh_cache_request(c, q[i].obj, q[i].size, (MeshTime)i)) {
        r.misses++;
        r.byte_misses += q[i].size;
      }
    }
    r.requests = src->trace.n;
  }
  mesh_cache_free(c);
  return r;
}

int cmd_cache(int argc, char **argv) {
  g_autofree char *trace = NULL, *format = NULL, *policy = NULL, *size = NULL;
  double alpha = -1;
  gint64 objects = 0, requests = 0, seed = 1;
  gboolean ignore_size = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, "trace file to replay", "FILE"},
    {"format", 0, 0, G_OPTION_ARG_STRING, &format, "trace format: oracleGeneral or csv", "FMT"},
    {"zipf", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "synthetic Zipf stream with this exponent", "ALPHA"},
    {"objects", 0, 0, G_OPTION_ARG_INT64, &objects, "synthetic: catalogue size", "N"},
    {"requests", 0, 0, G_OPTION_ARG_INT64, &requests, "synthetic: number of requests", "M"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "synthetic: seed (default 1)", "S"},
    {"policy", 0, 0, G_OPTION_ARG_STRING, &policy,
     "comma list of policies: lru,fifo,clock,lfu,arc,sieve,s3fifo,gdsf or all (default lru)", "LIST"},
    {"size", 0, 0, G_OPTION_ARG_STRING, &size,
     "comma list of sizes: bytes, with units (64MB, 1.5GiB) or % of the working set (default 10%)",
     "LIST"},
    {"ignore-size", 0, 0, G_OPTION_ARG_NONE, &ignore_size, "capacity in objects, not bytes", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON instead of a table", NULL},
    G_OPTION_ENTRY_NULL,
  };
  GOptionContext *ctx = g_option_context_new("- replay a trace through cache policies");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(ctx,
    "Synthetic stream: object ids 0..N-1 by popularity rank, P(i) ~ 1/(i+1)^ALPHA,\n"
    "sizes log-uniform in [1 KiB, 1 MiB] per object (fixed by the seed).\n"
    "Exit codes: 0 success, 2 bad option value or bad trace.");
  char **args = g_new0(char *, (size_t)argc + 1);
  for (int i = 0; i < argc; i++) args[i] = argv[i];
  int nargs = argc;
  char **argsv = args;
  GError *err = NULL;
  gboolean ok = g_option_context_parse(ctx, &nargs, &argsv, &err);
  g_option_context_free(ctx);
  g_free(args);
  if (!ok) {
    bad("%s", err->message);
    g_error_free(err);
    return CLI_EXIT_BADINPUT;
  }
  if (nargs > 1) {
    bad("unexpected argument '%s'", argsv[1]);
    return CLI_EXIT_BADINPUT;
  }
  gboolean synthetic = alpha >= 0 || objects || requests;
  if (synthetic == (trace != NULL)) {
    bad("give either --trace FILE --format FMT or --zipf ALPHA --objects N --requests M");
    return CLI_EXIT_BADINPUT;
  }
  if (synthetic && (alpha < 0 || !isfinite(alpha) || objects < 1 || objects > UINT32_MAX ||
                    requests < 1)) {
    bad("--zipf ALPHA >= 0, --objects N in 1..4294967295 and --requests M >= 1 are required");
    return CLI_EXIT_BADINPUT;
  }
  if (trace && !format) {
    bad("--format oracleGeneral|csv is required with --trace");
    return CLI_EXIT_BADINPUT;
  }
  if (format && g_strcmp0(format, "oracleGeneral") && g_strcmp0(format, "csv")) {
    bad("--format '%s': expected oracleGeneral or csv", format);
    return CLI_EXIT_BADINPUT;
  }

  /* policies */
  g_auto(GStrv) pnames = g_strsplit(policy && *policy ? policy : "lru", ",", -1);
  if (g_strv_length(pnames) == 1 && strcmp(pnames[0], "all") == 0) {
    g_strfreev(pnames);
    pnames = g_strdupv((char **)mesh_cache_policy_names());
  }
  guint np = g_strv_length(pnames);
  const MeshCachePolicy **pols = g_newa(const MeshCachePolicy *, np);
  for (guint i = 0; i < np; i++) {
    if (!(pols[i] = mesh_cache_policy_find(pnames[i]))) {
      g_autofree char *all = g_strjoinv(",", (char **)mesh_cache_policy_names());
      bad("--policy: unknown policy '%s' (one of %s)", pnames[i], all);
      return CLI_EXIT_BADINPUT;
    }
  }

  Source src = {0};
  if (synthetic) {
    src.synthetic = TRUE;
    src.requests = (uint64_t)requests;
    trace_zipf_init(&src.zipf, alpha, (uint64_t)objects, (uint64_t)seed);
    src.zsize = g_new(uint32_t, (size_t)objects);
    for (gint64 i = 0; i < objects; i++) src.zsize[i] = (uint32_t)trace_zipf_size(&src.zipf, (uint64_t)i);
    /* working set: the distinct objects the stream requests */
    guint8 *seen = g_new0(guint8, (size_t)objects / 8 + 1);
    RngXoshiro rng;
    trace_rng_seed(&rng, (uint64_t)seed);
    for (uint64_t i = 0; i < src.requests; i++) {
      uint64_t o = trace_zipf_draw(&src.zipf, &rng);
      if (!(seen[o / 8] & (1u << (o % 8)))) {
        seen[o / 8] |= (guint8)(1u << (o % 8));
        src.objects++;
        src.wss_bytes += src.zsize[o];
      }
    }
    g_free(seen);
  } else {
    if (!trace_load(trace, format, &src.trace, &err)) {
      bad("%s", err->message);
      g_error_free(err);
      return CLI_EXIT_BADINPUT;
    }
    src.objects = src.trace.objects;
    src.wss_bytes = src.trace.wss_bytes;
  }

  int rc = CLI_EXIT_OK;
  g_auto(GStrv) snames = g_strsplit(size && *size ? size : "10%", ",", -1);
  guint ns = g_strv_length(snames);
  uint64_t *caps = g_new(uint64_t, ns);
  for (guint i = 0; i < ns && rc == CLI_EXIT_OK; i++) {
    if (!parse_size(snames[i], ignore_size, &src, &caps[i])) {
      bad("--size '%s': expected a positive %s, %s%% of the working set (%" G_GUINT64_FORMAT
          " %s), non-zero", snames[i], ignore_size ? "object count" : "byte count with an optional unit (B KB MB GB TB KiB MiB GiB TiB)",
          "or a percentage like 10", ignore_size ? src.objects : src.wss_bytes,
          ignore_size ? "objects" : "bytes");
      rc = CLI_EXIT_BADINPUT;
    }
  }
  if (rc == CLI_EXIT_OK) {
    if (json) printf("[");
    else
      printf("%-8s %20s %12s %12s %18s %11s %15s\n", "policy", ignore_size ? "size_objects" : "size_bytes",
             "requests", "misses", "byte_misses", "miss_ratio", "byte_miss_ratio");
    gboolean first = TRUE;
    for (guint p = 0; p < np; p++)
      for (guint s = 0; s < ns; s++) {
        Result r = replay(&src, pols[p], caps[s], ignore_size, (uint64_t)seed);
        double mr = r.requests ? (double)r.misses / (double)r.requests : 0;
        double bmr = r.bytes ? (double)r.byte_misses / (double)r.bytes : 0;
        const char *name = mesh_cache_policy_name(pols[p]);
        if (json) {
          printf("%s\n  {\"policy\": \"%s\", \"%s\": %" G_GUINT64_FORMAT ", \"requests\": %" G_GUINT64_FORMAT
                 ", \"misses\": %" G_GUINT64_FORMAT ", \"byte_misses\": %" G_GUINT64_FORMAT
                 ", \"miss_ratio\": %.6f, \"byte_miss_ratio\": %.6f}",
                 first ? "" : ",", name, ignore_size ? "size_objects" : "size_bytes", caps[s],
                 r.requests, r.misses, r.byte_misses, mr, bmr);
        } else {
          printf("%-8s %20" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT
                 " %18" G_GUINT64_FORMAT " %11.4f %15.4f\n",
                 name, caps[s], r.requests, r.misses, r.byte_misses, mr, bmr);
        }
        first = FALSE;
      }
    if (json) printf("\n]\n");
  }
  g_free(caps);
  if (src.synthetic) {
    trace_zipf_clear(&src.zipf);
    g_free(src.zsize);
  } else {
    trace_clear(&src.trace);
  }
  return rc;
}
