/* Reading a policy's component entries (component_load.c). */
#ifndef KAG_COMPONENT_LOAD_PRIVATE_H
#define KAG_COMPONENT_LOAD_PRIVATE_H

#include <jansson.h>

#include "component-private.h"
#include "detector-private.h"
#include "jptr-private.h"

/* Read one entry of "components" at `path` into c (owned). On error the
 * registry keeps "path: reason" and c holds what was read so far, for
 * kag__component_dispose(). */
int kag__component_load(kag_registry *r, kag__jptr *path, json_t *obj, kag__component *c);

#endif
