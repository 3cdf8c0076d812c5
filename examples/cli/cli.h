/* The unetseg command-line tool: shared pieces of its commands. */
#ifndef UNETSEG_CLI_H
#define UNETSEG_CLI_H

#include <math.h>
#include <stddef.h>

#include "unetseg.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NO_MATCH 3
/* What a command's parse function returns for --help: print the usage, exit 0. */
#define CLI_PARSE_HELP (-1)

/* ---------------------------------------------------------------- commands
 * One row per command: `unetseg --help` lists the names and summaries,
 * `unetseg NAME --help` prints the usage, and `unetseg NAME ...` runs
 * parse(argc, argv, options) on zeroed storage of options_size bytes (argv[0]
 * is NAME) and then, if it returned CLI_EXIT_OK, run(options). parse returns
 * CLI_EXIT_OK, CLI_PARSE_HELP or an exit code (message printed); run returns
 * the exit code. Both take the command's own options struct. */
typedef struct cli_command {
    const char *name;
    const char *summary; /* one line */
    const char *usage;   /* "usage: unetseg NAME ...\n...", every option */
    size_t options_size;
    int (*parse)(int argc, char **argv, void *options);
    int (*run)(void *options);
} cli_command;

extern const cli_command cli_command_summary, cli_command_match, cli_command_init,
    cli_command_predict, cli_command_train, cli_command_demo_data;

/* The whole tool: `unetseg argv...` (main() is this). */
int cli_main(int argc, char **argv);

/* ---------------------------------------------------------------- options
 * A command's options are tables of cli_option rows read by getopt_long:
 * --name VALUE and --name=VALUE, long names spelled out in full (a prefix is
 * refused, so that a new option never changes what an old command line
 * means), --help or -h anywhere, -- before positional arguments that start
 * with '-'. Options are applied in the order given; the first bad one stops
 * the parse with exit 2 and a message naming it. */
typedef enum cli_kind {
    CLI_FLAG,     /* no value: the int field becomes 1 */
    CLI_TEXT,     /* const char * field: the value as given */
    CLI_INTEGER,  /* long long field: cli_parse_integer in [min, max] */
    CLI_UNSIGNED, /* unsigned long long field: cli_parse_unsigned */
    CLI_REAL,     /* double field: cli_parse_real in `range` */
    CLI_CALL,     /* call(target, "--name", value) */
    CLI_ACTION,   /* no value: call(target, "--name", NULL) */
} cli_kind;

/* An interval of reals: lo and hi excluded when lo_open / hi_open. */
typedef struct cli_interval {
    double lo, hi;
    int lo_open, hi_open;
} cli_interval;
#define CLI_FRACTION {0.0, 1.0, 0, 1}            /* [0, 1) */
#define CLI_POSITIVE {0.0, (double)INFINITY, 1, 1} /* (0, inf) */

/* Returns CLI_EXIT_OK, or CLI_EXIT_USAGE after printing why. `value` is the
 * option's value in argv (which it may change, e.g. split in place), NULL for
 * CLI_ACTION; `flag` is "--name" (or "argument" for a positional one). */
typedef int (*cli_option_fn)(void *target, const char *flag, char *value);

typedef struct cli_option {
    const char *name; /* without the leading "--"; NULL ends a table */
    cli_kind kind;
    size_t offset;        /* of the field in the group's target struct */
    long long min, max;   /* CLI_INTEGER */
    cli_interval range;   /* CLI_REAL */
    cli_option_fn call;   /* CLI_CALL, CLI_ACTION; on the end row: positional arguments */
} cli_option;

/* A table and the struct its offsets and calls refer to. */
typedef struct cli_group {
    const cli_option *options;
    void *target;
} cli_group;

/* getopt_long over argv[1..argc) with the options of every group (argv[0]
 * is the command's name, for messages). A positional argument goes to the
 * `call` of the first group whose end row has one, else it is refused.
 * Returns CLI_EXIT_OK, CLI_PARSE_HELP or CLI_EXIT_USAGE (message printed). */
int cli_parse_options(int argc, char **argv, const cli_group *groups, int n_groups);

/* The one strict number parser, for every numeric option: the value parsed
 * whole (decimal only: no blanks, no trailing junk, no hex, no "nan" or
 * "inf"), range-checked. On failure they print "unetseg: OPT: <why>" on
 * stderr and return 0; on success they store the value and return 1.
 * cli_parse_integer: [min, max]; cli_parse_unsigned: digits only, 0 to
 * UINT64_MAX; cli_parse_real: finite, in `range`. */
int cli_parse_integer(const char *opt, const char *v, long long min, long long max,
                      long long *out);
int cli_parse_unsigned(const char *opt, const char *v, unsigned long long *out);
int cli_parse_real(const char *opt, const char *v, cli_interval range, double *out);

/* Print "unetseg: <what>: <status text>: <last error>" on stderr. */
void cli_report(const char *what, int32_t status);
/* Exit code for a library status: 3 no match, 2 syntax, 1 other errors. */
int cli_exit_code(int32_t status);

/* ---------------------------------------------------------- model options
 * --backbone, --classes, --size HxW[xC], --decoder upsampling|transpose,
 * --activation, --decoder-filters a,b,c, --no-decoder-bn, --encoder-freeze,
 * --seed, collected by cli_model_table and turned into library options by
 * cli_model_build (which the parse functions call once, through
 * cli_model_check, so that a bad value is a usage error before anything
 * runs). */
