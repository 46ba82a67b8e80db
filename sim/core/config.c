/*
 * config.c: table-driven scenario files (see config.h).
 *
 * Invariants:
 *   (1) every declared key has exactly one slot in c->slots (same index as
 *       in the table) holding its raw text, origin and parsed value;
 *   (2) a slot's parsed value always agrees with its raw text (it is only
 *       replaced after the new text parsed and passed the range check);
 *   (3) origin_file is NULL exactly when the slot holds the default.
 * Loading: scan the text line by line (syntax, key -> line, unknown keys,
 * duplicates), load what it extends first, then take each value through
 * GKeyFile (unescaping) and config_set_value().
 * Not here: what the keys mean (sim/model/keys.c), sweeps (sim/cli).
 */
#include "core/config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(meshsim-config-error-quark, config_error)

typedef struct Slot {
  char *raw;               /* value text as given, or the default */
  const char *origin_file; /* interned; NULL = default */
  guint origin_line;
  gboolean is_list;        /* raw holds a list or a range (sweep axis) */
  union {
    int64_t i;             /* INT, DURATION (ns), SIZE (bytes) */
    double d;              /* DOUBLE, RATE (bit/s) */
    gboolean b;            /* BOOL */
  } v;
} Slot;

struct Config {
  const ConfigKey *keys;
  size_t n_keys;
  Slot *slots;
  GHashTable *index;       /* "section\nname" -> index + 1 */
  GHashTable *sections;    /* section name -> 1 */
  GStringChunk *names;     /* interned origin names */
  gboolean allow_lists;
  GPtrArray *loading;      /* canonical paths on the extends stack */
};

/* ---- unit parsing ------------------------------------------------------ */

typedef struct Unit {
  const char *name;
  double factor;
} Unit;

static const Unit duration_units[] = {
  {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"sec", 1e9},
  {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}, {NULL, 0}};
static const Unit size_units[] = {
  {"B", 1.0}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
  {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
  {"TiB", 1099511627776.0}, {"kB", 1e3}, {NULL, 0}};
static const Unit rate_units[] = {
  {"bit/s", 1.0}, {"kbit/s", 1e3}, {"Kbit/s", 1e3}, {"Mbit/s", 1e6},
  {"Gbit/s", 1e9}, {"bps", 1.0}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9},
  {"B/s", 8.0}, {"KB/s", 8e3}, {"kB/s", 8e3}, {"MB/s", 8e6}, {"GB/s", 8e9},
  {NULL, 0}};

/* Parse "<number>[ ]<unit>"; a missing unit means factor `plain`. */
static gboolean parse_with_unit(const char *text, const Unit *units, double plain,
                                double *out, const char **why) {
  const char *s = text;
  while (g_ascii_isspace(*s)) s++;
  if (*s == '\0') {
    *why = "empty value";
    return FALSE;
  }
  char *end = NULL;
  errno = 0;
  double x = g_ascii_strtod(s, &end);
  if (end == s || errno == ERANGE || !isfinite(x)) {
    *why = "not a number";
    return FALSE;
  }
  while (g_ascii_isspace(*end)) end++;
  size_t ulen = strlen(end);
  while (ulen > 0 && g_ascii_isspace(end[ulen - 1])) ulen--;
  double factor = plain;
  if (ulen > 0) {
    factor = -1;
    for (const Unit *u = units; u->name; u++)
      if (strlen(u->name) == ulen && strncmp(u->name, end, ulen) == 0) {
        factor = u->factor;
        break;
      }
    if (factor < 0) {
      *why = "unknown unit";
      return FALSE;
    }
  }
  *out = x * factor;
  if (!isfinite(*out)) {
    *why = "value too large";
    return FALSE;
  }
  return TRUE;
}

static gboolean double_to_int64(double x, int64_t *out, const char **why) {
  if (!(x >= -9.2e18 && x <= 9.2e18)) {
    *why = "value too large";
    return FALSE;
  }
  *out = (int64_t)llround(x);
  return TRUE;
}

gboolean config_parse_duration(const char *text, int64_t *ns, const char **why) {
  double x;
  if (!parse_with_unit(text, duration_units, 1e9, &x, why)) {
    if (strcmp(*why, "unknown unit") == 0) *why = "unknown unit (use ns, us, ms, s, min, h, d)";
    return FALSE;
  }
  return double_to_int64(x, ns, why);
}

gboolean config_parse_size(const char *text, int64_t *bytes, const char **why) {
  double x;
  if (!parse_with_unit(text, size_units, 1.0, &x, why)) {
    if (strcmp(*why, "unknown unit") == 0)
      *why = "unknown unit (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    return FALSE;
  }
  return double_to_int64(floor(x + 1e-9), bytes, why);
}

