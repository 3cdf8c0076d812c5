/* unetseg predict --input DIR --output OUT: every image file of DIR (by name,
 * not recursive) goes through the model one at a time, in a pipeline: a
 * thread (prefetch.h) decodes the next images while the model predicts the
 * current one, at most PREDICT_AHEAD + 1 ahead, and another (background.h)
 * writes the outputs of the previous one (PNG encoding, the file and its
 * fsync: 1.7-2.0 ms an image on the Zen 5 VM, which the model waited for),
 * at most WRITE_BEHIND waiting, so memory is that of a few images whatever
 * the folder holds. The outputs are those of predicting each file alone.
 * The mask of NAME.EXT is OUT/NAME.png (with --mc,
 * OUT/NAME_mc/{mean,std,entropy}.png too), written atomically. A file that
 * fails is reported and skipped (a decoding failure is reported when the
 * thread meets it, which may be before the progress line reaches the file;
 * a writing failure when the writer meets it, after the line has moved on);
 * at the end the failures are listed and the exit status is 1. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "background.h"
#include "predict_input.h"
#include "prefetch.h"

/* Decoded images waiting for the model (the thread decodes one more). */
#define PREDICT_AHEAD 1
/* Predictions waiting to be written (the thread writes one more). Tiled
 * predictions (large images) are written before the next image starts:
 * their outputs are the size of the image. */
#define WRITE_BEHIND 1

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

/* The outputs of one file, written on the writing thread. */
typedef struct write_job {
    cli_prediction pred;
    cli_image size; /* the input's size (no pixels) */
    char output[PATH_MAX], mc_dir[PATH_MAX];
    char *failed; /* set to 1 when writing fails */
} write_job;

static void write_job_run(void *arg) {
    write_job *w = arg;
    cli_image_outputs o = {.output = w->output, .mc_dir = w->mc_dir};
    if (cli_prediction_write(&w->size, &o, &w->pred) != CLI_EXIT_OK) *w->failed = 1;
    cli_prediction_free(&w->pred);
    free(w);
}

/* Predict a loaded file and hand its outputs to the writer (`failed` is set
 * when they cannot be written): 1, or 0 when it failed before (reported). */
static int predict_one(unetseg_model *m, background *writer, const char *out_dir, const char *name,
                       const loaded *l, int32_t mc, uint64_t mc_seed, const cli_tiling *tiling,
                       char *failed) {
    if (!l->ok) return 0; /* reported by the thread */
    write_job *w = calloc(1, sizeof *w);
    if (!w) {
        fprintf(stderr, "unetseg predict: %s: out of memory\n", name);
        return 0;
    }
    const int len = (int)stem_length(name);
    w->size = (cli_image){l->in.img.w, l->in.img.h, l->in.img.c, NULL};
    w->failed = failed;
    int ok = 1;
    if (snprintf(w->output, sizeof w->output, "%s/%.*s.png", out_dir, len, name) >=
            (int)sizeof w->output ||
        snprintf(w->mc_dir, sizeof w->mc_dir, "%s/%.*s_mc", out_dir, len, name) >=
            (int)sizeof w->mc_dir) {
        fprintf(stderr, "unetseg predict: %s: path too long\n", name);
        ok = 0;
    } else if (mc > 0 && !cli_make_dirs(w->mc_dir)) {
        perror(w->mc_dir);
        ok = 0;
    }
    if (!ok || !cli_predict_compute(m, &l->in, mc, mc_seed, tiling, &w->pred)) {
        free(w);
        return 0;
    }
    background_run(l->in.tiled ? NULL : writer, write_job_run, w);
    return 1;
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
    background *writer = NULL;
    int32_t st = cli_predict_channels(m, &job.channels);
    if (!st && failed && (st = prefetch_start(&p, (long)f.n, PREDICT_AHEAD, load_file, free_loaded, &job)))
        cli_report("the decoding thread", st);
    if (!st && failed && background_start(&writer, WRITE_BEHIND) != UNETSEG_OK)
        writer = NULL; /* no thread: each image's outputs are written before the next */
    for (size_t i = 0; !st && failed && i < f.n; i++) {
        if (live) fprintf(stderr, "\rpredict: %zu/%zu  %-40.40s", i + 1, f.n, f.names[i]);
        void *item = NULL;
        int ok = 0;
        if (prefetch_next(p, &item) != UNETSEG_OK) /* out of memory: reported, and nothing after */
            fprintf(stderr, "unetseg predict: %s: not decoded\n", f.names[i]);
        else if (stem_taken(&f, i))
            fprintf(stderr, "%sunetseg predict: %s: another file of the folder has the same name "
                            "before its extension; skipped\n", live ? "\n" : "", f.names[i]);
        else
            ok = predict_one(m, writer, out_dir, f.names[i], item, mc, mc_seed, tiling, &failed[i]);
        if (item) free_loaded(item);
        if (!ok) failed[i] = 1;
    }
    background_stop(writer); /* the last outputs are written */
    prefetch_stop(p);
    for (size_t i = 0; failed && i < f.n; i++) n_failed += failed[i];
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
