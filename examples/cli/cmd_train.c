/* unetseg train --data D [options]: train a Unet on tensors "images"
 * (N,H,W,C) and "masks" (N,H,W,classes) of a safetensors file, or on a
 * folder of images and masks, and save the weights. The loop is in
 * train_loop.c. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dist.h"
#include "files.h"
#include "images.h"
#include "prefetch.h"
#include "train.h"

static int32_t parse_loss(const char *s) {
    static const char *const names[] = {"bce",          "cce",          "dice",
                                        "jaccard",      "binary_focal", "categorical_focal",
                                        "bce_dice",     "bce_jaccard",  "cce_dice",
                                        "cce_jaccard"};
    for (int32_t i = 0; i < (int32_t)(sizeof names / sizeof *names); i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

static int loss(void *target, const char *flag, char *v) {
    train_options *a = target;
    if ((a->loss = parse_loss(v)) >= 0) return CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: %s: unknown loss '%s'\n", flag, v);
    return CLI_EXIT_USAGE;
}

static int optimizer(void *target, const char *flag, char *v) {
    train_options *a = target;
    a->optimizer = !strcmp(v, "sgd") ? UNETSEG_OPTIMIZER_SGD : !strcmp(v, "adam") ? UNETSEG_OPTIMIZER_ADAM : -1;
    if (a->optimizer >= 0) return CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: %s: '%s' is not sgd or adam\n", flag, v);
    return CLI_EXIT_USAGE;
}

static int val_bn(void *target, const char *flag, char *v) {
    train_options *a = target;
    static const char *const names[] = {"auto", "moving", "recalibrate", "batch"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) return a->val_bn = i, CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: %s: '%s' is not moving, recalibrate or batch\n", flag, v);
    return CLI_EXIT_USAGE;
}

static int cache(void *target, const char *flag, char *v) {
    train_options *a = target;
    static const char *const names[] = {"auto", "uint8", "none"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) return a->cache = i, CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: %s: '%s' is not auto, uint8 or none\n", flag, v);
    return CLI_EXIT_USAGE;
}

static int monitor(void *target, const char *flag, char *v) {
    train_options *a = target;
    a->monitor = !strcmp(v, "val_loss") ? MONITOR_VAL_LOSS : !strcmp(v, "val_iou") ? MONITOR_VAL_IOU : -1;
    if (a->monitor >= 0) return CLI_EXIT_OK;
    fprintf(stderr, "unetseg train: %s: '%s' is not val_iou or val_loss\n", flag, v);
    return CLI_EXIT_USAGE;
}

/* "A:B" split in place at its first ':' into *first and the rest. */
static int split(const char *flag, char *v, const char *form, char **rest) {
    char *colon = strchr(v, ':');
    if (colon) {
        *colon = '\0';
        *rest = colon + 1;
        return 1;
    }
    fprintf(stderr, "unetseg train: %s: '%s' is not %s\n", flag, v, form);
    return 0;
}

