/* The training loop of `unetseg train`: batches of shuffled (and augmented)
 * samples made ahead on a thread (under mpirun each rank's part of them),
 * per-epoch evaluation, checkpoints, BatchNorm recalibration. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dist.h"
#include "files.h"
#include "prefetch.h"
#include "train.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* The checkpoint through the CLI's output rules (files.h): stale temporary
 * files of a killed write are removed first. An exit code; reported. */
static int save_checkpoint(unetseg_trainer *t, const char *path) {
    cli_output out;
    if (!cli_output_prepare(path, &out)) return CLI_EXIT_RUNTIME;
    int32_t st = unetseg_trainer_save_checkpoint(t, out.path);
    if (st) {
        cli_report(path, st);
        return CLI_EXIT_RUNTIME;
    }
    cli_output_done(&out);
    return CLI_EXIT_OK;
}

/* Samples order[first .. first+n) of the data as new tensors: the images
 * into *x and, when y is not NULL, the masks into *y, augmented (train: the
 * random draws of `step`, else the centred crop alone): the geometric
 * transform alike for image and mask, the jitter on the image alone. The
 * order holds sample numbers below d->n and setup_augment() has checked the
 * crop (the checks here only keep a slip of the caller from reading outside
 * the data). On failure nothing is kept; a bad streamed file was reported
 * by name. */
static int32_t gather_samples(const train_data *d, const long *order, long first, long n,
                              const cli_augment *aug, long step, int train, unetseg_tensor **x,
                              unetseg_tensor **y) {
    *x = NULL;
    if (y) *y = NULL;
    int64_t h = 0, w = 0;
    cli_augment_size(aug, d->h, d->w, &h, &w);
    int bad = h > d->h || w > d->w || (aug && aug->rot90 && h != w);
    for (long k = 0; !bad && k < n; k++) bad = order[first + k] < 0 || order[first + k] >= d->n;
    if (bad) {
        fprintf(stderr, "unetseg train: internal error: samples %ld..%ld of %ld\n", first, first + n - 1,
                d->n);
        return UNETSEG_E_SHAPE;
    }
    const int64_t pi = d->h * d->w * d->c, pm = d->h * d->w * d->classes;
    const int64_t oi = h * w * d->c, om = h * w * d->classes;
    const int64_t xs[4] = {n, h, w, d->c}, ys[4] = {n, h, w, d->classes};
    float *img = malloc((size_t)pi * sizeof(float)), *mask = y ? malloc((size_t)pm * sizeof(float)) : NULL;
    int32_t st = img && (mask || !y) ? UNETSEG_OK : UNETSEG_E_NOMEM;
    if (!st) st = unetseg_tensor_create(4, xs, x);
    if (!st && y) st = unetseg_tensor_create(4, ys, y);
    for (long k = 0; !st && k < n; k++) {
        const long i = order[first + k];
        cli_augment_draw_t a;
        if (train) cli_augment_draw(aug, step, i, d->h, d->w, &a);
        else cli_augment_center(aug, d->h, d->w, &a);
        if ((st = train_data_sample(d, i, img, mask))) break;
        float *dx = unetseg_tensor_data(*x) + k * oi;
        cli_augment_geometric(dx, h, w, img, d->w, d->c, &a);
        if (train && aug) cli_augment_jitter(dx, oi, aug->scale, &a);
        if (y) cli_augment_geometric(unetseg_tensor_data(*y) + k * om, h, w, mask, d->w, d->classes, &a);
    }
    free(img);
    free(mask);
    if (st) {
        unetseg_tensor_free(*x);
        *x = NULL;
        if (y) unetseg_tensor_free(*y), *y = NULL;
    }
    return st;
}

int32_t cli_train_gather(const train_data *d, const long *order, long first, long n,
                         const cli_augment *aug, long step, unetseg_tensor **x, unetseg_tensor **y) {
    return gather_samples(d, order, first, n, aug, step, 1, x, y);
}

/* Fisher-Yates with a small counter-based generator: same seed, same order. */
static void shuffle(long *order, long n, unsigned long long seed, long epoch) {
    unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)epoch;
    for (long i = n - 1; i > 0; i--) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        long j = (long)((s >> 33) % (unsigned long long)(i + 1));
        long t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One run: the samples' order, the global step numbers and the display. */
