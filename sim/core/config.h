/*
 * config.h: typed, table-driven scenario files (GKeyFile INI) for meshsim.
 *
 * Every key is declared once in a ConfigKey table (section, name, type,
 * default, unit, range, one-line doc). That table validates input, fills in
 * defaults and prints the reference (`meshsim keys`). A scenario file can
 * extend another (`[scenario] extends = base.ini`, relative to the file);
 * any key can be overridden with `section.key=value` (`--set`). Every
 * value remembers where it came from (file:line, --set, or the default),
 * so that every error names FILE:LINE: [section] key: what is wrong.
 *
 * GKeyFile reports no line numbers, so the loader scans the text itself for
 * the syntax and the key -> line map, then lets GKeyFile parse the values
 * (escapes, comments) of the checked text.
 *
 * Values with units:
 *   duration  ns us ms s min h d; a plain number is seconds       -> int64 ns
 *   size      B KB MB GB TB (10^3) KiB MiB GiB TiB (2^10); plain bytes -> int64 bytes
 *   rate      bit/s kbit/s Mbit/s Gbit/s, B/s KB/s MB/s GB/s; plain bit/s -> double bit/s
 *   int       plain or scientific (1e5) if integral
 * A value that holds a list (`a, b, c`) or a range (`1e4..1e6 *10`) is a
 * sweep axis: accepted only when the loader is told lists are allowed.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ConfigType {
  CONFIG_INT,
  CONFIG_DOUBLE,
  CONFIG_BOOL,
  CONFIG_STRING,
  CONFIG_NAME,      /* one word of [A-Za-z0-9_.-] (or empty): a policy, a code */
  CONFIG_ENUM,      /* one of the '|'-separated choices */
  CONFIG_DURATION,  /* int64 nanoseconds */
  CONFIG_SIZE,      /* int64 bytes */
  CONFIG_RATE,      /* double bits per second */
} ConfigType;

typedef struct ConfigKey {
  const char *section;  /* INI group, e.g. "peers" */
  const char *name;     /* key, e.g. "count" */
  ConfigType type;
  const char *def;      /* default, written as in a file */
  const char *unit;     /* unit for the reference ("" if none) */
  double min, max;      /* inclusive range in the stored unit (ns, bytes, bit/s) */
  const char *choices;  /* CONFIG_ENUM: "a|b|c"; otherwise NULL */
  const char *doc;      /* one line */
} ConfigKey;

#define CONFIG_ERROR (config_error_quark())
GQuark config_error_quark(void);

typedef enum ConfigError {
  CONFIG_ERROR_SYNTAX,     /* malformed line */
  CONFIG_ERROR_UNKNOWN,    /* unknown section or key */
  CONFIG_ERROR_TYPE,       /* value of the wrong type or unit */
  CONFIG_ERROR_RANGE,      /* value out of range */
  CONFIG_ERROR_FILE,       /* missing or unreadable file, extends cycle */
  CONFIG_ERROR_INVALID,    /* a value that conflicts with another */
} ConfigError;

typedef struct Config Config;

/* (transfer full) A config holding the defaults of `keys`. The table must
 * outlive the config. */
Config *config_new(const ConfigKey *keys, size_t n_keys);
void config_free(Config *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Config, config_free)

/* Allow list and range values (sweep axes); off by default. */
void config_allow_lists(Config *c, gboolean allow);

/* Load a scenario file (and what it extends) over the current values. */
gboolean config_load_file(Config *c, const char *path, GError **error);
/* Load from text; `origin` names it in errors and resolves relative extends. */
gboolean config_load_data(Config *c, const char *origin, const char *text, GError **error);
/* Apply `section.key=value` (a --set); `index` numbers it in errors. */
gboolean config_set_arg(Config *c, const char *assignment, guint index, GError **error);
/* Set one key from text with an explicit origin (tests, sweeps). */
gboolean config_set_value(Config *c, const char *section, const char *name,
                          const char *value, const char *origin_file, guint origin_line,
                          GError **error);

/* Typed getters. Asking for an undeclared key, or with the wrong type, is a
 * bug and aborts. Lists: the getters return the first element. */
int64_t config_int(const Config *c, const char *section, const char *name);
double config_double(const Config *c, const char *section, const char *name);
gboolean config_bool(const Config *c, const char *section, const char *name);
/* (transfer none) Also for CONFIG_NAME and CONFIG_ENUM keys. */
const char *config_string(const Config *c, const char *section, const char *name);
int64_t config_duration_ns(const Config *c, const char *section, const char *name);
int64_t config_size_bytes(const Config *c, const char *section, const char *name);
double config_rate_bps(const Config *c, const char *section, const char *name);
/* The raw text of a value as given (or the default). (transfer none) */
const char *config_raw(const Config *c, const char *section, const char *name);
/* Whether a key was set by a file or --set (not left at its default). */
gboolean config_is_set(const Config *c, const char *section, const char *name);

/* Where a key was set: the file (or "--set"), NULL for a default.
 * (transfer none) */
const char *config_origin(const Config *c, const char *section, const char *name, guint *line);

/* Report a semantic error about a key at its origin:
 * "FILE:LINE: [section] key: <message>". Always returns FALSE. */
gboolean config_fail(const Config *c, const char *section, const char *name,
                     GError **error, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* The resolved scenario (after extends and --set) as INI text, every key
 * that differs from its default, in table order. (transfer full) */
char *config_dump(const Config *c);
/* The same with every key, defaults included. (transfer full) */
char *config_dump_all(const Config *c);

/* Sweep axes: the keys whose value is a list or range, in table order, and
 * the expanded values of one of them. (transfer full) */
GPtrArray *config_list_keys(const Config *c);         /* of "section.name" strings */
GPtrArray *config_expand_list(const Config *c, const char *section, const char *name,
                              GError **error);        /* of value strings */

/* Reference printing (meshsim keys): plain text or a Markdown table. */
void config_print_reference(const ConfigKey *keys, size_t n_keys, FILE *out, gboolean markdown);

/* Unit parsers, exposed for the CLI and for tests. They return FALSE and set
 * a short message (no location) in *why on failure. */
gboolean config_parse_duration(const char *text, int64_t *ns, const char **why);
gboolean config_parse_size(const char *text, int64_t *bytes, const char **why);
gboolean config_parse_rate(const char *text, double *bps, const char **why);
gboolean config_parse_int(const char *text, int64_t *v, const char **why);
gboolean config_parse_double(const char *text, double *v, const char **why);
gboolean config_parse_bool(const char *text, gboolean *v, const char **why);

#endif /* CORE_CONFIG_H */
