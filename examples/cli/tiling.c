/* The tiling options of `predict`: --tile N, --overlap M, --blend
 * gaussian|uniform, --tile-batch B, --tile-margin P and --no-tile. Inputs
 * above CLI_TILE_THRESHOLD pixels are tiled unless --no-tile; smaller ones
 * only with --tile. Whenever tiling is used, a line on stderr says so. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int overlap(void *target, const char *flag, char *v) {
    cli_tiling *t = target;
    if (!cli_parse_integer(flag, v, 0, 65535, &t->overlap)) return CLI_EXIT_USAGE;
    t->overlap_given = 1;
    return CLI_EXIT_OK;
}

static int blend(void *target, const char *flag, char *v) {
    cli_tiling *t = target;
    if (strcmp(v, "gaussian") == 0) t->blend = UNETSEG_BLEND_GAUSSIAN;
    else if (strcmp(v, "uniform") == 0) t->blend = UNETSEG_BLEND_UNIFORM;
    else {
        fprintf(stderr, "unetseg: %s: '%s' is not gaussian or uniform\n", flag, v);
        return CLI_EXIT_USAGE;
    }
    t->blend_given = 1;
    return CLI_EXIT_OK;
}

#define FIELD(name) offsetof(cli_tiling, name)
const cli_option cli_tile_table[] = {
    {"tile", CLI_INTEGER, .offset = FIELD(tile), .min = 1, .max = 65536},
    {"overlap", CLI_CALL, .call = overlap},
    {"blend", CLI_CALL, .call = blend},
    {"tile-batch", CLI_INTEGER, .offset = FIELD(batch), .min = 1, .max = 1024},
    {"tile-margin", CLI_INTEGER, .offset = FIELD(margin), .min = 0, .max = 32767},
    {"no-tile", CLI_FLAG, .offset = FIELD(no_tile)},
    {.name = NULL},
};

int cli_tiling_check(const cli_tiling *t) {
    const int tuned = t->tile || t->overlap_given || t->blend_given || t->batch || t->margin;
    if (t->no_tile && tuned) {
        fprintf(stderr, "unetseg predict: --no-tile cannot go with --tile, --overlap, --blend, "
                        "--tile-batch or --tile-margin\n");
        return CLI_EXIT_USAGE;
    }
    const long long tile = t->tile ? t->tile : CLI_TILE_DEFAULT;
    const long long ov = t->overlap_given ? t->overlap : tile / 4;
    if (ov >= tile) {
        fprintf(stderr, "unetseg predict: --overlap %lld must be smaller than the tile (%lld)\n", ov,
                tile);
        return CLI_EXIT_USAGE;
    }
    if (2 * t->margin > ov) {
        fprintf(stderr, "unetseg predict: --tile-margin %lld needs an overlap of at least %lld "
                        "(it is %lld)\n", t->margin, 2 * t->margin, ov);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_tiling_wanted(const cli_tiling *t, long long h, long long w) {
    if (t->no_tile) return 0;
    return t->tile > 0 || h * w > CLI_TILE_THRESHOLD;
}

/* Tiles along an axis of `length` pixels (the library's plan, for the
 * message; a tile that shrinks for a small image is still one tile). */
static long long tiles_along(long long length, long long tile, long long ov, long long margin) {
    const long long kept = tile - 2 * margin;
    return length <= kept ? 1 : (length - kept + (tile - ov) - 1) / (tile - ov) + 1;
}

int32_t cli_tiling_options(const cli_tiling *t, long long h, long long w,
                           unetseg_tile_options **out) {
    const long long tile = t->tile ? t->tile : CLI_TILE_DEFAULT;
    const long long ov = t->overlap_given ? t->overlap : tile / 4;
    const long long batch = t->batch ? t->batch : 1;
    const int32_t bl = t->blend_given ? t->blend : UNETSEG_BLEND_GAUSSIAN;
    int32_t st = unetseg_tile_options_create(out);
    if (!st) st = unetseg_tile_options_set_tile(*out, tile, tile);
    if (!st) st = unetseg_tile_options_set_overlap(*out, ov);
    if (!st) st = unetseg_tile_options_set_margin(*out, t->margin);
    if (!st) st = unetseg_tile_options_set_blend(*out, bl);
    if (!st) st = unetseg_tile_options_set_batch(*out, (int32_t)batch);
    if (st) {
        cli_report("tiling options", st);
        unetseg_tile_options_free(*out);
        *out = NULL;
        return st;
    }
    const long long n = tiles_along(h, tile, ov, t->margin) * tiles_along(w, tile, ov, t->margin);
    if (!t->tile)
        fprintf(stderr, "unetseg: the input has %lld pixels, more than %d: tiled prediction "
                        "(--no-tile runs it whole)\n", h * w, CLI_TILE_THRESHOLD);
    fprintf(stderr, "unetseg: tiled prediction of %lldx%lld: %lld tile(s) of %lldx%lld, overlap %lld, "
                    "margin %lld, %s blend, %lld per pass\n",
            w, h, n, tile, tile, ov, t->margin, bl == UNETSEG_BLEND_GAUSSIAN ? "gaussian" : "uniform",
            batch);
    return UNETSEG_OK;
}