typedef struct run_state {
    const train_options *a;
    unetseg_model *m;
    unetseg_trainer *t;
    const train_data *data;
    cli_augment aug;
    long *order;
    long n_train, n_val, batch, per_epoch;
    long n_batched;        /* the training samples the epoch's batches cover */
    int ranks, rank;       /* data-parallel processes (dist.h); batch is all ranks' */
    long first, step, end; /* global step numbers: first of this run, current, end */
    int live;              /* rewrite a progress line after every step */
    int val_bn;            /* VAL_BN_MOVING, _RECALIBRATE or _BATCH */
    int classes;           /* the masks' channels */
    int class_columns;     /* per-class IoUs: the classes when 1 < classes <= TRAIN_MAX_CLASS_COLUMNS */
    double start, epoch_start;
    train_callbacks cb;
    train_freeze freeze; /* --unfreeze-after: the layers still to unfreeze */
} run_state;

/* A global batch from b of order[.. end) (`batch` samples, fewer at the
 * end): its size, and this rank's contiguous slice [*lo, *hi) of it (all of
 * it alone). */
static long rank_slice(const run_state *s, long b, long end, long batch, long *lo, long *hi) {
    const long size = end - b < batch ? end - b : batch;
    *lo = b + size * s->rank / s->ranks;
    *hi = b + size * (s->rank + 1) / s->ranks;
    return size;
}

/* Which of a pass's batches a rank makes (dist.h). */
#define PASS_ALL 0   /* all of every batch (recalibration: each rank alike) */
#define PASS_SLICE 1 /* its slice of every batch (training) */
#define PASS_DEALT 2 /* whole batches, batch j being rank j mod R's (validation) */

/* The batches of one pass over order[first .. end) for prefetch.h: global
 * batch j holds the `batch` samples from first + j * batch (fewer at the
 * end); the rank's k-th batch is global batch k (PASS_ALL, PASS_SLICE) or
 * rank + k * ranks (PASS_DEALT). Augmented as global step `step` + k; step
 * < 0: evaluation (the centred crop of --crop). The prefetch thread reads
 * only the options, the augmentation, the data and the order, which nothing
 * changes while the pass runs. */
typedef struct batch_job {
    const run_state *s;
    long first, end, batch, step;
    int masks; /* gather the masks too */
    int part;  /* PASS_* */
} batch_job;

/* A prefetched batch: the images and (when the pass wants them) the masks. */
typedef struct batch_pair {
    unetseg_tensor *x, *y;
} batch_pair;

static void free_batch(void *item) {
    batch_pair *b = item;
    unetseg_tensor_free(b->x);
    unetseg_tensor_free(b->y);
    free(b);
}

/* The batches this rank makes in a pass. */
static long job_count(const batch_job *j) {
    const run_state *s = j->s;
    long count = j->end > j->first ? (j->end - j->first - 1) / j->batch + 1 : 0;
    if (j->part == PASS_DEALT) count = count > s->rank ? (count - s->rank - 1) / s->ranks + 1 : 0;
    return count;
}

/* The rank's k-th batch of the pass: order[*lo .. *hi). */
static void job_samples(const batch_job *j, long k, long *lo, long *hi) {
    const run_state *s = j->s;
    const long b = j->first + (j->part == PASS_DEALT ? s->rank + k * s->ranks : k) * j->batch;
    const long size = rank_slice(s, b, j->end, j->batch, lo, hi);
    if (j->part != PASS_SLICE) *lo = b, *hi = b + size;
}

static int32_t make_batch(void *ctx, long k, void **item) {
    const batch_job *j = ctx;
    const run_state *s = j->s;
    long lo, hi;
    job_samples(j, k, &lo, &hi);
    batch_pair *pair = calloc(1, sizeof *pair);
    if (!(*item = pair)) return UNETSEG_E_NOMEM;
    return gather_samples(s->data, s->order, lo, hi - lo, &s->aug, j->step + k, j->step >= 0, &pair->x,
                          j->masks ? &pair->y : NULL);
}

/* The pass's next batch: its tensors (the caller frees them) or a status. */
static int32_t next_batch(prefetch *p, unetseg_tensor **x, unetseg_tensor **y) {
    void *item = NULL;
    int32_t st = prefetch_next(p, &item);
    batch_pair *pair = item;
    *x = pair ? pair->x : NULL;
    *y = pair ? pair->y : NULL;
    free(pair);
    return st;
}

