// Interoperability client for tests/e2e/test_interop.py: Java's JSSE.
//
// Usage: java JavaClient HOST PORT CAFILE SUITE PING UPLOAD_FILE DOWNLOAD_LEN
//
// Connects with an SSLSocket limited to TLSv1.2 and the one JSSE cipher
// suite SUITE, trusting only the PEM certificate(s) in CAFILE and checking
// the server's name (HOST, an IP address or a DNS name) the way HTTPS does.
// Then: sends PING and expects it echoed back; sends UPLOAD_FILE's bytes
// while a second thread reads DOWNLOAD_LEN bytes; closes (close_notify).
// Prints to stdout, one per line:
//   PROTOCOL <protocol>     CIPHER <JSSE suite name>
//   ECHO ok
//   UP <bytes> <sha256 hex>   DOWN <bytes> <sha256 hex>
//   DONE
// Any failure: a message on stderr and exit status 1.

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class JavaClient {
    private static final int[] SIZES = {1, 7, 4093, 16385, 65537};

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b)
            sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static SSLContext context(String caFile) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int i = 0;
        try (InputStream in = new FileInputStream(caFile)) {
            for (Certificate c : cf.generateCertificates(in))
                ks.setCertificateEntry("ca" + i++, c);
        }
        if (i == 0)
            throw new IllegalArgumentException("no certificate in " + caFile);
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLSv1.2");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static void readFully(InputStream in, byte[] buf) throws Exception {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0)
                throw new java.io.EOFException("EOF after " + off + " of " + buf.length
                                               + " bytes of the echo");
            off += n;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: JavaClient HOST PORT CAFILE SUITE PING UPLOAD_FILE DOWNLOAD_LEN");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String suite = args[3];
        byte[] ping = args[4].getBytes(StandardCharsets.UTF_8);
        byte[] upload = Files.readAllBytes(Paths.get(args[5]));
        long downLen = Long.parseLong(args[6]);
        try {
            SSLContext ctx = context(args[2]);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(host, port);
            s.setSoTimeout(60000);
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {suite});
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            System.out.println("PROTOCOL " + s.getSession().getProtocol());
            System.out.println("CIPHER " + s.getSession().getCipherSuite());
            System.out.flush();

            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            out.write(ping);
            out.flush();
            byte[] echo = new byte[ping.length];
            readFully(in, echo);
            if (!Arrays.equals(echo, ping))
                throw new IllegalStateException("echo differs: "
                    + new String(echo, StandardCharsets.UTF_8));
            System.out.println("ECHO ok");

            final long[] got = {0};
            final Exception[] err = {null};
            final MessageDigest down = MessageDigest.getInstance("SHA-256");
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[1 << 16];
                try {
                    while (got[0] < downLen) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, downLen - got[0]));
                        if (n < 0)
                            throw new java.io.EOFException("EOF after " + got[0] + " of "
                                                           + downLen + " bytes");
                        down.update(buf, 0, n);
                        got[0] += n;
                    }
                } catch (Exception e) {
                    err[0] = e;
                }
            });
            reader.start();
            MessageDigest up = MessageDigest.getInstance("SHA-256");
            int off = 0;
            for (int i = 0; off < upload.length; i++) {
                int n = Math.min(SIZES[i % SIZES.length], upload.length - off);
                out.write(upload, off, n);
                up.update(upload, off, n);
                off += n;
            }
            out.flush();
            reader.join(90000);
            if (reader.isAlive())
                throw new IllegalStateException("download still running after 90 s: "
                                                + got[0] + " bytes");
            if (err[0] != null)
                throw err[0];
            System.out.println("UP " + off + " " + hex(up.digest()));
            System.out.println("DOWN " + got[0] + " " + hex(down.digest()));
            s.close();
            System.out.println("DONE");
            System.out.flush();
        } catch (Exception e) {
            System.err.println("JavaClient: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }
}
