/*
 * trace.h: request traces for `meshsim cache` (file formats and a synthetic
 * Zipf stream).
 *
 * File traces are loaded whole into memory, normalised to the trace-
 * simulation convention: an object's size is its size at its first request
 * (later requests carry that size). Formats:
 *   oracleGeneral  libCacheSim's binary format: 24-byte little-endian
 *                  records {u32 time, u64 object id, u32 size, i64 next
 *                  access index}; time and next-access are ignored;
 *   csv            `time,id,size` per line (id and size unsigned decimal;
 *                  time any token), an optional header line whose first
 *                  field is not a number; blank lines are skipped.
 * A malformed or truncated file is an error naming the file and the byte
 * offset of the bad record.
 *
 * The synthetic stream (TraceZipf) is generated on the fly, so replaying it
 * costs no memory per request: object ids 0..N-1 by popularity rank,
 * P(rank i) ~ 1/(i+1)^alpha (alpha >= 0), drawn with Walker's alias method
 * (32-bit thresholds) from xoshiro256** seeded by SplitMix64(seed). The
 * size of object i is log-uniform between 1 KiB and 1 MiB:
 * floor(1024 * 1024^u), u = top 53 bits of SplitMix64(seed ^ SplitMix64(i))
 * / 2^53; it depends only on (seed, i).
 */
#ifndef CLI_TRACE_H
#define CLI_TRACE_H

#include <glib.h>
#include <stdint.h>

#include "core/rng.h"

typedef struct TraceReq {
  uint64_t obj;
  uint64_t size;
} TraceReq;

typedef struct Trace {
  TraceReq *req;       /* (owned) n requests */
  size_t n;
  uint64_t wss_bytes;  /* sum of distinct objects' sizes */
  uint64_t objects;    /* distinct objects */
} Trace;

/* Load FILE in `format` ("oracleGeneral" or "csv"). FALSE with error set
 * (G_FILE_ERROR for I/O, TRACE_ERROR for content) on failure. */
#define TRACE_ERROR (trace_error_quark())
GQuark trace_error_quark(void);
enum { TRACE_ERROR_FORMAT, TRACE_ERROR_PARSE };
gboolean trace_load(const char *path, const char *format, Trace *out, GError **error);
void trace_clear(Trace *t);

typedef struct TraceZipf {
  uint32_t *threshold;  /* alias method: keep column i if low bits < threshold */
  uint32_t *alias;
  uint64_t n;
  uint64_t seed;
} TraceZipf;


void trace_zipf_init(TraceZipf *z, double alpha, uint64_t n, uint64_t seed);
void trace_zipf_clear(TraceZipf *z);
/* The replay's generator (core/rng.h's xoshiro256**), seeded one SplitMix64
 * step ahead of rng_xoshiro_seed(seed): the seeding of the first synthetic
 * traces, kept so that their figures reproduce. */
void trace_rng_seed(RngXoshiro *r, uint64_t seed);
/* Object size in bytes of synthetic object i. */
uint64_t trace_zipf_size(const TraceZipf *z, uint64_t i);

static inline uint64_t trace_zipf_draw(const TraceZipf *z, RngXoshiro *r) {
  uint64_t x = rng_xoshiro_next(r);
  uint64_t i = (uint64_t)(((__uint128_t)(x >> 32) * z->n) >> 32);
  return (uint32_t)x < z->threshold[i] ? i : z->alias[i];
}

#endif /* CLI_TRACE_H */
