/* Directories for the files the CLI writes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_make_dirs(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) return 0;
        *p = '/';
    }
    if (!mkdir(buf, 0777)) return 1;
    struct stat st;
    if (errno != EEXIST || stat(buf, &st)) return 0;
    if (S_ISDIR(st.st_mode)) return 1;
    errno = ENOTDIR; /* a file of that name */
    return 0;
}

int cli_make_parent_dirs(const char *file_path) {
    const char *slash = file_path ? strrchr(file_path, '/') : NULL;
    if (!slash || slash == file_path) return 1; /* the current directory, or / */
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - file_path), file_path) >= (int)sizeof dir)
        return 0;
    if (cli_make_dirs(dir)) return 1;
    fprintf(stderr, "unetseg: cannot create the directory %s: %s\n", dir, strerror(errno));
    return 0;
}
