// Interoperability client for tests/e2e/test_interop.py: Node.js `tls`.
//
// Usage: node node_client.js HOST PORT CAFILE SUITE PING UPLOAD_FILE DOWNLOAD_LEN
//
// Connects with tls.connect limited to TLSv1.2 and the one (OpenSSL-named)
// cipher suite SUITE, trusting only CAFILE and checking the server's name
// (HOST, an IP address or a DNS name). Then: sends PING and expects it
// echoed back; sends UPLOAD_FILE's bytes while reading DOWNLOAD_LEN bytes;
// ends the connection (close_notify). Prints to stdout, one per line:
//   PROTOCOL <protocol>     CIPHER <OpenSSL name> <standard name>
//   ECHO ok
//   UP <bytes> <sha256 hex>   DOWN <bytes> <sha256 hex>
//   DONE
// Any failure: a message on stderr and exit status 1.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const tls = require('tls');

const SIZES = [1, 7, 4093, 16385, 65537];

function fail(msg) {
  process.stderr.write('node_client: ' + msg + '\n');
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length !== 7)
  fail('usage: node_client.js HOST PORT CAFILE SUITE PING UPLOAD_FILE DOWNLOAD_LEN');
const [host, port, caFile, suite, pingStr, upFile, downLenStr] = args;
const ping = Buffer.from(pingStr, 'utf8');
const upload = fs.readFileSync(upFile);
const downLen = Number(downLenStr);

const timer = setTimeout(() => fail('timed out after 90 s'), 90000);

const opts = {
  host, port: Number(port), ca: fs.readFileSync(caFile),
  ciphers: suite, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2',
  rejectUnauthorized: true,
};
if (!net.isIP(host))
  opts.servername = host;
const sock = tls.connect(opts);

let phase = 'handshake';
let echo = Buffer.alloc(0);
let got = 0;
const down = crypto.createHash('sha256');
let uploaded = false;
let upHash = null;

function finish() {
  if (got < downLen || !uploaded)
    return;
  phase = 'done';
  process.stdout.write('UP ' + upload.length + ' ' + upHash + '\n');
  process.stdout.write('DOWN ' + got + ' ' + down.digest('hex') + '\n');
  sock.end();   // close_notify, then FIN
}

function sendUpload() {
  // Write the upload in varied chunk sizes, honouring backpressure.
  const up = crypto.createHash('sha256');
  let off = 0;
  let i = 0;
  function more() {
    while (off < upload.length) {
      const n = Math.min(SIZES[i++ % SIZES.length], upload.length - off);
      const chunk = upload.subarray(off, off + n);
      up.update(chunk);
      off += n;
      if (!sock.write(chunk)) {
        sock.once('drain', more);
        return;
      }
    }
    upHash = up.digest('hex');
    uploaded = true;
    finish();
  }
  more();
}

function onData(d) {
  if (phase === 'echo') {
    echo = Buffer.concat([echo, d]);
    if (echo.length < ping.length)
      return;
    if (!echo.subarray(0, ping.length).equals(ping))
      fail('echo differs: ' + JSON.stringify(echo.toString()));
    process.stdout.write('ECHO ok\n');
    d = echo.subarray(ping.length);
    phase = 'bulk';
    sendUpload();
  }
  if (phase === 'bulk') {
    if (got + d.length > downLen)
      fail('received more than ' + downLen + ' bytes');
    down.update(d);
    got += d.length;
    finish();
  } else if (phase === 'done' && d.length) {
    fail('unexpected data after the download');
  }
}

sock.on('secureConnect', () => {
  if (!sock.authorized)
    fail('not authorized: ' + sock.authorizationError);
  const c = sock.getCipher();
  process.stdout.write('PROTOCOL ' + sock.getProtocol() + '\n');
  process.stdout.write('CIPHER ' + c.name + ' ' + c.standardName + '\n');
  phase = 'echo';
  sock.write(ping);
});
sock.on('data', onData);
sock.on('error', (e) => fail('phase ' + phase + ': ' + e.stack));
sock.on('close', () => {
  if (phase !== 'done')
    fail('connection closed in phase ' + phase + ' after ' + got + ' bytes');
  clearTimeout(timer);
  process.stdout.write('DONE\n');
});
