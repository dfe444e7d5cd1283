/*
 * msg.h - THE wire protocol between the monitor and a transfer child.
 *
 * Every message is one SOCK_SEQPACKET datagram: a fixed header followed by
 * a fixed-size body, all fields fixed-width and little-endian, encoded and
 * decoded field by field (no struct is copied to the wire, so no padding
 * leaks). Each type carries an exact number of fds (SCM_RIGHTS).
 *
 *   type    direction          body            fds
 *   READY   child -> monitor   none            0   (jail is in place)
 *   JOB     monitor -> child   struct psep_job 2   [file, transfer socket]
 *   RESULT  child -> monitor   struct psep_result 0
 *
 * A child runs jobs of one client address one after another (the monitor
 * decides which); after an upload's RESULT it exits, and the monitor
 * commits the file only once it has reaped it: no child ever holds a
 * descriptor of a file that has a public name.
 *
 * Decoding is pure and checks every field; what a child sends is untrusted.
 */
#ifndef CLOISTER_PSEP_MSG_H
#define CLOISTER_PSEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define PSEP_MSG_VERSION 2
#define PSEP_MSG_MAX 1024   /* no encoded message is longer */
#define PSEP_MSG_MAX_FDS 2  /* no message carries more fds */
#define PSEP_OACK_MAX 512   /* bytes of a pre-built OACK in a job */
#define PSEP_PEER_MSG_MAX 128 /* bytes of a client's ERROR text, with NUL */
/* No job's window (windowsize blocks of blksize + 4 bytes) is larger: the
 * monitor grants a smaller windowsize rather than make a child hold more. */
#define PSEP_WINDOW_BYTES_MAX (8u << 20)

enum psep_msg_type {
	PSEP_MSG_READY = 1,
	PSEP_MSG_JOB = 2,
	PSEP_MSG_RESULT = 3,
	PSEP_MSG_TYPE_MAX = 3,
};

enum psep_job_fd {
	PSEP_FD_FILE = 0,   /* regular file, opened for reading (RRQ) or writing (WRQ);
	                     * the read end of a pipe for a PSEP_JOB_STREAM job */
	PSEP_FD_SOCKET = 1, /* UDP socket connected to the client */
};

/* psep_job.flags */
enum psep_job_flag {
	PSEP_JOB_FIRST_RESENT = 1 << 0, /* the first packet went out more than once */
	/* RRQ: the file is a pipe that carries exactly file_size bytes (a
	 * relayed body while it arrives), read once, in order; the first
	 * packet was an OACK, as only the child reads the pipe. */
	PSEP_JOB_STREAM = 1 << 1,
	PSEP_JOB_FLAGS_ALL = PSEP_JOB_FIRST_RESENT | PSEP_JOB_STREAM,
};

/* What the monitor decided; the child moves bytes accordingly. */
struct psep_job {
	uint32_t transfer_id;
	uint8_t opcode;        /* TFTP_OP_RRQ or TFTP_OP_WRQ */
	uint8_t mode;          /* enum tftp_mode */
	uint8_t rollover;      /* block number after 65535: 0 or 1 */
	uint8_t flags;         /* enum psep_job_flag */
	uint32_t blksize;      /* 8..65464 */
	uint32_t windowsize;   /* 1..65535 */
	uint32_t timeout_ms;   /* initial retransmission timeout, 1..255000 */
	uint32_t rto_min_ms;   /* 1..rto_max_ms */
	uint32_t rto_max_ms;   /* rto_min_ms..255000 */
	uint32_t retries;      /* 1..255: resends of one packet before giving up */
	uint32_t deadline_s;   /* 1..86400: whole transfer */
	uint32_t initial_window; /* 1..65535: packets of the first window (slow start) */
	uint32_t first_rtt_usec; /* the round trip of the first packet, as the
	                          * monitor measured it; 0 = unknown */
	/*
	 * When the monitor sent the transfer's first packet itself (the OACK,
	 * DATA 1 or ACK 0) and the client's answer waits in the socket: the
	 * monotonic time of that send, in microseconds. 0: the child sends
	 * the first packet.
	 */
	uint64_t first_sent_usec;
	uint64_t file_size;    /* RRQ: size at open; WRQ: 0 */
	uint64_t max_size;     /* WRQ: upload limit in bytes, 0 = none */
	uint16_t oack_len;     /* 0 = no OACK; else bytes in oack */
	uint8_t oack[PSEP_OACK_MAX];
};

