/*
 * world-private.h: what the files of sim/world share (not a public header).
 */
#ifndef WORLD_WORLD_PRIVATE_H
#define WORLD_WORLD_PRIVATE_H

#include "world/world.h"

/* Reads countries.csv. (transfer full) a GArray of WorldCountry whose clear
 * function frees the strings, in file order; NULL and error set on failure. */
GArray *world_read_countries(const char *path, GError **error);
void world_country_clear(WorldCountry *c);

#endif /* WORLD_WORLD_PRIVATE_H */
