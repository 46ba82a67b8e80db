/*
 * runner_mpi.h: `mpirun -n K meshsim sweep ...` spreads a sweep's runs over
 * MPI ranks (optional build feature: CMake SIM_MPI, see README).
 *
 * Rank 0 is the coordinator: it does everything a one-process sweep does
 * (grid, resume lookups, precision rounds, the ONE database) except running
 * the models: runner_mpi_execute_all() hands the jobs to ranks 1..K-1
 * dynamically (a rank gets the next job when it returns a result), and
 * gathers each finished run as a serialised RunRecord (run_record_serialize)
 * that it writes itself. A job travels as its config's set keys with their
 * origins (so relative data paths resolve as on rank 0), and rank 0 puts its
 * own scenario text back into the record, so the stored runs (SHA-256,
 * scalars, series, histograms) are those of a one-process sweep, whatever
 * the rank count or the completion order.
 *
 * Without SIM_HAVE_MPI, or when not started by mpirun (no Open MPI / PMI
 * environment: a "singleton"), or with one rank, everything here is inert
 * and the sweep runs in one process with its thread pool.
 */
#ifndef CLI_RUNNER_MPI_H
#define CLI_RUNNER_MPI_H

#include <glib.h>

#include "cli/runner.h"

/* MPI_Init when launched by mpirun with more than one rank; idempotent. */
void runner_mpi_init(void);
/* Ranks in use (1 when inactive) and this process's rank (0 when inactive). */
int runner_mpi_size(void);
int runner_mpi_rank(void);
/* Rank > 0: serve jobs until rank 0 says stop; returns an exit code. */
int runner_mpi_serve(void);
/* Rank 0 with size > 1: run the jobs on the other ranks; `done` is called
 * in this process, once per job, in completion order. */
void runner_mpi_execute_all(GPtrArray *jobs, RunnerDoneFn done, void *ud);
/* Rank 0: release the workers; every rank: MPI_Finalize. Idempotent. */
void runner_mpi_finalize(void);

#endif
