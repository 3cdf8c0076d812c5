/* unetseg train --data D.safetensors [options]: train a Unet on tensors
 * "images" (N,H,W,C) and "masks" (N,H,W,classes) and save the weights. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "folder_data.h"

#include "cli.h"

typedef struct train_args {
    const char *data, *weights, *save, *checkpoint, *resume;
    long epochs, steps, batch, checkpoint_every, threads;
    int32_t optimizer, loss;
    double lr, momentum, val_split;
    unsigned long long seed;
    int shuffle, progress, flip, recalibrate;
    long height, width, channels, classes; /* from --size / --classes, for folders */
} train_args;

static void train_usage(FILE *f) {
    fprintf(f,
            "usage: unetseg train --data D.safetensors [--epochs E | --steps S] [--batch B]\n"
            "         [--optimizer sgd|adam] [--lr LR] [--momentum M] [--loss NAME] [--seed S]\n"
            "         [--no-shuffle] [--val-split F] [--weights W] [--save OUT]\n"
            "         [--checkpoint CKPT [--checkpoint-every N]] [--resume CKPT] [--progress]\n"
            "         [--threads N] [--flip] [--recalibrate-bn]\n"
            "         [model options as for summary] [--insert EXPR ...]\n"
            "D is a safetensors file with 'images' (N,H,W,C) and 'masks' (N,H,W,classes,\n"
            "0/1), or a folder with images/*.png|jpg and masks/*.png of the same names\n"
            "(binary masks, or class indices when --classes > 1), resized to --size.\n"
            "--flip: random horizontal and vertical flips of each training sample.\n"
            "--checkpoint: written every N steps and at the end (before --recalibrate-bn);\n"
            "--resume continues the step count, batch order and flips exactly.\n"
            "--recalibrate-bn: after training, set the BatchNorm moving statistics to\n"
            "the average batch statistics of the final weights over the training set.\n"
            "losses: bce cce dice jaccard binary_focal categorical_focal bce_dice bce_jaccard\n"
            "        cce_dice cce_jaccard\n");
}

