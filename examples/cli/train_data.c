#include "train_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "folder_data.h"

void train_data_from_tensors(train_data *d, unetseg_tensor *images, unetseg_tensor *masks) {
    int64_t is[4] = {0}, ms[4] = {0};
    unetseg_tensor_shape(images, is, 4);
    unetseg_tensor_shape(masks, ms, 4);
    *d = (train_data){.n = (long)is[0], .h = is[1], .w = is[2], .c = is[3], .classes = ms[3],
                      .images = images, .masks = masks};
}

/* The training size when none was given: the first image's (folder_data.h). */
static int first_size(train_data *d) {
    char path[4096];
    cli_image first = {0};
    snprintf(path, sizeof path, "%s/images/%s", d->dir, d->names[0]);
    int ok = cli_image_read(path, (int)d->c, &first) && cli_folder_size(&first, path, &d->h, &d->w);
    cli_image_free(&first);
    return ok;
}

/* Every image has its mask file: a missing one is found before the first
 * step, not hours into a streamed run. */
static int masks_exist(const train_data *d) {
    char path[4096];
    struct stat info;
    for (long i = 0; i < d->n; i++) {
        cli_folder_mask_path(d->dir, d->names[i], path, sizeof path);
        if (stat(path, &info) != 0) {
            fprintf(stderr, "unetseg: %s: no such mask for images/%s\n", path, d->names[i]);
            return 0;
        }
    }
    return 1;
}

/* The samples of keep (NULL: all) decoded into the cache, d->slot mapping
 * sample numbers to their places when some are left out. */
static int fill_cache(train_data *d, const unsigned char *keep) {
    const int64_t pixels = d->h * d->w;
    long held = 0;
    for (long i = 0; i < d->n; i++) held += !keep || keep[i];
    d->images8 = malloc((size_t)(held * pixels * d->c) + 1);
    d->masks8 = malloc((size_t)(held * pixels) + 1);
    d->slot = keep ? malloc((size_t)d->n * sizeof *d->slot) : NULL;
    if (!d->images8 || !d->masks8 || (keep && !d->slot)) {
        fprintf(stderr, "unetseg: %s: out of memory for %ld decoded images (--cache none streams them)\n",
                d->dir, held);
        return 0;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0, at = 0; i < d->n; i++) {
        if (d->slot) d->slot[i] = keep[i] ? at : -1;
        if (keep && !keep[i]) continue;
        if (!cli_folder_read8(d->dir, d->names[i], d->h, d->w, d->c, d->classes,
                              d->images8 + at * pixels * d->c, d->masks8 + at * pixels))
            return 0;
        at++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    fprintf(stderr, "data: decoded in %.1f s (%.0f images/s with their masks)\n", s, (double)held / s);
    return 1;
}

int train_data_fill(train_data *d, const unsigned char *keep, const char *who) {
    if (!d->cache_pending) return 1;
    d->cache_pending = 0;
    if (keep) {
        long held = 0;
        for (long i = 0; i < d->n; i++) held += keep[i] != 0;
        fprintf(stderr, "data: %s holds the %ld of %ld images it reads (%.1f MB)\n", who, held, d->n,
                (double)(held * d->h * d->w * (d->c + 1)) / (1 << 20));
    }
    return fill_cache(d, keep);
}

int train_data_open_folder(train_data *d, const char *dir, int64_t h, int64_t w, int64_t c,
                           int64_t classes, int cache, int defer) {
    int count = 0;
    *d = (train_data){.h = h, .w = w, .c = c, .classes = classes};
    d->dir = strdup(dir);
    d->names = d->dir ? cli_folder_list(dir, &count) : NULL;
    d->n = count;
    int ok = d->names != NULL;
    if (ok && (h <= 0 || w <= 0)) ok = first_size(d);
    ok = ok && masks_exist(d);
    if (ok) {
        const int64_t bytes = (int64_t)d->n * d->h * d->w * (d->c + 1);
        const double mb = (double)bytes / (1 << 20);
        if (cache == TRAIN_CACHE_AUTO) cache = bytes <= TRAIN_CACHE_BUDGET ? TRAIN_CACHE_UINT8 : TRAIN_CACHE_NONE;
        if (cache == TRAIN_CACHE_UINT8)
            fprintf(stderr, "data: %ld images of %lldx%lld held in memory as 8 bits (%.0f MB%s)\n", d->n,
                    (long long)d->w, (long long)d->h, mb,
                    defer ? " for all; each rank holds what it reads" : "");
        else
            fprintf(stderr, "data: %ld images of %lldx%lld streamed from %s (%.0f MB decoded%s)\n", d->n,
                    (long long)d->w, (long long)d->h, dir, mb,
                    bytes > TRAIN_CACHE_BUDGET ? ", over the 1024 MB cache budget" : "");
        d->cache_pending = cache == TRAIN_CACHE_UINT8;
        if (!defer) ok = train_data_fill(d, NULL, NULL);
    }
    if (!ok) train_data_free(d);
    return ok;
}

void train_data_free(train_data *d) {
    unetseg_tensor_free(d->images);
    unetseg_tensor_free(d->masks);
    cli_folder_list_free(d->names, (int)d->n);
    free(d->dir);
    free(d->images8);
    free(d->masks8);
    free(d->slot);
    *d = (train_data){0};
}

int32_t train_data_sample(const train_data *d, long i, float *img, float *mask) {
    if (!d || i < 0 || i >= d->n) return UNETSEG_E_SHAPE;
    const int64_t pixels = d->h * d->w;
    if (d->images) {
        if (img) memcpy(img, unetseg_tensor_data_const(d->images) + i * pixels * d->c,
                        (size_t)(pixels * d->c) * sizeof(float));
        if (mask) memcpy(mask, unetseg_tensor_data_const(d->masks) + i * pixels * d->classes,
                         (size_t)(pixels * d->classes) * sizeof(float));
        return UNETSEG_OK;
    }
    if (d->images8) {
        const long at = d->slot ? d->slot[i] : i;
        if (at < 0) {
            fprintf(stderr, "unetseg: internal error: images/%s is not held by this rank\n", d->names[i]);
            return UNETSEG_E_STATE;
        }
        cli_folder_expand(d->images8 + at * pixels * d->c, d->masks8 + at * pixels, d->h, d->w, d->c,
                          d->classes, img, mask);
        return UNETSEG_OK;
    }
    /* streamed: decoded into buffers of this call (several threads may read) */
    uint8_t *img8 = malloc((size_t)(pixels * d->c)), *mask8 = malloc((size_t)pixels);
    int32_t st = img8 && mask8 ? UNETSEG_OK : UNETSEG_E_NOMEM;
    if (st) fprintf(stderr, "unetseg: images/%s: out of memory for its decoded pixels\n", d->names[i]);
    if (!st && !cli_folder_read8(d->dir, d->names[i], d->h, d->w, d->c, d->classes, img8, mask8))
        st = UNETSEG_E_IO;
    if (!st) cli_folder_expand(img8, mask8, d->h, d->w, d->c, d->classes, img, mask);
    free(img8);
    free(mask8);
    return st;
}