enum psep_status {
	PSEP_OK = 0,            /* transfer complete */
	PSEP_TIMEOUT = 1,       /* retries exhausted */
	PSEP_PEER_ERROR = 2,    /* client sent ERROR */
	PSEP_PROBE = 3,         /* client sent ERROR 8 after the OACK: size probe */
	PSEP_IO_ERROR = 4,      /* reading or writing the file failed */
	PSEP_NO_SPACE = 5,      /* disk full or upload limit */
	PSEP_PROTOCOL = 6,      /* client broke the protocol */
	PSEP_DEADLINE = 7,      /* total deadline passed */
	PSEP_INTERNAL = 8,      /* anything else */
	PSEP_UNREACHABLE = 9,   /* an ICMP error: the client's port or host is gone */
	PSEP_STATUS_MAX = 9,
};

/* What the child reports. Every field is checked by the decoder. */
struct psep_result {
	uint32_t transfer_id;
	uint32_t status;        /* enum psep_status */
	uint16_t peer_error;    /* client's ERROR code, 0..8 when status is PEER_ERROR/PROBE */
	uint64_t bytes;         /* file bytes moved */
	uint64_t blocks;        /* DATA blocks moved (not counting resends) */
	uint32_t retransmits;   /* packets sent again */
	uint64_t duration_usec;
	uint32_t rtt_usec;      /* smoothed round-trip time at the end, 0 if unknown */
	char peer_message[PSEP_PEER_MSG_MAX]; /* printable ASCII, NUL-terminated */
};

struct psep_msg {
	uint32_t type; /* enum psep_msg_type */
	union {
		struct psep_job job;
		struct psep_result result;
	};
};

/* How many fds a message of this type carries; -EINVAL for unknown types. */
int psep_msg_nfds(uint32_t type);

/*
 * Encode msg into buf (size bytes). Returns the length, -ENOBUFS when buf
 * is too small, -EINVAL when a field is out of range (the same checks the
 * decoder makes, so nothing invalid is ever sent).
 */
int psep_msg_encode(const struct psep_msg *msg, uint8_t *buf, size_t size);

/*
 * Decode exactly len bytes. Returns 0, or -EBADMSG (wrong length, unknown
 * type, bad version) or -EINVAL (a field out of range). *ret_msg is
 * untouched on failure.
 */
int psep_msg_decode(const uint8_t *buf, size_t len, struct psep_msg *ret_msg);

/*
 * Encode and send msg with nfds fds (must equal psep_msg_nfds(msg->type)).
 * The fds stay owned by the caller. Returns 0 or -errno.
 */
int psep_msg_send(int sock, const struct psep_msg *msg, const int *fds, size_t nfds);

/*
 * Receive one message. Uses MSG_CMSG_CLOEXEC; rejects (-EBADMSG) a message
 * truncated in data or control (MSG_TRUNC/MSG_CTRUNC), control messages
 * other than SCM_RIGHTS, and an fd count other than the type's; for JOB,
 * fd PSEP_FD_FILE must be a regular file and PSEP_FD_SOCKET a socket
 * (-EBADF otherwise). On any failure every received fd is closed.
 * Returns 0 with the fds in ret_fds (owned by the caller, psep_msg_nfds
 * of them), -ECONNRESET at end of stream, or -errno.
 */
int psep_msg_recv(int sock, struct psep_msg *ret_msg, int ret_fds[PSEP_MSG_MAX_FDS]);

#endif
