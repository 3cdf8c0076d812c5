/* The files the CLI opens and writes itself, and the rules for the paths it
 * hands to the library (docs/GETTING_STARTED.md, "Files the commands read and
 * write").
 *
 * Reading: a path is opened with O_NONBLOCK and fstat'ed before anything is
 * read, so that a FIFO or a device is refused at once instead of blocking.
 *
 * Writing: every file is written to "<target>.tmp.<16 hex digits>" in the
 * target's directory, flushed, fsync'ed and renamed over the target; on any
 * error the temporary file is removed and nothing else changes. The target
 * (after following a symbolic link, which stays a link) must not exist, or be
 * a regular file owned by the user that has its owner-write bit; a device,
 * FIFO, socket, directory, a dangling link, a file of another user or a
 * read-only file is refused (exit 1), never replaced. A replaced file keeps
 * its permission bits. Before each write, temporary files of the same target
 * left by a killed writer (the exact name pattern, regular, owned by the
 * user, unchanged for CLI_STALE_TEMP_SECONDS) are removed. */
#ifndef UNETSEG_CLI_FILES_H
#define UNETSEG_CLI_FILES_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* A writer that has not touched its temporary file for this long is taken
 * for dead (the library names its files without the writer's pid). */
#define CLI_STALE_TEMP_SECONDS (10 * 60)

/* fopen(path, "rb") that refuses what is not a regular file without
 * blocking; NULL after a message "unetseg: PATH: why" on stderr. */
FILE *cli_open_input(const char *path);
/* The same check for a path the library will open: 1 if a regular file. */
int cli_check_input(const char *path);

/* An output path checked by the rules above: `path` is where to write
 * (a symlink's target), `mode` the permission bits to keep when `exists`. */
typedef struct cli_output {
    char path[4096];
    int exists;
    mode_t mode;
} cli_output;

/* Check `path` against the rules and remove its stale temporary files:
 * 1, or 0 after a message. Call before a write the library does, and hand it
 * out->path; then cli_output_done. */
int cli_output_prepare(const char *path, cli_output *out);
/* After the library wrote out->path: the old permission bits back. */
void cli_output_done(const cli_output *out);

/* Write `path` atomically by the rules above: write(f, ctx) writes the
 * contents to f and returns 0 on failure (errno set). 1 on success, 0 after
 * a message naming the path and the reason; no partial file is left. */
int cli_write_file(const char *path, int (*write)(FILE *f, void *ctx), void *ctx);

#endif
