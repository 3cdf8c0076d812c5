#include "core/threads.h"

#include <cblas.h>
#include <unistd.h>

int32_t us_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int32_t)n : 1;
}

void us_blas_set_threads(int32_t threads) { openblas_set_num_threads(threads); }

const char *us_blas_config(void) { return openblas_get_config(); }
const char *us_blas_core_name(void) { return openblas_get_corename(); }
