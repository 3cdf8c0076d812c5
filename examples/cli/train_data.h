/* The samples `unetseg train` learns from, wherever they are: float tensors
 * of a safetensors file, a folder decoded once into 8-bit pixels and class
 * indices (--cache uint8), or a folder decoded sample by sample as batches
 * need them (--cache none: memory does not grow with the number of files).
 * Every source gives sample i as the same floats, so the training loop and
 * its prefetch thread (prefetch.h) do not care which it is. */
#ifndef UNETSEG_CLI_TRAIN_DATA_H
#define UNETSEG_CLI_TRAIN_DATA_H

#include <stdint.h>

#include "unetseg.h"

#define TRAIN_CACHE_AUTO 0  /* uint8 when it fits TRAIN_CACHE_BUDGET, else none */
#define TRAIN_CACHE_UINT8 1
#define TRAIN_CACHE_NONE 2
/* --cache auto keeps a folder in memory up to this many decoded bytes
 * (H x W x (C + 1) a sample): 1 GiB, e.g. 1365 RGB images of 512 x 512. */
#define TRAIN_CACHE_BUDGET ((int64_t)1 << 30)

typedef struct train_data {
    long n;
    int64_t h, w, c, classes; /* classes: the masks' channels */
    /* safetensors: images (N, H, W, C) and masks (N, H, W, classes) */
    unetseg_tensor *images, *masks;
    /* a folder: its path and sorted image names, and the 8-bit cache when
     * decoded once (n x H x W x C pixels, n x H x W class indices) */
    char *dir, **names;
    uint8_t *images8, *masks8;
    /* the cache chosen but not filled yet (train_data_fill); with a partial
     * cache, sample i's place in it (-1: not held) */
    int cache_pending;
    long *slot;
} train_data;

/* Take the (checked) tensors of a safetensors file; they are freed by
 * train_data_free. */
void train_data_from_tensors(train_data *d, unetseg_tensor *images, unetseg_tensor *masks);
/* A folder (folder_data.h) at h x w (0: the first image's size rounded down
 * to a multiple of 32), c channels, `classes` (1: binary masks); cache is a
 * TRAIN_CACHE_* (--cache), and what was chosen is said on stderr. Every mask
 * file must exist; with the cache every pair is decoded now, unless `defer`:
 * then d->cache_pending is set and train_data_fill decodes them. 0 after a
 * message naming the file. */
int train_data_open_folder(train_data *d, const char *dir, int64_t h, int64_t w, int64_t c,
                           int64_t classes, int cache, int defer);
/* Fill a deferred cache with the samples i of keep[i] != 0 (keep NULL: all),
 * said on stderr (`who`: "this rank", for the message); a sample not kept
 * is then refused by train_data_sample. 0 after a message naming the file. */
int train_data_fill(train_data *d, const unsigned char *keep, const char *who);
void train_data_free(train_data *d);

/* Sample i as floats: the image (H x W x C, 0..255 for folders) into img and
 * the mask (H x W x classes) into mask; either may be NULL (not wanted).
 * Safe to call from several threads at once. UNETSEG_E_IO after a message
 * naming the file when a streamed file cannot be read or is wrong;
 * UNETSEG_E_STATE for a sample a partial cache does not hold. */
int32_t train_data_sample(const train_data *d, long i, float *img, float *mask);

#endif
