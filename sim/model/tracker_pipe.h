/*
 * tracker_pipe.h: the geo model's tracker operations, applied in the order
 * the model issues them, either at once or on a second thread.
 *
 * The trackers of a geo run are a world of their own: the model changes
 * them (join, reserve, announce, withdraw, leave, rebuild) and asks them
 * (query), and it never needs a query's answer before the answer event,
 * a signaling round trip later. So the operations go into a
 * single-producer, single-consumer ring that a worker thread applies in
 * issue order while the model runs on, and the answer event waits for its
 * query (it is nearly always done by then). The trackers see the same
 * operations in the same order with or without the worker, and a query
 * draws only from the pipe's own random stream, so a run's results do not
 * depend on the thread count (tests/model/test_tracker_pipe.c: the pipe
 * against direct calls; /geo/threads-identical: whole runs).
 *
 * Only the model's thread calls these functions. The trackers themselves
 * may be touched by the model only after tracker_pipe_sync().
 */
#ifndef MODEL_TRACKER_PIPE_H
#define MODEL_TRACKER_PIPE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mesh/mesh.h"
#include "mesh/tracker.h"

enum { TRACKER_PIPE_MAX_CAND = 32 };

/* A query's answer, written by whoever applies the query. It starts on a
 * cache line of its own, and `ticket`, `n` and the first 13 peers share
 * that line: a model thread that waits for the answer and reads it takes
 * one line from the worker's core (tracker_pipe_wait_answer). */
typedef struct TrackerPipeAnswer {
  alignas(64) _Atomic uint64_t ticket; /* the query's, stored once the rest is written */
  uint32_t n;
  uint32_t peers[TRACKER_PIPE_MAX_CAND];
  uint8_t tiers[TRACKER_PIPE_MAX_CAND]; /* MeshTier */
} TrackerPipeAnswer;

typedef struct TrackerPipe TrackerPipe;

/* trackers: the model's array of n tracker pointers (entries may be NULL
 * and stay so); the pipe applies every operation to it, and a rebuild
 * replaces an entry. rng: the queries' random stream (its state is used
 * by the worker only). threaded: apply on a worker thread. */
TrackerPipe *tracker_pipe_new(MeshTracker **trackers, uint32_t n, MeshRng rng, bool threaded);
/* Apply what is pending, stop the worker. The trackers stay. */
void tracker_pipe_free(TrackerPipe *p);
bool tracker_pipe_threaded(const TrackerPipe *p);
/* Start or stop the worker (stopping applies what is pending first);
 * tickets stay valid across the change. */
void tracker_pipe_set_threaded(TrackerPipe *p, bool threaded);

void tracker_pipe_join(TrackerPipe *p, uint32_t idx, uint32_t peer, uint32_t network,
                       uint32_t country);
void tracker_pipe_reserve(TrackerPipe *p, uint32_t idx, uint32_t peer, uint32_t n);
void tracker_pipe_announce(TrackerPipe *p, uint32_t idx, uint32_t peer, uint64_t obj,
                           uint32_t version);
void tracker_pipe_withdraw(TrackerPipe *p, uint32_t idx, uint32_t peer, uint64_t obj,
                           uint32_t version);
void tracker_pipe_leave(TrackerPipe *p, uint32_t idx, uint32_t peer);
/* Tracker idx is rebuilt from nothing (freed and made anew). */
void tracker_pipe_reset(TrackerPipe *p, uint32_t idx);
/* mesh_tracker_query of up to k <= TRACKER_PIPE_MAX_CAND holders into
 * *out, which must stay put and untouched until tracker_pipe_wait_answer()
 * (or tracker_pipe_wait()) returns for the ticket returned here. */
uint64_t tracker_pipe_query(TrackerPipe *p, uint32_t idx, uint64_t obj, uint32_t version,
                            uint32_t requester, uint32_t network, uint32_t country, uint32_t k,
                            TrackerPipeAnswer *out);
/* Wait until the operation of `ticket` has been applied. */
void tracker_pipe_wait(TrackerPipe *p, uint64_t ticket);
/* Wait until the query of `ticket` has written `out` (its answer). The same
 * as tracker_pipe_wait for that query, but it reads the answer's own line,
 * which the model reads next anyway, instead of the worker's progress
 * counter, which the worker stores after every operation. */
void tracker_pipe_wait_answer(TrackerPipe *p, const TrackerPipeAnswer *out, uint64_t ticket);
/* Make what was issued so far visible to the worker (the model calls it
 * between events; the waits do it themselves). */
void tracker_pipe_publish(TrackerPipe *p);
/* Wait until every operation issued so far has been applied. */
void tracker_pipe_sync(TrackerPipe *p);

#endif