static int32_t parse_loss(const char *s) {
    static const char *const names[] = {"bce",          "cce",          "dice",
                                        "jaccard",      "binary_focal", "categorical_focal",
                                        "bce_dice",     "bce_jaccard",  "cce_dice",
                                        "cce_jaccard"};
    for (int32_t i = 0; i < (int32_t)(sizeof names / sizeof *names); i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

/* Returns 1 if consumed, 0 if not a train option, -1 on a bad value. */
static int parse_train_option(train_args *a, int argc, char **argv, int *i) {
    const char *o = argv[*i];
    if (strcmp(o, "--no-shuffle") == 0) return a->shuffle = 0, 1;
    if (strcmp(o, "--progress") == 0) return a->progress = 1, 1;
    if (strcmp(o, "--flip") == 0) return a->flip = 1, 1;
    if (strcmp(o, "--recalibrate-bn") == 0) return a->recalibrate = 1, 1;
    static const char *const valued[] = {"--data", "--weights", "--save", "--checkpoint",
                                         "--resume", "--epochs", "--steps", "--batch",
                                         "--checkpoint-every", "--optimizer", "--loss", "--lr",
                                         "--momentum", "--val-split", "--threads"};
    int known = 0;
    for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) known |= strcmp(o, valued[k]) == 0;
    if (!known) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "unetseg train: %s needs a value\n", o);
        return -1;
    }
    const char *v = argv[++*i];
    /* numbers are parsed whole and range-checked: "2x", "abc", "1e9" or -1
     * are usage errors, not 2, 0, 1 or a wrapped value */
    long long n = 0;
    long *count = !strcmp(o, "--epochs")             ? &a->epochs
                  : !strcmp(o, "--steps")            ? &a->steps
                  : !strcmp(o, "--batch")            ? &a->batch
                  : !strcmp(o, "--checkpoint-every") ? &a->checkpoint_every
                                                     : NULL;
    double *real = !strcmp(o, "--lr")          ? &a->lr
                   : !strcmp(o, "--momentum")  ? &a->momentum
                   : !strcmp(o, "--val-split") ? &a->val_split
                                               : NULL;
    if (count) {
        if (!cli_parse_integer(o, v, 1, LONG_MAX, &n)) return -1;
        *count = (long)n;
    } else if (!strcmp(o, "--threads")) {
        /* the library's range: 1..256, or 0 for all cores */
        if (!cli_parse_integer(o, v, 0, 256, &n)) return -1;
        a->threads = (long)n;
    } else if (real) {
        if (!cli_parse_real(o, v, real)) return -1;
        if (real == &a->lr && !(*real > 0))
            return fprintf(stderr, "unetseg: --lr: %s is not > 0\n", v), -1;
        if (real != &a->lr && !(*real >= 0 && *real < 1))
            return fprintf(stderr, "unetseg: %s: %s is not in [0, 1)\n", o, v), -1;
    } else if (!strcmp(o, "--data")) a->data = v;
    else if (!strcmp(o, "--weights")) a->weights = v;
    else if (!strcmp(o, "--save")) a->save = v;
    else if (!strcmp(o, "--checkpoint")) a->checkpoint = v;
    else if (!strcmp(o, "--resume")) a->resume = v;
    else if (!strcmp(o, "--optimizer")) {
        a->optimizer = !strcmp(v, "sgd") ? UNETSEG_OPTIMIZER_SGD : !strcmp(v, "adam") ? UNETSEG_OPTIMIZER_ADAM : -1;
        if (a->optimizer < 0) return fprintf(stderr, "unetseg train: --optimizer sgd|adam\n"), -1;
    } else if ((a->loss = parse_loss(v)) < 0) {
        return fprintf(stderr, "unetseg train: unknown loss '%s'\n", v), -1;
    }
    return 1;
}

/* Flip flags of a sample (bit 0 horizontal, bit 1 vertical), or 0. */
typedef struct flips {
    int enabled;
    unsigned long long seed;
    long step;
} flips;

static int flip_bits(const flips *f, long sample) {
    if (!f || !f->enabled) return 0;
    unsigned long long s = (f->seed + 1) * 0x9E3779B97F4A7C15ULL ^ ((unsigned long long)f->step << 20) ^
                           (unsigned long long)sample;
    s = (s ^ (s >> 31)) * 0xBF58476D1CE4E5B9ULL;
    return (int)((s >> 40) & 3);
}

/* Copy one H x W x C sample with optional flips. */
static void copy_sample(float *dst, const float *src, int64_t h, int64_t w, int64_t c, int bits) {
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t sy = bits & 2 ? h - 1 - y : y, sx = bits & 1 ? w - 1 - x : x;
            memcpy(dst + (y * w + x) * c, src + (sy * w + sx) * c, (size_t)c * sizeof(float));
        }
}

/* Copy samples order[first .. first+n) of src (N, H, W, C) into a new
 * tensor. check_data() has made sure that images and masks are rank 4 with
 * the same N; the checks here only keep a slip of the caller from reading
 * outside src. */
static int32_t gather_flipped(const unetseg_tensor *src, const long *order, long first, long n,
                              const flips *f, unetseg_tensor **out) {
    int64_t shape[4];
    int32_t rank = 0, st = unetseg_tensor_rank(src, &rank);
    if (!st) st = rank == 4 ? unetseg_tensor_shape(src, shape, 4) : UNETSEG_E_SHAPE;
    for (long k = 0; !st && k < n; k++)
        if (order[first + k] < 0 || order[first + k] >= shape[0]) st = UNETSEG_E_SHAPE;
    if (st) {
        fprintf(stderr, "unetseg train: internal error: samples %ld..%ld of a rank %d tensor\n", first,
                first + n - 1, (int)rank);
        return st;
    }
    const int64_t per = shape[1] * shape[2] * shape[3];
    shape[0] = n;
    if ((st = unetseg_tensor_create(4, shape, out))) return st;
    const float *from = unetseg_tensor_data((unetseg_tensor *)src);
    for (long k = 0; k < n; k++)
        copy_sample(unetseg_tensor_data(*out) + k * per, from + order[first + k] * per, shape[1],
                    shape[2], shape[3], flip_bits(f, order[first + k]));
    return UNETSEG_OK;
}

