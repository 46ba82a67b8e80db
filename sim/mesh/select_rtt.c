/*
 * select_rtt.c: `rtt`, lowest RTT estimate first. A candidate's estimate
 * is its rtt_ns (params.unknown_rtt_ns when unknown) divided by
 * params.failure_penalty once per recent failure; ties in uniformly random
 * order.
 */
#include "mesh/select.h"

#include <math.h>

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  const MeshSelectParams *p = ctx->params;
  for (size_t i = 0; i < ctx->n_items; i++) {
    MeshSelectItem *it = &ctx->items[i];
    const MeshCandidate *c = &ctx->cands[it->idx];
    double rtt = (double)(c->rtt_ns > 0 ? c->rtt_ns : p->unknown_rtt_ns);
    it->key1 = rtt / pow(p->failure_penalty, (double)c->recent_failures);
    it->key2 = mesh_rng_unit(ctx->rng);
  }
  mesh_select_sort(ctx->items, ctx->n_items);
  return mesh_select_emit(ctx->items, ctx->n_items, ctx->k, out);
}

const MeshSelectStrategy mesh_select_rtt = {
  .name = "rtt",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
