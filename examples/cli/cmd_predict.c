/* unetseg predict --weights W --input X --output Y [--dump L1,L2] [model options]
 * X is a safetensors file with an NHWC F32 tensor "input" (Y receives
 * "output" and, for --dump, "act/<layer>" tensors), or an image file
 * (predict_image.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "files.h"
#include "images.h"

#define MAX_DUMP 64

typedef struct predict_options {
    const char *weights, *input, *output;
    cli_image_outputs images; /* --probabilities, --overlay, --panel, --truth */
    const char *layers[MAX_DUMP];
    int n_dump;
    long long mc, repeat, threads, max_pixels;
    long long kernel_cache_mib; /* --kernel-cache; -1: the library's default */
    unsigned long long mc_seed;
    int image_mode;  /* the input is an image file */
    int folder_mode; /* the input is a directory of images */
    int profile;     /* --profile: the per-layer table on stderr at the end */
    cli_model_args model;
    cli_insertions ins;
    cli_tiling tiling; /* --tile, --overlap, --blend, --tile-batch, --tile-margin, --no-tile */
} predict_options;

/* --dump a,b,c: split in place. */
static int dump(void *target, const char *flag, char *v) {
    predict_options *o = target;
    char *save = NULL;
    o->n_dump = 0;
    for (char *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->n_dump == MAX_DUMP) {
            fprintf(stderr, "unetseg: %s: more than %d layers\n", flag, MAX_DUMP);
            return CLI_EXIT_USAGE;
        }
        o->layers[o->n_dump++] = tok;
    }
    if (o->n_dump > 0) return CLI_EXIT_OK;
    fprintf(stderr, "unetseg: %s wants LAYER[,LAYER...]\n", flag);
    return CLI_EXIT_USAGE;
}

/* The largest --kernel-cache in MiB (1 TiB). */
#define KERNEL_CACHE_MAX_MIB (1LL << 20)

/* --kernel-cache MIB: 0 keeps no transformed kernel (least memory). */
static int kernel_cache(void *target, const char *flag, char *v) {
    predict_options *o = target;
    return cli_parse_integer(flag, v, 0, KERNEL_CACHE_MAX_MIB, &o->kernel_cache_mib) ? CLI_EXIT_OK
                                                                                    : CLI_EXIT_USAGE;
}

#define FIELD(name) offsetof(predict_options, name)
static const cli_option predict_table[] = {
    {"weights", CLI_TEXT, .offset = FIELD(weights)},
    {"input", CLI_TEXT, .offset = FIELD(input)},
    {"output", CLI_TEXT, .offset = FIELD(output)},
    {"probabilities", CLI_TEXT, .offset = FIELD(images.probabilities)},
    {"overlay", CLI_TEXT, .offset = FIELD(images.overlay)},
    {"panel", CLI_TEXT, .offset = FIELD(images.panel)},
    {"truth", CLI_TEXT, .offset = FIELD(images.truth)},
    {"dump", CLI_CALL, .call = dump},
    {"mc", CLI_INTEGER, .offset = FIELD(mc), .min = 1, .max = 1000},
    {"mc-seed", CLI_UNSIGNED, .offset = FIELD(mc_seed)},
    {"repeat", CLI_INTEGER, .offset = FIELD(repeat), .min = 1, .max = 100000},
    {"threads", CLI_INTEGER, .offset = FIELD(threads), .min = 0, .max = 256}, /* 0: all cores */
    {"kernel-cache", CLI_CALL, .call = kernel_cache},
    {"profile", CLI_FLAG, .offset = FIELD(profile)},
    {"max-pixels", CLI_INTEGER, .offset = FIELD(max_pixels), .min = 1, .max = CLI_IMAGE_MAX_PIXELS_LIMIT},
    {.name = NULL},
};

static int usage_error(const char *why) {
    fprintf(stderr, "unetseg predict: %s\n", why);
    return CLI_EXIT_USAGE;
}