gboolean config_parse_rate(const char *text, double *bps, const char **why) {
  if (!parse_with_unit(text, rate_units, 1.0, bps, why)) {
    if (strcmp(*why, "unknown unit") == 0)
      *why = "unknown unit (use bit/s, kbit/s, Mbit/s, Gbit/s, B/s, KB/s, MB/s)";
    return FALSE;
  }
  return TRUE;
}

gboolean config_parse_double(const char *text, double *v, const char **why) {
  const char *s = text;
  while (g_ascii_isspace(*s)) s++;
  char *end = NULL;
  errno = 0;
  double x = g_ascii_strtod(s, &end);
  if (end == s) {
    *why = "not a number";
    return FALSE;
  }
  while (g_ascii_isspace(*end)) end++;
  if (*end != '\0') {
    *why = "not a number (no unit allowed)";
    return FALSE;
  }
  if (errno == ERANGE || !isfinite(x)) {
    *why = "not a finite number";
    return FALSE;
  }
  *v = x;
  return TRUE;
}

gboolean config_parse_int(const char *text, int64_t *v, const char **why) {
  const char *s = text;
  while (g_ascii_isspace(*s)) s++;
  char *end = NULL;
  errno = 0;
  gint64 i = g_ascii_strtoll(s, &end, 10);
  const char *rest = end;
  while (g_ascii_isspace(*rest)) rest++;
  if (end != s && *rest == '\0' && errno == 0) {
    *v = i;
    return TRUE;
  }
  double x;
  if (!config_parse_double(text, &x, why)) {
    *why = "not an integer";
    return FALSE;
  }
  if (x != floor(x) || fabs(x) > 9007199254740992.0) {
    *why = "not an integer";
    return FALSE;
  }
  *v = (int64_t)x;
  return TRUE;
}

gboolean config_parse_bool(const char *text, gboolean *v, const char **why) {
  g_autofree char *s = g_strstrip(g_ascii_strdown(text, -1));
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
    if (strcmp(s, yes[i]) == 0) {
      *v = TRUE;
      return TRUE;
    }
    if (strcmp(s, no[i]) == 0) {
      *v = FALSE;
      return TRUE;
    }
  }
  *why = "not a boolean (use true or false)";
  return FALSE;
}

/* ---- formatting of stored values (reference, messages) --------------- */

static char *format_duration(double ns) {
  static const Unit order[] = {{"d", 86400e9}, {"h", 3600e9}, {"min", 60e9}, {"s", 1e9},
                               {"ms", 1e6}, {"us", 1e3}, {"ns", 1.0}};
  if (ns == 0) return g_strdup("0s");
  for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
    if (fabs(ns) >= order[i].factor && fmod(ns, order[i].factor) == 0)
      return g_strdup_printf("%.0f%s", ns / order[i].factor, order[i].name);
  return g_strdup_printf("%gns", ns);
}

static char *format_size(double b) {
  static const Unit order[] = {{"TiB", 1099511627776.0}, {"GiB", 1073741824.0},
                               {"MiB", 1048576.0}, {"KiB", 1024.0}, {"TB", 1e12},
                               {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}};
  for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
    if (fabs(b) >= order[i].factor && fmod(b, order[i].factor) == 0)
      return g_strdup_printf("%.0f%s", b / order[i].factor, order[i].name);
  return g_strdup_printf("%.0fB", b);
}

static char *format_rate(double bps) {
  static const Unit order[] = {{"Gbit/s", 1e9}, {"Mbit/s", 1e6}, {"kbit/s", 1e3}};
  for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
    if (fabs(bps) >= order[i].factor && fmod(bps, order[i].factor) == 0)
      return g_strdup_printf("%.0f%s", bps / order[i].factor, order[i].name);
  return g_strdup_printf("%gbit/s", bps);
}

static char *format_bound(ConfigType t, double x) {
  switch (t) {
    case CONFIG_DURATION: return format_duration(x);
    case CONFIG_SIZE: return format_size(x);
    case CONFIG_RATE: return format_rate(x);
    case CONFIG_INT: return g_strdup_printf("%.0f", x);
    case CONFIG_DOUBLE: return g_strdup_printf("%g", x);
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_NAME:
    case CONFIG_ENUM: break;
  }
  return g_strdup("");
}

static const char *type_name(ConfigType t) {
  switch (t) {
    case CONFIG_INT: return "int";
    case CONFIG_DOUBLE: return "number";
    case CONFIG_BOOL: return "bool";
    case CONFIG_STRING: return "string";
    case CONFIG_NAME: return "name";
    case CONFIG_ENUM: return "choice";
    case CONFIG_DURATION: return "duration";
    case CONFIG_SIZE: return "size";
    case CONFIG_RATE: return "rate";
  }
  return "?";
}

