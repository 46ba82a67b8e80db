/*
 * cli.c: command dispatch, `meshsim help` and `meshsim --version`.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#ifndef SIM_VERSION
#define SIM_VERSION "0.0.0"
#endif
#ifndef SIM_GIT_REV
#define SIM_GIT_REV "unknown"
#endif

typedef struct CliCommand {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *usage;
  const char *summary;
} CliCommand;

static const CliCommand commands[] = {
  {"run", cmd_run, "run SCENARIO [--set k=v]... [--seed N] [--out FILE.db] [--quiet] [--json]",
   "run one scenario: summary on stdout, results into a SQLite database"},
  {"keys", cmd_keys, "keys [--markdown]",
   "print the reference of every scenario key"},
  {"cache", cmd_cache, "cache (--trace FILE --format oracleGeneral|csv | --zipf A --objects N --requests M [--seed S]) [--policy LIST] [--size LIST] [--ignore-size] [--json]",
   "replay a trace through cache policies: misses and byte misses per policy and size"},
  {"world", cmd_world, "world SCENARIO [--set k=v]... [--rtt]",
   "the scenario's geo world: countries and networks, or country RTTs as CSV"},
  {"sweep", cmd_sweep, "sweep SCENARIO [--set k=v1,v2,...]... [--jobs N] [--out DB] [--json] [--warmup D]  (also under mpirun -n K)",
   "run a grid of variants x replications in parallel into one database (resumable)"},
  {"compare", cmd_compare, "compare A.ini B.ini [--replications R] [--set k=v]... [--jobs N] [--json] [--warmup D]",
   "paired comparison of two variants on the same seeds: B - A with 95% CIs and a verdict"},
  {"check", cmd_check, "check DIR|FILE... [--update-baseline] [--junit FILE]",
   "regression scenarios against their baselines: TAP, exit 0 pass, 1 regression, 2 error"},
  {"report", cmd_report, "report DB [--run ID] [--json] | report DB --capacity 'METRIC <= VALUE' --vary SECTION.KEY",
   "a run's summary, top countries and time series (a sweep: each point, mean ± 95% CI); or the smallest value of a swept key that meets a target"},
  {"plot", cmd_plot, "plot DB [--out DIR] [--format png|svg] [--run ID]",
   "figures of a run or sweep with gnuplot (offload vs page load, mesh size, CDFs, egress, countries)"},
  {"schema", cmd_schema, "schema", "print the SQL schema of the results database"},
};

static void print_help(FILE *out) {
  fprintf(out, "meshsim %s: discrete-event simulator of a browser P2P web-acceleration mesh\n\n"
               "usage: meshsim COMMAND [ARGS]\n\n", SIM_VERSION);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  meshsim %s\n      %s\n", commands[i].usage, commands[i].summary);
  fprintf(out, "  meshsim help\n      this text\n"
               "  meshsim --version\n      version and git revision\n\n"
               "Run `meshsim COMMAND --help` for a command's options.\n"
               "Exit codes: 0 success, 1 failure, 2 bad input.\n");
}

int cli_main(int argc, char **argv) {
  if (argc < 2) {
    print_help(stderr);
    return CLI_EXIT_BADINPUT;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    print_help(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("meshsim %s (git %s)\n", SIM_VERSION, SIM_GIT_REV);
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "meshsim: unknown command '%s' (try `meshsim help`)\n", cmd);
  return CLI_EXIT_BADINPUT;
}
