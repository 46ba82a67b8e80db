/*
 * keys.h: the table of every scenario key meshsim reads (sim/model).
 * `meshsim keys` prints it; the README's reference is generated from it
 * (tests/cli/test_cli.c keeps the two equal).
 */
#ifndef MODEL_KEYS_H
#define MODEL_KEYS_H

#include "core/config.h"

extern const ConfigKey model_keys[];
extern const size_t model_keys_count;

/* (transfer full) A Config holding the defaults of model_keys. */
Config *model_config_new(void);

#endif
