/* `unetseg train`: its options (cmd_train.c) and the training loop
 * (train_loop.c). */
#ifndef UNETSEG_CLI_TRAIN_H
#define UNETSEG_CLI_TRAIN_H

#include "cli.h"

typedef struct train_options {
    const char *data, *weights, *save, *checkpoint, *resume;
    long long epochs, steps, batch, checkpoint_every, threads, max_pixels;
    int32_t optimizer, loss;
    double lr, momentum, val_split;
    int no_shuffle, progress, flip, recalibrate;
    cli_model_args model; /* --seed also seeds shuffles and flips; --size and
                             --classes also shape folder datasets */
    cli_insertions ins;
} train_options;

/* The training data of --data (a folder or a safetensors file), loaded and
 * checked: images (N, H, W, C) and masks (N, H, W, K) of the same N, H, W,
 * K == --classes when given. An exit code; on failure both are NULL and the
 * problem was reported. (tests/fuzz/fuzz_train_data.c feeds it files.) */
int cli_train_load(const train_options *a, unetseg_tensor **images, unetseg_tensor **masks);

/* Samples order[first .. first + n) of src (N, H, W, C) as a new tensor,
 * flipped as training flips them when `flip` (seed and step pick the flips). */
int32_t cli_train_gather(const unetseg_tensor *src, const long *order, long first, long n, int flip,
                         unsigned long long seed, long step, unetseg_tensor **out);

/* Train `t` on the n samples of images and masks as the options say (epochs
 * or steps, batches, shuffles, flips, validation, checkpoints, BatchNorm
 * recalibration): an exit code, problems reported. */
int train_run(const train_options *a, unetseg_trainer *t, const unetseg_tensor *images,
              const unetseg_tensor *masks, long n);

#endif
