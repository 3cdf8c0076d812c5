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

/* Train `t` on the n samples of images and masks as the options say (epochs
 * or steps, batches, shuffles, flips, validation, checkpoints, BatchNorm
 * recalibration): an exit code, problems reported. */
int train_run(const train_options *a, unetseg_trainer *t, const unetseg_tensor *images,
              const unetseg_tensor *masks, long n);

#endif