#define CLI_MAX_DECODER_FILTERS 16
typedef struct cli_model_args {
    const char *backbone, *decoder, *activation; /* NULL: the library's default */
    int size_given;
    long long height, width, channels; /* --size, or the command's default */
    long long classes;                 /* 0: not given */
    long long filters[CLI_MAX_DECODER_FILTERS];
    int n_filters; /* 0: not given */
    int no_decoder_bn, encoder_freeze;
    unsigned long long seed;
} cli_model_args;

extern const cli_option cli_model_table[];
/* Commands that build a model from the options alone default to h x w x 3. */
void cli_model_default_size(cli_model_args *a, long long h, long long w);
/* A CLI exit code: 2 for a value the library refuses (reported, naming the
 * option), 1 if out of memory. */
int cli_model_build(const cli_model_args *a, unetseg_unet_options **out);
int cli_model_check(const cli_model_args *a);
/* --encoder-weights FILE (encoder_weights.c): load the file's tensors into
 * m, the other parameters keeping their values; a tensor m lacks, or a file
 * that sets nothing, is an error (NOT_FOUND). A status, reported. */
int32_t cli_load_encoder_weights(const char *path, unetseg_model *m);

/* ------------------------------------------------------ dropout insertions
 * --insert EXPR starts an insertion; --dropout, --rate, --mode, --spatial,
 * --before, --suffix after it configure it. */
#define CLI_MAX_INSERTIONS 32
typedef struct cli_insertion {
    const char *expr;
    int32_t kind, mode, spatial;
    int32_t conditional_only; /* --mode or --spatial given */
    int32_t before;           /* --before: insert before the matched layers */
    const char *suffix;       /* --suffix S, or NULL for "_dropout" */
    double rate;
} cli_insertion;
typedef struct cli_insertions {
    cli_insertion items[CLI_MAX_INSERTIONS];
    int n;
} cli_insertions;

extern const cli_option cli_insert_table[];
/* Usage checks of the insertion options: a CLI exit code (0 when fine). */
int cli_check_insertions(const cli_insertions *ins);
/* Apply the insertions in order; reports the error and returns its status. */
int32_t cli_apply_insertions(unetseg_model *model, const cli_insertions *ins);

/* ---------------------------------------------------------------- tiling
 * --tile N, --overlap M (default N/4), --blend gaussian|uniform (default
 * gaussian), --tile-batch B (default 1), --tile-margin P (default 0),
 * --no-tile: the sliding window of unetseg_model_predict_tiled. */
#define CLI_TILE_THRESHOLD 1048576 /* pixels above which predict tiles by default */
#define CLI_TILE_DEFAULT 512
typedef struct cli_tiling {
    long long tile, overlap, batch, margin; /* 0: not given (overlap: overlap_given) */
    int overlap_given, blend_given, no_tile;
    int32_t blend;
} cli_tiling;

extern const cli_option cli_tile_table[];
/* Usage checks: a CLI exit code (0 when fine). */
int cli_tiling_check(const cli_tiling *t);
/* Whether an input of h x w pixels is predicted tile by tile. */
int cli_tiling_wanted(const cli_tiling *t, long long h, long long w);
/* The library's options for an h x w input, and the line on stderr that
 * says tiling is used (and why, when it was not asked for). */
int32_t cli_tiling_options(const cli_tiling *t, long long h, long long w,
                           unetseg_tile_options **out);

/* ---------------------------------------------------------------- images */
/* Image outputs of `predict` on an image file (NULL: not wanted). */
typedef struct cli_image_outputs {
    const char *output;        /* mask PNG: 0/255 (1 class) or class index */
    const char *probabilities; /* probability PNG (max over classes) */
    const char *overlay;       /* the mask blended on the input */
    const char *mc_dir;        /* --mc: mean.png, std.png, entropy.png go here */
    const char *panel;         /* --mc: input | truth | mean | std | entropy */
    const char *truth;         /* optional ground-truth mask for the panel */
} cli_image_outputs;

int cli_is_image_path(const char *path);
/* mkdir -p `path`; 1 on success. */
int cli_make_dirs(const char *path);
/* mkdir -p of the directory part of `file_path` (none: 1); reports failures. */
int cli_make_parent_dirs(const char *file_path);
/* Exit code; reports problems on stderr. */
/* With `tiling` the image is predicted at its own size tile by tile when
 * cli_tiling_wanted says so (otherwise resized to multiples of 32). */
int cli_predict_image(unetseg_model *m, const char *input_path, const cli_image_outputs *o,
                      int32_t mc, uint64_t mc_seed, const cli_tiling *tiling);
/* 1 if `path` is a directory. */
int cli_is_directory(const char *path);
/* predict --input DIR --output OUT (predict_folder.c): every image of `in_dir`
 * by name, one at a time, the next ones decoded on a thread meanwhile and
 * the outputs of the one before written on another; masks as OUT/NAME.png
 * (--mc: OUT/NAME_mc/). A failed file is reported and skipped; exit 1 at the
 * end, with the list, if any did; exit 2 if OUT is the input folder. */
int cli_predict_folder(unetseg_model *m, const char *in_dir, const char *out_dir, int32_t mc,
                       uint64_t mc_seed, const cli_tiling *tiling);

#endif
