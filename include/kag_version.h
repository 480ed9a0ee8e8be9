/* kag version information. Kept by hand with the project's version in
 * meson.build (a configure-time check refuses a mismatch), so that a copy
 * of include/ and lib/ builds without a generator (lib/Makefile). */
#ifndef KAG_VERSION_H
#define KAG_VERSION_H

#define KAG_VERSION_MAJOR 0
#define KAG_VERSION_MINOR 5
#define KAG_VERSION_PATCH 0
#define KAG_VERSION "0.5.0"

/* (major << 16) | (minor << 8) | patch, comparable with < and >. */
#define KAG_VERSION_HEX ((KAG_VERSION_MAJOR << 16) | (KAG_VERSION_MINOR << 8) | KAG_VERSION_PATCH)

/* True when the headers are at least version major.minor.patch. */
#define KAG_VERSION_CHECK(major, minor, patch) \
	(KAG_VERSION_HEX >= (((major) << 16) | ((minor) << 8) | (patch)))

#endif
