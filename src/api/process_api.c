/* Public entry points of what the process shares: the bound on threads and
 * the worker pool (core/parallel.c). */
#include "core/error.h"
#include "core/parallel.h"

/* The most threads of one pass (unetseg_model_set_threads takes up to 256). */
#define US_MAX_THREADS 256

UNETSEG_API int32_t unetseg_set_max_threads(int32_t threads) {
    us_clear_error();
    if (threads < 0 || threads > US_MAX_THREADS)
        return us_fail(UNETSEG_E_INVALID_ARG, "set_max_threads: %d is not in 0..%d", (int)threads,
                       US_MAX_THREADS);
    us_parallel_set_max_threads(threads);
    return UNETSEG_OK;
}

UNETSEG_API void unetseg_shutdown_workers(void) { us_parallel_shutdown(); }
