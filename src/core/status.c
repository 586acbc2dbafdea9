/*
 * status.c - text for the status codes of status.h.
 *
 * Invariant: every enumerator of enum status_code has a case here; the
 * default branch covers anything else so the result is never NULL.
 */
#include "status.h"

const char *status_str(int code)
{
	switch (code) {
	case STATUS_OK: return "success";
	case STATUS_FOUND: return "factor found";
	case STATUS_NOT_FOUND: return "no factor found";
	case STATUS_PARTIAL: return "factorization incomplete";
	case STATUS_ERR_NOMEM: return "out of memory";
	case STATUS_ERR_INVAL: return "invalid argument";
	case STATUS_ERR_SYNTAX: return "syntax error";
	case STATUS_ERR_RANGE: return "value out of range";
	case STATUS_ERR_IO: return "input/output error";
	case STATUS_ERR_PROTO: return "protocol error";
	case STATUS_ERR_VERIFY: return "verification failed";
	case STATUS_ERR_MPI: return "MPI error";
	case STATUS_ERR_TIMEOUT: return "time limit reached";
	case STATUS_ERR_STOPPED: return "stopped";
	case STATUS_ERR_MISMATCH: return "belongs to a different job";
	case STATUS_ERR_CORRUPT: return "data corrupted";
	default: return "unknown status";
	}
}
