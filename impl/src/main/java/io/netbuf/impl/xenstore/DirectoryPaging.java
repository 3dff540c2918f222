package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Lists a directory too large for one DIRECTORY reply with DIRECTORY_PART, piece by piece, and
 * starts again when the directory's generation changes between pieces. Bounded: the whole listing
 * ends within one timeout of the client, and holds at most {@link XenstoreWire#MAX_DIRECTORY_REPLY}
 * bytes of names (a server that never sends the last piece gets E2BIG or ETIMEDOUT). Stateless.
 */
final class DirectoryPaging {
    private static final int MAX_RESTARTS = 100;

    private DirectoryPaging() {
    }

    /**
     * @param connection where to send the requests
     * @param tx the transaction id, 0 for none
     * @param path an absolute, checked path
     * @return the children, in xenstored's order
     * @throws XenstoreException EAGAIN when the directory kept changing, EPROTO for a malformed
     *     reply, E2BIG when the names exceed {@link XenstoreWire#MAX_DIRECTORY_REPLY} bytes, ETIMEDOUT when
     *     the whole listing took longer than the client's timeout, or as a request failed
     */
    static List<String> list(ReconnectingConnection connection, int tx, String path) {
        long deadline = connection.deadline();
        for (int restart = 0; restart < MAX_RESTARTS; restart++) {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            String generation = null;
            boolean changed = false;
            while (true) {
                if (names.size() > XenstoreWire.MAX_DIRECTORY_REPLY) {
                    throw new XenstoreException("directory part", path, "E2BIG", "the listing exceeds "
                            + XenstoreWire.MAX_DIRECTORY_REPLY + " bytes and xenstored has not ended it", null);
                }
                byte[] reply = connection.request(XenstoreWire.DIRECTORY_PART, tx,
                        XenstoreWire.payload(path, Integer.toString(names.size())), "directory part", path,
                        deadline).payload();
                int nul = indexOf(reply, (byte) 0);
                if (nul < 0) {
                    throw XenstoreWire.protocolError("directory part reply without generation");
                }
                String gen = new String(reply, 0, nul, StandardCharsets.US_ASCII);
                if (generation != null && !generation.equals(gen)) {
                    changed = true;
                    break;
                }
                generation = gen;
                int dataLength = reply.length - nul - 1;
                if (dataLength == 0) {
                    throw XenstoreWire.protocolError("directory part reply without data");
                }
                names.write(reply, nul + 1, dataLength);
                byte[] sofar = names.toByteArray();
                if (sofar.length <= 1 || sofar[sofar.length - 2] == 0) {
                    break;
                }
            }
            if (!changed) {
                byte[] all = names.toByteArray();
                int length = all.length > 1 ? all.length - 1 : 0;
                return List.copyOf(XenstoreWire.strings(Arrays.copyOf(all, length), 0));
            }
        }
        throw new XenstoreException("directory part", path, "EAGAIN",
                "directory kept changing while it was listed", null);
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
