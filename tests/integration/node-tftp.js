// node-tftp.js - one transfer with node-tftp (the npm package tftp), for
// tests/integration/node-tftp.sh. Its ntftp command needs a terminal, so
// the test drives the library instead:
//
//   node node-tftp.js get|put HOST PORT REMOTE LOCAL BLKSIZE WINDOWSIZE
//
// Exit status 0 when node-tftp reports success, 1 with one line on stderr
// (naming node-tftp's own error) when it reports a failure or when the
// transfer has not ended within OVERALL_MS, 2 for a bad command line or a
// missing module. Whether the bytes are right is for the caller to check.
'use strict';

const fs = require('fs');

// node-tftp 0.1.2 calls new Buffer(), deprecated: keep stderr to our line.
process.noDeprecation = true;

const OVERALL_MS = 60000;
// node-tftp's defaults. It sends its timeout (milliseconds) as the RFC 2349
// option "timeout", which counts seconds from 1 to 255: at 3000 the server
// ignores the option and node-tftp keeps its own timer.
const RETRIES = 3;
const TIMEOUT_MS = 3000;

function die(status, msg) {
	process.stderr.write(`node-tftp.js: ${msg}\n`);
	process.exit(status);
}

function number(arg, what, min, max) {
	const n = Number(arg);
	if (!Number.isInteger(n) || n < min || n > max)
		die(2, `${what} must be an integer from ${min} to ${max}, not '${arg}'`);
	return n;
}

const argv = process.argv.slice(2);
if (argv.length !== 7 || (argv[0] !== 'get' && argv[0] !== 'put'))
	die(2, 'usage: node node-tftp.js get|put HOST PORT REMOTE LOCAL BLKSIZE WINDOWSIZE');
const [op, host, portArg, remote, local, blksizeArg, windowArg] = argv;
const port = number(portArg, 'PORT', 1, 65535);
const blockSize = number(blksizeArg, 'BLKSIZE', 8, 65464);
const windowSize = number(windowArg, 'WINDOWSIZE', 1, 65535);

// node-tftp's reader survives no lost block (node-tftp.sh says why): a
// window the socket cannot hold while the client is busy writing the last
// one is lost in part, and the file comes out corrupt or the transfer
// stalls, whatever the server does. So its socket gets a buffer for two
// whole windows, as a careful client would ask for; a client with the
// default buffer is tested with atftp (bigfile.sh). node-tftp makes its
// sockets with dgram.createSocket("udp4"), looked up at each call.
const dgram = require('dgram');
const RCVBUF_DEFAULT = 212992;
const rcvbuf = Math.max(RCVBUF_DEFAULT, 2 * windowSize * (blockSize + 4));
const createSocket = dgram.createSocket;
dgram.createSocket = function (type, listener) {
	const options = typeof type === 'string' ? { type } : Object.assign({}, type);
	options.recvBufferSize = rcvbuf;
	return createSocket.call(dgram, options, listener);
};

let tftp;
try {
	tftp = require('tftp');
} catch (e) {
	die(2, `cannot load the tftp module (npm install tftp@0.1.2; NODE_PATH=${process.env.NODE_PATH || ''}): ${e.message.split('\n')[0]}`);
}

const what = `${op} ${remote} (blksize ${blockSize}, windowsize ${windowSize})`;
const started = Date.now();
setTimeout(() => die(1, `${what}: no end after ${OVERALL_MS / 1000} s`), OVERALL_MS);
process.on('uncaughtException', (e) => {
	const where = e && e.stack ? ` (${(e.stack.split('\n')[1] || '').trim()})` : '';
	die(1, `${what}: node-tftp threw: ${e && e.message ? e.message : e}${where}`);
});

function done(err) {
	if (err) {
		const code = err.code ? ` [${err.code}]` : '';
		die(1, `${what}: node-tftp failed after ${Date.now() - started} ms: ${err.message || err}${code}`);
	}
	process.exit(0);
}

const client = tftp.createClient({
	host,
	port,
	blockSize,
	windowSize,
	retries: RETRIES,
	timeout: TIMEOUT_MS,
});
if (op === 'get') {
	client.get(remote, local, {}, done);
} else {
	// What client.put() does, but its callback never comes: the PutStream
	// emits 'close' before its 'finish', the pipe takes that for the end
	// of the destination and unpipes, so the file stream never ends it
	// and 'finish' never fires (gagle/node-tftp#5). The 'close' comes only
	// once the server has acknowledged the last block, and is followed at
	// once (in the same tick) by 'error' or 'abort' when the transfer failed.
	let size;
	try {
		size = fs.statSync(local).size;
	} catch (e) {
		die(2, `${local}: ${e.message}`);
	}
	let failed = false;
	const rs = fs.createReadStream(local);
	const ps = client.createPutStream(remote, { size });
	rs.on('error', (e) => {
		failed = true;
		die(1, `${what}: reading ${local}: ${e.message}`);
	});
	ps.on('error', (e) => {
		failed = true;
		done(e);
	});
	ps.on('abort', () => {
		failed = true;
		done(new Error('aborted'));
	});
	ps.on('close', () => setImmediate(() => failed || done()));
	rs.pipe(ps);
}
