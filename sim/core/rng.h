/*
 * rng.h: random-number streams derived from one master seed (sim/core).
 *
 * Each purpose (churn, traffic, placement, selection, faults, ...) and,
 * where it matters, each entity draws from its own stream, derived from the
 * master seed by hashing (purpose, entity) with SplitMix64. So a module that
 * draws more numbers cannot shift the draws of any other purpose: changing a
 * peer algorithm leaves the traffic it is tested on unchanged (common random
 * numbers). GSL generators (gsl_rng) carry the streams, so that GSL's
 * distributions apply; rng_mesh_view() adapts one to sim/mesh's MeshRng.
 */
#ifndef CORE_RNG_H
#define CORE_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "mesh/mesh.h"

typedef enum RngPurpose {
  RNG_PLACEMENT = 1,   /* where peers live (network, device) */
  RNG_CHURN,           /* online / offline periods, visits */
  RNG_TRAFFIC,         /* page views, object choice */
  RNG_SELECTION,       /* tracker sampling, peer selection */
  RNG_NETWORK,         /* latency jitter, transfer failures */
  RNG_FAULTS,          /* fault injection */
  RNG_WORLD,           /* world generation (networks, shares) */
  RNG_CONTENT,         /* catalogue: sizes, publication, updates */
  RNG_TEST,            /* tests only */
} RngPurpose;

/* Derive the 64-bit seed of stream (purpose, entity) from the master seed. */
uint64_t rng_derive(uint64_t master, RngPurpose purpose, uint64_t entity);

/* A new GSL generator (xoshiro256**, 64-bit seed: rng.c) seeded from rng_derive().
 * (transfer full): free with gsl_rng_free(). */
gsl_rng *rng_stream_new(uint64_t master, RngPurpose purpose, uint64_t entity);

/* 64 uniform bits from a GSL generator with a 32-bit range (two draws). */
uint64_t rng_next64(gsl_rng *r);

/* A MeshRng view of a gsl_rng (the gsl_rng stays owned by the caller). */
MeshRng rng_mesh_view(gsl_rng *r);

/* xoshiro256** itself (Blackman and Vigna), the generator behind
 * rng_stream_new(), for loops that draw 64-bit words by the million
 * without a call through GSL per draw (the trace replays of sim/cli). */
typedef struct RngXoshiro {
  uint64_t s[4];
} RngXoshiro;

/* The state from a 64-bit seed: four consecutive SplitMix64 outputs. */
void rng_xoshiro_seed(RngXoshiro *x, uint64_t seed);

static inline uint64_t rng_xoshiro_next(RngXoshiro *x) {
  uint64_t *s = x->s;
  uint64_t r = s[1] * 5;
  r = ((r << 7) | (r >> 57)) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return r;
}

#endif /* CORE_RNG_H */