/* ---- the config object -------------------------------------------------- */

static char *index_key(const char *section, const char *name) {
  return g_strconcat(section, "\n", name, NULL);
}

static gssize find_key(const Config *c, const char *section, const char *name) {
  g_autofree char *k = index_key(section, name);
  gpointer v = g_hash_table_lookup(c->index, k);
  return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

static gboolean parse_one(const ConfigKey *k, const char *text, Slot *tmp, const char **why);

Config *config_new(const ConfigKey *keys, size_t n_keys) {
  Config *c = g_new0(Config, 1);
  c->keys = keys;
  c->n_keys = n_keys;
  c->slots = g_new0(Slot, n_keys);
  c->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c->sections = g_hash_table_new(g_str_hash, g_str_equal);
  c->names = g_string_chunk_new(256);
  c->loading = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < n_keys; i++) {
    const ConfigKey *k = &keys[i];
    char *ik = index_key(k->section, k->name);
    g_assert_true(!g_hash_table_contains(c->index, ik)); /* a key is declared once */
    g_hash_table_insert(c->index, ik, GINT_TO_POINTER((int)i + 1));
    g_hash_table_insert(c->sections, (gpointer)k->section, GINT_TO_POINTER(1));
    const char *why = NULL;
    if (!parse_one(k, k->def, &c->slots[i], &why))
      g_error("bad default for [%s] %s: %s", k->section, k->name, why); /* a bug */
    c->slots[i].raw = g_strdup(k->def);
  }
  return c;
}

void config_free(Config *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n_keys; i++) g_free(c->slots[i].raw);
  g_free(c->slots);
  g_hash_table_destroy(c->index);
  g_hash_table_destroy(c->sections);
  g_string_chunk_free(c->names);
  g_ptr_array_free(c->loading, TRUE);
  g_free(c);
}

void config_allow_lists(Config *c, gboolean allow) {
  c->allow_lists = allow;
}

static void set_located_error(GError **error, int code, const char *file, guint line,
                              const char *section, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(7, 8);

static void set_located_error(GError **error, int code, const char *file, guint line,
                              const char *section, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  GString *s = g_string_new(NULL);
  if (file && line) g_string_append_printf(s, "%s:%u: ", file, line);
  else if (file) g_string_append_printf(s, "%s: ", file);
  else g_string_append(s, "(default): ");
  if (section && name) g_string_append_printf(s, "[%s] %s: ", section, name);
  else if (section) g_string_append_printf(s, "[%s]: ", section);
  g_string_append(s, msg);
  g_set_error_literal(error, CONFIG_ERROR, code, s->str);
  g_string_free(s, TRUE);
}

gboolean config_fail(const Config *c, const char *section, const char *name, GError **error,
                     const char *fmt, ...) {
  gssize i = find_key(c, section, name);
  g_assert_true(i >= 0);
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  const Slot *s = &c->slots[i];
  set_located_error(error, CONFIG_ERROR_INVALID, s->origin_file, s->origin_line, section, name,
                    "%s", msg);
  return FALSE;
}

/* Whether text is a sweep axis: a comma list or a range "a..b [*f|+s]". */
static gboolean looks_like_list(const ConfigKey *k, const char *text) {
  if (k->type == CONFIG_STRING) return FALSE;
  return strchr(text, ',') != NULL || strstr(text, "..") != NULL;
}

static gboolean parse_one(const ConfigKey *k, const char *text, Slot *tmp, const char **why) {
  switch (k->type) {
    case CONFIG_INT: return config_parse_int(text, &tmp->v.i, why);
    case CONFIG_DOUBLE: return config_parse_double(text, &tmp->v.d, why);
    case CONFIG_BOOL: return config_parse_bool(text, &tmp->v.b, why);
    case CONFIG_STRING: return TRUE;
    case CONFIG_NAME: {
      g_autofree char *t = g_strstrip(g_strdup(text));
      for (const char *q = t; *q; q++)
        if (!(g_ascii_isalnum(*q) || *q == '_' || *q == '-' || *q == '.')) {
          *why = "not a name (letters, digits, '_', '-', '.')";
          return FALSE;
        }
      return TRUE;
    }
    case CONFIG_ENUM: {
      g_auto(GStrv) choices = g_strsplit(k->choices, "|", -1);
      g_autofree char *s = g_strstrip(g_strdup(text));
      for (char **ch = choices; *ch; ch++)
        if (strcmp(*ch, s) == 0) return TRUE;
      *why = "not one of the choices";
      return FALSE;
    }
    case CONFIG_DURATION: return config_parse_duration(text, &tmp->v.i, why);
    case CONFIG_SIZE: return config_parse_size(text, &tmp->v.i, why);
    case CONFIG_RATE: return config_parse_rate(text, &tmp->v.d, why);
  }
  *why = "unknown type";
  return FALSE;
}

static double slot_number(const ConfigKey *k, const Slot *s) {
  switch (k->type) {
    case CONFIG_INT:
    case CONFIG_DURATION:
    case CONFIG_SIZE: return (double)s->v.i;
    case CONFIG_DOUBLE:
    case CONFIG_RATE: return s->v.d;
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_NAME:
    case CONFIG_ENUM: break;
  }
  return 0;
}

static gboolean has_range(const ConfigKey *k) {
  switch (k->type) {
    case CONFIG_INT:
    case CONFIG_DURATION:
    case CONFIG_SIZE:
    case CONFIG_DOUBLE:
    case CONFIG_RATE: return TRUE;
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_NAME:
    case CONFIG_ENUM: break;
  }
  return FALSE;
}

/* Parse and range-check one element; on failure set a located error. */
static gboolean check_element(const ConfigKey *k, const char *text, Slot *tmp, const char *file,
                              guint line, GError **error) {
  const char *why = NULL;
  if (!parse_one(k, text, tmp, &why)) {
    g_autofree char *t = g_strstrip(g_strdup(text));
    if (k->type == CONFIG_ENUM) {
      g_autofree char *choices = g_strdup(k->choices);
      g_strdelimit(choices, "|", ',');
      set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                        "'%s' is not one of: %s", t, choices);
    } else {
      set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                        "'%s': %s", t, why);
    }
    return FALSE;
  }
  if (has_range(k)) {
    double x = slot_number(k, tmp);
    if (x < k->min || x > k->max) {
      g_autofree char *lo = format_bound(k->type, k->min);
      g_autofree char *hi = format_bound(k->type, k->max);
      g_autofree char *t = g_strstrip(g_strdup(text));
      if (isinf(k->max))
        set_located_error(error, CONFIG_ERROR_RANGE, file, line, k->section, k->name,
                          "'%s' is out of range (must be >= %s)", t, lo);
      else
        set_located_error(error, CONFIG_ERROR_RANGE, file, line, k->section, k->name,
                          "'%s' is out of range (must be in [%s, %s])", t, lo, hi);
      return FALSE;
    }
  }
  return TRUE;
}