static int parse_predict_options(int argc, char **argv, void *options) {
    predict_options *o = options;
    o->kernel_cache_mib = -1;
    const cli_group groups[] = {{predict_table, o},
                                {cli_insert_table, &o->ins},
                                {cli_model_table, &o->model},
                                {cli_tile_table, &o->tiling}};
    int rc = cli_parse_options(argc, argv, groups, 4);
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&o->ins);
    if (rc == CLI_EXIT_OK) rc = cli_tiling_check(&o->tiling);
    if (rc == CLI_EXIT_OK && o->tiling.tile && (o->n_dump || o->repeat))
        rc = usage_error("--dump and --repeat run the whole input: not with --tile");
    o->image_mode = o->input && cli_is_image_path(o->input);
    o->folder_mode = o->input && cli_is_directory(o->input);
    if (rc == CLI_EXIT_OK && o->folder_mode &&
        (o->n_dump || o->repeat || o->images.probabilities || o->images.overlay || o->images.panel ||
         o->images.truth))
        rc = usage_error("with a folder --input only --output (a folder) and --mc: not --dump, "
                         "--repeat, --probabilities, --overlay, --panel or --truth");
    if (rc == CLI_EXIT_OK && o->image_mode && (o->n_dump || o->repeat))
        rc = usage_error("--dump and --repeat need a safetensors input");
    if (rc == CLI_EXIT_OK && (!o->weights || !o->input || (!o->output && !o->image_mode)))
        rc = usage_error("--weights, --input and (for a safetensors input) --output are required");
    if (rc == CLI_EXIT_OK) rc = cli_model_check(&o->model);
    return rc;
}

/* The model: rebuilt from the file's metadata, or built from the options and
 * loaded strictly (weights converted from Keras carry no unetseg metadata). */
static int32_t open_model(const char *weights, const unetseg_unet_options *o, unetseg_model **m) {
    int32_t st = unetseg_model_load(weights, m);
    if (st != UNETSEG_E_FORMAT) return st;
    if ((st = unetseg_unet_create(o, m))) return st;
    st = unetseg_model_load_weights(*m, weights, UNETSEG_LOAD_STRICT, NULL);
    if (st) {
        unetseg_model_free(*m);
        *m = NULL;
    }
    return st;
}

