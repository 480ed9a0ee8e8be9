/* _kagrecord: the optional accelerator of the kag module. One function,
 * record_text(record, names), writes the members `names` (a tuple of str,
 * in order) of a decoded record (a dict) as the compact UTF-8 JSON text of
 * one object, in one walk in C: the text that kag's pure-Python path makes
 * with json.dumps(..., ensure_ascii=False, separators=(",", ":"),
 * allow_nan=False), byte for byte. Members that are missing or None are
 * left out.
 *
 * It returns None, and leaves the record to the pure-Python path, for
 * anything it does not write exactly as that path does or that the path
 * reports as an error: a type other than dict, list, tuple, str, int,
 * float, bool and None (subclasses included), a key that is not a str, a
 * lone surrogate, an integer beyond 64 bits, NaN or an infinity, nesting
 * deeper than the library reads (so cycles too). The pure-Python path then
 * gives the result, or raises the error, with its message and JSON
 * pointer: both paths always agree.
 *
 * It does not link libkag; kag.py calls the library over ctypes.
 *
 * SPDX-License-Identifier: MIT
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The library refuses a record nested deeper than 64 levels (the record
 * itself is the first): deeper values go to the pure-Python path, which
 * lets the library (or Python's recursion limit) report them. */
#define MAX_DEPTH 64

/* The answer "leave it to the pure-Python path". */
#define DEFER 1

typedef struct {
	char *data;
	size_t len, cap;
} text;

static int grow(text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *data;

	while (cap - t->len < n) {
		if (cap > ((size_t)PY_SSIZE_T_MAX) / 2) {
			PyErr_NoMemory();
			return -1;
		}
		cap *= 2;
	}
	data = PyMem_Realloc(t->data, cap);
	if (!data) {
		PyErr_NoMemory();
		return -1;
	}
	t->data = data;
	t->cap = cap;
	return 0;
}

static inline int put(text *t, const char *s, size_t n)
{
	if (t->cap - t->len < n && grow(t, n) < 0)
		return -1;
	memcpy(t->data + t->len, s, n);
	t->len += n;
	return 0;
}

static inline int putc_(text *t, char c)
{
	return put(t, &c, 1);
}

/* The bytes json.dumps escapes: the control characters, '"' and '\\'. */
static const unsigned char escaped[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* Does any of the 8 bytes of w need an escape? Each test is exact for
 * "any": a borrow only spreads from a byte that is a hit itself. */
static inline int any_escaped(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		((backslash - ones) & ~backslash)) & high ? 1 : 0;
}

/* A str as json.dumps writes it with ensure_ascii=False: UTF-8, with
 * '"', '\\' and the control characters escaped (\uXXXX in lower case but
 * for the five short forms). DEFER for a lone surrogate. */