/* A pass's batches (this rank's), made --prefetch ahead. */
static int32_t start_pass(const run_state *s, batch_job *j, prefetch **p) {
    return prefetch_start(p, job_count(j), (int)s->a->prefetch, make_batch, free_batch, j);
}

/* The passes of a run. Training: the epoch's batches from global batch b0
 * on, up to order[end) (steps == step numbers of the batches). */
static batch_job training_pass(const run_state *s, long b0, long end) {
    return (batch_job){s, b0, end, s->batch, s->step, 1, PASS_SLICE};
}

/* Recalibration on training samples order[0 .. n), in batches of --batch
 * (counted by what is left): every rank all of them. */
static batch_job recalibration_pass(const run_state *s, long n) {
    return (batch_job){s, 0, n, (long)s->a->batch, -1, 0, PASS_ALL};
}

/* Validation: the held-out samples (with no split, the training samples)
 * in batches of --batch, dealt out over the ranks. */
static batch_job validation_pass(const run_state *s) {
    const long first = s->n_val ? s->n_train : 0, n = s->n_val ? s->n_val : s->n_train;
    return (batch_job){s, first, first + n, (long)s->a->batch, -1, 1, PASS_DEALT};
}

/* Recalibrate the BatchNorm statistics on training samples order[0 .. n). */
static int32_t recalibrate_on(const run_state *s, long n) {
    batch_job job = recalibration_pass(s, n);
    prefetch *p = NULL;
    int32_t st = start_pass(s, &job, &p);
    for (long b = 0; b < n && !st; b += job.batch) {
        unetseg_tensor *x = NULL, *y = NULL;
        st = next_batch(p, &x, &y);
        if (!st) st = unetseg_trainer_recalibrate_bn(s->t, x, b == 0);
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
    }
    prefetch_stop(p);
    return st;
}

/* Per-class IoU of one batch (threshold 0.5 on the model's output, smooth
 * 1e-5, as the library's metric), added to sums[k] weighted by the batch size. */
static int32_t class_iou(const run_state *s, const unetseg_tensor *x, const unetseg_tensor *y,
                         long size, double *sums) {
    unetseg_tensor *out = NULL;
    int32_t st = unetseg_model_forward(s->m, x, &out);
    int64_t count = 0;
    if (!st) st = unetseg_tensor_numel(out, &count);
    const int64_t c = s->class_columns;
    double tp[TRAIN_MAX_CLASS_COLUMNS] = {0}, sp[TRAIN_MAX_CLASS_COLUMNS] = {0},
           tt[TRAIN_MAX_CLASS_COLUMNS] = {0};
    if (!st) {
        const float *p = unetseg_tensor_data_const(out), *t = unetseg_tensor_data_const(y);
        for (int64_t i = 0; i < count; i++) {
            int64_t k = i % c;
            int pr = p[i] > 0.5f;
            tp[k] += pr * (double)t[i];
            sp[k] += pr;
            tt[k] += t[i];
        }
        for (int64_t k = 0; k < c; k++)
            sums[k] += (tp[k] + 1e-5) / (tt[k] + sp[k] - tp[k] + 1e-5) * (double)size;
    }
    unetseg_tensor_free(out);
    return st;
}

/* The validation of an epoch: the held-out samples (or, with no split, the
 * training samples) in batches of --batch, BatchNorm as --val-bn says.
 * v[0] loss, v[1] IoU, v[2] F1, v[3 ..] per-class IoU (classes > 1): means
 * over the samples; v has room for one more value (the ranks' failures). */
