/* unetseg predict --weights W --input X --output Y [--dump L1,L2] [model options]
 * X is a safetensors file with an NHWC F32 tensor "input"; Y receives
 * "output" and, for --dump, "act/<layer>" tensors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define MAX_DUMP 64

static void predict_usage(FILE *f) {
    fprintf(f, "usage: unetseg predict --weights W.safetensors --input X.safetensors\n"
               "         --output Y.safetensors [--dump LAYER[,LAYER...]] [model options]\n"
               "         [--insert EXPR [--dropout K] [--rate R] [--mode M] [--spatial] [--before]\n"
               "          [--suffix S]]...\n"
               "         [--mc T [--mc-seed S]]   (writes mean, std, entropy instead of output)\n"
               "         [--threads N] [--repeat N] (time N forward passes: forward_ms_median=X)\n"
               "With an image input (.png/.jpg/.bmp, raw 0..255 pixels): --output is a PNG\n"
               "mask (0/255, or class indices), plus [--probabilities P.png] [--overlay O.png];\n"
               "--mc T writes mean.png, std.png, entropy.png next to --output, and\n"
               "[--panel P.png [--truth MASK.png]] a side-by-side panel.\n"
               "The model comes from the weights file's unetseg metadata when it has any,\n"
               "otherwise from the model options (as for 'unetseg summary').\n");
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

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* --repeat N: one warm-up, then N timed forward passes; the median goes to
 * stderr as forward_ms_median=X (like trtexec). */
static int32_t time_forward(unetseg_model *m, const unetseg_tensor *input, long repeat) {
    double *ms = malloc((size_t)repeat * sizeof *ms);
    if (!ms) return UNETSEG_E_NOMEM;
    int32_t st = UNETSEG_OK;
    for (long i = -1; i < repeat && !st; i++) {
        unetseg_tensor *y = NULL;
        struct timespec t0, t1;
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
    }
    free(ms);
    return st;
}

/* --mc T: mean, std and entropy maps of T Monte-Carlo dropout passes. */
static int32_t write_mc(unetseg_model *m, const unetseg_tensor *input, int32_t samples,
                        uint64_t seed, const char *path) {
    unetseg_tensor *mean = NULL, *std = NULL, *entropy = NULL;
    int32_t st = unetseg_model_predict_mc(m, input, samples, seed, &mean, &std, &entropy);
    if (st) {
        cli_report("predict --mc", st);
    } else {
        const char *names[3] = {"mean", "std", "entropy"};
        const unetseg_tensor *tensors[3] = {mean, std, entropy};
        if ((st = unetseg_tensors_save(path, names, tensors, 3))) cli_report(path, st);
    }
    unetseg_tensor_free(mean);
    unetseg_tensor_free(std);
    unetseg_tensor_free(entropy);
    return st;
}

/* Split "a,b,c" in place. */
static int split_layers(char *list, const char **names) {
    int n = 0;
    for (char *tok = strtok(list, ","); tok && n < MAX_DUMP; tok = strtok(NULL, ","))
        names[n++] = tok;
    return n;
}