/* Split a range "a..b [*f|+s]" into its parts; FALSE if not of that form. */
static gboolean split_range(const char *text, char **a, char **b, char *op, char **step) {
  const char *dots = strstr(text, "..");
  if (!dots) return FALSE;
  *a = g_strstrip(g_strndup(text, (gsize)(dots - text)));
  const char *rest = dots + 2;
  const char *opp = strpbrk(rest, "*+");
  if (opp) {
    *b = g_strstrip(g_strndup(rest, (gsize)(opp - rest)));
    *op = *opp;
    *step = g_strstrip(g_strdup(opp + 1));
  } else {
    *b = g_strstrip(g_strdup(rest));
    *op = '+';
    *step = NULL;
  }
  return TRUE;
}

static char *format_stored(const ConfigKey *k, double x) {
  switch (k->type) {
    case CONFIG_DURATION: return g_strdup_printf("%.0fns", x);
    case CONFIG_SIZE: return g_strdup_printf("%.0fB", x);
    case CONFIG_RATE: return g_strdup_printf("%.17gbit/s", x);
    case CONFIG_INT: return g_strdup_printf("%.0f", x);
    case CONFIG_DOUBLE: return g_strdup_printf("%.17g", x);
    case CONFIG_BOOL:
    case CONFIG_STRING:
    case CONFIG_NAME:
    case CONFIG_ENUM: break;
  }
  return g_strdup("");
}