static int32_t validate(const run_state *s, double *v) {
    const long n = s->n_val ? s->n_val : s->n_train;
    const int per_class = s->class_columns > 0;
    unetseg_tensor **saved = NULL;
    char **names = NULL;
    /* every rank validates all samples: with rank 0's statistics, alike */
    int32_t n_saved = 0, st = cli_dist_share_statistics(s->m);
    if (!st && s->val_bn == VAL_BN_BATCH) st = train_snapshot(s->m, 1, &saved, &names, &n_saved);
    if (!st && s->val_bn == VAL_BN_RECALIBRATE)
        st = recalibrate_on(s, s->n_train < VAL_BN_SAMPLES ? s->n_train : VAL_BN_SAMPLES);
    for (int k = 0; k < 3 + s->class_columns; k++) v[k] = 0;
    long seen = 0;
    /* several ranks: batch j is rank j mod R's, the sums are added up after */
    batch_job job = validation_pass(s);
    prefetch *p = NULL;
    if (!st) st = start_pass(s, &job, &p);
    for (long size, j = 0; !st && seen < n; seen += size, j++) {
        size = n - seen < s->a->batch ? n - seen : (long)s->a->batch;
        if (j % s->ranks != s->rank) continue;
        unetseg_tensor *x = NULL, *y = NULL;
        double l = 0, i = 0, f = 0;
        st = next_batch(p, &x, &y);
        if (!st && s->val_bn == VAL_BN_BATCH) st = unetseg_trainer_recalibrate_bn(s->t, x, 1);
        if (!st) st = unetseg_trainer_evaluate(s->t, x, y, &l, &i, &f);
        if (!st && per_class) st = class_iou(s, x, y, size, v + 3);
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
        v[0] += l * (double)size;
        v[1] += i * (double)size;
        v[2] += f * (double)size;
    }
    prefetch_stop(p);
    if (saved) { /* the moving statistics back, whatever happened */
        int32_t rs = train_restore(s->m, saved, names, n_saved);
        if (!st) st = rs;
        train_snapshot_free(saved, names, n_saved);
    }
    if (s->ranks > 1) { /* every rank reaches this, failed or not: then all agree on st */
        v[3 + s->class_columns] = st ? 1.0 : 0.0;
        cli_dist_sum(v, 4 + s->class_columns);
        if (!st && v[3 + s->class_columns] > 0) st = UNETSEG_E_IO; /* another rank failed */
    }
    for (int k = 0; k < 3 + s->class_columns; k++) v[k] = seen ? v[k] / (double)seen : 0;
    return st;
}

/* BatchNorm recalibration over the training samples, then one more
 * evaluation line. */
static int recalibrate(const run_state *s) {
    double v[4 + TRAIN_MAX_CLASS_COLUMNS];
    run_state moving = *s;
    moving.val_bn = VAL_BN_MOVING;
    int32_t st = recalibrate_on(s, s->n_train);
    if (!st) st = validate(&moving, v);
    if (st) {
        cli_report("recalibrate-bn", st);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr, "BatchNorm recalibrated on %ld images: %s loss %.4f  IoU %.4f\n", s->n_train,
            s->n_val ? "val" : "train", v[0], v[1]);
    return CLI_EXIT_OK;
}

/* The number of steps of this run into *total (1..LONG_MAX - first), or a
 * CLI exit code: --steps S, or --epochs E of per_epoch steps each; the
 * global step numbers first .. first + total must fit a long. */
static int step_count(const train_options *a, long per_epoch, long first, long *total) {
    if (first < 0) {
        fprintf(stderr, "unetseg train: the trainer's step count is negative (%ld)\n", first);
        return CLI_EXIT_RUNTIME;
    }
    const long most = LONG_MAX - first; /* steps left before the step number overflows */
    if (a->steps > 0) {
        if (a->steps <= most) return *total = a->steps, CLI_EXIT_OK;
        fprintf(stderr, "unetseg train: --steps %lld: the resumed trainer is at step %ld, and step %ld + %lld"
                " is past the largest step number %ld\n", a->steps, first, first, a->steps, LONG_MAX);
        return CLI_EXIT_USAGE;
    }
    if (a->epochs <= most / per_epoch) return *total = a->epochs * per_epoch, CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: --epochs %lld: %lld epochs of %ld steps from step %ld go past the"
            " largest step number %ld\n", a->epochs, a->epochs, per_epoch, first, LONG_MAX);
    return CLI_EXIT_USAGE;
}


