/* unetseg predict --input DIR --output OUT: every image file of DIR (by name,
 * not recursive) goes through the model one at a time, in a pipeline: a
 * thread (prefetch.h) decodes the next images while the model predicts the
 * current one, at most PREDICT_AHEAD + 1 ahead, so memory is that of a few
 * images whatever the folder holds. The outputs are those of predicting each
 * file alone. The mask of NAME.EXT is OUT/NAME.png (with --mc,
 * OUT/NAME_mc/{mean,std,entropy}.png too), written atomically. A file that
 * fails is reported and skipped (a decoding failure is reported when the
 * thread meets it, which may be before the progress line reaches the file);
 * at the end the failures are listed and the exit status is 1. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "predict_input.h"
#include "prefetch.h"

/* Decoded images waiting for the model (the thread decodes one more). */
#define PREDICT_AHEAD 1

int cli_is_directory(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct folder {
    char **names; /* image files, sorted */
    size_t n, cap, skipped;
} folder;

static void folder_free(folder *f) {
    for (size_t i = 0; i < f->n; i++) free(f->names[i]);
    free(f->names);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of `dir` with an image extension; others are counted. */
static int list_images(const char *dir, folder *f) {
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 0;
    }
    int ok = 1;
    for (struct dirent *e; ok && (e = readdir(d));) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !cli_is_image_path(e->d_name)) {
            f->skipped++;
            continue;
        }
        if (f->n == f->cap) {
            size_t cap = f->cap ? 2 * f->cap : 64;
            char **grown = realloc(f->names, cap * sizeof *grown);
            if (!grown) {
                ok = 0;
                break;
            }
            f->names = grown;
            f->cap = cap;
        }
        if (!(f->names[f->n] = strdup(e->d_name))) ok = 0;
        else f->n++;
    }
    closedir(d);
    if (!ok) fprintf(stderr, "unetseg predict: out of memory listing %s\n", dir);
    else if (f->n) qsort(f->names, f->n, sizeof *f->names, by_name); /* names is NULL when empty */
    return ok;
}

