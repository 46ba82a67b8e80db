/*
 * backend.h: pieces of the signaling backend and of the fault schedule that
 * the geo host (model_geo.c) uses, kept apart so that they can be tested
 * alone (tests/model/test_faults.c).
 *
 * BackendDc: one datacenter's message queue and autoscaler, a fluid model.
 *   Messages arrive (backend_dc_add); every tick of dt the backlog becomes
 *   max(0, backlog + arrivals - capacity x dt) with capacity = instances x
 *   instance_capacity (messages/s). A message arriving now waits
 *   backlog / capacity: overload shows as latency, not as loss. Every
 *   scale_every the autoscaler compares the offered load (arrivals per
 *   second over that period, plus the backlog to drain within it) with the
 *   capacity: above scale_up of it, it orders enough instances to bring the
 *   utilisation to scale_up / 2 (they start after scale_up_delay, at most
 *   max_instances); below scale_down, it stops one instance (at least
 *   min_instances) if the rest stay below scale_up.
 *
 * FaultSpec: one fault of [faults], parsed from `SCOPE START DURATION
 *   [FLAG]` (several separated by ';').
 */
#ifndef MODEL_BACKEND_H
#define MODEL_BACKEND_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"

typedef struct BackendScaling {
  double instance_capacity;   /* messages/s one instance serves */
  uint32_t instances;         /* baseline (after a rebuild) */
  uint32_t min_instances, max_instances;
  SimTime scale_up_delay_ns;  /* from the decision to serving */
  SimTime scale_every_ns;     /* autoscaler period */
  double scale_up, scale_down; /* utilisation thresholds */
} BackendScaling;

typedef struct BackendDc {
  BackendScaling s;
  uint32_t instances;         /* serving now */
  uint32_t pending;           /* ordered, not yet serving */
  SimTime pending_at;         /* when the pending ones start */
  double backlog;             /* messages waiting */
  double tick_arrivals;       /* since the last tick */
  double period_arrivals;     /* since the last autoscaler decision */
  uint32_t peak_instances;
} BackendDc;

void backend_dc_init(BackendDc *d, const BackendScaling *s);
/* Back to the baseline: no backlog, baseline instances, nothing pending. */
void backend_dc_reset(BackendDc *d);
static inline void backend_dc_add(BackendDc *d, double messages) {
  d->tick_arrivals += messages;
  d->period_arrivals += messages;
}
double backend_dc_capacity(const BackendDc *d);
/* Queueing delay of a message arriving now, ns. */
SimTime backend_dc_delay_ns(const BackendDc *d);
/* End of a tick of dt_ns at time now: drain, start due instances. Returns
 * the arrivals of the tick. */
double backend_dc_tick(BackendDc *d, SimTime now, SimTime dt_ns);
/* The autoscaler's decision at time now (call every scale_every_ns). */
void backend_dc_autoscale(BackendDc *d, SimTime now);

/* ---- faults ---------------------------------------------------------------- */

typedef struct FaultSpec {
  char scope[32];             /* DC name, country code, network "n123", or a probability */
  double value;               /* the scope as a number, when it is one */
  SimTime start_ns, duration_ns;
  char flag[16];              /* optional fourth word ("backend"), else "" */
} FaultSpec;

/* Parses "SCOPE START DURATION [FLAG]; ..." into out (FaultSpec). FALSE
 * with *why (static or g_strdup'd into why_buf) naming the bad part. */
gboolean fault_specs_parse(const char *text, GArray *out, char *why, size_t why_len);

/* Time of day "HH:MM" -> seconds; FALSE when malformed. */
gboolean backend_parse_time_of_day(const char *text, int64_t *seconds);

#endif /* MODEL_BACKEND_H */
