/* Predicting an image file in two halves, so that folder prediction
 * (predict_folder.c) decodes the next images on a thread (prefetch.h) while
 * the model runs on the current one: cli_predict_load reads the file and
 * makes the model's input, touching neither the model nor anything the
 * other half changes; cli_predict_run predicts and writes the outputs
 * (cli_predict_compute, then cli_prediction_write, which folder prediction
 * runs on a writing thread). cli_predict_image (cli.h) is the two in turn. */
#ifndef UNETSEG_CLI_PREDICT_INPUT_H
#define UNETSEG_CLI_PREDICT_INPUT_H

#include "cli.h"
#include "images.h"

typedef struct cli_predict_input {
    cli_image img;     /* the file's image: its size, and its pixels when kept */
    unetseg_tensor *x; /* (1, h, w, c): resized to multiples of 32 unless tiled */
    int tiled;         /* predicted tile by tile (cli_tiling_wanted) */
} cli_predict_input;

/* The channels of m's input: a status (reported). */
int32_t cli_predict_channels(unetseg_model *m, int *channels);
/* Read `path` with `channels` channels and make the input (`tiling` may be
 * NULL). keep_pixels: keep the image's pixels (--overlay and the --mc panel
 * draw on them), else only its size, which saves a float copy of the image
 * while it waits. 1, or 0 after a message (nothing kept). */
int cli_predict_load(const char *path, int channels, const cli_tiling *tiling, int keep_pixels,
                     cli_predict_input *in);
void cli_predict_input_free(cli_predict_input *in);
/* Predict a loaded input and write the outputs `o` asks for: an exit code
 * (problems reported). The two steps below in turn. */
int cli_predict_run(unetseg_model *m, const cli_predict_input *in, const cli_image_outputs *o,
                    int32_t mc, uint64_t mc_seed, const cli_tiling *tiling);

/* The tensors a prediction gives: the output, or with --mc the mean, std
 * and entropy maps (the others NULL). */
typedef struct cli_prediction {
    unetseg_tensor *y, *mean, *std, *entropy;
} cli_prediction;
/* Run the model on a loaded input: 1, or 0 after a message (nothing kept). */
int cli_predict_compute(unetseg_model *m, const cli_predict_input *in, int32_t mc, uint64_t mc_seed,
                        const cli_tiling *tiling, cli_prediction *p);
/* Write the outputs `o` asks for at the size of `img` (its pixels only for
 * --overlay and --panel): an exit code. Touches no model, so it may run on
 * another thread while the model predicts the next input (predict_folder.c). */
int cli_prediction_write(const cli_image *img, const cli_image_outputs *o, const cli_prediction *p);
void cli_prediction_free(cli_prediction *p);

#endif
