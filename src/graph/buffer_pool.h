/* A pool of float buffers (internal): a released buffer is handed out again
 * to the next request it fits (best fit) instead of going back to the
 * system, so repeated passes over the same shapes touch no fresh pages. */
#ifndef US_GRAPH_BUFFER_POOL_H
#define US_GRAPH_BUFFER_POOL_H

#include <stdint.h>

typedef struct us_pool_buf {
    float *data;
    int64_t capacity;
    int32_t in_use;
} us_pool_buf;

typedef struct us_buffer_pool {
    us_pool_buf *bufs;
    int32_t n, cap;
} us_buffer_pool;

/* A buffer of at least `count` floats (contents undefined), or NULL. */
float *us_pool_acquire(us_buffer_pool *p, int64_t count);
/* The same, zero-filled. */
float *us_pool_acquire_zeroed(us_buffer_pool *p, int64_t count);
/* Hand `data` back (NULL and foreign pointers are ignored). */
void us_pool_release(us_buffer_pool *p, const float *data);
/* Free every buffer; the pool is empty and reusable afterwards. */
void us_pool_free(us_buffer_pool *p);
/* Mark every buffer free for reuse (memory is kept). */
void us_pool_release_all(us_buffer_pool *p);

#endif
