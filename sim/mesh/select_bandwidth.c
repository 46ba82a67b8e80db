/*
 * select_bandwidth.c: `bandwidth`, a random order weighted by measured
 * throughput: the first choice is candidate i with probability
 * w_i / sum(w), each next one likewise among those left (successive
 * sampling without replacement), with
 *   w_i = max(throughput_i, floor) x failure_penalty ^ recent_failures_i,
 *   floor = exploration_floor x mean measured throughput of the usable
 *           candidates (unmeasured ones, throughput <= 0, get the floor:
 *           that is the exploration that lets new peers be measured);
 * when no candidate is measured all base weights are 1.
 * Implementation: an exponential race (Efraimidis-Spirakis): each item
 * draws E_i / w_i with E_i ~ Exp(1) and the order is by increasing value.
 */
#include "mesh/select.h"

#include <math.h>

static size_t choose(void *state, const MeshSelectCtx *ctx, uint32_t *out) {
  (void)state;
  const MeshSelectParams *p = ctx->params;
  double sum = 0;
  size_t measured = 0;
  for (size_t i = 0; i < ctx->n_items; i++) {
    double tp = ctx->cands[ctx->items[i].idx].throughput_bps;
    if (tp > 0) {
      sum += tp;
      measured++;
    }
  }
  double floor_bps = measured ? p->exploration_floor * sum / (double)measured : 0;
  for (size_t i = 0; i < ctx->n_items; i++) {
    MeshSelectItem *it = &ctx->items[i];
    const MeshCandidate *c = &ctx->cands[it->idx];
    double w = measured ? fmax(c->throughput_bps, floor_bps) : 1.0;
    w *= pow(p->failure_penalty, (double)c->recent_failures);
    it->key1 = -log1p(-mesh_rng_unit(ctx->rng)) / w; /* Exp(1) / w */
    it->key2 = 0;
  }
  mesh_select_sort(ctx->items, ctx->n_items);
  return mesh_select_emit(ctx->items, ctx->n_items, ctx->k, out);
}

const MeshSelectStrategy mesh_select_bandwidth = {
  .name = "bandwidth",
  .abi_version = MESH_SELECT_ABI,
  .state_size = 0,
  .init = NULL,
  .choose = choose,
};