/* Sizes, batches and steps of the run: an exit code. */
static int plan(run_state *s, long n) {
    const train_options *a = s->a;
    s->n_val = (long)(a->val_split * (double)n);
    s->n_train = n - s->n_val;
    if (s->n_train < 1) {
        fprintf(stderr, "unetseg train: --val-split %g leaves no training sample of %ld\n", a->val_split, n);
        return CLI_EXIT_RUNTIME;
    }
    /* Keras: a batch size above the number of samples gives one batch of all
     * of them per epoch. Clamping also keeps every sum of batch sizes below
     * 2 n_train, far from overflow. (Evaluation and recalibration count
     * their batches by what is left, and take --batch as given.) */
    /* Several ranks (dist.h): --batch is per rank, as in PyTorch DDP; global
     * batch k is samples [k R B, (k+1) R B) of the order and rank r takes the
     * r-th contiguous slice of it (train_step). */
    s->ranks = cli_dist_size();
    s->rank = cli_dist_rank();
    s->batch = (long)a->batch * s->ranks;
    if (s->batch > s->n_train) {
        fprintf(stderr, "unetseg train: --batch %lld%s is more than the %ld training samples: batches "
                "of %ld\n", a->batch, s->ranks > 1 ? " x ranks" : "", s->n_train, s->n_train);
        s->batch = s->n_train;
    }
    if (s->batch < s->ranks) {
        fprintf(stderr, "unetseg train: %ld training samples for %d ranks\n", s->n_train, s->ranks);
        return CLI_EXIT_RUNTIME;
    }
    /* a last batch smaller than the ranks would leave one without a sample:
     * those samples wait for the next epoch's order */
    const long tail = s->n_train % s->batch;
    s->n_batched = tail && tail < s->ranks ? s->n_train - tail : s->n_train;
    if (s->n_batched < s->n_train)
        fprintf(stderr, "unetseg train: the last %ld sample(s) of each epoch's order are not trained "
                "(fewer than the %d ranks)\n", tail, s->ranks);
    s->per_epoch = (s->n_batched - 1) / s->batch + 1;
    /* Global step numbers continue a resumed trainer's: the epoch, the batch
     * within it, the shuffles and the flips all follow from them, so a
     * resumed run sees exactly the batches an uninterrupted one would. */
    int64_t first = 0;
    long total = 0;
    unetseg_trainer_progress(s->t, &first, NULL);
    int rc = step_count(a, s->per_epoch, (long)first, &total);
    s->first = s->step = (long)first;
    s->end = s->first + total;
    return rc;
}

/* The samples in order, the validation samples last (of a first fixed
 * shuffle), and the shuffles of the epochs a resumed trainer has done. */
static int first_order(run_state *s, long n) {
    const train_options *a = s->a;
    if (!(s->order = malloc((size_t)n * sizeof *s->order))) {
        fprintf(stderr, "unetseg train: out of memory for the order of %ld samples\n", n);
        return CLI_EXIT_RUNTIME;
    }
    for (long i = 0; i < n; i++) s->order[i] = i;
    if (a->no_shuffle) return CLI_EXIT_OK;
    shuffle(s->order, n, a->model.seed, -1);
    for (long e = 0; e < s->step / s->per_epoch; e++) shuffle(s->order, s->n_train, a->model.seed, e);
    return CLI_EXIT_OK;
}

/* --val-bn: the mode of this run, said once. The default depends on the
 * global step the run ends at, so a resumed run chooses as an uninterrupted
 * one of the same length. */
static void choose_val_bn(run_state *s) {
    const long sample = s->n_train < VAL_BN_SAMPLES ? s->n_train : VAL_BN_SAMPLES;
    s->val_bn = s->a->val_bn;
    if (s->val_bn == VAL_BN_AUTO)
        s->val_bn = s->end < VAL_BN_AUTO_STEPS ? VAL_BN_RECALIBRATE : VAL_BN_MOVING;
    const char *why = s->a->val_bn != VAL_BN_AUTO ? ""
                      : s->val_bn == VAL_BN_RECALIBRATE
                          ? " (the default for runs that end before step " STR(VAL_BN_AUTO_STEPS) ")"
                          : " (the default for runs of " STR(VAL_BN_AUTO_STEPS) " steps or more)";
    if (s->val_bn == VAL_BN_RECALIBRATE)
        fprintf(stderr, "validation: --val-bn recalibrate%s: BatchNorm moving statistics recalibrated on "
                "%ld training images before each evaluation\n", why, sample);
    else if (s->val_bn == VAL_BN_MOVING)
        fprintf(stderr, "validation: --val-bn moving%s: BatchNorm on its moving statistics (they lag "
                "the weights for hundreds of steps)\n", why);
    else
        fprintf(stderr, "validation: --val-bn batch: BatchNorm on each validation batch's own "
                "statistics\n");
}

/* The checkpoint with the callbacks' state beside it. */
static int checkpoint(run_state *s) {
    int rc = train_callbacks_save(&s->cb, s->a->checkpoint, s->step);
    return rc ? rc : save_checkpoint(s->t, s->a->checkpoint);
}

