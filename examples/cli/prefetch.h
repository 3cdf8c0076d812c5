/* Work made ahead on a background thread, as PyTorch's DataLoader
 * prefetches: a job of `count` items (a training batch, a decoded image),
 * item k made by make(ctx, k, ...) and handed out strictly in the order
 * k = 0, 1, ... whatever the timing, so a run with prefetching is the run
 * without it. At most `depth` made items wait (a bounded queue: memory is
 * depth + 1 items); depth 0 makes each item on the caller's thread when it
 * is asked for. A failed item is handed out as its status at its turn and
 * nothing after it is made (a job whose items may fail one by one, as the
 * files of a folder, makes items that say so and returns UNETSEG_OK).
 * prefetch_stop() at any point (early stop, an error) ends the thread and
 * frees what was not taken. Plain pthreads: the CLI uses only the library's
 * public API. */
#ifndef UNETSEG_CLI_PREFETCH_H
#define UNETSEG_CLI_PREFETCH_H

#include "unetseg.h"

#define PREFETCH_MAX_DEPTH 16

/* Make item k into *item: a status. On failure *item may be set (it is then
 * freed). The function runs on the prefetch thread, concurrently with the
 * caller's work: it may only read what the caller does not change while the
 * job runs. */
typedef int32_t (*prefetch_make)(void *ctx, long k, void **item);
/* Free an item (never called with NULL). */
typedef void (*prefetch_free)(void *item);

typedef struct prefetch prefetch;

/* Start a job (depth 0..PREFETCH_MAX_DEPTH). UNETSEG_E_INVALID_ARG,
 * UNETSEG_E_NOMEM, or UNETSEG_E_STATE when the thread cannot start. */
int32_t prefetch_start(prefetch **p, long count, int depth, prefetch_make make, prefetch_free drop,
                       void *ctx);
/* The next item (the caller frees it), or the status of making it (*item
 * NULL); UNETSEG_E_STATE past the last item or after a failed one. */
int32_t prefetch_next(prefetch *p, void **item);
/* Stop and free the job (NULL: nothing); waits for the item being made. */
void prefetch_stop(prefetch *p);

#endif
