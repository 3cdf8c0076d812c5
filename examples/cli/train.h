/* `unetseg train`: its options (cmd_train.c) and the training loop
 * (train_loop.c). */
#ifndef UNETSEG_CLI_TRAIN_H
#define UNETSEG_CLI_TRAIN_H

#include "augment.h"
#include "cli.h"
#include "train_data.h"

/* --val-bn: how the BatchNorm layers run in the per-epoch validation. */
#define VAL_BN_AUTO 0        /* RECALIBRATE for runs ending before VAL_BN_AUTO_STEPS, else MOVING */
#define VAL_BN_MOVING 1      /* the moving statistics, as Keras */
#define VAL_BN_RECALIBRATE 2 /* moving statistics recalibrated first (kept) */
#define VAL_BN_BATCH 3       /* each validation batch's own statistics (not kept) */
#define VAL_BN_AUTO_STEPS 3000
/* At most this many training samples recalibrate before a validation. */
#define VAL_BN_SAMPLES 256

#define MONITOR_VAL_LOSS 0
#define MONITOR_VAL_IOU 1

typedef struct train_options {
    const char *data, *weights, *save, *checkpoint, *resume;
    long long epochs, steps, batch, checkpoint_every, threads, max_pixels;
    int32_t optimizer, loss;
    double lr, momentum, val_split;
    int no_shuffle, progress, flip, recalibrate;
    int rot90, crop;    /* --rot90, --crop (to --size) */
    double jitter[3];   /* --jitter B,C,G (all 0: none) */
    const char *encoder_weights; /* --encoder-weights: encoder-only weights */
    long long unfreeze_after;    /* --unfreeze-after N (0: never) */
    int sync_bn; /* --sync-bn: BatchNorm statistics over every rank's batch (dist.h) */
    int cache;          /* TRAIN_CACHE_*: --cache, for folders */
    long long prefetch; /* --prefetch: batches made ahead on a thread (0: none) */
    int val_bn, monitor; /* VAL_BN_*, MONITOR_* */
    long long early_stopping; /* patience, or -1: off */
    double min_delta;
    int min_delta_given;
    const char *save_best, *csv, *plot;
    double plateau_factor; /* 0: no --reduce-lr-on-plateau */
    long long plateau_patience;
    int32_t schedule; /* UNETSEG_SCHEDULE_*: --schedule */
    long long schedule_steps; /* step: SIZE; cosine: TOTAL */
    double schedule_gamma, schedule_min_lr;
    cli_model_args model; /* --seed also seeds shuffles and flips; --size and
                             --classes also shape folder datasets */
    cli_insertions ins;
} train_options;

/* The training data of --data (a folder, or a safetensors file whose
 * tensors are checked: images (N, H, W, C) and masks (N, H, W, K) of the
 * same N, H, W, K == --classes when given). An exit code; on failure *d is
 * empty and the problem was reported. (tests/fuzz/fuzz_train_data.c feeds
 * it files.) */
int cli_train_load(const train_options *a, train_data *d);

/* Samples order[first .. first + n) of the data as new tensors, images into
 * *x and, unless y is NULL, masks into *y, augmented as training augments
 * them at global step `step` (aug NULL: copied as they are): the geometric
 * draws alike for image and mask, the jitter on the image alone. */
int32_t cli_train_gather(const train_data *d, const long *order, long first, long n,
                         const cli_augment *aug, long step, unetseg_tensor **x, unetseg_tensor **y);

/* Train `t` on the data as the options say (epochs or steps, batches made
 * ahead by a thread, shuffles, augmentation, validation, checkpoints, BatchNorm
 * recalibration; a cache the loader deferred filled first, with only what this
 * rank reads): an exit code, problems reported. */
int train_run(const train_options *a, unetseg_model *m, unetseg_trainer *t, train_data *d);

/* ------------------------------------------- --unfreeze-after (train_freeze.c)
 * The layers frozen (by --encoder-freeze) when a run starts. */
