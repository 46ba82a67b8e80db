/*
 * core-private.h: helpers shared inside sim/core (not part of its API).
 */
#ifndef CORE_CORE_PRIVATE_H
#define CORE_CORE_PRIVATE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Always-on check for broken invariants and misuse (Redis serverAssert,
 * ROSS tw_error): prints file:line and a message on stderr, then aborts.
 * Unlike g_assert() it stays in release builds and under G_DISABLE_ASSERT. */
#define CORE_CHECK(cond, ...)                                               \
  do {                                                                      \
    if (__builtin_expect(!(cond), 0)) {                                     \
      fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__);         \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
      fflush(stderr);                                                       \
      abort();                                                              \
    }                                                                       \
  } while (0)

/* SplitMix64 (Steele, Lea, Flood 2014; Vigna's reference constants). */
#define CORE_SPLITMIX_GAMMA UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t core_splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Advance *state and return the next SplitMix64 output. */
static inline uint64_t core_splitmix64_next(uint64_t *state) {
  *state += CORE_SPLITMIX_GAMMA;
  return core_splitmix64_mix(*state);
}

#endif /* CORE_CORE_PRIVATE_H */
