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

#endif /* CORE_RNG_H */
