#include "core/threads.h"

#include <cblas.h>
#include <pthread.h>
#include <unistd.h>

int32_t us_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int32_t)n : 1;
}

void us_blas_set_threads(int32_t threads) { openblas_set_num_threads(threads); }

/* Passes that hold OpenBLAS at one thread, and the host's setting before
 * the first of them. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int32_t blas_passes, blas_host_threads;

void us_blas_pass_begin(void) {
    pthread_mutex_lock(&blas_lock);
    if (blas_passes++ == 0) {
        blas_host_threads = openblas_get_num_threads();
        if (blas_host_threads != 1) openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_lock);
}

void us_blas_pass_end(void) {
    pthread_mutex_lock(&blas_lock);
    if (blas_passes > 0 && --blas_passes == 0 && blas_host_threads != 1)
        openblas_set_num_threads(blas_host_threads);
    pthread_mutex_unlock(&blas_lock);
}

int32_t us_blas_threads(void) { return openblas_get_num_threads(); }

const char *us_blas_config(void) { return openblas_get_config(); }
const char *us_blas_core_name(void) { return openblas_get_corename(); }