/* Expand a list or range value into element texts; errors located. */
static GPtrArray *expand(const ConfigKey *k, const char *text, const char *file, guint line,
                         GError **error) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  char *a = NULL, *b = NULL, *step = NULL, op = 0;
  if (strchr(text, ',') == NULL && split_range(text, &a, &b, &op, &step)) {
    g_autofree char *fa = a, *fb = b, *fs = step;
    Slot sa = {0}, sb = {0};
    if (!has_range(k)) {
      set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                        "a range needs a numeric key");
      goto fail;
    }
    if (!check_element(k, fa, &sa, file, line, error) || !check_element(k, fb, &sb, file, line, error))
      goto fail;
    double x0 = slot_number(k, &sa), x1 = slot_number(k, &sb), s;
    if (op == '*') {
      if (!fs || !config_parse_double(fs, &s, &(const char *){NULL}) || s <= 1.0) {
        set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                          "range '%s': the factor after '*' must be a number > 1", text);
        goto fail;
      }
      if (x0 <= 0) {
        set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                          "range '%s': a geometric range must start above 0", text);
        goto fail;
      }
    } else {
      Slot ss = {0};
      if (!fs) s = 1.0;
      else {
        const char *why = NULL;
        if (!parse_one(k, fs, &ss, &why) || slot_number(k, &ss) <= 0) {
          set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                            "range '%s': the step after '+' must be > 0", text);
          goto fail;
        }
        s = slot_number(k, &ss);
      }
    }
    if (x1 < x0) {
      set_located_error(error, CONFIG_ERROR_TYPE, file, line, k->section, k->name,
                        "range '%s': the end is below the start", text);
      goto fail;
    }
    for (int n = 0;; n++) {
      double x = op == '*' ? x0 * pow(s, n) : x0 + s * n;
      if (x > x1 * (1 + 1e-9)) break;
      if (n >= 10000) {
        set_located_error(error, CONFIG_ERROR_RANGE, file, line, k->section, k->name,
                          "range '%s' has more than 10000 values", text);
        goto fail;
      }
      g_ptr_array_add(out, format_stored(k, x));
    }
    return out;
  }
  {   /* a block of its own: the gotos above must not jump into the scope of
         `parts`, whose cleanup would then free an uninitialised pointer */
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    for (char **p = parts; *p; p++) {
      g_strstrip(*p);
      if (**p == '\0') {
        set_located_error(error, CONFIG_ERROR_SYNTAX, file, line, k->section, k->name,
                          "empty element in list '%s'", text);
        goto fail;
      }
      g_ptr_array_add(out, g_strdup(*p));
    }
    return out;
  }
fail:
  g_ptr_array_free(out, TRUE);
  return NULL;
}

gboolean config_set_value(Config *c, const char *section, const char *name, const char *value,
                          const char *origin_file, guint origin_line, GError **error) {
  gssize i = find_key(c, section, name);
  if (i < 0) {
    if (!g_hash_table_contains(c->sections, section))
      set_located_error(error, CONFIG_ERROR_UNKNOWN, origin_file, origin_line, section, NULL,
                        "unknown section");
    else
      set_located_error(error, CONFIG_ERROR_UNKNOWN, origin_file, origin_line, section, name,
                        "unknown key");
    return FALSE;
  }
  const ConfigKey *k = &c->keys[i];
  Slot tmp = c->slots[i];
  gboolean is_list = looks_like_list(k, value);
  if (is_list) {
    if (!c->allow_lists) {
      set_located_error(error, CONFIG_ERROR_TYPE, origin_file, origin_line, section, name,
                        "'%s': a list or range of values is only allowed in a sweep "
                        "(meshsim sweep)", value);
      return FALSE;
    }
    g_autoptr(GPtrArray) elems = expand(k, value, origin_file, origin_line, error);
    if (!elems) return FALSE;
    for (guint e = 0; e < elems->len; e++)
      if (!check_element(k, g_ptr_array_index(elems, e), &tmp, origin_file, origin_line, error))
        return FALSE;
    if (!check_element(k, g_ptr_array_index(elems, 0), &tmp, origin_file, origin_line, error))
      return FALSE;
  } else if (!check_element(k, value, &tmp, origin_file, origin_line, error)) {
    return FALSE;
  }
  Slot *s = &c->slots[i];
  g_free(s->raw);
  *s = tmp;
  s->raw = g_strstrip(g_strdup(value));
  s->is_list = is_list;
  s->origin_file = origin_file ? g_string_chunk_insert_const(c->names, origin_file) : NULL;
  s->origin_line = origin_line;
  if (!origin_file) s->origin_file = g_string_chunk_insert_const(c->names, "(api)");
  return TRUE;
}

gboolean config_set_arg(Config *c, const char *assignment, guint index, GError **error) {
  g_autofree char *origin = g_strdup("--set");
  const char *eq = strchr(assignment, '=');
  const char *dot = strchr(assignment, '.');
  if (!eq || !dot || dot > eq || dot == assignment || dot + 1 == eq) {
    g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_SYNTAX,
                "--set:%u: '%s': expected section.key=value", index, assignment);
    return FALSE;
  }
  g_autofree char *section = g_strstrip(g_strndup(assignment, (gsize)(dot - assignment)));
  g_autofree char *name = g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1)));
  if (strcmp(section, "scenario") == 0 && strcmp(name, "extends") == 0) {
    g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_INVALID,
                "--set:%u: [scenario] extends: cannot be set from the command line", index);
    return FALSE;
  }
  return config_set_value(c, section, name, eq + 1, origin, index, error);
}

/* ---- loading files ------------------------------------------------------ */

typedef struct Line {
  char *section;
  char *name;
  guint line;
} Line;

