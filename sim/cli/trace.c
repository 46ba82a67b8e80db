/*
 * trace.c: trace readers (oracleGeneral, csv) and the synthetic Zipf stream
 * of `meshsim cache`. See trace.h for the formats and the distributions.
 */
#include "cli/trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(trace-error-quark, trace_error)

#define OG_RECORD 24

static uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* First-size normalisation and working-set accounting. */
typedef struct Loader {
  GArray *req;
  GHashTable *size_of;   /* obj -> first size (boxed in a uint64 array) */
  Trace *out;
} Loader;

static void add_request(Loader *l, uint64_t obj, uint64_t size) {
  gpointer v;
  if (g_hash_table_lookup_extended(l->size_of, &obj, NULL, &v)) {
    size = *(uint64_t *)v;
  } else {
    uint64_t *kv = g_new(uint64_t, 2);
    kv[0] = obj;
    kv[1] = size;
    g_hash_table_insert(l->size_of, &kv[0], &kv[1]);
    l->out->wss_bytes += size;
    l->out->objects++;
  }
  TraceReq r = {obj, size};
  g_array_append_val(l->req, r);
}

static guint u64_hash(gconstpointer p) {
  return (guint)splitmix64(*(const uint64_t *)p);
}

static gboolean u64_equal(gconstpointer a, gconstpointer b) {
  return *(const uint64_t *)a == *(const uint64_t *)b;
}

static uint64_t le_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint32_t le_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static gboolean load_og(Loader *l, const char *path, FILE *f, GError **error) {
  unsigned char buf[OG_RECORD * 4096];
  size_t carry = 0;   /* bytes of an incomplete record kept at buf[0] */
  uint64_t off = 0;   /* file offset of buf[0] */
  for (;;) {
    size_t got = fread(buf + carry, 1, sizeof buf - carry, f);
    if (got == 0) break;
    size_t total = carry + got, whole = total - total % OG_RECORD;
    for (size_t i = 0; i < whole; i += OG_RECORD)
      add_request(l, le_u64(buf + i + 4), le_u32(buf + i + 12));
    carry = total - whole;
    memmove(buf, buf + whole, carry);
    off += whole;
  }
  if (ferror(f)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO,
                "%s: read error near byte offset %" G_GUINT64_FORMAT, path, off);
    return FALSE;
  }
  if (carry) {
    g_set_error(error, TRACE_ERROR, TRACE_ERROR_PARSE,
                "%s: truncated oracleGeneral record at byte offset %" G_GUINT64_FORMAT
                " (%zu of %d bytes)", path, off, carry, OG_RECORD);
    return FALSE;
  }
  return TRUE;
}

static gboolean parse_u64(const char *s, const char *end, uint64_t *out) {
  while (s < end && (*s == ' ' || *s == '\t')) s++;
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
  if (s == end) return FALSE;
  uint64_t v = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return FALSE;
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return FALSE;
    v = v * 10 + d;
  }
  *out = v;
  return TRUE;
}

static gboolean load_csv(Loader *l, const char *path, GError **error) {
  char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, error)) return FALSE;
  uint64_t lineno = 0;
  gboolean ok = TRUE;
  for (const char *s = text, *stop = text + len; s < stop;) {
    const char *nl = memchr(s, '\n', (size_t)(stop - s));
    const char *end = nl ? nl : stop, *next = nl ? nl + 1 : stop;
    lineno++;
    if (end > s && end[-1] == '\r') end--;
    if (end == s) {
      s = next;
      continue;
    }
    const char *c1 = memchr(s, ',', (size_t)(end - s));
    const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(end - c1 - 1)) : NULL;
    uint64_t t, obj, size;
    if (c1 && c2 && parse_u64(c1 + 1, c2, &obj) && parse_u64(c2 + 1, end, &size)) {
      add_request(l, obj, size);
    } else if (!(lineno == 1 && c1 && !parse_u64(s, c1, &t))) {   /* not a header */
      g_set_error(error, TRACE_ERROR, TRACE_ERROR_PARSE,
                  "%s: bad csv record at byte offset %td (line %" G_GUINT64_FORMAT
                  "): expected time,id,size with unsigned decimal id and size",
                  path, s - text, lineno);
      ok = FALSE;
      break;
    }
    s = next;
  }
  g_free(text);
  return ok;
}