static int put_str(text *t, PyObject *s)
{
	static const char hex[] = "0123456789abcdef";
	Py_ssize_t n, i, run = 0;
	const char *u;

	if (PyUnicode_IS_COMPACT_ASCII(s)) {
		u = (const char *)PyUnicode_DATA(s);
		n = PyUnicode_GET_LENGTH(s);
	} else {
		u = PyUnicode_AsUTF8AndSize(s, &n);
	}
	if (!u) {
		if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
			return -1;
		PyErr_Clear();
		return DEFER;
	}
	/* Room for the worst case, once: every byte a \u escape. */
	if (t->cap - t->len < (size_t)n * 6 + 2 && grow(t, (size_t)n * 6 + 2) < 0)
		return -1;
	t->data[t->len++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c;
		char *o;

		/* runs of 8 bytes with nothing to escape, at once */
		while (n - i >= 8) {
			uint64_t w;

			memcpy(&w, u + i, 8);
			if (any_escaped(w))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = (unsigned char)u[i];
		if (!escaped[c])
			continue;
		memcpy(t->data + t->len, u + run, (size_t)(i - run));
		t->len += (size_t)(i - run);
		run = i + 1;
		o = t->data + t->len;
		o[0] = '\\';
		switch (c) {
		case '"': o[1] = '"'; break;
		case '\\': o[1] = '\\'; break;
		case '\b': o[1] = 'b'; break;
		case '\f': o[1] = 'f'; break;
		case '\n': o[1] = 'n'; break;
		case '\r': o[1] = 'r'; break;
		case '\t': o[1] = 't'; break;
		default:
			memcpy(o + 1, "u00", 3);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			t->len += 4;
			break;
		}
		t->len += 2;
	}
	memcpy(t->data + t->len, u + run, (size_t)(n - run));
	t->len += (size_t)(n - run);
	t->data[t->len++] = '"';
	return 0;
}

/* A 64-bit integer in decimal, as int.__repr__ writes it. */
static int put_int(text *t, long long x)
{
	char num[24], *o = num + sizeof(num);
	unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;

	do {
		*--o = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		*--o = '-';
	return put(t, o, (size_t)(num + sizeof(num) - o));
}

static int put_value(text *t, PyObject *v, int depth);

static int put_items(text *t, PyObject *const *items, Py_ssize_t n, int depth)
{
	Py_ssize_t i;
	int rc;

	if (putc_(t, '[') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (i && putc_(t, ',') < 0)
			return -1;
		if ((rc = put_value(t, items[i], depth)) != 0)
			return rc;
	}
	return putc_(t, ']');
}

static int put_dict(text *t, PyObject *d, int depth)
{
	Py_ssize_t pos = 0;
	PyObject *k, *v;
	int rc, first = 1;

	if (putc_(t, '{') < 0)
		return -1;
	while (PyDict_Next(d, &pos, &k, &v)) {
		if (!PyUnicode_CheckExact(k))
			return DEFER;
		if (!first && putc_(t, ',') < 0)
			return -1;
		first = 0;
		if ((rc = put_str(t, k)) != 0)
			return rc;
		if (putc_(t, ':') < 0)
			return -1;
		if ((rc = put_value(t, v, depth)) != 0)
			return rc;
	}
	return putc_(t, '}');
}

/* Any value; depth counts the containers around it, the record's object
 * included. 0, DEFER, or -1 with a Python exception set. */
static int put_value(text *t, PyObject *v, int depth)
{
	if (PyUnicode_CheckExact(v))
		return put_str(t, v);
	if (v == Py_None)
		return put(t, "null", 4);
	if (v == Py_True)
		return put(t, "true", 4);
	if (v == Py_False)
		return put(t, "false", 5);
	if (PyLong_CheckExact(v)) {
		int overflow;
		long long x = PyLong_AsLongLongAndOverflow(v, &overflow);

		if (overflow)
			return DEFER;
		if (x == -1 && PyErr_Occurred())
			return -1;
		return put_int(t, x);
	}
	if (PyFloat_CheckExact(v)) {
		double x = PyFloat_AS_DOUBLE(v);
		char *r;
		int rc;

		if (!isfinite(x))
			return DEFER;
		/* float.__repr__, which json.dumps uses */
		r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
		if (!r)
			return -1;
		rc = put(t, r, strlen(r));
		PyMem_Free(r);
		return rc;
	}
	if (depth >= MAX_DEPTH)
		return DEFER;
	if (PyDict_CheckExact(v))
		return put_dict(t, v, depth + 1);
	if (PyList_CheckExact(v))
		return put_items(t, PySequence_Fast_ITEMS(v), PyList_GET_SIZE(v), depth + 1);
	if (PyTuple_CheckExact(v))
		return put_items(t, PySequence_Fast_ITEMS(v), PyTuple_GET_SIZE(v), depth + 1);
	return DEFER;
}

/* The buffer of the last call, kept for the next: a record is written
 * into memory already there. Only used with the GIL held. */
static text kept;

/* The member names of the last call (a tuple of ASCII str, referenced
 * here), as bytes: a record's keys are matched against them directly,
 * which costs less than a dict lookup per name. */
#define MAX_NAMES 64
static PyObject *names_kept;
static struct {
	const char *s;
	Py_ssize_t n;
} name_tab[MAX_NAMES];
static Py_ssize_t name_count;

static int take_names(PyObject *names)
{
	Py_ssize_t i, n = PyTuple_GET_SIZE(names);

	if (names == names_kept)
		return 0;
	if (n > MAX_NAMES) {
		PyErr_SetString(PyExc_ValueError, "record_text: too many names");
		return -1;
	}
	for (i = 0; i < n; i++) {
		PyObject *name = PyTuple_GET_ITEM(names, i);

		if (!PyUnicode_CheckExact(name) || !PyUnicode_IS_COMPACT_ASCII(name)) {
			PyErr_SetString(PyExc_TypeError, "record_text: names must be ASCII str");
			return -1;
		}
		name_tab[i].s = (const char *)PyUnicode_DATA(name);
		name_tab[i].n = PyUnicode_GET_LENGTH(name);
	}
	Py_INCREF(names);
	Py_XDECREF(names_kept);
	names_kept = names;
	name_count = n;
	return 0;
}

/* The index of key among the names, or -1. */
static Py_ssize_t name_index(PyObject *key)
{
	const char *s;
	Py_ssize_t i, n;

	if (!PyUnicode_IS_COMPACT_ASCII(key))
		return -1; /* the names are ASCII */
	s = (const char *)PyUnicode_DATA(key);
	n = PyUnicode_GET_LENGTH(key);
	for (i = 0; i < name_count; i++)
		if (name_tab[i].n == n && name_tab[i].s[0] == s[0] && memcmp(name_tab[i].s, s, n) == 0)
			return i;
	return -1;
}

/* The members of record, in the order of the names: { "name":value, ... }. */
static int put_record(text *t, PyObject *record)
{
	PyObject *slot[MAX_NAMES] = { NULL }, *k, *v;
	Py_ssize_t pos = 0, i;
	int rc, first = 1;

	/* record.get(name) for each name: a key equal to a name without
	 * being an exact str (a subclass) is left to the pure path */
	while (PyDict_Next(record, &pos, &k, &v)) {
		if (!PyUnicode_CheckExact(k))
			return DEFER;
		if ((i = name_index(k)) >= 0)
			slot[i] = v;
	}
	if (putc_(t, '{') < 0)
		return -1;
	for (i = 0; i < name_count; i++) {
		if (!slot[i] || slot[i] == Py_None)
			continue;
		if (!first && putc_(t, ',') < 0)
			return -1;
		first = 0;
		if (putc_(t, '"') < 0 || put(t, name_tab[i].s, (size_t)name_tab[i].n) < 0 ||
		    put(t, "\":", 2) < 0)
			return -1;
		if ((rc = put_value(t, slot[i], 1)) != 0)
			return rc;
	}
	return putc_(t, '}');
}

static PyObject *record_text(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	PyObject *record, *out = NULL;
	text t = kept;
	int rc;

	if (nargs != 2 || !PyTuple_CheckExact(args[1])) {
		PyErr_SetString(PyExc_TypeError, "record_text(record, names): names is a tuple");
		return NULL;
	}
	record = args[0];
	if (!PyDict_CheckExact(record))
		Py_RETURN_NONE;
	if (take_names(args[1]) < 0)
		return NULL;
	/* taken, not shared: a key's __eq__ may call back into Python */
	kept.data = NULL;
	kept.len = kept.cap = 0;
	rc = put_record(&t, record);
	if (rc == 0) {
		out = PyBytes_FromStringAndSize(t.data, (Py_ssize_t)t.len);
	} else if (rc == DEFER) {
		Py_INCREF(Py_None);
		out = Py_None;
	}
	/* keep a buffer of up to 1 MiB for the next record */
	if (t.cap <= ((size_t)1 << 20) && !kept.data) {
		t.len = 0;
		kept = t;
	} else {
		PyMem_Free(t.data);
	}
	return out;
}

static PyMethodDef methods[] = {
	{ "record_text", (PyCFunction)(void (*)(void))record_text, METH_FASTCALL,
	  "record_text(record, names) -> bytes or None\n\n"
	  "The members `names` of dict `record` as compact JSON text, or None\n"
	  "when the pure-Python path must judge the record." },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_kagrecord",
	"Accelerator of the kag module: decoded records to JSON text in C.", -1, methods,
	NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__kagrecord(void);

PyMODINIT_FUNC PyInit__kagrecord(void)
{
	return PyModule_Create(&module);
}
