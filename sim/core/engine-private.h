/*
 * engine-private.h: engine internals exposed to tests (not part of the API).
 */
#ifndef CORE_ENGINE_PRIVATE_H
#define CORE_ENGINE_PRIVATE_H

#include "core/engine.h"

/* Walk the whole pending-event set and check invariants (1)-(4) of
 * engine.c. Returns NULL when all hold, else a message.
 * (transfer full): free with g_free(). O(pending + pool): tests only. */
char *engine_check(const Engine *e);

/* Nodes allocated in the engine's pool (grows by half, never shrinks):
 * lets tests check that a steady state allocates nothing. */
size_t engine_pool_nodes(const Engine *e);

#endif /* CORE_ENGINE_PRIVATE_H */
