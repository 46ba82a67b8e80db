/*
 * main.c: the meshsim command; dispatches to sim/cli's commands.
 */
#include "cli/cli.h"

int main(int argc, char **argv) {
  return cli_main(argc, argv);
}
