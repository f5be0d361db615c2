/* Stand-in for xstatus.h. */
#ifndef XSTATUS_H
#define XSTATUS_H
#define XST_SUCCESS 0L
#define XST_FAILURE 1L
#endif
