/* Framing between records: the rules that decide where a record starts
 * and where one is cut short, shared by the parser (parser.c scan(),
 * text_line(), frame()) and the splitter (split.c), which must agree on
 * them to the byte: a splitter cut is only exact if the parser stands
 * between records there. The providers' text-line forms are the format
 * layer's (kag__eks_encoded_line, kag__node_prefix). */
#ifndef KAG_FRAME_PRIVATE_H
#define KAG_FRAME_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The UTF-8 byte order mark, skipped once at the start of a stream. */
#define KAG__BOM "\xEF\xBB\xBF"

enum { KAG__BOM_NEED = -1, KAG__BOM_NONE = 0, KAG__BOM_SKIP = 1 };

/* The stream starts with s[0, n): KAG__BOM_SKIP when with a BOM (skip 3
 * bytes), KAG__BOM_NONE when without, KAG__BOM_NEED when the bytes so far
 * are too few to tell (fewer than 3, all matching, and more may come). */
static inline int kag__frame_bom(const char *s, size_t n, int finished)
{
	if (n >= 3)
		return memcmp(s, KAG__BOM, 3) == 0 ? KAG__BOM_SKIP : KAG__BOM_NONE;
	if (!finished && (n == 0 || memcmp(s, KAG__BOM, n) == 0))
		return KAG__BOM_NEED;
	return KAG__BOM_NONE;
}

/* Blanks between records, besides line ends (which number lines). */
static inline int kag__frame_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A record starts at the first byte between records that is '{' or '[';
 * any other byte that is not blank starts a text line. */
static inline int kag__frame_record_start(char c)
{
	return c == '{' || c == '[';
}

/* A line end outside strings inside a record, followed by `next`: is the
 * record cut short there? A '{' at column 0 starts a new record while this
 * one is open, except among the items of a top-level array (depth 1 in a
 * record that is an array), which may start at column 0. The parser looks
 * at that byte to tell, so no cut can come between the two. */
static inline int kag__frame_breaks(char next, int rec_array, long depth)
{
	return next == '{' && !(rec_array && depth == 1);
}

/* A text line of n bytes so far, its end not seen yet: is it dropped
 * whole as longer than the record limit (one KAG_ELIMIT error), without
 * looking at it further? */
static inline int kag__frame_text_too_long(uint64_t n, uint64_t max_record)
{
	return n > max_record;
}

#endif
