/*
 * cli.h: the meshsim commands. Each takes the arguments after its name
 * (argv[0] is the command name) and returns the process exit code:
 * 0 success, 1 failure, 2 bad input.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_BADINPUT = 2 };

int cli_main(int argc, char **argv);

int cmd_run(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_world(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report_capacity(int argc, char **argv);
int cmd_report(int argc, char **argv);  /* --capacity: cmd_report_capacity */
int cmd_plot(int argc, char **argv);

#endif
