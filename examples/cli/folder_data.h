/* Image-folder datasets for `unetseg train` and the demo data generator. */
#ifndef UNETSEG_CLI_FOLDER_DATA_H
#define UNETSEG_CLI_FOLDER_DATA_H

#include "images.h"
#include "unetseg.h"

/* Load DIR/images/<name>.{png,jpg,jpeg,bmp} with masks DIR/masks/<name>.png,
 * resized to h x w (0: the first image's size rounded down to a multiple of
 * 32), c channels; masks are binary (> 127) when classes == 1, else class
 * indices turned one-hot. Prints the problem and returns 0 on failure. */
int cli_load_folder(const char *dir, int64_t h, int64_t w, int64_t c, int64_t classes,
                    unetseg_tensor **images, unetseg_tensor **masks);

/* The per-sample work of cli_load_folder, on decoded images: check that the
 * mask (1 channel, named `mask_name` in messages) is the size of the image,
 * resize the image (bilinear) and the mask (nearest) to h x w, and write the
 * image (c channels, as read) to img_dst and the binary or one-hot mask to
 * mask_dst. Prints the problem and returns 0 on failure. */
int cli_folder_pair(const cli_image *img, const cli_image *mask, const char *mask_name,
                    int64_t h, int64_t w, int64_t c, int64_t classes, float *img_dst,
                    float *mask_dst);
/* The training size when --size is not given: the first image's, rounded
 * down to a multiple of 32 (0 and a message if that is below 32x32). */
int cli_folder_size(const cli_image *first, const char *name, int64_t *h, int64_t *w);

/* Write a synthetic dataset: `count` noisy images with 1-3 random shapes
 * (circles, rectangles, triangles) and their binary masks, plus
 * DIR/holdout.png and DIR/holdout_mask.png. */
int cli_write_demo_data(const char *dir, int count, int size, unsigned long long seed);

#endif
