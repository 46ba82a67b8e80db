/*
 * cmd_schema.c: `meshsim schema` prints the SQL schema of the results
 * database (tables, indexes, views), as created in a new database.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "results/results.h"

int cmd_schema(int argc, char **argv) {
  (void)argv;
  if (argc > 1) {
    fprintf(stderr, "meshsim schema: takes no arguments\n");
    return CLI_EXIT_BADINPUT;
  }
  printf("```sql\n%s```\n", results_schema_sql());
  return CLI_EXIT_OK;
}