static void line_clear(gpointer p) {
  Line *l = p;
  g_free(l->section);
  g_free(l->name);
}

static gboolean valid_name(const char *s) {
  if (!*s) return FALSE;
  for (; *s; s++)
    if (!(g_ascii_isalnum(*s) || *s == '_' || *s == '-' || *s == '.')) return FALSE;
  return TRUE;
}

/* Scan the text: syntax, known sections and keys, duplicates; returns the
 * key lines in file order. */
static GArray *scan_lines(Config *c, const char *origin, const char *text, GError **error) {
  GArray *lines = g_array_new(FALSE, TRUE, sizeof(Line));
  g_array_set_clear_func(lines, line_clear);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) raw = g_strsplit(text, "\n", -1);
  g_autofree char *section = NULL;
  guint section_line = 0;
  for (guint n = 0; raw[n]; n++) {
    guint lineno = n + 1;
    char *l = g_strstrip(raw[n]);
    if (*l == '\0' || *l == '#') continue;
    if (*l == '[') {
      size_t len = strlen(l);
      if (l[len - 1] != ']') {
        set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, NULL, NULL,
                          "malformed section header '%s'", l);
        goto fail;
      }
      g_free(section);
      section = g_strstrip(g_strndup(l + 1, len - 2));
      section_line = lineno;
      if (!valid_name(section)) {
        set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, NULL, NULL,
                          "malformed section header '%s'", l);
        goto fail;
      }
      if (!g_hash_table_contains(c->sections, section)) {
        set_located_error(error, CONFIG_ERROR_UNKNOWN, origin, lineno, section, NULL,
                          "unknown section");
        goto fail;
      }
      continue;
    }
    char *eq = strchr(l, '=');
    if (!eq) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, NULL, NULL,
                        "malformed line '%s' (expected key = value, [section] or # comment)", l);
      goto fail;
    }
    g_autofree char *name = g_strstrip(g_strndup(l, (gsize)(eq - l)));
    if (!section) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, NULL, NULL,
                        "key '%s' outside of any [section]", name);
      goto fail;
    }
    if (!valid_name(name)) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, section, NULL,
                        "malformed key '%s'", name);
      goto fail;
    }
    if (find_key(c, section, name) < 0) {
      set_located_error(error, CONFIG_ERROR_UNKNOWN, origin, lineno, section, name,
                        "unknown key");
      goto fail;
    }
    /* A value ending in an unpaired backslash: GKeyFile 2.74 drops it
     * silently, or, after an invalid escape such as \b, sets its GError
     * twice (a three-line GLib warning on stderr). Reject it here. */
    size_t trailing = 0;
    for (const char *e = l + strlen(l); e > eq + 1 && e[-1] == '\\'; e--) trailing++;
    if (trailing % 2) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, section, name,
                        "value ends with a lone escape character '\\' (write '\\\\')");
      goto fail;
    }
    char *ik = index_key(section, name);
    gpointer prev = g_hash_table_lookup(seen, ik);
    if (prev) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, lineno, section, name,
                        "duplicate key (first set at line %u)", GPOINTER_TO_UINT(prev));
      g_free(ik);
      goto fail;
    }
    g_hash_table_insert(seen, ik, GUINT_TO_POINTER(lineno));
    Line rec = {g_strdup(section), g_strdup(name), lineno};
    g_array_append_val(lines, rec);
  }
  (void)section_line;
  return lines;
fail:
  g_array_free(lines, TRUE);
  return NULL;
}

