/* Scratch buffers (internal) for temporaries that a kernel allocates on
 * every call: Winograd's transformed tiles and kernels, im2col columns,
 * turned kernels. Each thread keeps the largest few it released, and a
 * request takes the smallest kept one that fits, so that a call of that
 * size or smaller reuses them instead of mapping fresh
 * pages (page faults of such buffers were 10-20 % of a batch-4 pass in this
 * VM). What a thread keeps is freed when the thread exits; at most
 * US_SCRATCH_KEEP buffers per thread. Contents are undefined (not zeroed). */
#ifndef US_CORE_SCRATCH_H
#define US_CORE_SCRATCH_H

#include <stddef.h>

#define US_SCRATCH_KEEP 4

/* n * size bytes, or NULL (overflow, > US_MAX_ALLOC, out of memory). */
void *us_scratch_get(size_t n, size_t size);
/* Give a buffer of us_scratch_get back (NULL is ignored). */
void us_scratch_put(void *p);

#endif