typedef struct train_freeze {
    int32_t *layers; /* their indices */
    int32_t n;
} train_freeze;
/* Record the model's frozen layers. A status (reported by the caller). */
int32_t train_freeze_init(train_freeze *f, const unetseg_model *m);
/* Freeze (1) or unfreeze (0) the recorded layers, then let the trainer (if
 * not NULL) follow. A status (reported by the caller). */
int32_t train_freeze_set(const train_freeze *f, unetseg_model *m, unetseg_trainer *t, int frozen);
void train_freeze_free(train_freeze *f);

/* ------------------------------------------------ callbacks (train_callbacks.c)
 * The per-epoch history (the --csv rows), the callbacks' state (--save-best,
 * --early-stopping, --reduce-lr-on-plateau) and the partial epoch a
 * mid-epoch checkpoint cuts: everything a resumed run needs to continue as
 * an uninterrupted one, saved next to the checkpoint as CKPT.state (text)
 * and, for --early-stopping, CKPT.best.safetensors (the best weights). */
#define TRAIN_MAX_CLASS_COLUMNS 64 /* per-class IoU columns for 2 .. 64 classes */
#define HISTORY_FIXED 6 /* epoch, lr, loss, val_loss, val_iou, val_f1; then class IoUs, seconds */
typedef struct train_history {
    double *rows; /* n rows of `stride` values */
    long n, cap;
    int classes;  /* per-class IoU columns: the classes when > 1, else 0 */
    int stride;   /* HISTORY_FIXED + classes + 1 */
} train_history;

typedef struct train_callbacks {
    const train_options *a;
    unetseg_model *m;
    unetseg_trainer *t;
    train_history h;
    double base_lr; /* the learning rate ReduceLROnPlateau lowers */
    double save_best, es_best, rp_best; /* best monitored values (+-inf: none yet) */
    long es_best_epoch, es_wait, rp_wait;
    int stop;       /* early stopping decided to stop */
    /* the epoch under way: its first step's learning rate, the sum and count
     * of its training losses, its seconds so far (a mid-epoch checkpoint
     * carries them over to the resumed run) */
    double epoch_lr, loss_sum, seconds;
    long loss_batches;
    /* --early-stopping: the weights of the best epoch ("{layer}/{param}") */
    unetseg_tensor **best;
    char **names;
    int32_t n_params;
} train_callbacks;

/* Set up from the options (classes: the masks' channels); with --resume,
 * read the checkpoint's state file when there is one. An exit code. */
int train_callbacks_init(train_callbacks *cb, const train_options *a, unetseg_model *m,
                         unetseg_trainer *t, int classes, long step);
void train_callbacks_free(train_callbacks *cb);
/* One complete epoch's results (values: HISTORY_FIXED - 1 + classes after
 * the epoch number, then the seconds): the history, --csv, --plot, then the
 * callbacks in Keras' order (ModelCheckpoint, EarlyStopping,
 * ReduceLROnPlateau), with their messages. An exit code. */
int train_callbacks_epoch(train_callbacks *cb, long epoch, const double *values);
/* After training: restore the best weights of --early-stopping. An exit code. */
int train_callbacks_end(train_callbacks *cb);
/* Write CKPT.state (and CKPT.best.safetensors) for a checkpoint at `step`;
 * call before writing the checkpoint itself. An exit code. */
int train_callbacks_save(const train_callbacks *cb, const char *checkpoint, long step);
/* Copies of the model's parameters ("{layer}/{param}"), or with stats_only
 * of its BatchNorm moving statistics alone; train_restore sets them back.
 * Statuses (reported by the caller). */
int32_t train_snapshot(const unetseg_model *m, int stats_only, unetseg_tensor ***tensors,
                       char ***names, int32_t *n);
int32_t train_restore(unetseg_model *m, unetseg_tensor *const *tensors, char *const *names,
                      int32_t n);
void train_snapshot_free(unetseg_tensor **tensors, char **names, int32_t n);
/* --plot: loss and IoU against epochs as an RGB image (train_plot.c). */
int train_plot_write(const char *path, const train_history *h);

#endif
