/* The baseline file of the tools (baseline-file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline-file.h"

int tool_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL, *nd;
	size_t cap = 0, n;
	int err;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -1;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if (cap > 2 * max + 1 || !(nd = realloc(data, cap))) {
				err = cap > 2 * max + 1 ? EFBIG : ENOMEM;
				goto fail;
			}
			data = nd;
		}
		n = fread(data + *len, 1, cap - *len, f);
		*len += n;
		if (*len > max) {
			err = EFBIG;
			goto fail;
		}
	} while (n > 0);
	if (ferror(f)) {
		err = EIO;
		goto fail;
	}
	fclose(f);
	*buf = data;
	return 0;
fail:
	fclose(f);
	free(data);
	*len = 0;
	errno = err;
	return -1;
}

int tool_load_registry_file(kag_registry *reg, const char *prog, const char *path,
			    int (*load)(kag_registry *, const char *, size_t))
{
	const char *name = strrchr(path, '/');
	char *data;
	size_t len;
	int rc;

	if (tool_read_file(path, 64u << 20, &data, &len) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
			errno == EFBIG ? "too large" : strerror(errno));
		return -1;
	}
	rc = load ? load(reg, data ? data : "", len)
		  : kag_registry_load_addresses(reg, name ? name + 1 : path, data ? data : "", len);
	free(data);
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s: %s\n", prog, path, kag_error_name(rc),
			kag_registry_error_message(reg));
		return -1;
	}
	return 0;
}

int baseline_file_load(kag_baseline *b, const char *prog, const char *path,
		       int may_be_absent)
{
	char *data;
	size_t len;
	int rc;

	if (tool_read_file(path, 1u << 30, &data, &len) < 0) {
		if (errno == ENOENT && may_be_absent)
			return 0;
		fprintf(stderr, "%s: %s: %s\n", prog, path,
			errno == EFBIG ? "too large" : strerror(errno));
		return -1;
	}
	rc = kag_baseline_load(b, data, len);
	free(data);
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s: %s\n", prog, path, kag_error_name(rc),
			kag_baseline_error_message(b));
		return -1;
	}
	return 0;
}

int tool_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Flush the directory holding path, so that the rename is on disk too. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int baseline_file_save(const kag_baseline *b, const char *prog, const char *path)
{
	char tmp[4096], *text;
	size_t len;
	int fd, rc, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "%s: %s: name too long\n", prog, path);
		return -1;
	}
	if ((rc = kag_baseline_save(b, &text, &len)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, kag_strerror(rc));
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = fd < 0 ? -1 : tool_write_all(fd, text, len) < 0 || fsync(fd) < 0 ? -2 : 0;
	kag_baseline_free_text(text);
	err = errno;
	if (rc == -2)
		(void)close(fd);
	else if (rc == 0 && close(fd) < 0)
		rc = -2, err = errno;
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(err));
		if (rc == -2)
			unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	sync_dir(path);
	return 0;
}
