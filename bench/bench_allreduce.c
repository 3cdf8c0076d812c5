/* MPI_Allreduce of one Unet('resnet34') gradient (24.4 M floats, 98 MB), the
 * exchange `unetseg train` makes after every step under mpirun
 * (examples/cli/mpi_comm.c), timed alone: what data parallelism costs per
 * step before any training work (docs/SCALING.md §5). Built by
 * `make build/bench/bench_allreduce` when Open MPI is found; run as
 *   mpirun -np 2 --bind-to core build/bench/bench_allreduce [ROUNDS]
 * prints `allreduce_ms=X` per round (rank 0). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define GRADIENT_FLOATS 24400000

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, rounds = argc > 1 ? atoi(argv[1]) : 5;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    float *g = malloc(sizeof(float) * GRADIENT_FLOATS);
    if (!g) MPI_Abort(MPI_COMM_WORLD, 1);
    for (long i = 0; i < GRADIENT_FLOATS; i++) g[i] = (float)(i % 7) * 1e-3f;
    for (int r = 0; r < rounds; r++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, g, GRADIENT_FLOATS, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        t = MPI_Wtime() - t;
        if (rank == 0) printf("allreduce_ms=%.1f\n", t * 1e3);
    }
    free(g);
    MPI_Finalize();
    return 0;
}
