/*
 * rng-private.h: rng.c internals exposed to tests and tools.
 */
#ifndef CORE_RNG_PRIVATE_H
#define CORE_RNG_PRIVATE_H

#include <gsl/gsl_rng.h>

/* The generator behind rng_stream_new(): xoshiro256** with a 64-bit range,
 * seeded with all 64 bits of gsl_rng_set()'s seed (see rng.c). */
extern const gsl_rng_type *rng_type_xoshiro256ss;

#endif /* CORE_RNG_PRIVATE_H */