/* The next batch of the epoch (global batch from sample b of the order,
 * of which the prefetcher made this rank's slice), the progress line; *due
 * when a checkpoint falls on this step. */
static int train_step(run_state *s, prefetch *p, long b, double *loss, int *due) {
    const train_options *a = s->a;
    long lo, hi;
    const long size = rank_slice(s, b, s->n_batched, s->batch, &lo, &hi);
    unetseg_tensor *x = NULL, *y = NULL;
    cli_dist_set_share(hi - lo, size);
    int32_t st = next_batch(p, &x, &y); /* this rank's slice [lo, hi) */
    if (st) { /* the file was named when it failed */
        if (s->live) fprintf(stderr, "\n");
        fprintf(stderr, "unetseg train: step %ld: the batch could not be made\n", s->step + 1);
        return CLI_EXIT_RUNTIME;
    }
    st = unetseg_trainer_step(s->t, x, y, loss);
    unetseg_tensor_free(x);
    unetseg_tensor_free(y);
    if (!st && s->ranks > 1) { /* the global batch's loss: the ranks' weighted by their samples */
        double sum = *loss * (double)(hi - lo);
        cli_dist_sum(&sum, 1);
        *loss = sum / (double)size;
    }
    if (st) {
        cli_report("train step", st);
        return CLI_EXIT_RUNTIME;
    }
    double per_step = (now_seconds() - s->start) / (double)(s->step + 1 - s->first);
    if (s->live)
        fprintf(stderr, "\rstep %ld/%ld  loss %.4f  %.0f ms/step  ETA %.0f s   ", s->step + 1, s->end,
                *loss, per_step * 1e3, per_step * (double)(s->end - s->step - 1));
    *due = a->checkpoint && a->checkpoint_every > 0 && (s->step + 1) % a->checkpoint_every == 0;
    return CLI_EXIT_OK;
}

static const char *const bn_words[] = {"", "bn moving", "bn recalibrated", "bn batch"};

/* The evaluation line after the steps of an epoch; a complete epoch goes to
 * the callbacks. */
static int end_epoch(run_state *s, long epoch, int complete) {
    double v[4 + TRAIN_MAX_CLASS_COLUMNS], elapsed = now_seconds() - s->start;
    train_callbacks *cb = &s->cb;
    double loss = cb->loss_batches ? cb->loss_sum / (double)cb->loss_batches : 0.0;
    int32_t st = validate(s, v);
    if (st) {
        cli_report("evaluate", st);
        return CLI_EXIT_RUNTIME;
    }
    if (s->live) fprintf(stderr, "\r");
    double per_step = elapsed / (double)(s->step - s->first);
    char part[64] = ""; /* a run that ends inside an epoch validates all the same */
    if (!complete)
        snprintf(part, sizeof part, " (%ld of %ld steps)", s->step % s->per_epoch, s->per_epoch);
    fprintf(stderr, "epoch %ld%s  loss %.4f  %s loss %.4f  IoU %.4f  F1 %.4f  lr %.3g  [%s]  %.0f ms/step  "
            "ETA %.0f s\n", epoch + 1, part, loss, s->n_val ? "val" : "train", v[0], v[1], v[2],
            cb->epoch_lr, bn_words[s->val_bn], per_step * 1e3, per_step * (double)(s->end - s->step));
    if (!complete) return CLI_EXIT_OK;
    double values[HISTORY_FIXED + TRAIN_MAX_CLASS_COLUMNS];
    values[0] = cb->epoch_lr;
    values[1] = loss;
    for (int k = 0; k < 3 + s->class_columns; k++) values[2 + k] = v[k];
    values[5 + s->class_columns] = cb->seconds + (now_seconds() - s->epoch_start);
    return train_callbacks_epoch(cb, epoch, values);
}

/* --unfreeze-after N: the encoder unfrozen before the first step of epoch
 * N + 1 (epoch index N). A resumed run's model is frozen or not as its
 * checkpoint was (cmd_train.c: resume), so this runs at the same epoch. */
