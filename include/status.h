/*
 * status.h - the one status vocabulary of factorize.
 *
 * Every library function that can fail returns an int from this list:
 * zero is success, negative values are errors, positive values report that
 * something was found (GMP-ECM's ECM_FACTOR_FOUND_P / ECM_ERROR_P style).
 * status_str() turns any of them into a short English phrase.
 */
#ifndef FACTORIZE_STATUS_H
#define FACTORIZE_STATUS_H

enum status_code {
	STATUS_OK = 0,
	STATUS_FOUND = 1,     /* a method found a non-trivial factor */
	STATUS_NOT_FOUND = 2, /* a method finished without a factor */
	STATUS_PARTIAL =
		3, /* a factorization stopped with a composite cofactor */

	STATUS_ERR_NOMEM = -1,     /* allocation failed */
	STATUS_ERR_INVAL = -2,     /* invalid argument */
	STATUS_ERR_SYNTAX = -3,    /* malformed input token */
	STATUS_ERR_RANGE = -4,     /* value out of the allowed range */
	STATUS_ERR_IO = -5,        /* read or write error (see errno) */
	STATUS_ERR_PROTO = -6,     /* malformed or unexpected message */
	STATUS_ERR_VERIFY = -7,    /* a factorization failed its check */
	STATUS_ERR_MPI = -8,       /* an MPI call failed */
	STATUS_ERR_TIMEOUT = -9,   /* a time limit expired */
	STATUS_ERR_STOPPED = -10,  /* stopped on request (signal) */
	STATUS_ERR_MISMATCH = -11, /* journal belongs to another job */
	STATUS_ERR_CORRUPT = -12   /* stored data failed its checksum */
};

/* A static string describing code; never NULL. */
const char *status_str(int code);

#endif