static int32_t gather(const unetseg_tensor *src, const long *order, long first, long n,
                      unetseg_tensor **out) {
    return gather_flipped(src, order, first, n, NULL, out);
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

/* Mean loss/IoU over samples [first, first+n) of the order, in batches
 * (counted by what is left, so that no batch size can overflow). */
static int32_t evaluate(unetseg_trainer *t, const unetseg_tensor *images, const unetseg_tensor *masks,
                        const long *order, long first, long n, long batch, double *loss, double *iou) {
    double sum_l = 0, sum_i = 0;
    long seen = 0;
    for (long size; seen < n; seen += size) {
        size = n - seen < batch ? n - seen : batch;
        unetseg_tensor *x = NULL, *y = NULL;
        double l = 0, i = 0;
        int32_t st = gather(images, order, first + seen, size, &x);
        if (!st) st = gather(masks, order, first + seen, size, &y);
        if (!st) st = unetseg_trainer_evaluate(t, x, y, &l, &i, NULL);
        unetseg_tensor_free(x);
        unetseg_tensor_free(y);
        if (st) return st;
        sum_l += l * (double)size;
        sum_i += i * (double)size;
    }
    *loss = seen ? sum_l / (double)seen : 0;
    *iou = seen ? sum_i / (double)seen : 0;
    return UNETSEG_OK;
}

static int32_t open_or_build(const train_args *a, const unetseg_unet_options *o,
                             const cli_insertions *ins, unetseg_model **m) {
    int32_t st;
    if (a->weights) {
        st = unetseg_model_load(a->weights, m);
        if (st == UNETSEG_E_FORMAT && (st = unetseg_unet_create(o, m)) == UNETSEG_OK)
            st = unetseg_model_load_weights(*m, a->weights, UNETSEG_LOAD_PARTIAL, NULL);
    } else {
        st = unetseg_unet_create(o, m);
    }
    if (st) {
        cli_report(a->weights ? a->weights : "model", st);
        return st;
    }
    return cli_apply_insertions(*m, ins);
}

static int32_t make_trainer(const train_args *a, unetseg_model *m, unetseg_trainer **t) {
    unetseg_train_options *to = NULL;
    int32_t st = unetseg_model_set_threads(m, (int32_t)a->threads);
    if (!st) st = unetseg_train_options_create(&to);
    if (!st) st = unetseg_train_options_set_loss(to, a->loss);
    if (!st) st = unetseg_train_options_set_optimizer(to, a->optimizer, a->lr);
    if (!st && a->optimizer == UNETSEG_OPTIMIZER_SGD)
        st = unetseg_train_options_set_sgd(to, a->momentum, 0, 0.0);
    if (!st) st = unetseg_train_options_set_seed(to, a->seed);
    if (!st) st = unetseg_trainer_create(m, to, t);
    if (!st && a->resume) st = unetseg_trainer_load_checkpoint(*t, a->resume);
    unetseg_train_options_free(to);
    if (st) cli_report("trainer", st);
    return st;
}

/* BatchNorm recalibration over the training samples, then one more
 * evaluation line. */
static int recalibrate(const train_args *a, unetseg_trainer *t, const unetseg_tensor *images,
                       const unetseg_tensor *masks, const long *order, long n_train, long n_val) {
    int32_t st = UNETSEG_OK;
    for (long b = 0, size; b < n_train && !st; b += size) {
        size = n_train - b < a->batch ? n_train - b : a->batch;
        unetseg_tensor *x = NULL;
        st = gather(images, order, b, size, &x);
        if (!st) st = unetseg_trainer_recalibrate_bn(t, x, b == 0);
        unetseg_tensor_free(x);
    }
    double vl = 0, vi = 0;
    if (!st)
        st = evaluate(t, images, masks, order, n_val ? n_train : 0, n_val ? n_val : n_train, a->batch,
                      &vl, &vi);
    if (st) {
        cli_report("recalibrate-bn", st);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr, "BatchNorm recalibrated on %ld images: %s loss %.4f  IoU %.4f\n", n_train,
            n_val ? "val" : "train", vl, vi);
    return CLI_EXIT_OK;
}

/* The number of steps of this run into *total (1..LONG_MAX - first), or a
 * CLI exit code: --steps S, or --epochs E of per_epoch steps each; the
 * global step numbers first .. first + total must fit a long. */
static int step_count(const train_args *a, long per_epoch, long first, long *total) {
    if (first < 0) {
        fprintf(stderr, "unetseg train: the trainer's step count is negative (%ld)\n", first);
        return CLI_EXIT_RUNTIME;
    }
    const long most = LONG_MAX - first; /* steps left before the step number overflows */
    if (a->steps > 0) {
        if (a->steps <= most) return *total = a->steps, CLI_EXIT_OK;
        fprintf(stderr, "unetseg train: --steps %ld: the resumed trainer is at step %ld, and step %ld + %ld"
                " is past the largest step number %ld\n", a->steps, first, first, a->steps, LONG_MAX);
        return CLI_EXIT_USAGE;
    }
    if (a->epochs <= most / per_epoch) return *total = a->epochs * per_epoch, CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: --epochs %ld: %ld epochs of %ld steps from step %ld go past the"
            " largest step number %ld\n", a->epochs, a->epochs, per_epoch, first, LONG_MAX);
    return CLI_EXIT_USAGE;
}

