/* Jobs run one after another, in the order given, on one background thread:
 * folder prediction writes an image's outputs (PNG encoding, the file, its
 * fsync) while the model predicts the next image. At most `depth` jobs wait
 * besides the one running: background_run blocks while the queue is full, so
 * memory stays bounded whatever the caller hands over. Plain pthreads: the
 * CLI uses only the library's public API. */
#ifndef UNETSEG_CLI_BACKGROUND_H
#define UNETSEG_CLI_BACKGROUND_H

#include "unetseg.h"

#define BACKGROUND_MAX_DEPTH 16

/* A job: runs on the background thread and frees `arg` (it owns it). */
typedef void (*background_fn)(void *arg);

typedef struct background background;

/* Start the thread (depth 1..BACKGROUND_MAX_DEPTH): UNETSEG_E_INVALID_ARG,
 * UNETSEG_E_NOMEM, or UNETSEG_E_STATE when the thread cannot start. */
int32_t background_start(background **b, int depth);
/* Queue fn(arg), waiting for room; with b NULL (no thread) run it here. */
void background_run(background *b, background_fn fn, void *arg);
/* Run what is queued, then stop the thread and free b (NULL: nothing). */
void background_stop(background *b);

#endif
