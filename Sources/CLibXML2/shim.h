#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU; its encoding.h would pull <unicode/ucnv.h>, which clashes with Foundation's ICU. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <libxml/xmlerror.h>
/* xmlFree is a mutable global function pointer that Swift cannot call directly. */
static inline void cxml_free(void *p) { xmlFree(p); }