static gboolean load_text(Config *c, const char *origin, const char *text, const char *base_dir,
                          GError **error) {
  if (!g_utf8_validate(text, -1, NULL)) {
    set_located_error(error, CONFIG_ERROR_SYNTAX, origin, 0, NULL, NULL, "not valid UTF-8 text");
    return FALSE;
  }
  g_autoptr(GArray) lines = scan_lines(c, origin, text, error);
  if (!lines) return FALSE;
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) kerr = NULL;
  if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &kerr)) {
    /* The scan accepts only what GKeyFile accepts; keep a located message anyway. */
    set_located_error(error, CONFIG_ERROR_SYNTAX, origin, 0, NULL, NULL, "%s", kerr->message);
    return FALSE;
  }
  /* extends first, so that this file's keys override the base's. */
  for (guint i = 0; i < lines->len; i++) {
    Line *l = &g_array_index(lines, Line, i);
    if (strcmp(l->section, "scenario") != 0 || strcmp(l->name, "extends") != 0) continue;
    g_autofree char *v = g_key_file_get_string(kf, l->section, l->name, NULL);
    g_strstrip(v);
    if (*v == '\0') {
      set_located_error(error, CONFIG_ERROR_TYPE, origin, l->line, "scenario", "extends",
                        "empty file name");
      return FALSE;
    }
    g_autofree char *path = g_path_is_absolute(v) ? g_strdup(v) : g_build_filename(base_dir, v, NULL);
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) ferr = NULL;
    if (!g_file_get_contents(path, &contents, &len, &ferr)) {
      set_located_error(error, CONFIG_ERROR_FILE, origin, l->line, "scenario", "extends",
                        "cannot read '%s': %s", path,
                        ferr->code == G_FILE_ERROR_NOENT ? "no such file" : ferr->message);
      return FALSE;
    }
    g_autofree char *canon = g_canonicalize_filename(path, NULL);
    for (guint s = 0; s < c->loading->len; s++)
      if (strcmp(g_ptr_array_index(c->loading, s), canon) == 0) {
        set_located_error(error, CONFIG_ERROR_FILE, origin, l->line, "scenario", "extends",
                          "'%s' extends itself (a cycle)", path);
        return FALSE;
      }
    if (c->loading->len >= 32) {
      set_located_error(error, CONFIG_ERROR_FILE, origin, l->line, "scenario", "extends",
                        "extends nested deeper than 32 files");
      return FALSE;
    }
    g_ptr_array_add(c->loading, g_steal_pointer(&canon));
    g_autofree char *dir = g_path_get_dirname(path);
    gboolean ok = load_text(c, path, contents, dir, error);
    g_ptr_array_remove_index(c->loading, c->loading->len - 1);
    if (!ok) return FALSE;
  }
  for (guint i = 0; i < lines->len; i++) {
    Line *l = &g_array_index(lines, Line, i);
    if (strcmp(l->section, "scenario") == 0 && strcmp(l->name, "extends") == 0) continue;
    g_autoptr(GError) gerr = NULL;
    g_autofree char *v = g_key_file_get_string(kf, l->section, l->name, &gerr);
    if (!v) {
      set_located_error(error, CONFIG_ERROR_SYNTAX, origin, l->line, l->section, l->name, "%s",
                        gerr->message);
      return FALSE;
    }
    if (!config_set_value(c, l->section, l->name, v, origin, l->line, error)) return FALSE;
  }
  return TRUE;
}

gboolean config_load_data(Config *c, const char *origin, const char *text, GError **error) {
  g_autofree char *dir = g_path_get_dirname(origin);
  return load_text(c, origin, text, dir, error);
}

gboolean config_load_file(Config *c, const char *path, GError **error) {
  g_autofree char *contents = NULL;
  g_autoptr(GError) ferr = NULL;
  if (!g_file_get_contents(path, &contents, NULL, &ferr)) {
    g_set_error(error, CONFIG_ERROR, CONFIG_ERROR_FILE, "%s: cannot read scenario: %s", path,
                ferr->message);
    return FALSE;
  }
  g_autofree char *canon = g_canonicalize_filename(path, NULL);
  g_ptr_array_add(c->loading, g_steal_pointer(&canon));
  gboolean ok = config_load_data(c, path, contents, error);
  g_ptr_array_remove_index(c->loading, c->loading->len - 1);
  return ok;
}

/* ---- getters ------------------------------------------------------------ */

static const Slot *get_slot(const Config *c, const char *section, const char *name,
                            ConfigType type) {
  gssize i = find_key(c, section, name);
  if (i < 0) g_error("config: undeclared key [%s] %s", section, name);
  if (c->keys[i].type != type &&
      !(type == CONFIG_STRING &&
        (c->keys[i].type == CONFIG_ENUM || c->keys[i].type == CONFIG_NAME)))
    g_error("config: [%s] %s is a %s, not a %s", section, name, type_name(c->keys[i].type),
            type_name(type));
  return &c->slots[i];
}

int64_t config_int(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_INT)->v.i;
}
double config_double(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_DOUBLE)->v.d;
}
gboolean config_bool(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_BOOL)->v.b;
}
const char *config_string(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_STRING)->raw;
}
int64_t config_duration_ns(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_DURATION)->v.i;
}
int64_t config_size_bytes(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_SIZE)->v.i;
}
double config_rate_bps(const Config *c, const char *section, const char *name) {
  return get_slot(c, section, name, CONFIG_RATE)->v.d;
}

const char *config_raw(const Config *c, const char *section, const char *name) {
  gssize i = find_key(c, section, name);
  if (i < 0) g_error("config: undeclared key [%s] %s", section, name);
  return c->slots[i].raw;
}

gboolean config_is_set(const Config *c, const char *section, const char *name) {
  gssize i = find_key(c, section, name);
  if (i < 0) g_error("config: undeclared key [%s] %s", section, name);
  return c->slots[i].origin_file != NULL;
}

