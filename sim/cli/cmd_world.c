/*
 * cmd_world.c: `meshsim world SCENARIO [--rtt]`: the geo world a scenario's
 * [world] keys describe: a readable summary of countries and networks, or
 * the country x country median RTT as CSV lines cc1,cc2,rtt_ms.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/runner.h"
#include "model/model.h"

int cmd_world(int argc, char **argv) {
  g_auto(GStrv) sets = NULL;
  gboolean rtt = FALSE;
  GOptionEntry entries[] = {
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "override a scenario key (repeatable)",
     "SECTION.KEY=VALUE"},
    {"rtt", 0, 0, G_OPTION_ARG_NONE, &rtt,
     "print the country x country median RTT as CSV (cc1,cc2,rtt_ms)", NULL},
    G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("SCENARIO.ini - describe the world of a scenario");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    fprintf(stderr, "meshsim world: %s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (argc != 2) {
    fprintf(stderr, "meshsim world: expected one scenario file\n");
    return CLI_EXIT_BADINPUT;
  }
  g_autoptr(Config) cfg = runner_load_config(argv[1], (const char *const *)sets, FALSE, &error);
  if (!cfg) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  g_autoptr(World) w = model_load_world(cfg, &error);
  if (!w) {
    fprintf(stderr, "%s\n", error->message);
    return CLI_EXIT_BADINPUT;
  }
  if (rtt) world_print_rtt_csv(w, stdout);
  else world_print_summary(w, stdout);
  return CLI_EXIT_OK;
}
