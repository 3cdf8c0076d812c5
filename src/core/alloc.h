/* Checked allocation helpers (internal). Every size computed from caller or
 * file data goes through these so that overflow is an error, never a wrap. */
#ifndef US_CORE_ALLOC_H
#define US_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Largest single allocation unetseg will attempt (16 GiB). */
#define US_MAX_ALLOC ((size_t)1 << 34)

/* Every allocation of the library's own code goes through these, so that
 * tests can make the k-th one fail (us_test_fail_allocation). Not reached:
 * libjansson's allocations (its hook, json_set_alloc_funcs, is process-wide,
 * so a library must not set it) and open_memstream's (io/json.h,
 * io/graph_text.c); both still report a real failure as NOMEM. */
void *us_malloc(size_t size);
void *us_calloc(size_t n, size_t size);
void *us_realloc(void *p, size_t size);

/* Test hook (not exported by the shared library): the k-th allocation from
 * now on this thread fails (k >= 1), and every later one succeeds again;
 * k = 0 turns it off. Returns how many allocations were made since the last
 * call, so a test can walk k = 1, 2, ... until an operation succeeds. */
int64_t us_test_fail_allocation(int64_t k);

/* malloc/calloc of n * size bytes; NULL on overflow, > US_MAX_ALLOC or failure. */
void *us_malloc_array(size_t n, size_t size);
void *us_calloc_array(size_t n, size_t size);
/* us_malloc_array for a large buffer that is written soon after (kept
 * kernels, activations): from 2 MiB up it starts on a 2 MiB boundary and
 * asks Linux for transparent huge pages (madvise), so that first touching
 * it takes one page fault per 2 MiB instead of one per 4 KiB. Freed with
 * free(). */
void *us_malloc_large(size_t n, size_t size);
/* strdup that returns NULL on failure. */
char *us_strdup(const char *s);
/* a*b into *out; returns 0 on overflow of int64 or a negative operand. */
int us_mul_i64(int64_t a, int64_t b, int64_t *out);

#endif
