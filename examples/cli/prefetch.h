/* Batches made ahead on a background thread, as PyTorch's DataLoader
 * prefetches: a job of `count` batches, batch k made by make(ctx, k, ...)
 * and handed out strictly in the order k = 0, 1, ... whatever the timing,
 * so a run with prefetching is the run without it. At most `depth` made
 * batches wait (a bounded queue: memory is depth + 1 batches); depth 0
 * makes each batch on the caller's thread when it is asked for. A failed
 * batch is handed out as its status at its turn and nothing after it is
 * made. prefetch_stop() at any point (early stop, an error) ends the thread
 * and frees what was not taken. Plain pthreads: the CLI uses only the
 * library's public API. */
#ifndef UNETSEG_CLI_PREFETCH_H
#define UNETSEG_CLI_PREFETCH_H

#include "unetseg.h"

#define PREFETCH_MAX_DEPTH 16

/* Make batch k into *x and *y (*y may stay NULL): a status. The function
 * runs on the prefetch thread, concurrently with the caller's work: it may
 * only read what the caller does not change while the job runs. */
typedef int32_t (*prefetch_make)(void *ctx, long k, unetseg_tensor **x, unetseg_tensor **y);

typedef struct prefetch prefetch;

/* Start a job (depth 0..PREFETCH_MAX_DEPTH). UNETSEG_E_INVALID_ARG,
 * UNETSEG_E_NOMEM, or UNETSEG_E_STATE when the thread cannot start. */
int32_t prefetch_start(prefetch **p, long count, int depth, prefetch_make make, void *ctx);
/* The next batch (the caller frees *x and *y), or the status of making it;
 * UNETSEG_E_STATE past the last batch or after a failed one. */
int32_t prefetch_next(prefetch *p, unetseg_tensor **x, unetseg_tensor **y);
/* Stop and free the job (NULL: nothing); waits for the batch being made. */
void prefetch_stop(prefetch *p);

#endif
