/* dist.h with Open MPI (built with -DUNETSEG_WITH_MPI), or as one process.
 * All of the CLI's MPI code is in this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dist.h"
#include "train.h"

#ifdef UNETSEG_WITH_MPI
#include <mpi.h>

static struct {
    int rank, size, initialised;
    double share;  /* this rank's samples / the global batch's, for the next step */
    FILE *held;    /* ranks > 0: their stderr until they fail (tmpfile) */
    int real_err;  /* ranks > 0: a duplicate of the original stderr */
} g = {0, 1, 0, 1.0, NULL, -1};

/* Launched by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE; PMIx launchers
 * PMIX_RANK): only then is MPI initialised, so a plain `unetseg train` of
 * an MPI build behaves exactly as one without. */
static int launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

int cli_dist_begin(void) {
    if (!launched()) return CLI_EXIT_OK;
    /* the hooks run on the thread of unetseg_trainer_step: the main one */
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        fprintf(stderr, "unetseg train: MPI_Init failed\n");
        return CLI_EXIT_RUNTIME;
    }
    g.initialised = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g.size);
    if (g.rank > 0) { /* rank 0 alone reports; the others only when they fail */
        fflush(stderr);
        g.held = tmpfile();
        g.real_err = dup(fileno(stderr));
        if (g.held && g.real_err >= 0) dup2(fileno(g.held), fileno(stderr));
    }
    if (g.rank == 0 && g.size > 1)
        fprintf(stderr, "unetseg train: %d MPI ranks; --batch is per rank\n", g.size);
    return CLI_EXIT_OK;
}

int cli_dist_rank(void) { return g.rank; }
int cli_dist_size(void) { return g.size; }

void cli_dist_set_share(long mine, long total) { g.share = (double)mine / (double)total; }

/* MPI counts are ints: long buffers go in pieces. The default error handler
 * of MPI_COMM_WORLD (MPI_ERRORS_ARE_FATAL) aborts the job on a failure. */
#define PIECE (1 << 28)
static int32_t grad_hook(float *grads, int64_t count, void *user) {
    (void)user;
    const float w = (float)g.share; /* this rank's mean gradient, weighted by its samples */
    if (w != 1.0f)
        for (int64_t i = 0; i < count; i++) grads[i] *= w;
    for (int64_t at = 0; at < count; at += PIECE) {
        int n = (int)(count - at < PIECE ? count - at : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, grads + at, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    return 0;
}

static int32_t bn_hook(double *sums, int64_t count, void *user) {
    (void)user;
    for (int64_t at = 0; at < count; at += PIECE) {
        int n = (int)(count - at < PIECE ? count - at : PIECE);
        MPI_Allreduce(MPI_IN_PLACE, sums + at, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
    return 0;
}

int cli_dist_attach(unetseg_trainer *t, int sync_bn) {
    if (g.size < 2) return CLI_EXIT_OK;
    int32_t st = unetseg_trainer_set_gradient_hook(t, grad_hook, NULL);
    if (!st && sync_bn) st = unetseg_trainer_set_batchnorm_sync_hook(t, bn_hook, NULL);
    if (st) cli_report("trainer", st);
    return cli_exit_code(st);
}

void cli_dist_sum(double *v, int n) {
    if (g.size > 1) MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

int32_t cli_dist_share_statistics(unetseg_model *m) {
    if (g.size < 2) return UNETSEG_OK;
    unetseg_tensor **stats = NULL;
    char **names = NULL;
    int32_t n = 0, st = train_snapshot(m, 1, &stats, &names, &n);
    int64_t count = 0;
    for (int32_t i = 0; !st && i < n; i++) {
        st = unetseg_tensor_numel(stats[i], &count);
        /* statistics are per channel: far below INT_MAX */
        if (!st) MPI_Bcast(unetseg_tensor_data(stats[i]), (int)count, MPI_FLOAT, 0, MPI_COMM_WORLD);
    }
    if (!st) st = train_restore(m, stats, names, n);
    train_snapshot_free(stats, names, n);
    return st;
}

/* A failed rank's held messages onto the real stderr. */
static void show_held(void) {
    if (!g.held || g.real_err < 0) return;
    fflush(stderr);
    dup2(g.real_err, fileno(stderr));
    rewind(g.held);
    char buf[4096];
    size_t k;
    fprintf(stderr, "unetseg train: rank %d of %d failed:\n", g.rank, g.size);
    while ((k = fread(buf, 1, sizeof buf, g.held)) > 0) fwrite(buf, 1, k, stderr);
    fflush(stderr);
}

int cli_dist_end(int rc) {
    if (!g.initialised) return rc;
    if (rc != CLI_EXIT_OK && g.size > 1) {
        show_held();
        if (g.rank == 0) fprintf(stderr, "unetseg train: rank 0 failed: aborting the job\n");
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc); /* does not return */
    }
    MPI_Finalize();
    if (g.held) fclose(g.held);
    return rc;
}

#else /* one process */

/* Started by mpirun all the same: N copies would each train alone and
 * write the same files. */
int cli_dist_begin(void) {
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    if (!size || atoi(size) <= 1) return CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: started by mpirun with %s ranks, but this unetseg was built "
            "without MPI (make MPI=1; docs/SCALING.md)\n", size);
    return CLI_EXIT_USAGE;
}
int cli_dist_rank(void) { return 0; }
int cli_dist_size(void) { return 1; }
int cli_dist_attach(unetseg_trainer *t, int sync_bn) {
    (void)t, (void)sync_bn;
    return CLI_EXIT_OK;
}
void cli_dist_set_share(long mine, long total) { (void)mine, (void)total; }
void cli_dist_sum(double *v, int n) { (void)v, (void)n; }
int32_t cli_dist_share_statistics(unetseg_model *m) {
    (void)m;
    return UNETSEG_OK;
}
int cli_dist_end(int rc) { return rc; }

#endif
