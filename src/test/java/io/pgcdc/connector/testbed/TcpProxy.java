package io.pgcdc.connector.testbed;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local TCP port in front of a PostgreSQL server that forwards, or misbehaves the way networks
 * and servers do: it accepts a connection and never answers (a host behind a dead load balancer, a
 * server stuck before login), or accepts and drops it at once (a server restarting). It reads each
 * connection's startup packet, so it can misbehave for replication connections only.
 *
 * <p>Thread-safe; {@link #close()} closes every socket and waits for its threads.
 */
public final class TcpProxy implements AutoCloseable {

    /** What happens to a new connection. */
    public enum Mode {
        FORWARD,
        /** Accepted, read, never answered. */
        SILENT,
        /** Replication connections are {@link #SILENT}, others forwarded. */
        SILENT_FOR_REPLICATION
    }

    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger dropsLeft = new AtomicInteger();
    private final AtomicInteger silenced = new AtomicInteger();
    private volatile Mode mode = Mode.FORWARD;
    private volatile boolean closed;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    /** The next {@code n} connections are accepted and closed at once, before any byte. */
    public void dropNext(int n) {
        dropsLeft.set(n);
    }

    /** Connections accepted so far, dropped and silenced ones included. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections left unanswered so far. */
    public int silenced() {
        return silenced.get();
    }

    /** Closes every connection made through the proxy so far (the server sees the clients go). */
    public synchronized void cutAll() {
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        sockets.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            if (dropsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                closeQuietly(client);
                continue;
            }
            register(client);
            spawn("tcp-proxy-conn", () -> handle(client));
        }
    }

    private void handle(Socket client) {
        Socket upstream = null;
        try {
            Mode now = mode;
            if (now == Mode.SILENT) {
                silence(client);
                return;
            }
            DataInputStream in = new DataInputStream(client.getInputStream());
            upstream = new Socket(targetHost, targetPort);
            register(upstream);
            OutputStream toServer = upstream.getOutputStream();
            InputStream fromServer = upstream.getInputStream();
            byte[] packet = readPacket(in);
            int code = ByteBuffer.wrap(packet, 4, 4).getInt();
            while (code == SSL_REQUEST || code == GSS_REQUEST) {
                toServer.write(packet);
                toServer.flush();
                int answer = fromServer.read(); // 'N': go on in plain text
                client.getOutputStream().write(answer);
                client.getOutputStream().flush();
                packet = readPacket(in);
                code = ByteBuffer.wrap(packet, 4, 4).getInt();
            }
            if (now == Mode.SILENT_FOR_REPLICATION && isReplication(packet)) {
                closeQuietly(upstream);
                silence(client);
                return;
            }
            toServer.write(packet);
            toServer.flush();
            Socket serverSide = upstream;
            spawn("tcp-proxy-down", () -> pump(fromServer, client, serverSide));
            pump(in, upstream, client);
        } catch (IOException e) {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    private void silence(Socket client) throws IOException {
        silenced.incrementAndGet();
        InputStream in = client.getInputStream();
        byte[] buffer = new byte[1024];
        while (in.read(buffer) >= 0) {
            // read and drop: the client waits for an answer that never comes
        }
        closeQuietly(client);
    }

    private static byte[] readPacket(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] packet = new byte[length];
        ByteBuffer.wrap(packet).putInt(length);
        in.readFully(packet, 4, length - 4);
        return packet;
    }

    /** Whether a startup packet asks for a replication connection. */
    private static boolean isReplication(byte[] startup) {
        String[] parts =
                new String(startup, 8, startup.length - 8, StandardCharsets.UTF_8).split("\0");
        for (int i = 0; i + 1 < parts.length; i += 2) {
            if (parts[i].equals("replication")) {
                return !parts[i + 1].equals("false");
            }
        }
        return false;
    }

    private static void pump(InputStream from, Socket to, Socket other) {
        byte[] buffer = new byte[64 * 1024];
        try {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = from.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side went away
        } finally {
            closeQuietly(to);
            closeQuietly(other);
        }
    }

    private synchronized void register(Socket socket) {
        sockets.add(socket);
    }

    private synchronized void spawn(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        cutAll();
        acceptor.join(5_000);
        List<Thread> all;
        synchronized (this) {
            all = new ArrayList<>(threads);
        }
        for (Thread thread : all) {
            thread.join(5_000);
        }
    }
}
