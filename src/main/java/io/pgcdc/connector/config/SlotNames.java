package io.pgcdc.connector.config;

import org.apache.flink.annotation.Internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * The replication slots a job creates besides the one its {@code slot.name} names, and how they are
 * named: a reserved prefix and a hash of {@code slot.name} and the database, so that their names
 * cannot be taken for a user's naming ({@code orders_2024} is not a slot of the job whose {@code
 * slot.name} is {@code orders}), fit PostgreSQL's 63 bytes whatever {@code slot.name} is, and say
 * whose they are: a slot of such a name on the job's database was created by a job with this {@code
 * slot.name} there, and is the only kind of slot ever dropped as left over.
 */
@Internal
public final class SlotNames {

    private static final String BACKFILL_PREFIX = "pgcdc_bf_";
    private static final String SNAPSHOT_PREFIX = "pgcdc_snapshot_";

    private SlotNames() {}

    /** The backfill slot of one reader (subtask) of the job. */
    public static String backfill(String slotName, String database, int subtask) {
        return backfillPrefix(slotName, database) + subtask;
    }

    /** What every backfill slot name of the job starts with, the subtask number follows. */
    public static String backfillPrefix(String slotName, String database) {
        return BACKFILL_PREFIX + hash(slotName, database) + "_";
    }

    /** Whether the slot is one of the job's backfill slots (of any subtask). */
    public static boolean isBackfill(String candidate, String slotName, String database) {
        return Pattern.matches(
                Pattern.quote(backfillPrefix(slotName, database)) + "\\d+", candidate);
    }

    /**
     * The slot of a {@code snapshot} startup mode job: created when the job starts and dropped when
     * it has finished; the slot {@code slot.name} names is neither used nor touched.
     */
    public static String snapshotMode(String slotName, String database) {
        return SNAPSHOT_PREFIX + hash(slotName, database);
    }

    /** 16 hex digits of the SHA-256 of slot name and database. */
    private static String hash(String slotName, String database) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest((slotName + '\0' + database).getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(16);
            for (int i = 0; i < 8; i++) {
                hex.append(String.format("%02x", digest[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