gboolean trace_load(const char *path, const char *format, Trace *out, GError **error) {
  memset(out, 0, sizeof *out);
  gboolean og;
  if (g_strcmp0(format, "oracleGeneral") == 0) og = TRUE;
  else if (g_strcmp0(format, "csv") == 0) og = FALSE;
  else {
    g_set_error(error, TRACE_ERROR, TRACE_ERROR_FORMAT,
                "unknown trace format '%s' (oracleGeneral or csv)", format ? format : "");
    return FALSE;
  }
  FILE *f = NULL;
  if (og && !(f = fopen(path, "rb"))) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", path, g_strerror(e));
    return FALSE;
  }
  Loader l = {g_array_new(FALSE, FALSE, sizeof(TraceReq)),
              g_hash_table_new_full(u64_hash, u64_equal, g_free, NULL), out};
  gboolean ok = og ? load_og(&l, path, f, error) : load_csv(&l, path, error);
  if (f) fclose(f);
  g_hash_table_destroy(l.size_of);
  out->n = l.req->len;
  out->req = (TraceReq *)(void *)g_array_free(l.req, FALSE);
  if (!ok) trace_clear(out);
  return ok;
}

void trace_clear(Trace *t) {
  g_free(t->req);
  memset(t, 0, sizeof *t);
}

/* ---- synthetic --------------------------------------------------------- */

void trace_rng_seed(RngXoshiro *r, uint64_t seed) {
  rng_xoshiro_seed(r, seed + UINT64_C(0x9e3779b97f4a7c15));
}

void trace_zipf_init(TraceZipf *z, double alpha, uint64_t n, uint64_t seed) {
  z->n = n;
  z->seed = seed;
  z->threshold = g_new(uint32_t, n);
  z->alias = g_new(uint32_t, n);
  double *p = g_new(double, n), sum = 0;
  for (uint64_t i = 0; i < n; i++) sum += p[i] = pow((double)(i + 1), -alpha);
  uint32_t *small = g_new(uint32_t, n), *large = g_new(uint32_t, n);
  size_t ns = 0, nl = 0;
  for (uint64_t i = 0; i < n; i++) {   /* Vose's alias method */
    p[i] = p[i] * (double)n / sum;
    if (p[i] < 1.0) small[ns++] = (uint32_t)i;
    else large[nl++] = (uint32_t)i;
  }
  while (ns && nl) {
    uint32_t s = small[--ns], g = large[nl - 1];
    z->threshold[s] = (uint32_t)ldexp(p[s], 32);
    z->alias[s] = g;
    p[g] -= 1.0 - p[s];
    if (p[g] < 1.0) {
      nl--;
      small[ns++] = g;
    }
  }
  while (nl) {
    uint32_t g = large[--nl];
    z->threshold[g] = UINT32_MAX;
    z->alias[g] = g;
  }
  while (ns) {   /* rounding leftovers */
    uint32_t s = small[--ns];
    z->threshold[s] = UINT32_MAX;
    z->alias[s] = s;
  }
  g_free(small);
  g_free(large);
  g_free(p);
}

void trace_zipf_clear(TraceZipf *z) {
  g_free(z->threshold);
  g_free(z->alias);
  memset(z, 0, sizeof *z);
}

uint64_t trace_zipf_size(const TraceZipf *z, uint64_t i) {
  double u = (double)(splitmix64(z->seed ^ splitmix64(i)) >> 11) * 0x1.0p-53;
  return (uint64_t)(1024.0 * exp2(10.0 * u));
}
