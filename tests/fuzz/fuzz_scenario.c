/*
 * fuzz_scenario.c: libFuzzer target for the scenario loader and validator.
 *
 * The input is a scenario text, loaded with config_load_data() over the real
 * key table (model_config_new()); when it loads, model_new() validates the
 * cross-key rules and builds the model (not run). Harness limits, to keep an
 * execution fast and bounded (none hides a class of parser bug):
 *   - inputs naming /dev, /proc, /sys or /run are skipped: `extends =
 *     /dev/zero` or a FIFO would block or eat memory, which is a property of
 *     those files, not of the loader;
 *   - the text's origin is a file in a directory that does not exist, so
 *     relative extends fail at once;
 *   - model_new() is skipped above 100000 peers or objects (it allocates per
 *     peer and per object, legitimately).
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean names_special_file(const char *text) {
  static const char *const bad[] = {"/dev", "/proc", "/sys", "/run"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    if (strstr(text, bad[i])) return TRUE;
  return FALSE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = g_strndup((const char *)data, size);  /* stops at a NUL, like a file read as text */
  if (names_special_file(text)) {
    g_free(text);
    return 0;
  }
  Config *c = model_config_new();
  GError *err = NULL;
  if (config_load_data(c, "/nonexistent-meshsim-fuzz/scenario.ini", text, &err)) {
    /* A loaded scenario dumps and reloads to the same values. */
    char *dump = config_dump_all(c);
    Config *again = model_config_new();
    GError *err2 = NULL;
    if (!config_load_data(again, "/nonexistent-meshsim-fuzz/dump.ini", dump, &err2)) {
      fprintf(stderr, "dump does not reload: %s\n---\n%s---\n", err2->message, dump);
      abort();
    }
    char *dump2 = config_dump_all(again);
    if (strcmp(dump, dump2) != 0) {
      fprintf(stderr, "dump changes on reload:\n%s---\n%s---\n", dump, dump2);
      abort();
    }
    g_free(dump2);
    g_free(dump);
    config_free(again);
    if (config_int(c, "peers", "count") <= 100000 && config_int(c, "traffic", "objects") <= 100000) {
      Model *m = model_new(c, &err);
      if (m) model_free(m);
      else if (!err || !err->message[0]) abort();   /* a failure must say why */
    }
  } else if (!err || !err->message[0]) {
    abort();
  }
  g_clear_error(&err);
  config_free(c);
  g_free(text);
  return 0;
}
