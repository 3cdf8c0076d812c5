/* Thread settings (internal). */
#ifndef US_CORE_THREADS_H
#define US_CORE_THREADS_H

#include <stdint.h>

/* Number of online CPUs (at least 1). */
int32_t us_cpu_count(void);
/* Set OpenBLAS's thread count (process-wide). */
void us_blas_set_threads(int32_t threads);

#endif
