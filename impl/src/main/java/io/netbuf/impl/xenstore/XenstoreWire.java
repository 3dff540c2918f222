package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The XenStore wire format (xs_wire.h): a 16-byte header {type, req_id, tx_id, len} in host byte
 * order followed by {@code len} payload bytes, at most {@link #MAX_PAYLOAD}. Stateless.
 */
public final class XenstoreWire {
    /** Size of the header. */
    public static final int HEADER_SIZE = 16;
    /** Largest payload xenstored sends or accepts (XENSTORE_PAYLOAD_MAX). */
    public static final int MAX_PAYLOAD = 4096;
    /**
     * Largest DIRECTORY reply accepted: oxenstored sends a directory whole, however large (it has no
     * DIRECTORY_PART), so these replies may exceed {@link #MAX_PAYLOAD}; 1 MiB is about 100,000 domains.
     */
    public static final int MAX_DIRECTORY_REPLY = 1 << 20;
    /** Host byte order: what xenstored and the kernel's xenbus device use. */
    public static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Message types (enum xsd_sockmsg_type). */
    public static final int DIRECTORY = 1;
    /** Reads a value. */
    public static final int READ = 2;
    /** Reads permissions. */
    public static final int GET_PERMS = 3;
    /** Registers a watch. */
    public static final int WATCH = 4;
    /** Removes a watch. */
    public static final int UNWATCH = 5;
    /** Starts a transaction. */
    public static final int TRANSACTION_START = 6;
    /** Ends a transaction. */
    public static final int TRANSACTION_END = 7;
    /** Introduces a domain (toolstack only). */
    public static final int INTRODUCE = 8;
    /** Releases a domain (toolstack only). */
    public static final int RELEASE = 9;
    /** Asks for a domain's home path. */
    public static final int GET_DOMAIN_PATH = 10;
    /** Writes a value. */
    public static final int WRITE = 11;
    /** Creates a node. */
    public static final int MKDIR = 12;
    /** Removes a subtree. */
    public static final int RM = 13;
    /** Sets permissions. */
    public static final int SET_PERMS = 14;
    /** A watch fired (daemon to client, req_id 0). */
    public static final int WATCH_EVENT = 15;
    /** An error reply: payload is the errno name. */
    public static final int ERROR = 16;
    /** Asks whether a domain was introduced. */
    public static final int IS_DOMAIN_INTRODUCED = 17;
    /** Resumes a domain. */
    public static final int RESUME = 18;
    /** Sets a domain's target. */
    public static final int SET_TARGET = 19;
    /** Resets all watches of the connection. */
    public static final int RESET_WATCHES = 21;
    /** Lists part of a large directory. */
    public static final int DIRECTORY_PART = 22;

    private XenstoreWire() {
    }

    /**
     * One message.
     *
     * @param type the message type
     * @param reqId the request id (echoed in the reply)
     * @param txId the transaction id, 0 for none
     * @param payload the payload (not copied)
     */
    public record Message(int type, int reqId, int txId, byte[] payload) {
        /** @return the payload as UTF-8 text, one trailing NUL removed */
        public String text() {
            int len = payload.length;
            if (len > 0 && payload[len - 1] == 0) {
                len--;
            }
            return new String(payload, 0, len, StandardCharsets.UTF_8);
        }

        /** @return the NUL-terminated strings of the payload (a missing final NUL is tolerated) */
        public List<String> strings() {
            return XenstoreWire.strings(payload, 0);
        }
    }

    /** The decoded fixed part of a frame, before its payload is read. */
    record Header(int type, int reqId, int txId, int length) {
    }

    /** @return whether {@code type} is a message type this protocol defines */
    static boolean isKnownType(int type) {
        return (type >= DIRECTORY && type <= SET_TARGET) || type == RESET_WATCHES || type == DIRECTORY_PART;
    }

    /**
     * Encodes a message.
     *
     * @param message the message
     * @return header and payload, ready to write
     * @throws XenstoreException E2BIG when the payload exceeds {@link #MAX_PAYLOAD}
     */
    public static ByteBuffer encode(Message message) {
        int len = message.payload().length;
        if (len > MAX_PAYLOAD) {
            throw new XenstoreException(typeName(message.type()), null, "E2BIG",
                    "payload of " + len + " bytes exceeds " + MAX_PAYLOAD, null);
        }
        ByteBuffer buf = ByteBuffer.allocate(HEADER_SIZE + len).order(ORDER);
        buf.putInt(message.type()).putInt(message.reqId()).putInt(message.txId()).putInt(len);
        buf.put(message.payload());
        return buf.flip();
    }

    /**
     * Decodes and checks a header.
     *
     * @param header exactly {@link #HEADER_SIZE} bytes
     * @return the header
     * @throws XenstoreException EPROTO for an unknown type or a length over {@link #MAX_PAYLOAD} (over
     *     {@link #MAX_DIRECTORY_REPLY} for a DIRECTORY reply, which oxenstored does not split)
     */
    static Header decodeHeader(ByteBuffer header) {
        header.order(ORDER);
        int type = header.getInt(0);
        int reqId = header.getInt(4);
        int txId = header.getInt(8);
        int len = header.getInt(12);
        int max = type == DIRECTORY ? MAX_DIRECTORY_REPLY : MAX_PAYLOAD;
        if (len < 0 || len > max) {
            throw protocolError("frame announces a payload of " + Integer.toUnsignedString(len)
                    + " bytes (max " + max + ")");
        }
        if (!isKnownType(type)) {
            throw protocolError("unknown message type " + Integer.toUnsignedString(type));
        }
        return new Header(type, reqId, txId, len);
    }

    /**
     * Builds a payload of NUL-terminated strings.
     *
     * @param strings the strings; each gets a trailing NUL
     * @return the payload
     */
    public static byte[] payload(String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : strings) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /**
     * Builds {@code path\0} followed by a raw value without terminator (the WRITE payload).
     *
     * @param path the path
     * @param value the value
     * @return the payload
     */
    public static byte[] pathAndValue(String path, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(path.getBytes(StandardCharsets.UTF_8));
        out.write(0);
        out.writeBytes(value);
        return out.toByteArray();
    }

    /**
     * Splits NUL-terminated strings.
     *
     * @param payload the bytes
     * @param from where to start
     * @return the strings; a last unterminated string is included
     */
    public static List<String> strings(byte[] payload, int from) {
        List<String> out = new ArrayList<>();
        int start = from;
        for (int i = from; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            out.add(new String(payload, start, payload.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * @param type a message type
     * @return its name for messages, e.g. {@code "read"}
     */
    public static String typeName(int type) {
        switch (type) {
            case DIRECTORY: return "directory";
            case READ: return "read";
            case GET_PERMS: return "get perms";
            case WATCH: return "watch";
            case UNWATCH: return "unwatch";
            case TRANSACTION_START: return "transaction start";
            case TRANSACTION_END: return "transaction end";
            case GET_DOMAIN_PATH: return "get domain path";
            case WRITE: return "write";
            case MKDIR: return "mkdir";
            case RM: return "rm";
            case SET_PERMS: return "set perms";
            case WATCH_EVENT: return "watch event";
            case ERROR: return "error";
            case DIRECTORY_PART: return "directory part";
            default: return "type " + type;
        }
    }

    /**
     * The exception for an ERROR reply: its payload names the errno; an empty or malformed one is EPROTO.
     *
     * @param operation the request, for the message
     * @param path its path, or null
     * @param error the ERROR frame
     * @return the exception to throw
     */
    static XenstoreException daemonError(String operation, String path, Message error) {
        String errno = error.text();
        if (!errno.matches("E[A-Z0-9]{1,15}")) {
            return new XenstoreException(operation, path, "EPROTO", "malformed error reply from xenstored: \""
                    + errno.replaceAll("[^ -~]", "?") + "\"", null);
        }
        return new XenstoreException(operation, path, errno, null, null);
    }

    static XenstoreException protocolError(String detail) {
        return new XenstoreException("reply", null, "EPROTO", "malformed frame from xenstored: " + detail, null);
    }
}