static int run_training(const train_args *a, unetseg_trainer *t, const unetseg_tensor *images,
                        const unetseg_tensor *masks, long n) {
    long n_val = (long)(a->val_split * (double)n), n_train = n - n_val;
    if (n_train < 1) {
        fprintf(stderr, "unetseg train: --val-split %g leaves no training sample of %ld\n", a->val_split, n);
        return CLI_EXIT_RUNTIME;
    }
    /* Keras: a batch size above the number of samples gives one batch of all
     * of them per epoch. Clamping also keeps every sum of batch sizes below
     * 2 n_train, far from overflow. (Evaluation and recalibration count
     * their batches by what is left, and take --batch as given.) */
    long batch = a->batch;
    if (batch > n_train) {
        fprintf(stderr, "unetseg train: --batch %ld is more than the %ld training samples: batches of %ld\n",
                batch, n_train, n_train);
        batch = n_train;
    }
    long per_epoch = (n_train - 1) / batch + 1, total = 0;
    /* Global step numbers continue a resumed trainer's: the epoch, the batch
     * within it, the shuffles and the flips all follow from them, so a
     * resumed run sees exactly the batches an uninterrupted one would. */
    int64_t first = 0;
    unetseg_trainer_progress(t, &first, NULL);
    int rc = step_count(a, per_epoch, (long)first, &total);
    if (rc) return rc;
    long *order = malloc((size_t)n * sizeof *order);
    if (!order) {
        fprintf(stderr, "unetseg train: out of memory for the order of %ld samples\n", n);
        return CLI_EXIT_RUNTIME;
    }
    for (long i = 0; i < n; i++) order[i] = i;
    /* the validation samples are the last ones of a first fixed shuffle */
    if (a->shuffle) shuffle(order, n, a->seed, -1);
    int live = a->progress || isatty(fileno(stderr));
    double start = now_seconds();
    long step = (long)first, end = step + total;
    for (long e = 0; a->shuffle && e < step / per_epoch; e++) shuffle(order, n_train, a->seed, e);
    for (long epoch = step / per_epoch; step < end && rc == CLI_EXIT_OK; epoch++) {
        if (a->shuffle) shuffle(order, n_train, a->seed, epoch);
        double sum = 0;
        long batches = 0;
        for (long b = (step % per_epoch) * batch; b < n_train && step < end; b += batch, step++) {
            long size = n_train - b < batch ? n_train - b : batch;
            unetseg_tensor *x = NULL, *y = NULL;
            double loss = 0;
            flips f = {a->flip, a->seed, step};
            int32_t st = gather_flipped(images, order, b, size, &f, &x);
            if (!st) st = gather_flipped(masks, order, b, size, &f, &y);
            if (!st) st = unetseg_trainer_step(t, x, y, &loss);
            unetseg_tensor_free(x);
            unetseg_tensor_free(y);
            if (st) {
                cli_report("train step", st);
                rc = CLI_EXIT_RUNTIME;
                break;
            }
            sum += loss;
            batches++;
            long done = step + 1 - (long)first;
            double elapsed = now_seconds() - start, per_step = elapsed / (double)done;
            if (live)
                fprintf(stderr, "\rstep %ld/%ld  loss %.4f  %.0f ms/step  ETA %.0f s   ", step + 1, end,
                        loss, per_step * 1e3, per_step * (double)(end - step - 1));
            if (a->checkpoint && a->checkpoint_every > 0 && (step + 1) % a->checkpoint_every == 0 &&
                (st = unetseg_trainer_save_checkpoint(t, a->checkpoint))) {
                cli_report(a->checkpoint, st);
                rc = CLI_EXIT_RUNTIME;
                break;
            }
        }
        if (rc) break;
        double vl = 0, vi = 0, elapsed = now_seconds() - start;
        int32_t st = evaluate(t, images, masks, order, n_val ? n_train : 0, n_val ? n_val : n_train,
                              a->batch, &vl, &vi);
        if (st) {
            cli_report("evaluate", st);
            rc = CLI_EXIT_RUNTIME;
            break;
        }
        if (live) fprintf(stderr, "\r");
        double per_step = elapsed / (double)(step - (long)first);
        fprintf(stderr, "epoch %ld  loss %.4f  %s loss %.4f  IoU %.4f  %.0f ms/step  ETA %.0f s\n",
                epoch + 1, batches ? sum / (double)batches : 0.0, n_val ? "val" : "train", vl, vi,
                per_step * 1e3, per_step * (double)(end - step));
    }
    int32_t cst;
    if (rc == CLI_EXIT_OK && a->checkpoint && (cst = unetseg_trainer_save_checkpoint(t, a->checkpoint))) {
        cli_report(a->checkpoint, cst);
        rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK && a->recalibrate) rc = recalibrate(a, t, images, masks, order, n_train, n_val);
    free(order);
    return rc;
}