/* NAME.EXT -> NAME (the whole name when it has no dot after its first character). */
static size_t stem_length(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

/* Whether an earlier file of the sorted list has the same stem (a.jpg, a.png):
 * both would write OUT/a.png. */
static int stem_taken(const folder *f, size_t i) {
    size_t len = stem_length(f->names[i]);
    for (size_t j = 0; j < i; j++)
        if (stem_length(f->names[j]) == len && strncmp(f->names[j], f->names[i], len) == 0) return 1;
    return 0;
}

static int same_directory(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The decoding thread's job: file k of the folder as the model's input. */
typedef struct load_job {
    const folder *f;
    const char *in_dir;
    int channels;
    const cli_tiling *tiling;
} load_job;

/* A file's input, or ok = 0 when it could not be read (reported), or was
 * not to be read (a stem taken: reported by the caller). */
typedef struct loaded {
    cli_predict_input in;
    int ok;
} loaded;

static void free_loaded(void *item) {
    loaded *l = item;
    cli_predict_input_free(&l->in);
    free(l);
}

/* Fails only when there is no memory for the item: a bad file is an item
 * that says so, and the files after it are still decoded. */
static int32_t load_file(void *ctx, long k, void **item) {
    const load_job *j = ctx;
    const char *name = j->f->names[k];
    loaded *l = calloc(1, sizeof *l);
    if (!(*item = l)) {
        fprintf(stderr, "unetseg predict: %s: out of memory\n", name);
        return UNETSEG_E_NOMEM;
    }
    if (stem_taken(j->f, (size_t)k)) return UNETSEG_OK;
    char input[PATH_MAX];
    if (snprintf(input, sizeof input, "%s/%s", j->in_dir, name) >= (int)sizeof input)
        fprintf(stderr, "unetseg predict: %s: path too long\n", name);
    else
        l->ok = cli_predict_load(input, j->channels, j->tiling, 0, &l->in);
    return UNETSEG_OK;
}

/* Predict a loaded file and write its outputs: an exit code. */
static int predict_one(unetseg_model *m, const char *out_dir, const char *name, const loaded *l,
                       int32_t mc, uint64_t mc_seed, const cli_tiling *tiling) {
    char output[PATH_MAX], mc_dir[PATH_MAX];
    const int len = (int)stem_length(name);
    if (!l->ok) return CLI_EXIT_RUNTIME; /* reported by the thread */
    if (snprintf(output, sizeof output, "%s/%.*s.png", out_dir, len, name) >= (int)sizeof output ||
        snprintf(mc_dir, sizeof mc_dir, "%s/%.*s_mc", out_dir, len, name) >= (int)sizeof mc_dir) {
        fprintf(stderr, "unetseg predict: %s: path too long\n", name);
        return CLI_EXIT_RUNTIME;
    }
    if (mc > 0 && !cli_make_dirs(mc_dir)) {
        perror(mc_dir);
        return CLI_EXIT_RUNTIME;
    }
    cli_image_outputs o = {.output = output, .mc_dir = mc_dir};
    return cli_predict_run(m, &l->in, &o, mc, mc_seed, tiling);
}

int cli_predict_folder(unetseg_model *m, const char *in_dir, const char *out_dir, int32_t mc,
                       uint64_t mc_seed, const cli_tiling *tiling) {
    if (!cli_make_dirs(out_dir)) {
        perror(out_dir);
        return CLI_EXIT_RUNTIME;
    }
    if (same_directory(in_dir, out_dir)) {
        fprintf(stderr, "unetseg predict: --output %s is the --input folder: the masks would "
                        "replace the images\n", out_dir);
        return CLI_EXIT_USAGE;
    }
    folder f = {0};
    if (!list_images(in_dir, &f)) {
        folder_free(&f);
        return CLI_EXIT_RUNTIME;
    }
    if (f.n == 0) {
        fprintf(stderr, "unetseg predict: no image (.png, .jpg, .jpeg, .bmp) in %s\n", in_dir);
        folder_free(&f);
        return CLI_EXIT_RUNTIME;
    }
    const int live = isatty(STDERR_FILENO);
    char *failed = calloc(f.n, 1);
    size_t n_failed = 0;
    load_job job = {&f, in_dir, 0, tiling};
    prefetch *p = NULL;
    int32_t st = cli_predict_channels(m, &job.channels);
    if (!st && failed && (st = prefetch_start(&p, (long)f.n, PREDICT_AHEAD, load_file, free_loaded, &job)))
        cli_report("the decoding thread", st);
    for (size_t i = 0; !st && failed && i < f.n; i++) {
        if (live) fprintf(stderr, "\rpredict: %zu/%zu  %-40.40s", i + 1, f.n, f.names[i]);
        void *item = NULL;
        int rc = CLI_EXIT_RUNTIME;
        if (prefetch_next(p, &item) != UNETSEG_OK) /* out of memory: reported, and nothing after */
            fprintf(stderr, "unetseg predict: %s: not decoded\n", f.names[i]);
        else if (stem_taken(&f, i))
            fprintf(stderr, "%sunetseg predict: %s: another file of the folder has the same name "
                            "before its extension; skipped\n", live ? "\n" : "", f.names[i]);
        else
            rc = predict_one(m, out_dir, f.names[i], item, mc, mc_seed, tiling);
        if (item) free_loaded(item);
        if (rc != CLI_EXIT_OK) {
            failed[i] = 1;
            n_failed++;
        }
    }
    prefetch_stop(p);
    if (live) fputc('\n', stderr);
    if (!failed || st) {
        if (!failed) fprintf(stderr, "unetseg predict: out of memory\n");
        free(failed);
        folder_free(&f);
        return CLI_EXIT_RUNTIME;
    }
    fprintf(stderr, "unetseg predict: wrote %zu mask(s) to %s", f.n - n_failed, out_dir);
    if (f.skipped) fprintf(stderr, " (%zu entries of %s are not image files: ignored)", f.skipped, in_dir);
    fputc('\n', stderr);
    if (n_failed) {
        fprintf(stderr, "unetseg predict: %zu of %zu image(s) failed:\n", n_failed, f.n);
        for (size_t i = 0; i < f.n; i++)
            if (failed[i]) fprintf(stderr, "  %s\n", f.names[i]);
    }
    free(failed);
    folder_free(&f);
    return n_failed ? CLI_EXIT_RUNTIME : CLI_EXIT_OK;
}
