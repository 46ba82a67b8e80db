/*
 * cmd_run.c: `meshsim run` and `meshsim keys`.
 *
 * run: load the scenario (extends, --set, --seed), validate everything, build
 * the model (all bad input is found before anything is written), run it with
 * a progress line on a terminal, print the summary, write the run into the
 * results database in one transaction.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli/cli.h"
#include "cli/runner.h"
#include "model/keys.h"
#include "model/model.h"

int cmd_keys(int argc, char **argv) {
  gboolean markdown = FALSE;
  GOptionEntry entries[] = {
    {"markdown", 0, 0, G_OPTION_ARG_NONE, &markdown, "print a Markdown table", NULL},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new("- print the scenario key reference");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim keys: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc > 1) {
    fprintf(stderr, "meshsim keys: unexpected argument '%s'\n", argv[1]);
    return CLI_EXIT_BADINPUT;
  }
  config_print_reference(model_keys, model_keys_count, stdout, markdown);
  return CLI_EXIT_OK;
}

int cmd_run(int argc, char **argv) {
  g_auto(GStrv) sets = NULL;
  gint64 seed = -1;
  g_autofree char *out = NULL;
  gboolean quiet = FALSE, json = FALSE, no_db = FALSE;
  gint threads = 0;
  GOptionEntry entries[] = {
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
     "override a scenario key (repeatable)", "SECTION.KEY=VALUE"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "master seed (overrides [run] seed)", "N"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
     "results database (default results/<scenario>.db)", "FILE.db"},
    {"no-db", 0, 0, G_OPTION_ARG_NONE, &no_db, "write no results database", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "no progress line", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print the summary as a JSON object", NULL},
    {"threads", 'j', 0, G_OPTION_ARG_INT, &threads,
     "threads to use (default: the number of cores; a geo run with the mesh uses 2 at most: "
     "results do not depend on it)", "N"},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.ini - run one scenario");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim run: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2) {
    fprintf(stderr, "meshsim run: expected one scenario file (see `meshsim run --help`)\n");
    return CLI_EXIT_BADINPUT;
  }
  if (threads < 0) {
    fprintf(stderr, "meshsim run: --threads must be >= 1 (or 0: the number of cores)\n");
    return CLI_EXIT_BADINPUT;
  }
  RunnerOptions opt = {
    .scenario = argv[1],
    .sets = (const char *const *)sets,
    .seed = seed,
    .out = no_db ? NULL : out,
    .default_out = !no_db && !out,
    .quiet = quiet,
    .json = json,
    .threads = (guint)threads,
  };
  return runner_run(&opt);
}
