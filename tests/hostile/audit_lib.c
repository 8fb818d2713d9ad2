/* An audit library the program names itself (DT_AUDIT, linked with
 * -Wl,--audit=THIS): the dynamic loader calls its la_version before it
 * loads anything else of the program's, and la_objopen for each object.
 * They must run inside the finished sandbox, never before it. */
#include "attack.h"

unsigned int la_version(unsigned int version) {
  hx_attack("audit");
  return version;
}
