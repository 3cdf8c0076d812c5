/* Data-parallel `unetseg train` across processes (docs/SCALING.md): the
 * one interface train uses, implemented by mpi_comm.c with Open MPI when the
 * CLI is built with -DUNETSEG_WITH_MPI (make MPI=1, or detected through
 * pkg-config ompi-c), else as a single process. The library knows nothing
 * of MPI: the CLI plugs MPI into the trainer's gradient and BatchNorm sync
 * hooks. A binary built with MPI but started without mpirun runs alone
 * (MPI is initialised only when a launcher's environment says so). */
#ifndef UNETSEG_CLI_DIST_H
#define UNETSEG_CLI_DIST_H

#include "unetseg.h"

/* Join the job (MPI_Init under mpirun); ranks other than 0 keep their
 * messages in a temporary file, shown only when they fail. An exit code. */
int cli_dist_begin(void);
/* This process's rank and the number of ranks (0 and 1 alone). */
int cli_dist_rank(void);
int cli_dist_size(void);
/* Several ranks: the gradient hook (a weighted mean over the ranks) and,
 * with sync_bn, the BatchNorm sync hook (sums over the ranks) on `t`. An
 * exit code (reported). */
int cli_dist_attach(unetseg_trainer *t, int sync_bn);
/* This rank's share of the next step's global batch: `mine` of `total`
 * samples (the gradient hook weighs this rank's mean gradient by it). */
void cli_dist_set_share(long mine, long total);
/* In place: the sum over the ranks of v[0 .. n) (every rank the same). */
void cli_dist_sum(double *v, int n);
/* Rank 0's BatchNorm moving statistics on every rank (as PyTorch DDP
 * broadcasts its buffers), so that every rank validates, and decides its
 * callbacks, alike. A status. */
int32_t cli_dist_share_statistics(unetseg_model *m);
/* Leave the job with exit code rc: MPI_Finalize when every rank succeeded
 * so far; a failed rank aborts the whole job (mpirun ends the others, which
 * would otherwise wait for it in an all-reduce) after showing its messages.
 * Returns rc. */
int cli_dist_end(int rc);

#endif
