/*
 * engine.h: the discrete-event engine of meshsim (sim/core).
 *
 * Simulated time is SimTime, int64 nanoseconds. Events are plain 32-byte
 * values ordered by (at, seq): seq is the insertion counter, so events with
 * equal times run in the order they were scheduled and a run is fully
 * deterministic. Scheduling an event before the current time is a bug and
 * aborts with file and line.
 *
 * The model owns the dispatch: it pops events one by one with engine_pop()
 * and switches over its own event kinds (no function pointer per event).
 * There is no cancellation: a model that needs it keeps a generation number
 * in the event payload and ignores stale events.
 */
#ifndef CORE_ENGINE_H
#define CORE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t SimTime;                        /* nanoseconds */

#define SIM_NS  INT64_C(1)
#define SIM_US  INT64_C(1000)
#define SIM_MS  INT64_C(1000000)
#define SIM_SEC INT64_C(1000000000)
#define SIM_MIN (60 * SIM_SEC)
#define SIM_HOUR (3600 * SIM_SEC)
#define SIM_TIME_MAX INT64_MAX

typedef struct SimEvent {
  SimTime at;          /* when it fires, ns */
  uint64_t seq;        /* insertion order, breaks ties */
  uint32_t kind;       /* the model's event kind */
  uint32_t a;          /* payload, e.g. a peer id */
  uint64_t b;          /* payload, e.g. object id | generation */
} SimEvent;

typedef struct Engine Engine;

/* (transfer full) */
Engine *engine_new(void);
void engine_free(Engine *e);

/* Current simulated time: the time of the last popped event (0 at start). */
SimTime engine_now(const Engine *e);

/* Schedule an event at absolute time `at` >= engine_now(); aborts otherwise. */
void engine_schedule(Engine *e, SimTime at, uint32_t kind, uint32_t a, uint64_t b);

/* Pop the next event if its time is <= stop: copies it to *out, advances the
 * clock to its time and returns true. Returns false (and leaves the event
 * pending) when the queue is empty or the next event is after stop. */
bool engine_pop(Engine *e, SimTime stop, SimEvent *out);

/* Time of the next pending event, or SIM_TIME_MAX when none is pending. */
SimTime engine_peek_time(const Engine *e);

/* Advance the clock to t >= now with no event (the end of a run). */
void engine_advance(Engine *e, SimTime t);

size_t engine_pending(const Engine *e);
uint64_t engine_popped(const Engine *e);        /* events popped so far */
/* Bytes the pending-event set holds: its node pool, top array, rung
 * buckets and bottom heap, as allocated (they grow to the peak and are
 * kept for reuse, so this follows the most events pending so far). */
size_t engine_memory_bytes(const Engine *e);

#endif /* CORE_ENGINE_H */