static int unfreeze(run_state *s, long epoch) {
    if (!s->a->unfreeze_after || epoch < s->a->unfreeze_after || !s->freeze.n) return CLI_EXIT_OK;
    int64_t trainable = 0;
    int32_t st = train_freeze_set(&s->freeze, s->m, s->t, 0);
    if (!st) st = unetseg_model_param_totals(s->m, NULL, &trainable, NULL);
    if (st) {
        cli_report("unfreeze", st);
        return CLI_EXIT_RUNTIME;
    }
    if (s->live) fprintf(stderr, "\r");
    fprintf(stderr, "epoch %ld: encoder unfrozen (--unfreeze-after %lld): %d layers, %lld trainable "
            "parameters\n", epoch + 1, s->a->unfreeze_after, (int)s->freeze.n, (long long)trainable);
    s->freeze.n = 0;
    return CLI_EXIT_OK;
}

/* The steps of train_epoch over the prefetched batches; *due when a
 * checkpoint falls on the last one. */
static int train_epoch_steps(run_state *s, prefetch *p, int *due) {
    train_callbacks *cb = &s->cb;
    double loss = 0;
    int rc = CLI_EXIT_OK;
    for (long b = (s->step % s->per_epoch) * s->batch; b < s->n_batched && s->step < s->end;
         b += s->batch) {
        if ((rc = train_step(s, p, b, &loss, due))) return rc;
        s->step++;
        cb->loss_sum += loss;
        cb->loss_batches++;
        /* a checkpoint at the end of an epoch waits for its validation and
         * callbacks, which the resumed run does not repeat */
        if (*due && s->step % s->per_epoch != 0) {
            double at = now_seconds(), kept = cb->seconds;
            cb->seconds += at - s->epoch_start;
            rc = checkpoint(s);
            cb->seconds = kept;
            if (rc) return rc;
        }
    }
    return CLI_EXIT_OK;
}

/* The rest of an epoch from the current step (a resumed run may start
 * inside one). */
static int train_epoch(run_state *s, long epoch) {
    train_callbacks *cb = &s->cb;
    int rc0 = unfreeze(s, epoch);
    if (rc0) return rc0;
    if (!s->a->no_shuffle) shuffle(s->order, s->n_train, s->a->model.seed, epoch);
    s->epoch_start = now_seconds();
    if (s->step % s->per_epoch == 0) { /* a fresh epoch (else the state file's) */
        cb->loss_sum = cb->seconds = 0;
        cb->loss_batches = 0;
        unetseg_trainer_progress(s->t, NULL, &cb->epoch_lr);
    }
    /* this epoch's batches from the current step (to the end of the run
     * when it ends inside the epoch), made ahead: the order is not shuffled
     * again before prefetch_stop */
    const long b0 = (s->step % s->per_epoch) * s->batch, left = (s->n_batched - b0 - 1) / s->batch + 1;
    batch_job job = training_pass(s, b0, s->n_batched);
    if (left > s->end - s->step) job.end = b0 + (s->end - s->step) * s->batch;
    prefetch *p = NULL;
    int32_t st = start_pass(s, &job, &p);
    if (st) {
        cli_report("prefetch", st);
        return CLI_EXIT_RUNTIME;
    }
    int due = 0, rc = train_epoch_steps(s, p, &due);
    prefetch_stop(p);
    if (rc) return rc;
    const int complete = s->step % s->per_epoch == 0;
    rc = end_epoch(s, epoch, complete);
    if (!rc && due && complete) rc = checkpoint(s);
    if (!complete) cb->seconds += now_seconds() - s->epoch_start; /* for the final checkpoint */
    return rc;
}

/* The augmentation of the run (augment.h) from the options and the data:
 * --crop within the samples, --rot90 on square ones, --jitter on pixels in
 * [0, 1] or [0, 255] (a folder's are decoded to [0, 255]; a safetensors
 * file's are looked at). An exit code. */