/* The model with its insertions and thread count: an exit code. */
static int prepare_model(const predict_options *o, unetseg_model **m) {
    /* the library opens before it checks: a FIFO would block it for ever */
    if (!cli_check_input(o->weights)) return CLI_EXIT_RUNTIME;
    unetseg_unet_options *uo = NULL;
    int rc = cli_model_build(&o->model, &uo);
    if (rc) return rc;
    int32_t st = open_model(o->weights, uo, m);
    unetseg_unet_options_free(uo);
    if (st) cli_report(o->weights, st);
    else if ((st = cli_apply_insertions(*m, &o->ins)))
        ; /* reported */
    else if ((st = unetseg_model_set_threads(*m, (int32_t)o->threads)))
        cli_report("--threads", st);
    else if (o->kernel_cache_mib >= 0 &&
             (st = unetseg_model_set_kernel_cache_limit(*m, o->kernel_cache_mib << 20)))
        cli_report("--kernel-cache", st);
    else if (o->profile && (st = unetseg_model_set_profiling(*m, 1)))
        cli_report("--profile", st);
    return cli_exit_code(st);
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* --repeat N: one warm-up, then N timed forward passes; the median goes to
 * stderr as forward_ms_median=X (like trtexec). With --profile, the table
 * of those N passes follows it (and profiling stops there: the pass that
 * writes the output may run another way, unfused with --dump). */
static int32_t time_forward(unetseg_model *m, const unetseg_tensor *input, long long repeat,
                            int profile) {
    double *ms = malloc((size_t)repeat * sizeof *ms);
    if (!ms) {
        fprintf(stderr, "unetseg: --repeat %lld: out of memory for the times\n", repeat);
        return UNETSEG_E_NOMEM;
    }
    int32_t st = UNETSEG_OK;
    for (long long i = -1; i < repeat && !st; i++) {
        unetseg_tensor *y = NULL;
        struct timespec t0, t1;
        if (profile && i == 0 && (st = unetseg_model_set_profiling(m, 1))) break;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        st = unetseg_model_forward(m, input, &y);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        unetseg_tensor_free(y);
        if (i >= 0) ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-6;
    }
    if (st) {
        cli_report("forward", st);
    } else {
        qsort(ms, (size_t)repeat, sizeof *ms, compare_doubles);
        double median = repeat % 2 ? ms[repeat / 2] : 0.5 * (ms[repeat / 2 - 1] + ms[repeat / 2]);
        fprintf(stderr, "forward_ms_median=%.2f\n", median);
        const char *table = NULL;
        if (profile && (st = unetseg_model_profile(m, &table)) == UNETSEG_OK) fputs(table, stderr);
        if (profile && !st) st = unetseg_model_set_profiling(m, 0);
        if (st) cli_report("--profile", st);
    }
    free(ms);
    return st;
}

/* --mc T: mean, std and entropy maps of T Monte-Carlo dropout passes
 * (tile by tile with `tiles`). */
static int32_t write_mc(unetseg_model *m, const unetseg_tensor *input, int32_t samples,
                        uint64_t seed, const char *path, const unetseg_tile_options *tiles) {
    unetseg_tensor *mean = NULL, *std = NULL, *entropy = NULL;
    int32_t st = tiles ? unetseg_model_predict_tiled_mc(m, input, tiles, samples, seed, &mean, &std, &entropy)
                       : unetseg_model_predict_mc(m, input, samples, seed, &mean, &std, &entropy);
    if (st) {
        cli_report("predict --mc", st);
    } else {
        const char *names[3] = {"mean", "std", "entropy"};
        const unetseg_tensor *tensors[3] = {mean, std, entropy};
        cli_output out;
        if (!cli_output_prepare(path, &out)) st = UNETSEG_E_IO; /* reported */
        else if ((st = unetseg_tensors_save(out.path, names, tensors, 3))) cli_report(path, st);
        else cli_output_done(&out);
    }
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_tensor_free(entropy);
    return st;
}

/* "output" and "act/<layer>" for each --dump layer into --output. */
static int32_t save_outputs(const predict_options *o, const unetseg_tensor *output,
                            unetseg_tensor *const *acts) {
    char *names[MAX_DUMP + 1] = {"output"};
    const unetseg_tensor *tensors[MAX_DUMP + 1] = {output};
    int32_t st = UNETSEG_OK;
    for (int i = 0; i < o->n_dump; i++) {
        size_t len = strlen(o->layers[i]) + 5;
        if (!(names[i + 1] = malloc(len))) st = UNETSEG_E_NOMEM;
        else snprintf(names[i + 1], len, "act/%s", o->layers[i]);
        tensors[i + 1] = acts[i];
    }
    cli_output out;
    if (st) fprintf(stderr, "unetseg: out of memory for the names of the --dump tensors\n");
    else if (!cli_output_prepare(o->output, &out)) st = UNETSEG_E_IO; /* reported */
    else if ((st = unetseg_tensors_save(out.path, (const char *const *)names, tensors, o->n_dump + 1)))
        cli_report(o->output, st);
    else cli_output_done(&out);
    for (int i = 0; i < o->n_dump; i++) free(names[i + 1]);
    return st;
}

static int32_t forward_and_save(const predict_options *o, unetseg_model *m, const unetseg_tensor *input,
                                const unetseg_tile_options *tiles) {
    unetseg_tensor *output = NULL, *acts[MAX_DUMP] = {0};
    int32_t st = tiles ? unetseg_model_predict_tiled(m, input, tiles, &output)
                       : unetseg_model_forward_with_activations(m, input, o->layers, o->n_dump, acts, &output);
    if (st) cli_report(tiles ? "predict (tiled)" : "forward", st);
    else st = save_outputs(o, output, acts);
    for (int i = 0; i < o->n_dump; i++) unetseg_tensor_free(acts[i]);
    unetseg_tensor_free(output);
    return st;
}

static int predict_on_tensor(const predict_options *o, unetseg_model *m) {
    unetseg_tensor *input = NULL;
    unetseg_tile_options *tiles = NULL;
    int64_t shape[4] = {0};
    int32_t st = UNETSEG_E_IO; /* a FIFO or device: reported, never opened by the library */
    if (cli_check_input(o->input) && (st = unetseg_tensor_load(o->input, "input", &input)))
        cli_report(o->input, st);
    else if (unetseg_tensor_shape(input, shape, 4) == UNETSEG_OK &&
             cli_tiling_wanted(&o->tiling, shape[1], shape[2])) {
        /* --dump and --repeat with a large input: refused, as with --tile */
        if (o->n_dump || o->repeat) {
            fprintf(stderr, "unetseg predict: the input has more than %d pixels, so it is tiled: "
                            "--dump and --repeat need --no-tile\n", CLI_TILE_THRESHOLD);
            st = UNETSEG_E_INVALID_ARG;
        } else {
            st = cli_tiling_options(&o->tiling, shape[1], shape[2], &tiles);
        }
    }
    if (!st && o->repeat > 0) st = time_forward(m, input, o->repeat, o->profile);
    if (!st) st = o->mc > 0 ? write_mc(m, input, (int32_t)o->mc, o->mc_seed, o->output, tiles)
                            : forward_and_save(o, m, input, tiles);
    unetseg_tile_options_free(tiles);
    unetseg_tensor_free(input);
    return cli_exit_code(st);
}

/* The heat maps of --mc go next to the mask (or into the current directory). */
static int predict_on_image(const predict_options *o, unetseg_model *m) {
    char mc_dir[4096] = ".";
    const char *slash = o->output ? strrchr(o->output, '/') : NULL;
    if (slash) snprintf(mc_dir, sizeof mc_dir, "%.*s", (int)(slash - o->output), o->output);
    cli_image_outputs images = o->images;
    images.output = o->output;
    images.mc_dir = mc_dir;
    return cli_predict_image(m, o->input, &images, (int32_t)o->mc, o->mc_seed, &o->tiling);
}

static int run_predict(void *options) {
    const predict_options *o = options;
    unetseg_model *m = NULL;
    /* output files may name directories that do not exist yet */
    const char *outputs[] = {o->output, o->images.probabilities, o->images.overlay, o->images.panel};
    cli_output out;
    for (size_t k = o->folder_mode ? 1 : 0; k < sizeof outputs / sizeof *outputs; k++)
        if (outputs[k] && (!cli_make_parent_dirs(outputs[k]) || !cli_output_prepare(outputs[k], &out)))
            return CLI_EXIT_RUNTIME; /* refused before any work, and again when written */
    if (o->max_pixels) cli_image_set_max_pixels(o->max_pixels);
    int rc = prepare_model(o, &m);
    if (rc == CLI_EXIT_OK && o->folder_mode)
        rc = cli_predict_folder(m, o->input, o->output, (int32_t)o->mc, o->mc_seed, &o->tiling);
    else if (rc == CLI_EXIT_OK)
        rc = o->image_mode ? predict_on_image(o, m) : predict_on_tensor(o, m);
    const char *table = NULL;
    if (rc == CLI_EXIT_OK && o->profile && !o->repeat && unetseg_model_profile(m, &table) == UNETSEG_OK)
        fputs(table, stderr);
    unetseg_model_free(m);
    return rc;
}

const cli_command cli_command_predict = {
    "predict", "run a model on an image or a safetensors tensor",
    "usage: unetseg predict --weights W.safetensors --input X.safetensors\n"
    "         --output Y.safetensors [--dump LAYER[,LAYER...]] [model options]\n"
    "         [--insert EXPR [--dropout K] [--rate R] [--mode M] [--spatial] [--before]\n"
    "          [--suffix S]]...\n"
    "         [--mc T [--mc-seed S]]   (writes mean, std, entropy instead of output)\n"
    "         [--threads N] [--repeat N] (time N forward passes: forward_ms_median=X)\n"
    "         [--kernel-cache MIB] [--profile] (per-layer times on stderr: of the\n"
    "          --repeat passes, else of the whole run)\n"
    "         [--max-pixels N]\n"
    "         [--tile N [--overlap M] [--blend gaussian|uniform] [--tile-batch B]\n"
    "          [--tile-margin P]] [--no-tile]\n"
    "       unetseg predict --weights W --input DIR --output OUT [--mc T] [model options]\n"
    "With an image input (.png/.jpg/.bmp, raw 0..255 pixels): --output is a PNG\n"
    "mask (0/255, or class indices), plus [--probabilities P.png] [--overlay O.png];\n"
    "--mc T writes mean.png, std.png, entropy.png next to --output, and\n"
    "[--panel P.png [--truth MASK.png]] a side-by-side panel.\n"
    "The model comes from the weights file's unetseg metadata when it has any,\n"
    "otherwise from the model options (as for 'unetseg summary').\n"
    "With a folder input: every image file of DIR (by name, not recursive), one at\n"
    "a time (a thread decodes the next ones meanwhile, at most 2 ahead, and another\n"
    "writes the outputs of the one before); the mask\n"
    "of NAME.EXT goes to OUT/NAME.png (--mc: OUT/NAME_mc/); a file that fails is\n"
    "reported and skipped, and the run ends with exit status 1 and the list of\n"
    "failures.\n"
    "--max-pixels N: refuse image inputs of more pixels (default 16777216, up to\n"
    "268435456).\n"
    "--dump: at most 64 layers; --mc 1..1000; --repeat 1..100000; --threads 0..256\n"
    "(0: all cores).\n"
    "--kernel-cache MIB (0..1048576): memory for the Winograd kernels a model keeps\n"
    "between passes (default 48; 256 keeps all of Unet('resnet34')'s 233 MiB at\n"
    "256x256: 3-15 % faster; 0 keeps none: least memory, slower; the results\n"
    "are the same bits either way).\n"
    "Tiled prediction (any input size, memory of one batch of tiles plus the\n"
    "output): --tile N (1..65536; a multiple of 32 for Unet) cuts the input into\n"
    "N x N tiles overlapping by --overlap M pixels (default N/4), blended with\n"
    "--blend gaussian (default) or uniform weights, --tile-batch B (1..1024,\n"
    "default 1) tiles per pass, --tile-margin P (default 0) pixels of each tile\n"
    "side used as context only; the image is reflected at its borders, never\n"
    "resized. Inputs of more than 1048576 pixels are tiled by default (tile 512,\n"
    "said on stderr); --no-tile runs them whole.\n",
    sizeof(predict_options), parse_predict_options, run_predict,
};
