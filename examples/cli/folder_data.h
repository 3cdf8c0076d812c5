/* Image-folder datasets for `unetseg train` and the demo data generator. */
#ifndef UNETSEG_CLI_FOLDER_DATA_H
#define UNETSEG_CLI_FOLDER_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "images.h"
#include "unetseg.h"

/* The sorted image file names (.png, .jpg, .jpeg, .bmp) of DIR/images, at
 * most 100000; NULL after a message when it cannot be read or has none.
 * Free with cli_folder_list_free. */
char **cli_folder_list(const char *dir, int *count);
void cli_folder_list_free(char **names, int count);
/* DIR/masks/<stem>.png, the mask of an image file name. */
void cli_folder_mask_path(const char *dir, const char *image_name, char *out, size_t size);

/* The per-sample work of a folder dataset, on decoded images: check that the
 * mask (1 channel, named `mask_name` in messages) is the size of the image,
 * resize the image (bilinear) and the mask (nearest) to h x w, and write the
 * image (c channels, as read, rounded to 8 bits: what an in-memory cache
 * holds, so that cached and streamed samples are the same) to img_dst and
 * the mask's class indices (0/1: > 127 when classes == 1) to mask_dst.
 * Prints the problem and returns 0 on failure (an index >= classes). */
int cli_folder_pair8(const cli_image *img, const cli_image *mask, const char *mask_name, int64_t h,
                     int64_t w, int64_t c, int64_t classes, uint8_t *img_dst, uint8_t *mask_dst);
/* An 8-bit sample as training takes it: the image as floats 0..255 (when
 * img_dst), the mask binary (classes == 1) or one-hot (when mask_dst). */
void cli_folder_expand(const uint8_t *img8, const uint8_t *mask8, int64_t h, int64_t w, int64_t c,
                       int64_t classes, float *img_dst, float *mask_dst);
/* cli_folder_pair8 then cli_folder_expand (0 after a message). */
int cli_folder_pair(const cli_image *img, const cli_image *mask, const char *mask_name,
                    int64_t h, int64_t w, int64_t c, int64_t classes, float *img_dst,
                    float *mask_dst);
/* Read DIR/images/NAME and its mask and cli_folder_pair8 them: 0 after a
 * message naming the file. */
int cli_folder_read8(const char *dir, const char *name, int64_t h, int64_t w, int64_t c,
                     int64_t classes, uint8_t *img_dst, uint8_t *mask_dst);
/* The training size when --size is not given: the first image's, rounded
 * down to a multiple of 32 (0 and a message if that is below 32x32). */
int cli_folder_size(const cli_image *first, const char *name, int64_t *h, int64_t *w);

/* Write a synthetic dataset: `count` noisy images with 1-3 random shapes
 * (circles, rectangles, triangles) and their binary masks, plus
 * DIR/holdout.png and DIR/holdout_mask.png. */
int cli_write_demo_data(const char *dir, int count, int size, unsigned long long seed);

#endif