/* "(8, 64, 64, 3)", as Python prints a shape. */
static const char *shape_text(const unetseg_tensor *t, char *buf, size_t size) {
    int64_t shape[UNETSEG_MAX_RANK];
    int32_t rank = 0;
    if (unetseg_tensor_rank(t, &rank) || unetseg_tensor_shape(t, shape, UNETSEG_MAX_RANK))
        return snprintf(buf, size, "(?)"), buf;
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int32_t k = 0; k < rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", k ? ", " : "",
                                 (long long)shape[k]);
    if (used < size) snprintf(buf + used, size - used, rank == 1 ? ",)" : ")");
    return buf;
}

/* Images (N, H, W, C) and masks (N, H, W, K) of the same N, H and W (each >= 1)
 * and, when --classes was given, K == classes: else a message naming both
 * shapes and CLI_EXIT_RUNTIME (a data error), before anything is trained. */
static int check_data(const char *data, const unetseg_tensor *images, const unetseg_tensor *masks,
                      long classes) {
    char is[160], ms[160];
    int64_t ish[4] = {0}, msh[4] = {0};
    int32_t irank = 0, mrank = 0;
    shape_text(images, is, sizeof is);
    shape_text(masks, ms, sizeof ms);
    if (unetseg_tensor_rank(images, &irank) || unetseg_tensor_rank(masks, &mrank)) {
        fprintf(stderr, "unetseg train: %s: no images or masks\n", data);
        return CLI_EXIT_RUNTIME;
    }
    if (irank != 4 || mrank != 4) {
        fprintf(stderr, "unetseg train: %s: images %s and masks %s must both have rank 4, "
                "(N, H, W, C) and (N, H, W, classes)\n", data, is, ms);
        return CLI_EXIT_RUNTIME;
    }
    unetseg_tensor_shape(images, ish, 4);
    unetseg_tensor_shape(masks, msh, 4);
    for (int k = 0; k < 4; k++)
        if (ish[k] < 1 || msh[k] < 1) {
            fprintf(stderr, "unetseg train: %s: images %s and masks %s: a dimension is 0\n", data, is, ms);
            return CLI_EXIT_RUNTIME;
        }
    const char *differ = ish[0] != msh[0]                      ? "number of samples (N)"
                         : ish[1] != msh[1] || ish[2] != msh[2] ? "height and width (H, W)"
                                                                : NULL;
    if (differ) {
        fprintf(stderr, "unetseg train: %s: images %s and masks %s differ in the %s\n", data, is, ms,
                differ);
        return CLI_EXIT_RUNTIME;
    }
    if (classes > 0 && msh[3] != classes) {
        fprintf(stderr, "unetseg train: %s: masks %s have %lld channel(s) but --classes is %ld "
                "(images %s)\n", data, ms, (long long)msh[3], classes, is);
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

/* The model's input channels must be the images' and its output channels the
 * masks' (a --weights file brings its own model): else a message naming the
 * shapes and CLI_EXIT_RUNTIME, before anything is trained. */
static int check_model(const char *data, const unetseg_model *m, const char *source,
                       const unetseg_tensor *images, const unetseg_tensor *masks) {
    char is[160], ms[160];
    int64_t ish[4], msh[4], in[4], out[4];
    int32_t count = 0, kind = -1;
    if (unetseg_model_layer_count(m, &count) || count < 1 || unetseg_model_layer_kind(m, 0, &kind) ||
        unetseg_model_layer_output_shape(m, 0, in) ||
        unetseg_model_layer_output_shape(m, count - 1, out) || unetseg_tensor_shape(images, ish, 4) ||
        unetseg_tensor_shape(masks, msh, 4)) {
        cli_report("model", UNETSEG_E_STATE);
        return CLI_EXIT_RUNTIME;
    }
    shape_text(images, is, sizeof is);
    shape_text(masks, ms, sizeof ms);
    if (kind == UNETSEG_LAYER_INPUT && in[3] != ish[3]) {
        fprintf(stderr, "unetseg train: %s: images %s have %lld channel(s) but the model (%s) takes "
                "%lld (masks %s)\n", data, is, (long long)ish[3], source, (long long)in[3], ms);
        return CLI_EXIT_RUNTIME;
    }
    if (out[3] != msh[3]) {
        fprintf(stderr, "unetseg train: %s: masks %s have %lld channel(s) but the model (%s) outputs "
                "%lld (images %s)\n", data, ms, (long long)msh[3], source, (long long)out[3], is);
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_OK;
}

int cli_train(int argc, char **argv) {
    train_args a = {.epochs = 1, .batch = 4, .optimizer = UNETSEG_OPTIMIZER_ADAM,
                    .loss = UNETSEG_LOSS_BCE, .lr = 1e-3, .shuffle = 1};
    unetseg_unet_options *o = NULL;
    cli_insertions ins;
    cli_insertions_init(&ins);
    int32_t st = unetseg_unet_options_create(&o);
    if (st) {
        cli_report("options", st);
        return CLI_EXIT_RUNTIME;
    }
    int rc = CLI_EXIT_OK;
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            train_usage(stdout);
            unetseg_unet_options_free(o);
            return CLI_EXIT_OK;
        }
        int r = 0;
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            /* kept for folder datasets; the model option parser checks it */
            long h = 0, w = 0, c = 3;
            if (sscanf(argv[i + 1], "%ldx%ldx%ld", &h, &w, &c) >= 2)
                a.height = h, a.width = w, a.channels = c;
        }
        if (strcmp(argv[i], "--classes") == 0 && i + 1 < argc) a.classes = strtol(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            /* one seed for the initialisation (a model option) and the masks */
            a.seed = strtoull(argv[i + 1], NULL, 10);
            r = cli_parse_model_option(o, argc, argv, &i);
        }
        if (r == 0) r = parse_train_option(&a, argc, argv, &i);
        if (r == 0) r = cli_parse_insert_option(&ins, argc, argv, &i);
        if (r == 0) r = cli_parse_model_option(o, argc, argv, &i);
        if (r == 0) fprintf(stderr, "unetseg train: unknown option '%s'\n", argv[i]);
        if (r <= 0) rc = CLI_EXIT_USAGE;
    }
    /* the numbers were range-checked as they were parsed */
    if (rc == CLI_EXIT_OK && !a.data) {
        fprintf(stderr, "unetseg train: --data is required\n");
        train_usage(stderr);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&ins);
    unetseg_tensor *images = NULL, *masks = NULL;
    unetseg_model *m = NULL;
    unetseg_trainer *t = NULL;
    int64_t shape[4] = {0}, mshape[4] = {0};
    struct stat info;
    if (rc == CLI_EXIT_OK && stat(a.data, &info) == 0 && S_ISDIR(info.st_mode)) {
        if (!cli_load_folder(a.data, a.height, a.width, a.channels ? a.channels : 3,
                             a.classes ? a.classes : 1, &images, &masks))
            rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK && !images &&
        ((st = unetseg_tensor_load(a.data, "images", &images)) ||
         (st = unetseg_tensor_load(a.data, "masks", &masks)))) {
        cli_report(a.data, st);
        rc = cli_exit_code(st);
    }
    /* every shape is checked before the first step: gather_flipped() and
     * copy_sample() index the masks by the images' sample numbers */
    if (rc == CLI_EXIT_OK) rc = check_data(a.data, images, masks, a.classes);
    if (rc == CLI_EXIT_OK) {
        unetseg_tensor_shape(images, shape, 4);
        unetseg_tensor_shape(masks, mshape, 4);
        if ((st = unetseg_unet_options_set_input_shape(o, -1, -1, shape[3])) ||
            (st = unetseg_unet_options_set_classes(o, mshape[3])))
            cli_report("--data", st);
        if (!st) st = open_or_build(&a, o, &ins, &m);
        if (!st) {
            rc = check_model(a.data, m, a.weights ? a.weights : "built from the options", images, masks);
            if (!rc) st = make_trainer(&a, m, &t);
        }
        if (st) rc = cli_exit_code(st);
    }
    if (rc == CLI_EXIT_OK) rc = run_training(&a, t, images, masks, (long)shape[0]);
    if (rc == CLI_EXIT_OK && a.save && (st = unetseg_model_save_weights(m, a.save))) {
        cli_report(a.save, st);
        rc = CLI_EXIT_RUNTIME;
    }
    unetseg_trainer_free(t);
    unetseg_model_free(m);
    unetseg_tensor_free(images);
    unetseg_tensor_free(masks);
    unetseg_unet_options_free(o);
    return rc;
}