int cli_predict(int argc, char **argv) {
    const char *weights = NULL, *input_path = NULL, *output_path = NULL;
    char *dump = NULL;
    cli_image_outputs images = {0};
    char mc_dir[4096] = ".";
    long mc = 0, repeat = 0, threads = 0;
    unsigned long long mc_seed = 0;
    cli_insertions ins;
    unetseg_unet_options *o = NULL;
    cli_insertions_init(&ins);
    if (unetseg_unet_options_create(&o)) return CLI_EXIT_RUNTIME;
    int rc = CLI_EXIT_OK;
    for (int i = 0; i < argc && rc == CLI_EXIT_OK; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--help") == 0) {
            predict_usage(stdout);
            unetseg_unet_options_free(o);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--weights") == 0 && has_value) {
            weights = argv[++i];
        } else if (strcmp(a, "--input") == 0 && has_value) {
            input_path = argv[++i];
        } else if (strcmp(a, "--output") == 0 && has_value) {
            output_path = argv[++i];
        } else if (strcmp(a, "--probabilities") == 0 && has_value) {
            images.probabilities = argv[++i];
        } else if (strcmp(a, "--overlay") == 0 && has_value) {
            images.overlay = argv[++i];
        } else if (strcmp(a, "--panel") == 0 && has_value) {
            images.panel = argv[++i];
        } else if (strcmp(a, "--truth") == 0 && has_value) {
            images.truth = argv[++i];
        } else if (strcmp(a, "--dump") == 0 && has_value) {
            dump = argv[++i];
        } else if (strcmp(a, "--mc") == 0 && has_value) {
            mc = strtol(argv[++i], NULL, 10);
            if (mc < 1 || mc > 1000) {
                fprintf(stderr, "unetseg predict: --mc wants 1..1000 samples\n");
                rc = CLI_EXIT_USAGE;
            }
        } else if (strcmp(a, "--repeat") == 0 && has_value) {
            repeat = strtol(argv[++i], NULL, 10);
            if (repeat < 1 || repeat > 100000) {
                fprintf(stderr, "unetseg predict: --repeat wants 1..100000\n");
                rc = CLI_EXIT_USAGE;
            }
        } else if (strcmp(a, "--threads") == 0 && has_value) {
            threads = strtol(argv[++i], NULL, 10);
            if (threads < 0 || threads > 256) {
                fprintf(stderr, "unetseg predict: --threads wants 0..256 (0 = all cores)\n");
                rc = CLI_EXIT_USAGE;
            }
        } else if (strcmp(a, "--mc-seed") == 0 && has_value) {
            mc_seed = strtoull(argv[++i], NULL, 10);
        } else {
            int r = cli_parse_insert_option(&ins, argc, argv, &i);
            if (r == 0) r = cli_parse_model_option(o, argc, argv, &i);
            if (r == 0) fprintf(stderr, "unetseg predict: unknown option or missing value '%s'\n", a);
            if (r <= 0) rc = CLI_EXIT_USAGE;
        }
    }
    if (rc == CLI_EXIT_OK) rc = cli_check_insertions(&ins);
    int image_mode = input_path && cli_is_image_path(input_path);
    if (rc == CLI_EXIT_OK && image_mode && (dump || repeat)) {
        fprintf(stderr, "unetseg predict: --dump and --repeat need a safetensors input\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK && (!weights || !input_path || (!output_path && !image_mode))) {
        predict_usage(stderr);
        rc = CLI_EXIT_USAGE;
    }
    /* output files may name directories that do not exist yet */
    const char *outputs[] = {output_path, images.probabilities, images.overlay, images.panel};
    for (size_t k = 0; rc == CLI_EXIT_OK && k < sizeof outputs / sizeof outputs[0]; k++)
        if (!cli_make_parent_dirs(outputs[k])) rc = CLI_EXIT_RUNTIME;
    unetseg_model *m = NULL;
    unetseg_tensor *input = NULL, *output = NULL, *acts[MAX_DUMP] = {0};
    const char *layers[MAX_DUMP];
    int n_dump = dump ? split_layers(dump, layers) : 0;
    int32_t st = UNETSEG_OK;
    if (rc == CLI_EXIT_OK) {
        if ((st = open_model(weights, o, &m)))
            cli_report(weights, st);
        else if ((st = cli_apply_insertions(m, &ins)))
            ; /* reported */
        else if ((st = unetseg_model_set_threads(m, (int32_t)threads)))
            cli_report("--threads", st);
        else if (image_mode)
            ; /* below */
        else if ((st = unetseg_tensor_load(input_path, "input", &input)))
            cli_report(input_path, st);
        else if (repeat > 0 && (st = time_forward(m, input, repeat)))
            ; /* reported */
        else if (mc > 0)
            st = write_mc(m, input, (int32_t)mc, mc_seed, output_path);
        else if ((st = unetseg_model_forward_with_activations(m, input, layers, n_dump, acts, &output)))
            cli_report("forward", st);
        if (st) rc = cli_exit_code(st);
    }
    if (rc == CLI_EXIT_OK && image_mode) {
        /* the heat maps go next to the mask (or into the current directory) */
        const char *slash = output_path ? strrchr(output_path, '/') : NULL;
        if (slash) snprintf(mc_dir, sizeof mc_dir, "%.*s", (int)(slash - output_path), output_path);
        images.output = output_path;
        images.mc_dir = mc_dir;
        rc = cli_predict_image(m, input_path, &images, (int32_t)mc, mc_seed);
    }
    if (rc == CLI_EXIT_OK && mc == 0 && !image_mode) {
        char *names[MAX_DUMP + 1];
        const unetseg_tensor *tensors[MAX_DUMP + 1];
        names[0] = "output";
        tensors[0] = output;
        for (int i = 0; i < n_dump; i++) {
            size_t len = strlen(layers[i]) + 5;
            names[i + 1] = malloc(len);
            if (names[i + 1]) snprintf(names[i + 1], len, "act/%s", layers[i]);
            tensors[i + 1] = acts[i];
        }
        if ((st = unetseg_tensors_save(output_path, (const char *const *)names, tensors, n_dump + 1))) {
            cli_report(output_path, st);
            rc = CLI_EXIT_RUNTIME;
        }
        for (int i = 0; i < n_dump; i++) free(names[i + 1]);
    }
    for (int i = 0; i < n_dump; i++) unetseg_tensor_free(acts[i]);
    unetseg_tensor_free(output);
    unetseg_tensor_free(input);
    unetseg_model_free(m);
    unetseg_unet_options_free(o);
    return rc;
}
