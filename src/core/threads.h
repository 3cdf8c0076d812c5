/* Thread settings (internal). */
#ifndef US_CORE_THREADS_H
#define US_CORE_THREADS_H

#include <stdint.h>

/* Number of online CPUs (at least 1). */
int32_t us_cpu_count(void);
/* OpenBLAS's version/build text and the name of the kernel core it chose
 * (static text of OpenBLAS). */
const char *us_blas_config(void);
const char *us_blas_core_name(void);
/* Set OpenBLAS's thread count (process-wide), and read it. */
void us_blas_set_threads(int32_t threads);
int32_t us_blas_threads(void);
/* A pass that runs GEMMs on OpenBLAS from its own threads holds OpenBLAS
 * at one thread from begin to end: the first of concurrent passes saves
 * the host's setting, the last one restores it. */
void us_blas_pass_begin(void);
void us_blas_pass_end(void);

#endif