const char *config_origin(const Config *c, const char *section, const char *name, guint *line) {
  gssize i = find_key(c, section, name);
  if (i < 0) g_error("config: undeclared key [%s] %s", section, name);
  if (line) *line = c->slots[i].origin_line;
  return c->slots[i].origin_file;
}

/* ---- dumping and lists -------------------------------------------------- */

/* A value escaped the way GKeyFile reads it back (g_key_file_get_string):
 * only backslash, newline, tab, carriage return and a leading space.
 * g_strescape() is not that: it writes other bytes (non-ASCII UTF-8,
 * control characters, quotes) as C escapes, which GKeyFile does not decode,
 * so "Café" would come back as "Caf\\303\\251". */
static char *keyfile_escape(const char *v) {
  GString *s = g_string_sized_new(strlen(v) + 8);
  for (const char *p = v; *p; p++) {
    switch (*p) {
      case '\\': g_string_append(s, "\\\\"); break;
      case '\n': g_string_append(s, "\\n"); break;
      case '\t': g_string_append(s, "\\t"); break;
      case '\r': g_string_append(s, "\\r"); break;
      case ' ':
        if (p == v) g_string_append(s, "\\s");
        else g_string_append_c(s, ' ');
        break;
      default: g_string_append_c(s, *p);
    }
  }
  return g_string_free(s, FALSE);
}

static char *dump(const Config *c, gboolean all) {
  GString *s = g_string_new(NULL);
  const char *cur = NULL;
  for (size_t i = 0; i < c->n_keys; i++) {
    const ConfigKey *k = &c->keys[i];
    if (strcmp(k->section, "scenario") == 0 && strcmp(k->name, "extends") == 0) continue;
    if (!all && !c->slots[i].origin_file) continue;
    if (!cur || strcmp(cur, k->section) != 0) {
      g_string_append_printf(s, "%s[%s]\n", cur ? "\n" : "", k->section);
      cur = k->section;
    }
    g_autofree char *esc = keyfile_escape(c->slots[i].raw);
    g_string_append_printf(s, "%s = %s\n", k->name, esc);
  }
  return g_string_free(s, FALSE);
}

char *config_dump(const Config *c) {
  return dump(c, FALSE);
}

char *config_dump_all(const Config *c) {
  return dump(c, TRUE);
}

GPtrArray *config_list_keys(const Config *c) {
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < c->n_keys; i++)
    if (c->slots[i].is_list)
      g_ptr_array_add(out, g_strdup_printf("%s.%s", c->keys[i].section, c->keys[i].name));
  return out;
}

GPtrArray *config_expand_list(const Config *c, const char *section, const char *name,
                              GError **error) {
  gssize i = find_key(c, section, name);
  if (i < 0) g_error("config: undeclared key [%s] %s", section, name);
  const Slot *s = &c->slots[i];
  if (!s->is_list) {
    GPtrArray *one = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(one, g_strdup(s->raw));
    return one;
  }
  return expand(&c->keys[i], s->raw, s->origin_file, s->origin_line, error);
}

/* ---- reference ---------------------------------------------------------- */

static char *range_text(const ConfigKey *k) {
  if (k->type == CONFIG_ENUM) {
    char *s = g_strdup(k->choices);
    return s;
  }
  if (!has_range(k)) return g_strdup("");
  g_autofree char *lo = format_bound(k->type, k->min);
  if (isinf(k->max)) return g_strdup_printf(">= %s", lo);
  g_autofree char *hi = format_bound(k->type, k->max);
  return g_strdup_printf("%s .. %s", lo, hi);
}

void config_print_reference(const ConfigKey *keys, size_t n_keys, FILE *out, gboolean markdown) {
  const char *cur = NULL;
  if (markdown) {
    fputs("| key | type | default | unit | range | meaning |\n"
          "|---|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < n_keys; i++) {
      const ConfigKey *k = &keys[i];
      g_autofree char *r = range_text(k);
      g_autofree char *choices = g_strdup(r);
      g_strdelimit(choices, "|", '/');
      fprintf(out, "| `%s.%s` | %s | `%s` | %s | %s | %s |\n", k->section, k->name,
              type_name(k->type), k->def, k->unit, choices, k->doc);
    }
    return;
  }
  for (size_t i = 0; i < n_keys; i++) {
    const ConfigKey *k = &keys[i];
    if (!cur || strcmp(cur, k->section) != 0) {
      fprintf(out, "%s[%s]\n", cur ? "\n" : "", k->section);
      cur = k->section;
    }
    g_autofree char *r = range_text(k);
    fprintf(out, "  %-22s %-8s default %s%s%s%s%s\n      %s\n", k->name, type_name(k->type),
            *k->def ? k->def : "\"\"", *k->unit ? ", unit " : "", k->unit, *r ? ", range " : "",
            r, k->doc);
  }
}
