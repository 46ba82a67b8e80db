/*
 * rng.c: random-number streams derived from one master seed.
 *
 * Derivation: seed(master, purpose, entity) =
 *   mix(mix(mix(master + G) ^ purpose) + (entity + 1) * G), with mix() the
 *   SplitMix64 finaliser (a bijection of 64-bit words) and G its odd gamma.
 *   For one master, distinct purposes give distinct inner words and, for
 *   one (master, purpose), distinct entities give distinct seeds; all 64
 *   bits of master and entity reach the seed.
 * Generator: our own gsl_rng_type "xoshiro256**" (Blackman and Vigna 2018),
 *   not taus2 or mt19937 (STYLE.md §9): their gsl_rng_set() keeps only 32
 *   bits of the seed (seeds differing above bit 32 collide) and maps seed 0
 *   to a default seed. Ours expands the full 64-bit seed with SplitMix64
 *   into a 256-bit state (never all zero), so seed 0 is an ordinary seed.
 *   Its range is [0, 2^64-1] (GSL's unsigned long on LP64), so one
 *   gsl_rng_get() gives 64 bits; gsl_rng_uniform() uses our get_double
 *   (top 53 bits / 2^53, in [0, 1)); gsl_rng_uniform_int() divides the
 *   range (max - min) and rejects, which is exact for a 64-bit range.
 *   State is 32 bytes, a draw a few ns.
 * Invariant: streams share nothing, so the draws of one stream never depend
 * on how many numbers any other stream drew.
 */
#include "core/rng.h"

#include <limits.h>
#include <string.h>

#include "core/core-private.h"
#include "core/rng-private.h"

_Static_assert(ULONG_MAX == UINT64_MAX,
               "the xoshiro256** gsl_rng_type needs a 64-bit unsigned long");

void rng_xoshiro_seed(RngXoshiro *x, uint64_t seed) {
  uint64_t sm = seed;
  for (int i = 0; i < 4; i++) x->s[i] = core_splitmix64_next(&sm);
  /* SplitMix64 is a bijection of its counter, so four consecutive outputs
   * are never all zero; keep the check for the record. */
  CORE_CHECK(x->s[0] | x->s[1] | x->s[2] | x->s[3], "xoshiro256** zero state");
}

static inline uint64_t xoshiro_next(void *vstate) { return rng_xoshiro_next(vstate); }

static void xoshiro_set(void *vstate, unsigned long seed) {
  rng_xoshiro_seed(vstate, (uint64_t)seed);
}

static unsigned long xoshiro_get(void *vstate) {
  return (unsigned long)xoshiro_next(vstate);
}

static double xoshiro_get_double(void *vstate) {
  return (double)(xoshiro_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
  .name = "xoshiro256**",
  .max = ULONG_MAX,
  .min = 0,
  .size = sizeof(RngXoshiro),
  .set = xoshiro_set,
  .get = xoshiro_get,
  .get_double = xoshiro_get_double,
};

const gsl_rng_type *rng_type_xoshiro256ss = &xoshiro_type;

uint64_t rng_derive(uint64_t master, RngPurpose purpose, uint64_t entity) {
  uint64_t h = core_splitmix64_mix(master + CORE_SPLITMIX_GAMMA);
  h = core_splitmix64_mix(h ^ (uint64_t)purpose);
  return core_splitmix64_mix(h + (entity + 1) * CORE_SPLITMIX_GAMMA);
}

gsl_rng *rng_stream_new(uint64_t master, RngPurpose purpose, uint64_t entity) {
  gsl_rng *r = gsl_rng_alloc(rng_type_xoshiro256ss);
  CORE_CHECK(r != NULL, "gsl_rng_alloc failed");
  gsl_rng_set(r, (unsigned long)rng_derive(master, purpose, entity));
  return r;
}

uint64_t rng_next64(gsl_rng *r) {
  if (r->type == &xoshiro_type) return xoshiro_next(r->state);
  unsigned long min = r->type->min, range = r->type->max - min;
  if (range == 0xffffffffUL) {
    uint64_t hi = (uint64_t)(gsl_rng_get(r) - min);
    uint64_t lo = (uint64_t)(gsl_rng_get(r) - min);
    return hi << 32 | lo;
  }
  if (range == ULONG_MAX) return (uint64_t)gsl_rng_get(r);
  /* Any other range: whole bits at a time, unbiased through rejection. */
  int bits = 0;
  while (bits < 32 && (range >> (bits + 1)) > 0) bits++;   /* 2^bits <= range */
  CORE_CHECK(bits > 0, "generator %s has a range below 2", r->type->name);
  uint64_t x = 0;
  for (int have = 0; have < 64; have += bits)
    x = x << bits | (uint64_t)gsl_rng_uniform_int(r, 1UL << bits);
  return x;
}

static uint64_t mesh_next_xoshiro(void *state) { return xoshiro_next(state); }
static uint64_t mesh_next_gsl(void *state) { return rng_next64(state); }

MeshRng rng_mesh_view(gsl_rng *r) {
  /* Same sequence as rng_next64(r): the fast path only skips the dispatch. */
  if (r->type == &xoshiro_type) return (MeshRng){mesh_next_xoshiro, r->state};
  return (MeshRng){mesh_next_gsl, r};
}
