/* Image-folder datasets for `unetseg train` and the demo data generator. */
#ifndef UNETSEG_CLI_FOLDER_DATA_H
#define UNETSEG_CLI_FOLDER_DATA_H

#include "unetseg.h"

/* Load DIR/images/<name>.{png,jpg,jpeg,bmp} with masks DIR/masks/<name>.png,
 * resized to h x w (0: the first image's size rounded down to a multiple of
 * 32), c channels; masks are binary (> 127) when classes == 1, else class
 * indices turned one-hot. Prints the problem and returns 0 on failure. */
int cli_load_folder(const char *dir, int64_t h, int64_t w, int64_t c, int64_t classes,
                    unetseg_tensor **images, unetseg_tensor **masks);

/* Write a synthetic dataset: `count` noisy images with 1-3 random shapes
 * (circles, rectangles, triangles) and their binary masks, plus
 * DIR/holdout.png and DIR/holdout_mask.png. */
int cli_write_demo_data(const char *dir, int count, int size, unsigned long long seed);

#endif