/* --schedule step:SIZE:GAMMA | cosine:TOTAL:MIN_LR */
static int schedule(void *target, const char *flag, char *v) {
    train_options *a = target;
    const char *form = "step:SIZE:GAMMA or cosine:TOTAL:MIN_LR";
    char *count = NULL, *real = NULL;
    if (!split(flag, v, form, &count) || !split(flag, count, form, &real)) return CLI_EXIT_USAGE;
    const cli_interval gamma = {0.0, 1.0, 1, 0}, min_lr = {0.0, (double)INFINITY, 0, 1};
    if (!strcmp(v, "step")) {
        a->schedule = UNETSEG_SCHEDULE_STEP;
        if (!cli_parse_integer(flag, count, 1, LONG_MAX, &a->schedule_steps) ||
            !cli_parse_real(flag, real, gamma, &a->schedule_gamma))
            return CLI_EXIT_USAGE;
    } else if (!strcmp(v, "cosine")) {
        a->schedule = UNETSEG_SCHEDULE_COSINE;
        if (!cli_parse_integer(flag, count, 1, LONG_MAX, &a->schedule_steps) ||
            !cli_parse_real(flag, real, min_lr, &a->schedule_min_lr))
            return CLI_EXIT_USAGE;
    } else {
        fprintf(stderr, "unetseg train: %s: '%s' is not step or cosine (%s)\n", flag, v, form);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* --reduce-lr-on-plateau FACTOR:PATIENCE */
static int plateau(void *target, const char *flag, char *v) {
    train_options *a = target;
    char *patience = NULL;
    const cli_interval factor = {0.0, 1.0, 1, 1};
    if (!split(flag, v, "FACTOR:PATIENCE", &patience) ||
        !cli_parse_real(flag, v, factor, &a->plateau_factor) ||
        !cli_parse_integer(flag, patience, 0, LONG_MAX, &a->plateau_patience))
        return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

static int min_delta(void *target, const char *flag, char *v) {
    train_options *a = target;
    const cli_interval range = {0.0, (double)INFINITY, 0, 1};
    if (!cli_parse_real(flag, v, range, &a->min_delta)) return CLI_EXIT_USAGE;
    a->min_delta_given = 1;
    return CLI_EXIT_OK;
}

/* --jitter B,C,G: brightness, contrast and gamma ranges, each in [0, 1). */
static int jitter(void *target, const char *flag, char *v) {
    train_options *a = target;
    char *parts[3] = {v, NULL, NULL};
    for (int k = 1; k < 3 && parts[k - 1]; k++)
        if ((parts[k] = strchr(parts[k - 1], ','))) *parts[k]++ = '\0';
    if (!parts[2] || strchr(parts[2], ',')) {
        fprintf(stderr, "unetseg train: %s: '%s' is not B,C,G (e.g. 0.2,0.2,0.2)\n", flag, v);
        return CLI_EXIT_USAGE;
    }
    const cli_interval range = CLI_FRACTION;
    for (int k = 0; k < 3; k++)
        if (!cli_parse_real(flag, parts[k], range, &a->jitter[k])) return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

#define FIELD(name) offsetof(train_options, name)
#define COUNT(name) CLI_INTEGER, .offset = FIELD(name), .min = 1, .max = LONG_MAX
static const cli_option train_table[] = {
    {"data", CLI_TEXT, .offset = FIELD(data)},
    {"weights", CLI_TEXT, .offset = FIELD(weights)},
    {"save", CLI_TEXT, .offset = FIELD(save)},
    {"checkpoint", CLI_TEXT, .offset = FIELD(checkpoint)},
    {"resume", CLI_TEXT, .offset = FIELD(resume)},
    {"epochs", COUNT(epochs)},
    {"steps", COUNT(steps)},
    {"batch", COUNT(batch)},
    {"checkpoint-every", COUNT(checkpoint_every)},
    {"threads", CLI_INTEGER, .offset = FIELD(threads), .min = 0, .max = 256}, /* 0: all cores */
    {"optimizer", CLI_CALL, .call = optimizer},
    {"loss", CLI_CALL, .call = loss},
    {"lr", CLI_REAL, .offset = FIELD(lr), .range = CLI_POSITIVE},
    {"momentum", CLI_REAL, .offset = FIELD(momentum), .range = CLI_FRACTION},
    {"val-split", CLI_REAL, .offset = FIELD(val_split), .range = CLI_FRACTION},
    {"no-shuffle", CLI_FLAG, .offset = FIELD(no_shuffle)},
    {"progress", CLI_FLAG, .offset = FIELD(progress)},
    {"flip", CLI_FLAG, .offset = FIELD(flip)},
    {"rot90", CLI_FLAG, .offset = FIELD(rot90)},
    {"crop", CLI_FLAG, .offset = FIELD(crop)},
    {"jitter", CLI_CALL, .call = jitter},
    {"encoder-weights", CLI_TEXT, .offset = FIELD(encoder_weights)},
    {"unfreeze-after", COUNT(unfreeze_after)},
    {"recalibrate-bn", CLI_FLAG, .offset = FIELD(recalibrate)},
    {"sync-bn", CLI_FLAG, .offset = FIELD(sync_bn)},
    {"max-pixels", CLI_INTEGER, .offset = FIELD(max_pixels), .min = 1, .max = CLI_IMAGE_MAX_PIXELS_LIMIT},
    {"val-bn", CLI_CALL, .call = val_bn},
    {"monitor", CLI_CALL, .call = monitor},
    {"early-stopping", CLI_INTEGER, .offset = FIELD(early_stopping), .min = 0, .max = LONG_MAX},
    {"min-delta", CLI_CALL, .call = min_delta},
    {"save-best", CLI_TEXT, .offset = FIELD(save_best)},
    {"reduce-lr-on-plateau", CLI_CALL, .call = plateau},
    {"schedule", CLI_CALL, .call = schedule},
    {"csv", CLI_TEXT, .offset = FIELD(csv)},
    {"cache", CLI_CALL, .call = cache},
    {"prefetch", CLI_INTEGER, .offset = FIELD(prefetch), .min = 0, .max = PREFETCH_MAX_DEPTH},
    {"plot", CLI_TEXT, .offset = FIELD(plot)},
    {.name = NULL},
};

static int parse_train_options(int argc, char **argv, void *options) {
    train_options *a = options;
    *a = (train_options){.epochs = 1, .batch = 4, .optimizer = UNETSEG_OPTIMIZER_ADAM,
                         .loss = UNETSEG_LOSS_BCE, .lr = 1e-3, .early_stopping = -1,
                         .prefetch = 2};
    const cli_group groups[] = {{train_table, a}, {cli_insert_table, &a->ins}, {cli_model_table, &a->model}};
    int rc = cli_parse_options(argc, argv, groups, 3);
    /* the numbers were range-checked as they were parsed */
    if (rc == CLI_EXIT_OK && !a->data) {
        fprintf(stderr, "unetseg train: --data is required\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && a->min_delta_given && a->early_stopping < 0 && a->plateau_factor <= 0) {
        fprintf(stderr, "unetseg train: --min-delta needs --early-stopping or --reduce-lr-on-plateau\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && a->crop && !a->model.size_given) {
        fprintf(stderr, "unetseg train: --crop needs --size HxW (the size of the crops)\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && a->unfreeze_after && !a->model.encoder_freeze) {
        fprintf(stderr, "unetseg train: --unfreeze-after needs --encoder-freeze\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && a->encoder_weights && a->weights) {
        fprintf(stderr, "unetseg train: --encoder-weights and --weights both give weights: use one\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&a->ins);
    if (rc == CLI_EXIT_OK) rc = cli_model_check(&a->model);
    return rc;
}

/* "(8, 64, 64, 3)", as Python prints a shape. */
static const char *dims_text(const int64_t *shape, int32_t rank, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int32_t k = 0; k < rank && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", k ? ", " : "",
                                 (long long)shape[k]);
    if (used < size) snprintf(buf + used, size - used, rank == 1 ? ",)" : ")");
    return buf;
}

static const char *shape_text(const unetseg_tensor *t, char *buf, size_t size) {
    int64_t shape[UNETSEG_MAX_RANK];
    int32_t rank = 0;
    if (unetseg_tensor_rank(t, &rank) || unetseg_tensor_shape(t, shape, UNETSEG_MAX_RANK))
        return snprintf(buf, size, "(?)"), buf;
    return dims_text(shape, rank, buf, size);
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
                       const train_data *d) {
    char is[160], ms[160];
    int64_t ish[4] = {d->n, d->h, d->w, d->c}, msh[4] = {d->n, d->h, d->w, d->classes}, in[4], out[4];
    int32_t count = 0, kind = -1;
    if (unetseg_model_layer_count(m, &count) || count < 1 || unetseg_model_layer_kind(m, 0, &kind) ||
        unetseg_model_layer_output_shape(m, 0, in) ||
        unetseg_model_layer_output_shape(m, count - 1, out)) {
        cli_report("model", UNETSEG_E_STATE);
        return CLI_EXIT_RUNTIME;
    }
    dims_text(ish, 4, is, sizeof is);
    dims_text(msh, 4, ms, sizeof ms);
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

static int32_t open_or_build(const train_options *a, const unetseg_unet_options *o,
                             const cli_insertions *ins, unetseg_model **m) {
    int32_t st;
    if (a->weights && !cli_check_input(a->weights)) return UNETSEG_E_IO; /* reported */
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
    if (a->encoder_weights && (st = cli_load_encoder_weights(a->encoder_weights, *m))) return st;
    return cli_apply_insertions(*m, ins);
}

/* The checkpoint of --resume. With --unfreeze-after, a checkpoint written
 * after the unfreezing holds the encoder's optimizer moments and needs an
 * unfrozen trainer; one written before lacks them (NOT_FOUND for an
 * unfrozen trainer) and is loaded frozen. The loads are all-or-nothing, so
 * the first attempt leaves nothing behind. */
static int32_t resume(const train_options *a, unetseg_model *m, unetseg_trainer *t) {
    if (!a->unfreeze_after) return unetseg_trainer_load_checkpoint(t, a->resume);
    train_freeze f;
    int32_t st = train_freeze_init(&f, m);
    if (!st) st = train_freeze_set(&f, m, t, 0);
    if (!st) st = unetseg_trainer_load_checkpoint(t, a->resume);
    if (st == UNETSEG_E_NOT_FOUND && f.n && !(st = train_freeze_set(&f, m, t, 1)))
        st = unetseg_trainer_load_checkpoint(t, a->resume);
    train_freeze_free(&f);
    return st;
}

static int32_t make_trainer(const train_options *a, unetseg_model *m, unetseg_trainer **t) {
    unetseg_train_options *to = NULL;
    int32_t st = unetseg_model_set_threads(m, (int32_t)a->threads);
    if (!st) st = unetseg_train_options_create(&to);
    if (!st) st = unetseg_train_options_set_loss(to, a->loss);
    if (!st) st = unetseg_train_options_set_optimizer(to, a->optimizer, a->lr);
    if (!st && a->optimizer == UNETSEG_OPTIMIZER_SGD)
        st = unetseg_train_options_set_sgd(to, a->momentum, 0, 0.0);
    if (!st) st = unetseg_train_options_set_seed(to, a->model.seed);
    if (!st && a->schedule != UNETSEG_SCHEDULE_CONSTANT)
        st = unetseg_train_options_set_schedule(to, a->schedule, a->schedule_steps, a->schedule_gamma,
                                                a->schedule_steps, a->schedule_min_lr);
    if (!st) st = unetseg_trainer_create(m, to, t);
    unetseg_train_options_free(to);
    if (st) {
        cli_report("trainer", st);
    } else if (a->resume && !cli_check_input(a->resume)) {
        st = UNETSEG_E_IO; /* reported */
    } else if (a->resume && (st = resume(a, m, *t))) {
        cli_report(a->resume, st);
    }
    return st;
}

/* The data of --data: a folder (resized to --size, if given; with --crop
 * kept at the first image's size, for crops of --size; decoded once or
 * streamed as --cache says) or a safetensors file, whose shapes are all
 * checked before the first step (gather_samples() indexes the masks by the
 * images' sample numbers). An exit code. */
int cli_train_load(const train_options *a, train_data *d) {
    const cli_model_args *m = &a->model;
    const int resize = m->size_given && !a->crop;
    struct stat info;
    *d = (train_data){0};
    if (stat(a->data, &info) == 0 && S_ISDIR(info.st_mode))
        return train_data_open_folder(d, a->data, resize ? m->height : 0, resize ? m->width : 0,
                                      m->size_given ? m->channels : 3, m->classes ? m->classes : 1,
                                      a->cache, cli_dist_size() > 1 && a->no_shuffle)
                   ? CLI_EXIT_OK
                   : CLI_EXIT_RUNTIME;
    if (!cli_check_input(a->data)) return CLI_EXIT_RUNTIME; /* a FIFO: refused, not waited on */
    unetseg_tensor *images = NULL, *masks = NULL;
    int32_t st = unetseg_tensor_load(a->data, "images", &images);
    if (!st) st = unetseg_tensor_load(a->data, "masks", &masks);
    if (st) cli_report(a->data, st);
    int rc = cli_exit_code(st);
    if (rc == CLI_EXIT_OK) rc = check_data(a->data, images, masks, (long)a->model.classes);
    if (rc != CLI_EXIT_OK) {
        unetseg_tensor_free(images);
        unetseg_tensor_free(masks);
        return rc;
    }
    train_data_from_tensors(d, images, masks);
    return CLI_EXIT_OK;
}

/* The model (its input channels and classes from the data) and its trainer:
 * an exit code. */
static int build(const train_options *a, const train_data *d, unetseg_model **m, unetseg_trainer **t) {
    unetseg_unet_options *o = NULL;
    int rc = cli_model_build(&a->model, &o);
    if (rc) return rc;
    int32_t st = unetseg_unet_options_set_input_shape(o, -1, -1, d->c);
    if (!st) st = unetseg_unet_options_set_classes(o, d->classes);
    if (st) cli_report(a->data, st);
    if (!st) st = open_or_build(a, o, &a->ins, m);
    unetseg_unet_options_free(o);
    if (st) return cli_exit_code(st);
    rc = check_model(a->data, *m, a->weights ? a->weights : "built from the options", d);
    if (!rc && (st = make_trainer(a, *m, t))) rc = cli_exit_code(st);
    if (!rc) rc = cli_dist_attach(*t, a->sync_bn);
    return rc;
}

/* Under mpirun (dist.h): every rank trains, rank 0 alone writes files. */
static int run_train_ranked(const train_options *a);

static int run_train(void *options) {
    int rc = cli_dist_begin();
    if (rc) return rc;
    train_options mine = *(const train_options *)options;
    if (cli_dist_rank() > 0) /* the same weights as rank 0's: nothing to write */
        mine.save = mine.checkpoint = mine.save_best = mine.csv = mine.plot = NULL;
    return cli_dist_end(run_train_ranked(&mine));
}

static int run_train_ranked(const train_options *a) {
    train_data d = {0};
    unetseg_model *m = NULL;
    unetseg_trainer *t = NULL;
    int32_t st;
    cli_output save, checkpoint;
    /* the files written after training can be written: their directories
     * exist (made as predict makes them) and the paths pass the output rules
     * (files.h) before the first step */
    int rc = cli_make_parent_dirs(a->save) && cli_make_parent_dirs(a->checkpoint) &&
                     cli_make_parent_dirs(a->save_best) && cli_make_parent_dirs(a->csv) &&
                     cli_make_parent_dirs(a->plot) &&
                     (!a->save || cli_output_prepare(a->save, &save)) &&
                     (!a->checkpoint || cli_output_prepare(a->checkpoint, &checkpoint)) &&
                     (!a->save_best || cli_output_prepare(a->save_best, &save)) &&
                     (!a->csv || cli_output_prepare(a->csv, &save)) &&
                     (!a->plot || cli_output_prepare(a->plot, &save))
                 ? CLI_EXIT_OK
                 : CLI_EXIT_RUNTIME;
    if (a->max_pixels) cli_image_set_max_pixels(a->max_pixels);
    if (rc == CLI_EXIT_OK) rc = cli_train_load(a, &d);
    if (rc == CLI_EXIT_OK) rc = build(a, &d, &m, &t);
    if (rc == CLI_EXIT_OK) rc = train_run(a, m, t, &d);
    if (rc == CLI_EXIT_OK && a->save && !cli_output_prepare(a->save, &save)) rc = CLI_EXIT_RUNTIME;
    if (rc == CLI_EXIT_OK && a->save && (st = unetseg_model_save_weights(m, save.path))) {
        cli_report(a->save, st);
        rc = CLI_EXIT_RUNTIME;
    }
    if (rc == CLI_EXIT_OK && a->save) cli_output_done(&save);
    unetseg_trainer_free(t);
    unetseg_model_free(m);
    train_data_free(&d);
    return rc;
}

const cli_command cli_command_train = {
    "train", "train a Unet on images and masks (safetensors or a folder)",
    "usage: unetseg train --data D.safetensors [--epochs E | --steps S] [--batch B]\n"
    "         [--optimizer sgd|adam] [--lr LR] [--momentum M] [--loss NAME] [--seed S]\n"
    "         [--no-shuffle] [--val-split F] [--weights W] [--save OUT]\n"
    "         [--checkpoint CKPT [--checkpoint-every N]] [--resume CKPT] [--progress]\n"
    "         [--threads N] [--flip] [--rot90] [--crop] [--jitter B,C,G]\n"
    "         [--encoder-weights E.safetensors] [--encoder-freeze [--unfreeze-after N]]\n"
    "         [--recalibrate-bn] [--max-pixels N] [--sync-bn]\n"
    "         [--val-bn moving|recalibrate|batch] [--monitor val_loss|val_iou]\n"
    "         [--early-stopping PATIENCE [--min-delta D]] [--save-best PATH]\n"
    "         [--reduce-lr-on-plateau FACTOR:PATIENCE]\n"
    "         [--schedule step:SIZE:GAMMA|cosine:TOTAL:MIN_LR] [--csv PATH] [--plot PNG]\n"
    "         [--cache auto|uint8|none] [--prefetch N]\n"
    "         [model options as for summary] [--insert EXPR ...]\n"
    "D is a safetensors file with 'images' (N,H,W,C) and 'masks' (N,H,W,classes,\n"
    "0/1), or a folder with images/*.png|jpg and masks/*.png of the same names\n"
    "(binary masks, or class indices when --classes > 1), resized to --size.\n"
    "--flip: random horizontal and vertical flips of each training sample;\n"
    "--rot90: random quarter turns (square samples); --crop: random crops of\n"
    "--size from larger samples (a folder is read at its first image's size;\n"
    "validation takes the centred crop); all applied alike to image and mask.\n"
    "--jitter B,C,G (each in [0, 1); albumentations-like 0.2,0.2,0.2): image only,\n"
    "y = clip(a*x + b*M, 0, M), then M*(y/M)^g, a in [1-C, 1+C], b in [-B, B],\n"
    "g in [1-G, 1+G], M = 255 for pixels in [0, 255] (1 for [0, 1]).\n"
    "Augmentation draws follow from --seed, the step and the sample: --resume\n"
    "draws the same. --encoder-weights: encoder-only weights (the encoder-only\n"
    "output of keras_to_safetensors.py) into the new model; --encoder-freeze\n"
    "freezes the encoder except its BatchNorm layers (segmentation_models'\n"
    "encoder_freeze);\n"
    "--unfreeze-after N unfreezes it after epoch N (optimizer state kept).\n"
    "--cache: a folder is decoded once and held as 8-bit pixels (uint8), or\n"
    "decoded batch by batch from disk (none); auto (the default) holds it when\n"
    "that takes at most 1024 MB. --prefetch N (0..16, default 2): batches made\n"
    "ahead on a thread; the run is the same whatever N.\n"
    "--checkpoint: written every N steps and at the end (before --recalibrate-bn);\n"
    "--resume continues the step count, batch order and flips exactly.\n"
    "--recalibrate-bn: after training, set the BatchNorm moving statistics to\n"
    "the average batch statistics of the final weights over the training set.\n"
    "--val-bn: BatchNorm in the per-epoch validation: recalibrated first on up to\n"
    "256 training images (the default for runs ending before step 3000), the\n"
    "moving statistics (the default for longer runs), or each batch's own.\n"
    "--monitor (default val_loss) drives --save-best (the weights of the best\n"
    "epoch so far), --early-stopping (stop after PATIENCE epochs without an\n"
    "improvement > D, restore the best weights) and --reduce-lr-on-plateau (the\n"
    "learning rate times FACTOR after PATIENCE such epochs). --schedule: per step,\n"
    "lr*GAMMA^floor(step/SIZE), or cosine from lr to MIN_LR over TOTAL steps.\n"
    "--csv: one row per epoch (epoch,lr,loss,val_loss,val_iou,val_f1,[val_iou_K,]\n"
    "seconds); --plot: loss and IoU curves; both rewritten after every epoch.\n"
    "Under mpirun -np N (a build with MPI): --batch is per rank (global batch\n"
    "N x B), gradients are averaged, rank 0 writes every file; --sync-bn: BatchNorm\n"
    "statistics over all ranks' batches (docs/SCALING.md).\n"
    "--checkpoint also writes CKPT.state (history, callbacks) and, with\n"
    "--early-stopping, CKPT.best.safetensors, which --resume reads.\n"
    "losses: bce cce dice jaccard binary_focal categorical_focal bce_dice bce_jaccard\n"
    "        cce_dice cce_jaccard\n"
    "--epochs, --steps, --batch, --checkpoint-every >= 1; --lr > 0; --momentum and\n"
    "--val-split in [0, 1); --threads 0..256 (0: all cores); --max-pixels N refuses\n"
    "folder images of more pixels (default 16777216, up to 268435456).\n"
    "--early-stopping PATIENCE >= 0; --min-delta D >= 0; FACTOR in (0, 1),\n"
    "PATIENCE >= 0; SIZE, TOTAL >= 1; GAMMA in (0, 1]; MIN_LR >= 0;\n"
    "--unfreeze-after N >= 1.\n",
    sizeof(train_options), parse_train_options, run_train,
};