static int setup_augment(run_state *s) {
    const train_options *a = s->a;
    const train_data *d = s->data;
    int64_t h = 0, w = 0, count = 0;
    cli_augment *g = &s->aug;
    *g = (cli_augment){.flip = a->flip, .rot90 = a->rot90, .seed = a->model.seed,
                       .jitter = {a->jitter[0], a->jitter[1], a->jitter[2]}, .scale = 1};
    if (a->crop) {
        g->crop_h = a->model.height, g->crop_w = a->model.width;
        if (g->crop_h > d->h || g->crop_w > d->w) {
            fprintf(stderr, "unetseg train: --crop --size %lldx%lld: the samples are only %lldx%lld\n",
                    (long long)g->crop_h, (long long)g->crop_w, (long long)d->h, (long long)d->w);
            return CLI_EXIT_USAGE;
        }
    }
    cli_augment_size(g, d->h, d->w, &h, &w);
    if (a->rot90 && h != w) {
        fprintf(stderr, "unetseg train: --rot90 needs square samples, these are %lldx%lld (square crops: "
                "--crop --size SxS)\n", (long long)h, (long long)w);
        return CLI_EXIT_USAGE;
    }
    if (a->jitter[0] > 0 || a->jitter[1] > 0 || a->jitter[2] > 0) {
        if (!d->images) return g->scale = 255, CLI_EXIT_OK;
        unetseg_tensor_numel(d->images, &count);
        if (!(g->scale = cli_augment_scale(unetseg_tensor_data_const(d->images), count))) {
            fprintf(stderr, "unetseg train: --jitter works on pixel values in [0, 1] or [0, 255]; these "
                    "images have values outside [0, 255] (jitter before normalising)\n");
            return CLI_EXIT_RUNTIME;
        }
    }
    return CLI_EXIT_OK;
}

/* Mark in keep the samples of every batch this rank makes in a pass. */
static void keep_pass(const batch_job *j, unsigned char *keep) {
    for (long k = 0, count = job_count(j); k < count; k++) {
        long lo, hi;
        job_samples(j, k, &lo, &hi);
        for (long i = lo; i < hi; i++) keep[j->s->order[i]] = 1;
    }
}

/* A cache the loader deferred (several ranks, --no-shuffle: the order never
 * changes, so a rank reads a fixed set of samples) filled with the samples
 * this rank reads, found by the passes that read them: its slices of every
 * training batch of an epoch, its share of the validation batches, and the
 * recalibrations' samples (every rank all of them). An exit code. */
static int fill_rank_cache(const run_state *s, train_data *d) {
    if (!d->cache_pending) return CLI_EXIT_OK;
    unsigned char *keep = calloc((size_t)d->n, 1);
    if (!keep) {
        fprintf(stderr, "unetseg train: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    batch_job passes[4] = {training_pass(s, 0, s->n_batched), validation_pass(s)};
    int n = 2;
    if (s->val_bn == VAL_BN_RECALIBRATE)
        passes[n++] = recalibration_pass(s, s->n_train < VAL_BN_SAMPLES ? s->n_train : VAL_BN_SAMPLES);
    if (s->a->recalibrate) passes[n++] = recalibration_pass(s, s->n_train);
    for (int k = 0; k < n; k++) keep_pass(&passes[k], keep);
    char who[32];
    snprintf(who, sizeof who, "rank %d", s->rank);
    int ok = train_data_fill(d, keep, who);
    free(keep);
    return ok ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

int train_run(const train_options *a, unetseg_model *m, unetseg_trainer *t, train_data *d) {
    run_state s = {.a = a, .m = m, .t = t, .data = d};
    const long n = d->n;
    s.classes = (int)d->classes;
    s.class_columns = s.classes > 1 && s.classes <= TRAIN_MAX_CLASS_COLUMNS ? s.classes : 0;
    int rc = setup_augment(&s);
    if (rc == CLI_EXIT_OK) rc = plan(&s, n);
    int32_t st = rc == CLI_EXIT_OK && a->unfreeze_after ? train_freeze_init(&s.freeze, m) : UNETSEG_OK;
    if (st) {
        cli_report("unfreeze", st);
        rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK) rc = first_order(&s, n);
    if (rc == CLI_EXIT_OK) rc = train_callbacks_init(&s.cb, a, m, t, s.class_columns, s.step);
    if (rc == CLI_EXIT_OK) choose_val_bn(&s);
    if (rc == CLI_EXIT_OK) rc = fill_rank_cache(&s, d);
    s.live = a->progress || isatty(fileno(stderr));
    s.start = now_seconds();
    for (long epoch = rc ? 0 : s.step / s.per_epoch; rc == CLI_EXIT_OK && s.step < s.end && !s.cb.stop;
         epoch++)
        rc = train_epoch(&s, epoch);
    if (rc == CLI_EXIT_OK && a->checkpoint) rc = checkpoint(&s);
    if (rc == CLI_EXIT_OK) rc = train_callbacks_end(&s.cb);
    if (rc == CLI_EXIT_OK && a->recalibrate) rc = recalibrate(&s);
    train_callbacks_free(&s.cb);
    train_freeze_free(&s.freeze);
    free(s.order);
    return rc;
}
