/*
 * backend.c: a datacenter's fluid message queue and autoscaler, and the
 * parser of fault specifications (see backend.h).
 *
 * Invariants:
 *   (1) backlog >= 0; min_instances <= instances <= max_instances;
 *   (2) instances + pending <= max_instances;
 *   (3) capacity only changes at ticks and autoscaler decisions, so the
 *       delay a message sees is a step function of time.
 * The fluid queue is deliberate: per-message queues would cost an event per
 * message and the question asked (how much latency does an overload add,
 * and for how long) is about the backlog, not about individual messages.
 */
#include "model/backend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

void backend_dc_init(BackendDc *d, const BackendScaling *s) {
  memset(d, 0, sizeof *d);
  d->s = *s;
  backend_dc_reset(d);
}

void backend_dc_reset(BackendDc *d) {
  d->instances = d->s.instances;
  d->pending = 0;
  d->pending_at = 0;
  d->backlog = 0;
  d->tick_arrivals = 0;
  d->period_arrivals = 0;
  if (d->instances > d->peak_instances) d->peak_instances = d->instances;
}

double backend_dc_capacity(const BackendDc *d) {
  return (double)d->instances * d->s.instance_capacity;
}

SimTime backend_dc_delay_ns(const BackendDc *d) {
  double cap = backend_dc_capacity(d);
  if (d->backlog <= 0 || cap <= 0) return 0;
  return (SimTime)llround(d->backlog / cap * 1e9);
}

double backend_dc_tick(BackendDc *d, SimTime now, SimTime dt_ns) {
  double a = d->tick_arrivals;
  d->backlog += a - backend_dc_capacity(d) * (double)dt_ns * 1e-9;
  if (d->backlog < 0) d->backlog = 0;
  d->tick_arrivals = 0;
  if (d->pending > 0 && now >= d->pending_at) {
    d->instances += d->pending;
    d->pending = 0;
    if (d->instances > d->peak_instances) d->peak_instances = d->instances;
  }
  return a;
}

void backend_dc_autoscale(BackendDc *d, SimTime now) {
  double period_s = (double)d->s.scale_every_ns * 1e-9;
  double load = (d->period_arrivals + d->backlog) / period_s; /* messages/s offered */
  d->period_arrivals = 0;
  double cap = backend_dc_capacity(d);
  double util = cap > 0 ? load / cap : INFINITY;
  if (util > d->s.scale_up) {
    double per = d->s.instance_capacity * d->s.scale_up / 2;
    uint32_t want = (uint32_t)fmin(ceil(load / per), (double)d->s.max_instances);
    if (want > d->instances + d->pending) {
      if (d->pending == 0) d->pending_at = now + d->s.scale_up_delay_ns;
      d->pending = want - d->instances;
    }
  } else if (util < d->s.scale_down && d->pending == 0 && d->instances > d->s.min_instances) {
    double rest = (double)(d->instances - 1) * d->s.instance_capacity;
    if (load < rest * d->s.scale_up) d->instances--;
  }
}

/* ---- fault specifications ---------------------------------------------------- */

gboolean fault_specs_parse(const char *text, GArray *out, char *why, size_t why_len) {
  g_auto(GStrv) items = g_strsplit(text, ";", -1);
  for (guint i = 0; items[i]; i++) {
    g_auto(GStrv) w = g_strsplit_set(g_strstrip(items[i]), " \t", -1);
    const char *word[4];
    guint n = 0;
    for (guint k = 0; w[k]; k++)
      if (*w[k]) {
        if (n == 4) {
          snprintf(why, why_len, "fault %u: more than four words", i + 1);
          return FALSE;
        }
        word[n++] = w[k];
      }
    if (n == 0) {
      if (items[i + 1] || i > 0) {
        snprintf(why, why_len, "fault %u is empty", i + 1);
        return FALSE;
      }
      continue; /* the empty string: no faults */
    }
    if (n < 3) {
      snprintf(why, why_len, "fault %u '%s': needs SCOPE START DURATION [FLAG]", i + 1, word[0]);
      return FALSE;
    }
    FaultSpec f = {0};
    if (strlen(word[0]) >= sizeof f.scope) {
      snprintf(why, why_len, "fault %u: scope '%s' too long", i + 1, word[0]);
      return FALSE;
    }
    strcpy(f.scope, word[0]);
    char *end;
    f.value = g_ascii_strtod(word[0], &end);
    if (*end) f.value = NAN;
    const char *bad;
    int64_t ns;
    if (!config_parse_duration(word[1], &ns, &bad) || ns < 0) {
      snprintf(why, why_len, "fault %u: start '%s' is not a duration", i + 1, word[1]);
      return FALSE;
    }
    f.start_ns = ns;
    if (!config_parse_duration(word[2], &ns, &bad) || ns <= 0) {
      snprintf(why, why_len, "fault %u: duration '%s' is not a positive duration", i + 1,
               word[2]);
      return FALSE;
    }
    f.duration_ns = ns;
    if (n == 4) {
      if (strlen(word[3]) >= sizeof f.flag) {
        snprintf(why, why_len, "fault %u: flag '%s' too long", i + 1, word[3]);
        return FALSE;
      }
      strcpy(f.flag, word[3]);
    }
    g_array_append_val(out, f);
  }
  return TRUE;
}

gboolean backend_parse_time_of_day(const char *text, int64_t *seconds) {
  unsigned h, m;
  char tail;
  if (sscanf(text, "%u:%u%c", &h, &m, &tail) != 2 || h > 23 || m > 59) return FALSE;
  *seconds = (int64_t)h * 3600 + (int64_t)m * 60;
  return TRUE;
}
